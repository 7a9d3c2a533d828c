//! Minimise a linear function on the unit circle with the augmented Lagrangian method, and
//! compare the solution and the multiplier with their closed forms.
//!
//! ```text
//! min c·x   subject to   h(x) = |x|² - 1 = 0
//! ```
//!
//! The Lagrangian `c·x + λ(|x|² - 1)` is stationary where `c + 2λx = 0`, so `x = -c/(2λ)`, and
//! `|x| = 1` gives `λ = ±|c|/2`. The minimum is at `x* = -c/|c|` with `λ* = |c|/2`.
//!
//! The second part shows why the multiplier update matters: a pure quadratic penalty (`λ` kept
//! at 0) misses the circle by about `|c|/(2ρ)`, while the augmented Lagrangian is feasible at a
//! moderate `ρ`.
//!
//! Run with `cargo run --example circle`.

use gradus::constraints::FnConstraint;
use gradus::line_search::Backtracking;
use gradus::solvers::{AugmentedLagrangian, AugmentedLagrangianConfig};
use gradus::{FnObjective, GradientDescent, Minimizer};
use ndarray::{ArrayView1, ArrayViewMut1, array};

fn main() -> Result<(), gradus::Error> {
    let c = array![3.0_f64, -4.0];
    let norm_c = c.dot(&c).sqrt();

    let c_value = c.clone();
    let c_grad = c.clone();
    let f = FnObjective::new(
        2,
        move |x: ArrayView1<f64>| c_value.dot(&x),
        move |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&c_grad),
    );
    // h(x) = |x|² - 1, ∇h = 2x, so J(x)ᵀ v = 2 v x.
    let circle = FnConstraint::new(
        2,
        1,
        |x: ArrayView1<f64>| [x[0] * x[0] + x[1] * x[1] - 1.0],
        |x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out[0] = 2.0 * v[0] * x[0];
            out[1] = 2.0 * v[0] * x[1];
        },
    );
    let inner = || {
        Minimizer::new(GradientDescent::default())
            .line_search(Backtracking::default())
            .max_iterations(100_000)
    };

    let report = AugmentedLagrangian::new(inner())
        .equalities(&circle)
        .minimize(&f, array![1.0, 0.0].view())?;

    println!("min c·x on the unit circle, c = {c}");
    println!("  termination        {}", report.termination);
    println!(
        "  x                  ({:+.10}, {:+.10})   closed form -c/|c| = ({:+.10}, {:+.10})",
        report.x[0],
        report.x[1],
        -c[0] / norm_c,
        -c[1] / norm_c
    );
    println!(
        "  multiplier λ       {:.10}                 closed form |c|/2 = {:.10}",
        report.equality_multipliers[0],
        norm_c / 2.0
    );
    println!(
        "  f(x)               {:.10}                closed form -|c| = {:.10}",
        report.f, -norm_c
    );
    println!("  |h(x)|             {:.2e}", report.max_violation);
    println!("  KKT residual       {:.2e}", report.kkt_residual);
    println!(
        "  outer iterations   {}   inner iterations {}   evaluations {}   final penalty ρ = {}",
        report.outer_iterations,
        report.inner_iterations,
        report.function_evaluations,
        report.penalty
    );

    println!();
    println!("pure quadratic penalty (one solve with λ = 0) at growing ρ:");
    println!(
        "  {:>8}  {:>14}  {:>22}",
        "ρ", "|h(x)|", "estimate λ ≈ ρ h(x)"
    );
    for rho in [10.0, 100.0, 1000.0, 10_000.0] {
        let one_solve = AugmentedLagrangianConfig {
            initial_penalty: rho,
            max_penalty: rho,
            max_outer_iterations: 1,
            ..Default::default()
        };
        let penalty = AugmentedLagrangian::new(inner())
            .with_config(one_solve)?
            .equalities(&circle)
            .minimize(&f, array![1.0, 0.0].view())?;
        println!(
            "  {:>8}  {:>14.3e}  {:>22.10}",
            rho, penalty.max_violation, penalty.equality_multipliers[0]
        );
    }
    println!(
        "the penalty misses the circle by about |c|/(2ρ); the augmented Lagrangian above reached \
         |h| = {:.1e} at ρ = {} by updating λ.",
        report.max_violation, report.penalty
    );
    Ok(())
}
