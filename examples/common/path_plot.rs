//! A picture of a regularization path: each coefficient against `log10(λ / λ_max)`, as glmnet's
//! `plot(fit, xvar = "lambda")` draws it, written as PNG. Shared by the sparse-model examples.

use std::path::Path;

use gradus::solvers::RegularizationPath;
use plotters::prelude::*;

/// Ten colours that stay apart from each other on white (matplotlib's `tab10`).
const COLORS: [RGBColor; 10] = [
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
];

/// Width in pixels of the legend panel at the right of the picture.
const LEGEND_WIDTH: u32 = 240;

/// Draws the coefficients of `path` (skipping the coordinates in `skip`, an intercept) against
/// `log10(λ / λ_max)` into the PNG file `file`: the `labelled` coefficients largest at the end
/// of the path in colour, named in a legend beside the chart, the others in grey.
pub fn plot_path(
    file: &Path,
    title: &str,
    path: &RegularizationPath<f64>,
    names: &[String],
    skip: &[usize],
    labelled: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    // Text is drawn with a font that a crate ships, so no system font is needed.
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the bundled font could not be read")?;
    let top = path.lambdas[0];
    let xs: Vec<f64> = path.lambdas.iter().map(|l| (l / top).log10()).collect();
    let last = path.solutions.len() - 1;
    let coordinates: Vec<usize> = (0..path.solutions[0].len())
        .filter(|j| !skip.contains(j))
        .collect();
    let (lo, hi) = path
        .solutions
        .iter()
        .flat_map(|x| coordinates.iter().map(move |&j| x[j]))
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = 0.05 * (hi - lo).max(1e-12);
    // The coordinates largest in magnitude at the smallest λ get a legend entry.
    let mut order = coordinates.clone();
    order.sort_by(|&a, &b| {
        path.solutions[last][b]
            .abs()
            .total_cmp(&path.solutions[last][a].abs())
    });
    let shown: Vec<usize> = order.into_iter().take(labelled).collect();

    let root = BitMapBackend::new(file, (1000 + LEGEND_WIDTH, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot, legend) = root.split_horizontally(1000);
    let x_end = *xs.last().unwrap_or(&-1.0);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_end..0.0, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("log10(λ / λ_max)   (λ falls to the left)")
        .y_desc("coefficient")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let grey = RGBColor(190, 190, 190);
    // The grey ones first, so that the coloured ones are drawn over them.
    for &j in coordinates.iter().filter(|j| !shown.contains(j)) {
        chart.draw_series(LineSeries::new(
            xs.iter().zip(&path.solutions).map(|(&x, s)| (x, s[j])),
            grey.stroke_width(1),
        ))?;
    }
    let mut entries: Vec<(String, RGBColor)> = Vec::new();
    for (k, &j) in shown.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        chart.draw_series(LineSeries::new(
            xs.iter().zip(&path.solutions).map(|(&x, s)| (x, s[j])),
            color.stroke_width(2),
        ))?;
        entries.push((names[j].clone(), color));
    }
    if coordinates.len() > shown.len() {
        entries.push(("others".to_string(), grey));
    }
    for (k, (name, color)) in entries.into_iter().enumerate() {
        let y = 60 + 26 * k as i32;
        legend.draw(&PathElement::new(
            vec![(10, y), (40, y)],
            color.stroke_width(3),
        ))?;
        legend.draw(&Text::new(name, (48, y - 9), ("sans-serif", 16)))?;
    }
    root.present()?;
    Ok(())
}
