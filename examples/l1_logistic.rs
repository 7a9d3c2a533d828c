//! L1-regularised logistic regression on the breast-cancer data (569 tumours, 30 features of
//! their cell nuclei; Street, Wolberg & Mangasarian, 1993): a regularization path with an
//! unpenalised intercept, every point certified by its coordinatewise KKT conditions, and FISTA
//! with and without adaptive restart on this ill-conditioned problem.
//!
//! ```text
//! cargo run --release --example l1_logistic [-- --plots DIR]
//! ```
//!
//! With labels `y_i ∈ {0, 1}` (1 = benign) and standardised features `x_i`, the model is
//! `P(y_i = 1) = σ(b + x_iᵀw)` and the objective
//!
//! ```text
//! F(b, w) = (1/N) Σ_i [ log(1 + exp(b + x_iᵀw)) - y_i (b + x_iᵀw) ] + λ |w|₁ ,
//! ```
//!
//! the penalty a [`WeightedL1`] with weight 0 on the intercept `b`. The path starts at `λ_max`,
//! where the model is the intercept alone, `b = log(357/212)`. The steps are found by
//! backtracking (no Lipschitz constant needed). The picture of the path is written as PNG into
//! `DIR` (default `target/gradus-plots`).

#[path = "common/path_plot.rs"]
mod path_plot;

use std::error::Error;
use std::path::PathBuf;

use gradus::prelude::*;
use gradus::problems::{TargetColumn, read_csv};
use gradus::prox::Penalty;
use gradus::prox::{WeightedL1, kkt};
use gradus::solvers::regularization_path::{RegularizationPath, lambda_max, log_grid};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Axis, concatenate};

