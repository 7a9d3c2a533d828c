//! Non-negative least squares by projected gradient descent.
//!
//! ```text
//! min ½ |A x - b|²   subject to   x >= 0
//! ```
//!
//! Projected gradient descent takes a gradient step and clips at zero,
//! `x ← max(0, x - γ Aᵀ(Ax - b))`, which converges for a step `γ <= 1/L` with
//! `L = λ_max(AᵀA)` (estimated here by power iteration). The answer is checked two ways:
//! against the exact solution found by trying every active set (fine for 5 unknowns: 32 sets),
//! and against the KKT conditions `x >= 0`, `∇f(x) >= 0`, `x_i ∇f(x)_i = 0`.
//!
//! Run with `cargo run --example nnls`.

use gradus::constraints::NonNegative;
use gradus::{FnObjective, GradientDescent, Minimizer};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

fn main() -> Result<(), gradus::Error> {
    let a = array![
        [1.0, 0.2, 0.0, 0.5, 0.1],
        [0.3, 1.0, 0.4, 0.0, 0.2],
        [0.0, 0.5, 1.0, 0.3, 0.0],
        [0.6, 0.0, 0.2, 1.0, 0.4],
        [0.1, 0.3, 0.0, 0.2, 1.0],
        [0.8, 0.1, 0.5, 0.0, 0.3],
        [0.2, 0.7, 0.1, 0.6, 0.0],
        [0.4, 0.0, 0.3, 0.1, 0.9],
    ];
    let b = array![2.1, -0.3, 0.9, 1.6, 0.2, 2.0, -0.4, 1.3];
    let n = a.ncols();

    // f(x) = ½|Ax - b|² and ∇f(x) = Aᵀ(Ax - b), one row at a time so nothing is allocated.
    let (a1, b1, a2, b2) = (a.clone(), b.clone(), a.clone(), b.clone());
    let f = FnObjective::new(
        n,
        move |x: ArrayView1<f64>| {
            a1.rows()
                .into_iter()
                .zip(&b1)
                .map(|(row, &bi)| 0.5 * (row.dot(&x) - bi).powi(2))
                .sum()
        },
        move |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            g.fill(0.0);
            for (row, &bi) in a2.rows().into_iter().zip(&b2) {
                g.scaled_add(row.dot(&x) - bi, &row);
            }
        },
    );

    let ata = a.t().dot(&a);
    let lipschitz = largest_eigenvalue(&ata);
    let unconstrained = solve(ata.clone(), a.t().dot(&b));

    let report = Minimizer::new(GradientDescent::default())
        .lr(1.0 / lipschitz)
        .gradient_tolerance(1e-12)
        .max_iterations(100_000)
        .projection(NonNegative)
        .minimize(&f, Array1::zeros(n).view())?;
    let exact = nnls_by_enumeration(&a, &b);
    let gradient = a.t().dot(&(a.dot(&report.x) - &b));

    println!("non-negative least squares, A is {}x{}", a.nrows(), n);
    println!("step 1/L with L = λ_max(AᵀA) = {lipschitz:.6}");
    println!(
        "termination: {} after {} iterations",
        report.termination, report.iterations
    );
    println!();
    println!(
        "  {:>2}  {:>14}  {:>14}  {:>14}  {:>12}",
        "i", "unconstrained", "projected GD", "exact", "∇f(x)_i"
    );
    for i in 0..n {
        println!(
            "  {:>2}  {:>14.10}  {:>14.10}  {:>14.10}  {:>12.2e}",
            i, unconstrained[i], report.x[i], exact[i], gradient[i]
        );
    }
    let max_error = report
        .x
        .iter()
        .zip(&exact)
        .fold(0.0_f64, |m, (x, e)| m.max((x - e).abs()));
    let complementarity = report
        .x
        .iter()
        .zip(&gradient)
        .fold(0.0_f64, |m, (x, g)| m.max((x * g).abs()));
    let min_gradient = gradient.iter().cloned().fold(f64::INFINITY, f64::min);
    println!();
    println!("max |projected GD - exact|   {max_error:.2e}");
    println!(
        "KKT: min_i x_i = {:.2e} (>= 0), min_i ∇f_i = {min_gradient:.2e} (>= 0 up to rounding), max_i |x_i ∇f_i| = {complementarity:.2e}",
        report.x.iter().cloned().fold(f64::INFINITY, f64::min)
    );
    println!("the unconstrained solution has negative entries; the constrained one sets them to");
    println!("zero and refits the rest, so it is not the unconstrained solution clipped.");
    Ok(())
}

/// The exact NNLS solution: for every support S, solve the least-squares problem on the columns
/// in S; keep the candidate that satisfies the KKT conditions (x_S > 0, ∇f >= 0 off S).
fn nnls_by_enumeration(a: &Array2<f64>, b: &Array1<f64>) -> Array1<f64> {
    let n = a.ncols();
    let mut best: Option<(f64, Array1<f64>)> = None;
    for mask in 0u32..(1 << n) {
        let support: Vec<usize> = (0..n).filter(|&j| mask & (1 << j) != 0).collect();
        let mut x = Array1::zeros(n);
        if !support.is_empty() {
            let sub = a.select(ndarray::Axis(1), &support);
            let xs = solve(sub.t().dot(&sub), sub.t().dot(b));
            if xs.iter().any(|&v| v < 0.0) {
                continue;
            }
            for (k, &j) in support.iter().enumerate() {
                x[j] = xs[k];
            }
        }
        let residual = a.dot(&x) - b;
        let value = 0.5 * residual.dot(&residual);
        if best.as_ref().is_none_or(|(v, _)| value < *v) {
            best = Some((value, x));
        }
    }
    best.map(|(_, x)| x).unwrap_or_else(|| Array1::zeros(n))
}

/// λ_max of a symmetric positive semi-definite matrix by power iteration.
fn largest_eigenvalue(m: &Array2<f64>) -> f64 {
    let mut v = Array1::from_elem(m.nrows(), 1.0);
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w = m.dot(&v);
        lambda = w.dot(&w).sqrt();
        v = w / lambda;
    }
    lambda
}

/// Solves `M z = r` by Gaussian elimination with partial pivoting.
fn solve(mut m: Array2<f64>, mut r: Array1<f64>) -> Array1<f64> {
    let n = r.len();
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[[i, k]].abs().total_cmp(&m[[j, k]].abs()))
            .unwrap_or(k);
        for j in 0..n {
            m.swap([k, j], [p, j]);
        }
        r.swap(k, p);
        for i in k + 1..n {
            let factor = m[[i, k]] / m[[k, k]];
            for j in k..n {
                m[[i, j]] -= factor * m[[k, j]];
            }
            r[i] -= factor * r[k];
        }
    }
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| m[[k, j]] * r[j]).sum();
        r[k] = (r[k] - s) / m[[k, k]];
    }
    r
}
