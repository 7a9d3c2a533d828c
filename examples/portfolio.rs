//! A long-only minimum-variance portfolio with a target return (Markowitz, 1952).
//!
//! ```text
//! min ½ wᵀ Σ w   subject to   w ∈ Δ = {w >= 0, Σ_i w_i = 1}   (long-only, fully invested)
//!                             rᵀ w = t                          (target return)
//! ```
//!
//! The simplex is handled by projection, the target by the augmented Lagrangian method: each
//! inner solve is projected gradient descent. On the simplex `Σ w_i = 1`, so the target can be
//! written with the centred returns `r̄ = r - mean(r)`: `rᵀw - t = r̄ᵀw - (t - mean(r))`. It is
//! the same constraint with a smaller gradient (`|r̄|² = 37` against `|r|² = 277` here), which
//! keeps the augmented Lagrangian `½wᵀΣw + λh + ρ/2 h²` better conditioned, so a constant step
//! `1/L` with `L = λ_max(Σ) + ρ|∇h|²` is larger. When no weight is at zero, the long-only
//! constraint is inactive and the classic closed form applies: with `y₁ = Σ⁻¹1`, `y₂ = Σ⁻¹r`,
//! `A = 1ᵀy₁`, `B = 1ᵀy₂`, `C = rᵀy₂`, `D = AC - B²`,
//!
//! ```text
//! w* = α y₁ + β y₂,   α = (C - B t)/D,   β = (A t - B)/D,
//! ```
//!
//! and the multiplier of `rᵀw - t = 0` is `λ = -β`: raising the target by one point raises the
//! minimum of `½ wᵀΣw` by `β = -λ`. For a high target the closed form sells an asset short; the
//! long-only answer puts that weight at zero and pays with a higher variance.
//!
//! Run with `cargo run --example portfolio`.

use gradus::constraints::{FnConstraint, Simplex};
use gradus::solvers::{AugmentedLagrangian, AugmentedLagrangianConfig};
use gradus::{FnObjective, GradientDescent, Minimizer};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

