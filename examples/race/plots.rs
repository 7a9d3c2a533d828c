//! The race's pictures, as SVG and PNG: convergence curves per problem, trajectories over level
//! sets on the 2-D classics, and the performance profile.

use std::path::{Path, PathBuf};

use gradus::problems::SuiteProblem;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::AnyError;
use crate::contour::contour;
use crate::harness::{PerformanceProfile, RaceResult, performance_profile};

/// Draws one picture twice, as `<stem>.svg` and `<stem>.png`, with a drawing function that is
/// generic over the plotters backend.
macro_rules! render {
    ($stem:expr, $size:expr, |$root:ident| $draw:expr) => {{
        let stem: PathBuf = $stem;
        let svg_path = stem.with_extension("svg");
        let $root = &SVGBackend::new(&svg_path, $size).into_drawing_area();
        $draw?;
        $root.present()?;
        let png_path = stem.with_extension("png");
        let $root = &BitMapBackend::new(&png_path, $size).into_drawing_area();
        $draw?;
        $root.present()?;
    }};
}

/// Every picture: a convergence plot per problem, trajectories on the 2-D classics, the profile.
/// Returns the number of files written.
pub fn plot_all(
    dir: &Path,
    problems: &[SuiteProblem],
    results: &[RaceResult],
    rules: &[String],
) -> Result<usize, AnyError> {
    // Text is drawn with a font that a crate ships, so no system font is needed.
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the bundled font could not be read")?;
    // One colour per rule, the same in every picture.
    let color = |rule: &str| color(rules.iter().position(|r| r == rule).unwrap_or(0));
    let mut written = 0;
    for problem in problems {
        let name = problem.name();
        let runs: Vec<&RaceResult> = results
            .iter()
            .filter(|r| r.problem == name && r.curve.is_some())
            .collect();
        if runs.is_empty() {
            continue;
        }
        render!(
            dir.join(format!("convergence-{name}")),
            (1000, 600),
            |root| { plot_convergence(root, &name, &runs, &color) }
        );
        written += 2;
        if ["rosenbrock-2", "beale", "himmelblau"].contains(&name.as_str()) {
            let size = (800 + LEGEND_WIDTH, 700);
            render!(dir.join(format!("trajectories-{name}")), size, |root| {
                plot_trajectories(root, problem, &runs, &color)
            });
            written += 2;
        }
    }
    // Factors up to the largest possible ratio: the most gradient evaluations of any run.
    let most = results
        .iter()
        .map(|r| r.gradient_evaluations)
        .max()
        .unwrap_or(1)
        .max(2);
    let octaves = (most as f64).log2().ceil() as i32;
    let mut taus: Vec<f64> = (0..=12 * octaves)
        .map(|i| 2f64.powf(f64::from(i) / 12.0))
        .collect();
    taus.push(f64::INFINITY);
    let profile = performance_profile(results, &taus);
    if profile.instances > 0 {
        render!(dir.join("performance-profile"), (1000, 600), |root| {
            plot_profile(root, &profile, &color)
        });
        written += 2;
    }
    Ok(written)
}

/// The colour of rule number `i` of the race.
fn color(i: usize) -> RGBColor {
    // Twenty colours that stay apart from each other on white: the rules of the race keep one
    // colour each.
    const COLORS: [RGBColor; 20] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(0, 0, 128),
        RGBColor(170, 110, 40),
        RGBColor(0, 128, 128),
        RGBColor(128, 0, 0),
        RGBColor(240, 50, 230),
        RGBColor(60, 60, 60),
        RGBColor(128, 128, 0),
        RGBColor(0, 200, 120),
        RGBColor(250, 190, 190),
        RGBColor(70, 240, 240),
    ];
    COLORS[i % COLORS.len()]
}

/// Width in pixels of the legend panel at the right of every picture.
const LEGEND_WIDTH: u32 = 190;

