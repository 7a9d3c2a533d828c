//! A saddle point found, certified and left: gradient descent on `f(x, y) = x² - y² + y⁴/4` from
//! `(1, 0)` stays on the line `y = 0`, where the gradient never points away from it, and stops
//! at the saddle `(0, 0)`. The second-order certificate says so (the Hessian's smallest
//! eigenvalue is `-2`, along `y`). With saddle escape, by a step along that direction or by a
//! random perturbation (perturbed gradient descent), the run goes on to a minimum `(0, ±√2)`
//! where `f = -1`.
//!
//! Prints the three runs and draws their paths over the level sets of `f`
//! (`target/gradus-plots/saddle-escape.png`).
//!
//! `cargo run --release --example saddles`

#[path = "common/contour.rs"]
mod contour;

use std::error::Error as StdError;
use std::path::Path;

use gradus::curvature::{CurvatureConfig, PointKind};
use gradus::minimize::{EscapeMethod, SaddleEscape};
use gradus::prelude::*;
use ndarray::{ArrayView1, ArrayViewMut1, array};
use plotters::prelude::*;

type AnyError = Box<dyn StdError>;

fn f(v: [f64; 2]) -> f64 {
    v[0] * v[0] - v[1] * v[1] + v[1].powi(4) / 4.0
}

fn main() -> Result<(), AnyError> {
    let objective = FnObjective::new(
        2,
        |v: ArrayView1<f64>| f([v[0], v[1]]),
        |v: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            g[0] = 2.0 * v[0];
            g[1] = -2.0 * v[1] + v[1].powi(3);
        },
    );
    let runs: [(&str, Option<SaddleEscape<f64>>); 3] = [
        ("gradient descent", None),
        (
            "with a negative-curvature step",
            Some(SaddleEscape::default()),
        ),
        (
            "perturbed gradient descent",
            Some(SaddleEscape {
                method: EscapeMethod::Perturbation {
                    radius: 1e-2,
                    decrease: 1e-6,
                    seed: 7,
                },
                ..Default::default()
            }),
        ),
    ];
    let mut paths = Vec::new();
    for (label, escape) in runs {
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .gradient_tolerance(1e-9)
            .record_iterates(true)
            .certify_second_order(CurvatureConfig::default());
        if let Some(escape) = escape {
            m = m.escape_saddles(escape);
        }
        let report = m.minimize(&objective, array![1.0, 0.0].view())?;
        let certificate = report.second_order.as_ref().ok_or("no certificate")?;
        let verdict = match &certificate.kind {
            PointKind::Saddle { direction } => format!(
                "a saddle: λ_min = {:.3}, along ({:.3}, {:.3})",
                certificate.eigenpair.value, direction[0], direction[1]
            ),
            PointKind::StrictMinimum => format!(
                "a strict minimum: λ_min = {:.3}",
                certificate.eigenpair.value
            ),
            other => format!("{other:?}"),
        };
        println!(
            "{label:<32} x = ({:+.6}, {:+.6})  f = {:+.6}  iterations {:>4}  escapes {}  -> {verdict}",
            report.x[0], report.x[1], report.f, report.iterations, report.saddle_escapes
        );
        let path: Vec<(f64, f64)> = report
            .history
            .as_ref()
            .map(|h| {
                h.records
                    .iter()
                    .filter_map(|r| r.x.as_ref().map(|x| (x[0], x[1])))
                    .collect()
            })
            .unwrap_or_default();
        paths.push((label, path));
    }
    let file = Path::new("target/gradus-plots/saddle-escape.png");
    std::fs::create_dir_all(file.parent().expect("a folder"))?;
    draw(file, &paths)?;
    println!("\npicture: {}", file.display());
    Ok(())
}

/// The paths over level sets of `f`, with the saddle and the two minima marked.
fn draw(file: &Path, paths: &[(&str, Vec<(f64, f64)>)]) -> Result<(), AnyError> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the bundled font could not be read")?;
    let root = BitMapBackend::new(file, (900, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x_range, y_range) = (-1.2..1.2, -2.2..2.2);
    let mut chart = ChartBuilder::on(&root)
        .caption("f = x² - y² + y⁴/4: paths from (1, 0)", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range.clone(), y_range.clone())?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("x")
        .y_desc("y")
        .draw()?;
    let n = 160;
    let xs: Vec<f64> = (0..=n)
        .map(|i| x_range.start + (x_range.end - x_range.start) * i as f64 / n as f64)
        .collect();
    let ys: Vec<f64> = (0..=n)
        .map(|j| y_range.start + (y_range.end - y_range.start) * j as f64 / n as f64)
        .collect();
    let values: Vec<Vec<f64>> = xs
        .iter()
        .map(|&x| ys.iter().map(|&y| f([x, y])).collect())
        .collect();
    for k in -8..=12 {
        let level = 0.25 * k as f64;
        let shade = if k == 0 {
            BLACK.mix(0.6)
        } else {
            BLACK.mix(0.15)
        };
        for s in contour::contour(&values, &xs, &ys, level) {
            chart.draw_series(std::iter::once(PathElement::new(s.to_vec(), shade)))?;
        }
    }
    // Widest first, so that paths which share a stretch all stay visible.
    let styles = [(RED, 9), (BLUE, 5), (GREEN, 2)];
    for ((label, path), (color, width)) in paths.iter().zip(styles) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                path.clone(),
                color.stroke_width(width),
            )))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    let marks = [(0.0, 0.0), (0.0, 2f64.sqrt()), (0.0, -(2f64.sqrt()))];
    chart.draw_series(marks.iter().map(|&p| Circle::new(p, 5, BLACK.filled())))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