fn main() -> Result<(), gradus::Error> {
    // Expected returns and volatilities in percent per year, and correlations.
    let r = array![4.0, 6.0, 9.0, 12.0];
    let vol = array![5.0, 8.0, 14.0, 20.0];
    let corr = array![
        [1.0, 0.3, 0.2, 0.1],
        [0.3, 1.0, 0.4, 0.2],
        [0.2, 0.4, 1.0, 0.5],
        [0.1, 0.2, 0.5, 1.0],
    ];
    let n = r.len();
    let sigma = Array2::from_shape_fn((n, n), |(i, j)| corr[[i, j]] * vol[i] * vol[j]);

    // ½ wᵀΣw and its gradient Σw.
    let (s1, s2) = (sigma.clone(), sigma.clone());
    let risk = FnObjective::new(
        n,
        move |w: ArrayView1<f64>| 0.5 * w.dot(&s1.dot(&w)),
        move |w: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&s2.dot(&w)),
    );

    // Centred returns: the same target constraint on the simplex, with a smaller gradient.
    let mean = r.sum() / n as f64;
    let centred = &r - mean;

    // A projected inner solve takes a constant step, which must stay below 2/L for the
    // augmented Lagrangian's L = λ_max(Σ) + ρ |r̄|²; cap ρ and take the step for that cap.
    let max_penalty = 100.0;
    let lipschitz = trace(&sigma) + max_penalty * centred.dot(&centred); // trace >= λ_max
    let config = AugmentedLagrangianConfig {
        max_penalty,
        ..Default::default()
    };
    let inner = || {
        Minimizer::new(GradientDescent::default())
            .lr(1.0 / lipschitz)
            .max_iterations(200_000)
    };
    let start = Array1::from_elem(n, 1.0 / n as f64);

    println!("assets: expected return r = {r} %, volatility = {vol} %");
    for target in [7.0, 10.0, 11.5] {
        let r_value = centred.clone();
        let r_grad = centred.clone();
        let target_return = FnConstraint::new(
            n,
            1,
            move |w: ArrayView1<f64>| [r_value.dot(&w) - (target - mean)],
            move |_w: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
                out.assign(&(&r_grad * v[0]))
            },
        );
        let report = AugmentedLagrangian::new(inner())
            .with_config(config)?
            .equalities(target_return)
            .projection(Simplex::probability())
            .minimize(&risk, start.view())?;
        let (w_closed, beta) = markowitz(&sigma, &r, target);

        println!();
        println!("target return t = {target} %: {}", report.termination);
        println!(
            "  {:>5}  {:>12}  {:>12}",
            "asset", "long-only w", "closed form"
        );
        for i in 0..n {
            println!("  {:>5}  {:>12.6}  {:>12.6}", i, report.x[i], w_closed[i]);
        }
        let var_closed = w_closed.dot(&sigma.dot(&w_closed));
        println!(
            "  volatility {:.6} %   (closed form {:.6} %)",
            (2.0 * report.f).sqrt(),
            var_closed.sqrt()
        );
        println!(
            "  multiplier λ = {:.6}   (closed form -β = {:.6})",
            report.equality_multipliers[0], -beta
        );
        println!(
            "  |rᵀw - t| = {:.1e}, KKT residual {:.1e}, {} outer / {} inner iterations",
            report.max_violation,
            report.kkt_residual,
            report.outer_iterations,
            report.inner_iterations
        );
        if w_closed.iter().any(|&w| w < 0.0) {
            println!("  the closed form sells short; long-only sets that weight to zero instead");
        }
    }

    // The target as an inequality, rᵀw >= t, i.e. g(w) = t - rᵀw <= 0. Asking for less than the
    // minimum-variance portfolio already earns leaves the constraint inactive, with μ = 0.
    let (gmv, _) = markowitz(&sigma, &r, f64::NAN);
    let gmv_return = r.dot(&gmv);
    let floor = gmv_return - 1.0;
    let r_value = centred.clone();
    let r_grad = centred.clone();
    let at_least = FnConstraint::new(
        n,
        1,
        move |w: ArrayView1<f64>| [(floor - mean) - r_value.dot(&w)],
        move |_w: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.assign(&(&r_grad * -v[0]))
        },
    );
    let report = AugmentedLagrangian::new(inner())
        .with_config(config)?
        .inequalities(at_least)
        .projection(Simplex::probability())
        .minimize(&risk, start.view())?;
    println!();
    println!(
        "return at least {floor:.4} % (the unconstrained minimum-variance portfolio earns \
         {gmv_return:.4} %): {}",
        report.termination
    );
    println!("  w = {:.6}   minimum-variance w = {:.6}", report.x, gmv);
    println!(
        "  multiplier μ = {} (inactive constraint), complementarity {:.1e}",
        report.inequality_multipliers[0], report.complementarity
    );
    Ok(())
}

/// The minimum-variance weights with Σ w = 1 and rᵀw = t (short sales allowed), and β; with a
/// NaN target, the global minimum-variance portfolio y₁/A.
fn markowitz(sigma: &Array2<f64>, r: &Array1<f64>, t: f64) -> (Array1<f64>, f64) {
    let ones = Array1::ones(r.len());
    let y1 = solve(sigma.clone(), ones.clone());
    let y2 = solve(sigma.clone(), r.clone());
    let (a, b, c) = (ones.dot(&y1), ones.dot(&y2), r.dot(&y2));
    if t.is_nan() {
        return (&y1 / a, 0.0);
    }
    let d = a * c - b * b;
    let alpha = (c - b * t) / d;
    let beta = (a * t - b) / d;
    (&y1 * alpha + &y2 * beta, beta)
}

fn trace(m: &Array2<f64>) -> f64 {
    m.diag().sum()
}

/// Solves `M z = rhs` by Gaussian elimination with partial pivoting.
fn solve(mut m: Array2<f64>, mut rhs: Array1<f64>) -> Array1<f64> {
    let n = rhs.len();
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[[i, k]].abs().total_cmp(&m[[j, k]].abs()))
            .unwrap_or(k);
        for j in 0..n {
            m.swap([k, j], [p, j]);
        }
        rhs.swap(k, p);
        for i in k + 1..n {
            let factor = m[[i, k]] / m[[k, k]];
            for j in k..n {
                m[[i, j]] -= factor * m[[k, j]];
            }
            rhs[i] -= factor * rhs[k];
        }
    }
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| m[[k, j]] * rhs[j]).sum();
        rhs[k] = (rhs[k] - s) / m[[k, k]];
    }
    rhs
}