/// The mean logistic loss of a linear model whose first column is the intercept's.
struct Logistic {
    x: Array2<f64>,
    y: Array1<f64>,
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `1 / (1 + e^{-z})` without overflow.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Objective<f64> for Logistic {
    fn dim(&self) -> usize {
        self.x.ncols()
    }

    fn value(&self, w: ArrayView1<'_, f64>) -> f64 {
        let z = self.x.dot(&w);
        let n = self.y.len() as f64;
        z.iter()
            .zip(&self.y)
            .map(|(&z, &y)| softplus(z) - y * z)
            .sum::<f64>()
            / n
    }

    /// `∇F = Xᵀ(σ(Xw) - y) / N`.
    fn value_and_gradient(&self, w: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>) -> f64 {
        let z = self.x.dot(&w);
        let n = self.y.len() as f64;
        let value = z
            .iter()
            .zip(&self.y)
            .map(|(&z, &y)| softplus(z) - y * z)
            .sum::<f64>()
            / n;
        let residual: Array1<f64> = z.mapv(sigmoid) - &self.y;
        g.assign(&(self.x.t().dot(&residual) / n));
        value
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = plots_dir()?;
    std::fs::create_dir_all(&dir)?;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/data/breast_cancer.csv");
    let table = read_csv::<f64>(file, &TargetColumn::Named("target".into()))?;
    let mut data = table.dataset;
    data.standardize();
    let n = data.len();
    let ones = Array2::ones((n, 1));
    let x = concatenate(Axis(1), &[ones.view(), data.features.view()])?;
    let mut names = vec!["intercept".to_string()];
    names.extend(table.feature_names);
    let f = Logistic {
        x,
        y: data.targets.clone(),
    };
    let d = f.dim();
    let benign = data.targets.sum();
    println!(
        "breast cancer: N = {n}, {} features (standardised) + intercept; {benign} benign, {} \
         malignant",
        d - 1,
        n as f64 - benign
    );

    // The path starts at the intercept-only model, where ∇F is 0 on the intercept.
    let mut weights = Array1::ones(d);
    weights[0] = 0.0;
    let penalty = WeightedL1::new(1.0, weights.view())?;
    let mut start = Array1::zeros(d);
    start[0] = (benign / (n as f64 - benign)).ln();
    let top = lambda_max(&penalty, &f, start.view())?;
    let grid = log_grid(top, 1e-2, 25)?;
    let mut fista = Minimizer::new(GradientDescent::default())
        .prox_backtracking(ProxBacktracking::from(1.0))
        .accelerate(Restart::Gradient)
        .gradient_tolerance(1e-10)
        .max_iterations(200_000);
    let path = RegularizationPath::compute(&mut fista, &f, &penalty, &grid, start.view())?;
    println!(
        "\nL1-logistic path, λ_max = max_j |∂F/∂w_j| at the intercept-only model = {top:.6} \
         (FISTA with backtracking and gradient restart, warm starts)"
    );
    println!(
        "{:>10} {:>11} {:>7} {:>9} {:>10} {:>6}  entering",
        "λ/λ_max", "F(b, w)", "|supp|", "accuracy", "max KKT", "iters"
    );
    let mut seen = vec![0];
    let mut worst = 0.0f64;
    for k in 0..path.len() {
        let x = &path.solutions[k];
        let check = kkt(&penalty.with_lambda(path.lambdas[k]), &f, x.view())?;
        worst = worst.max(check.max);
        let margins = f.x.dot(x);
        let correct = margins
            .iter()
            .zip(&f.y)
            .filter(|&(&z, &y)| (z > 0.0) == (y == 1.0))
            .count();
        let new: Vec<usize> = path.supports[k]
            .iter()
            .copied()
            .filter(|j| !seen.contains(j))
            .collect();
        seen.extend(&new);
        let entering: Vec<&str> = new.iter().map(|&j| names[j].as_str()).collect();
        println!(
            "{:>10.2e} {:>11.8} {:>7} {:>8.1}% {:>10.1e} {:>6}  {}",
            path.lambdas[k] / top,
            path.objectives[k],
            path.supports[k].len().saturating_sub(1),
            100.0 * correct as f64 / n as f64,
            check.max,
            path.iterations[k],
            entering.join(" ")
        );
    }
    let picture = dir.join("l1_logistic_path_breast_cancer.png");
    path_plot::plot_path(
        &picture,
        "L1-logistic path, breast cancer",
        &path,
        &names,
        &[0],
        10,
    )?;
    println!(
        "largest KKT residual on the path: {worst:.1e} (|∂F/∂w_j + λ sign(w_j)| off zero, \
         max(|∂F/∂w_j| - λ, 0) at zero); picture: {}",
        picture.display()
    );

    // Adaptive restart on this ill-conditioned problem (many nearly collinear features).
    println!(
        "\niterations from the intercept-only model until the proximal gradient mapping is below \
         1e-9 (FISTA with backtracking):"
    );
    println!(
        "{:>10} {:>10} {:>14} {:>14} {:>9}",
        "λ/λ_max", "no restart", "function value", "gradient", "restarts"
    );
    for fraction in [1e-1, 3e-2, 1e-2] {
        let lambda = top * fraction;
        let run = |restart: Restart| {
            Minimizer::new(GradientDescent::default())
                .prox_backtracking(ProxBacktracking::from(1.0))
                .prox(penalty.with_lambda(lambda))
                .accelerate(restart)
                .gradient_tolerance(1e-9)
                .max_iterations(1_000_000)
                .minimize(&f, start.view())
        };
        let (plain, function, gradient) = (
            run(Restart::Never)?,
            run(Restart::FunctionValue)?,
            run(Restart::Gradient)?,
        );
        for r in [&plain, &function, &gradient] {
            if !r.converged() {
                return Err(format!("λ/λ_max = {fraction}: {}", r.termination).into());
            }
        }
        println!(
            "{fraction:>10.0e} {:>10} {:>14} {:>14} {:>9}",
            plain.iterations,
            function.iterations,
            gradient.iterations,
            gradient.restarts.unwrap_or(0)
        );
    }
    Ok(())
}

/// The directory of the pictures: `--plots DIR`, or `target/gradus-plots`.
fn plots_dir() -> Result<PathBuf, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = PathBuf::from("target/gradus-plots");
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--plots", Some(value)) => dir = PathBuf::from(value),
            _ => return Err(format!("usage: l1_logistic [--plots DIR] (got `{flag}`)").into()),
        }
    }
    Ok(dir)
}
