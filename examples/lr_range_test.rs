//! The learning-rate range test on a convex and a non-convex problem: minibatch SGD on logistic
//! regression (20,000 examples, 50 features), and Adam on the 10-dimensional Rosenbrock
//! function. Prints the suggested step sizes, checks them by training with each, and draws the
//! two loss curves (`target/gradus-plots/lr-range-test.png`).
//!
//! `cargo run --release --example lr_range_test`

use std::error::Error as StdError;
use std::path::Path;

use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression, Rosenbrock, TestFunction};
use gradus::solvers::{LrRangeTest, LrRangeTestConfig, RangeTestCurve};
use ndarray::Array1;
use plotters::prelude::*;

type AnyError = Box<dyn StdError>;

fn main() -> Result<(), AnyError> {
    // Convex: L2-regularised logistic regression, plain minibatch SGD (batch 64).
    let data = Dataset::<f64>::classification(20_000, 50, 2026)?;
    let logistic = LogisticRegression::new(data, 1e-3)?;
    let x0 = Array1::zeros(50);
    let minibatch = Minibatch {
        batch_size: 64,
        seed: 1,
        ..Default::default()
    };
    let sgd = GradientDescent::default();
    let test = LrRangeTest::new(LrRangeTestConfig {
        min_lr: 1e-5,
        max_lr: 1e3,
        steps: 200,
        ..Default::default()
    })?;
    let convex = test.run_finite_sum(&sgd, &logistic, x0.view(), minibatch.clone())?;
    report("logistic regression, SGD (batch 64)", &convex);
    let lr = convex.suggestion().ok_or("no suggestion for SGD")?;
    let run = Minimizer::new(GradientDescent::default())
        .lr(lr)
        .minibatch(minibatch)
        .max_epochs(3)
        .minimize_finite_sum(&logistic, x0.view())?;
    println!(
        "  3 epochs of SGD at the suggested {lr:.3e}: f = {:.6} (f(x0) = {:.6})\n",
        run.f, convex.losses[0]
    );

    // Non-convex: Rosenbrock in 10 dimensions, Adam from the standard start.
    let rosenbrock = Rosenbrock::new(10);
    let start: Array1<f64> = rosenbrock.start()?;
    let test = LrRangeTest::new(LrRangeTestConfig {
        min_lr: 1e-6,
        max_lr: 1e3,
        steps: 200,
        ..Default::default()
    })?;
    let nonconvex = test.run(&Adam::default(), &rosenbrock, start.view())?;
    report("Rosenbrock-10, Adam", &nonconvex);
    let lr = nonconvex.suggestion().ok_or("no suggestion for Adam")?;
    let run = Minimizer::new(Adam::default())
        .lr(lr)
        .max_iterations(2_000)
        .minimize(&rosenbrock, start.view())?;
    println!(
        "  2,000 steps of Adam at the suggested {lr:.3e}: f = {:.3e} (f(x0) = {:.3e})",
        run.f, nonconvex.losses[0]
    );

    let path = Path::new("target/gradus-plots/lr-range-test.png");
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    draw(
        path,
        &[
            ("logistic regression, SGD", &convex),
            ("Rosenbrock-10, Adam", &nonconvex),
        ],
    )?;
    println!("\npicture: {}", path.display());
    Ok(())
}

/// Prints a curve's summary.
fn report(name: &str, curve: &RangeTestCurve<f64>) {
    println!("{name}");
    println!(
        "  {} steps from lr = {:.1e} to {:.1e}{}; {} gradient evaluations",
        curve.lrs.len(),
        curve.lrs[0],
        curve.lrs[curve.lrs.len() - 1],
        if curve.diverged {
            ", stopped: the loss blew up"
        } else {
            ""
        },
        curve.gradient_evaluations
    );
    match (curve.suggestion(), curve.lr_at_minimum()) {
        (Some(s), Some(m)) => println!(
            "  suggested lr (steepest fall of the smoothed loss): {s:.3e}; lowest smoothed loss at {m:.3e}"
        ),
        _ => println!("  no suggestion: the curve is too short or never falls"),
    }
}

/// The smoothed loss against the step size, one panel per curve, each loss scaled by its value
/// at the start, with the suggested step size marked.
fn draw(path: &Path, curves: &[(&str, &RangeTestCurve<f64>)]) -> Result<(), AnyError> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the bundled font could not be read")?;
    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, curves.len()));
    for ((name, curve), panel) in curves.iter().zip(&panels) {
        let first = curve.smoothed[0].abs().max(f64::MIN_POSITIVE);
        let points: Vec<(f64, f64)> = curve
            .lrs
            .iter()
            .zip(&curve.smoothed)
            .map(|(&lr, &l)| (lr, (l / first).clamp(1e-12, 1e12)))
            .collect();
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let mut chart = ChartBuilder::on(panel)
            .caption(*name, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (curve.lrs[0]..curve.lrs[curve.lrs.len() - 1]).log_scale(),
                (lo / 2.0..hi * 2.0).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("step size (log scale)")
            .y_desc("smoothed loss / loss at the start")
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .y_label_formatter(&|v| {
                if (1e-2..1e2).contains(v) {
                    format!("{v:.2}")
                } else {
                    format!("{v:.0e}")
                }
            })
            .draw()?;
        chart.draw_series(LineSeries::new(points, BLUE.stroke_width(2)))?;
        if let Some(s) = curve.suggestion() {
            chart.draw_series(LineSeries::new(
                [(s, lo / 2.0), (s, hi * 2.0)],
                RED.stroke_width(1),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}