/// The legend: one line and name per rule, in a panel beside the chart.
fn legend<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    entries: &[(&str, RGBColor)],
) -> Result<(), AnyError>
where
    DB::ErrorType: 'static,
{
    for (k, (name, c)) in entries.iter().enumerate() {
        let y = 60 + 22 * k as i32;
        side.draw(&PathElement::new(vec![(4, y), (26, y)], c.stroke_width(3)))?;
        side.draw(&Text::new(
            name.to_string(),
            (30, y - 7),
            ("sans-serif", 14),
        ))?;
    }
    Ok(())
}

/// Keeps at most about `max` points of a long series, always with the last one.
fn thin<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    let every = points.len().div_ceil(max).max(1);
    let mut out: Vec<T> = points.iter().step_by(every).copied().collect();
    if let Some(&last) = points.last()
        && !(points.len() - 1).is_multiple_of(every)
    {
        out.push(last);
    }
    out
}

/// `f - f*` against the iteration, both on log scales, of every rule's run from the standard
/// start of one problem.
fn plot_convergence<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    runs: &[&RaceResult],
    color: &dyn Fn(&str) -> RGBColor,
) -> Result<(), AnyError>
where
    DB::ErrorType: 'static,
{
    const FLOOR: f64 = 1e-16;
    let curves: Vec<(&str, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|r| {
            let points: Vec<(f64, f64)> = r
                .curve
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|&(k, gap)| (k as f64 + 1.0, gap.clamp(FLOOR, 1e30)))
                .collect();
            (r.contender.as_str(), thin(&points, 1500))
        })
        .collect();
    let x_max = curves
        .iter()
        .flat_map(|(_, c)| c.last().map(|p| p.0))
        .fold(1.0_f64, f64::max);
    let (lo, hi) = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
    root.fill(&WHITE)?;
    let (area, side) = root.split_horizontally(1000 - LEGEND_WIDTH);
    let mut chart = ChartBuilder::on(&area)
        .caption(
            format!("{name}: f - f* from the standard start"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(
            (1.0..x_max.max(2.0)).log_scale(),
            (lo.max(FLOOR) / 2.0..hi * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("iteration + 1 (log scale)")
        .y_desc("f - f* (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    let mut entries = Vec::new();
    for (rule, points) in curves {
        let c = color(rule);
        chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?;
        entries.push((rule, c));
    }
    legend(&side, &entries)?;
    Ok(())
}

/// The iterates of every rule from the standard start of a 2-D problem, over level sets of
/// `f - f*`, with the start and the minimisers marked.
fn plot_trajectories<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    problem: &SuiteProblem,
    runs: &[&RaceResult],
    color: &dyn Fn(&str) -> RGBColor,
) -> Result<(), AnyError>
where
    DB::ErrorType: 'static,
{
    let name = problem.name();
    let paths: Vec<(&str, Vec<(f64, f64)>)> = runs
        .iter()
        .filter_map(|r| {
            let p = r.path.as_ref()?;
            let points: Vec<(f64, f64)> = p.iter().map(|x| (x[0], x[1])).collect();
            Some((r.contender.as_str(), thin(&points, 3000)))
        })
        .collect();
    // The window: the start, the minimisers and the trajectories (clipped to a sane box).
    let mut xr = (f64::INFINITY, f64::NEG_INFINITY);
    let mut yr = (f64::INFINITY, f64::NEG_INFINITY);
    let start = problem.start()?;
    let minimizers = problem.minimizers()?;
    let anchors = minimizers
        .iter()
        .map(|m| (m[0], m[1]))
        .chain([(start[0], start[1])]);
    for (x, y) in anchors.chain(paths.iter().flat_map(|(_, p)| p.iter().copied())) {
        if x.is_finite() && y.is_finite() && x.abs() < 10.0 && y.abs() < 10.0 {
            xr = (xr.0.min(x), xr.1.max(x));
            yr = (yr.0.min(y), yr.1.max(y));
        }
    }
    let pad = |(a, b): (f64, f64)| {
        let m = 0.15 * (b - a).max(1.0);
        (a - m, b + m)
    };
    let (xr, yr) = (pad(xr), pad(yr));
    const GRID: usize = 160;
    let xs: Vec<f64> = (0..=GRID)
        .map(|i| xr.0 + (xr.1 - xr.0) * i as f64 / GRID as f64)
        .collect();
    let ys: Vec<f64> = (0..=GRID)
        .map(|j| yr.0 + (yr.1 - yr.0) * j as f64 / GRID as f64)
        .collect();
    let f_min = problem.minimum();
    let values: Vec<Vec<f64>> = xs
        .iter()
        .map(|&x| {
            ys.iter()
                .map(|&y| problem.value(ndarray::array![x, y].view()) - f_min)
                .collect()
        })
        .collect();
    let top = values.iter().flatten().copied().fold(0.0_f64, f64::max);

    root.fill(&WHITE)?;
    let (area, side) = root.split_horizontally(800);
    let mut chart = ChartBuilder::on(&area)
        .caption(
            format!("{name}: iterates from the standard start over level sets of f - f*"),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    chart.configure_mesh().x_desc("x1").y_desc("x2").draw()?;
    // Levels spaced by factors of 4 from 1e-3 up to the largest value in the window.
    let mut level = 1e-3;
    while level < top {
        for s in contour(&values, &xs, &ys, level) {
            chart.draw_series(std::iter::once(PathElement::new(
                s.to_vec(),
                RGBColor(170, 170, 170).stroke_width(1),
            )))?;
        }
        level *= 4.0;
    }
    let mut entries = Vec::new();
    for (rule, points) in paths {
        let c = color(rule);
        let last = points.last().copied();
        chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?;
        entries.push((rule, c));
        if let Some(p) = last {
            chart.draw_series(std::iter::once(Circle::new(p, 4, c.filled())))?;
        }
    }
    chart.draw_series(
        minimizers
            .iter()
            .map(|m| Cross::new((m[0], m[1]), 7, BLACK.stroke_width(2))),
    )?;
    chart.draw_series(std::iter::once(TriangleMarker::new(
        (start[0], start[1]),
        8,
        BLACK.filled(),
    )))?;
    legend(&side, &entries)?;
    side.draw(&TriangleMarker::new(
        (14, 60 + 22 * entries.len() as i32),
        6,
        BLACK.filled(),
    ))?;
    side.draw(&Text::new(
        "start",
        (30, 53 + 22 * entries.len() as i32),
        ("sans-serif", 14),
    ))?;
    side.draw(&Cross::new(
        (14, 82 + 22 * entries.len() as i32),
        6,
        BLACK.stroke_width(2),
    ))?;
    side.draw(&Text::new(
        "minimiser",
        (30, 75 + 22 * entries.len() as i32),
        ("sans-serif", 14),
    ))?;
    Ok(())
}

/// The performance profile: `ρ_s(τ)` against `τ` (log scale), a step function per rule.
fn plot_profile<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    profile: &PerformanceProfile,
    color: &dyn Fn(&str) -> RGBColor,
) -> Result<(), AnyError>
where
    DB::ErrorType: 'static,
{
    let finite: Vec<usize> = (0..profile.taus.len())
        .filter(|&t| profile.taus[t].is_finite())
        .collect();
    let tau_max = finite.last().map_or(2.0, |&t| profile.taus[t]);
    root.fill(&WHITE)?;
    let (area, side) = root.split_horizontally(1000 - LEGEND_WIDTH);
    let mut chart = ChartBuilder::on(&area)
        .caption(
            format!(
                "Performance profile on gradient evaluations ({} instances)",
                profile.instances
            ),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((1.0..tau_max).log_scale(), 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("tau: within this factor of the best rule's cost (log scale)")
        .y_desc("fraction of instances solved")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let mut entries = Vec::new();
    for (rule, row) in profile.contenders.iter().zip(&profile.fractions) {
        let c = color(rule);
        // A step function: constant between the taus.
        let mut points = Vec::with_capacity(2 * finite.len());
        for (k, &t) in finite.iter().enumerate() {
            if k > 0 {
                points.push((profile.taus[t], row[finite[k - 1]]));
            }
            points.push((profile.taus[t], row[t]));
        }
        chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?;
        entries.push((rule.as_str(), c));
    }
    legend(&side, &entries)?;
    Ok(())
}
