//! Nesterov's accelerated gradient: hand-computed steps of both forms, the `√κ` against `κ`
//! iteration counts, the `2L|x0 - x*|²/(k+1)²` bound, adaptive restart, and its errors.
//!
//! Iteration counts are checked against bounds derived from the theory (stated next to each
//! test), not against numbers read off the code.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use common::quadratic::{DiagonalQuadratic, gradient_descent_count};
use common::run;
use gradus::optim::AcceleratedGradientConfig;
use gradus::{
    AcceleratedGradient, Error, GradientDescent, Minimizer, Objective, Optimizer, Termination,
};
use ndarray::{Array1, array};

#[test]
fn accelerated_gradient_matches_hand_computed_steps() {
    // f = 1/2 x², lr = 1/2, x0 = 1.
    // Convex form: x1 = 0.5, β1 = 0 → y = 0.5; x2 = 0.25, t2 = (1+√5)/2, t3 = 2.1935270853,
    // β2 = (t2 - 1)/t3 = 0.2817535251 → y = 0.25 - 0.25 β2 = 0.1795616187.
    let mut agd = AcceleratedGradient::<f64>::with_lr(0.5).unwrap();
    let mut y = array![1.0];
    agd.step(y.view_mut(), array![1.0].view(), 0.5).unwrap();
    assert_eq!(y[0], 0.5);
    assert_eq!(agd.iterate().unwrap()[0], 0.5);
    agd.step(y.view_mut(), array![0.5].view(), 0.5).unwrap();
    assert!(
        abs_diff_eq!(y[0], 0.179_561_618_7, epsilon = 1e-10),
        "{}",
        y[0]
    );
    assert_eq!(agd.iterate().unwrap()[0], 0.25);
    // Strongly convex form with μ = 1/2: √(μγ) = 1/2, β = (1/2)/(3/2) = 1/3.
    // x1 = 0.5, y1 = 0.5 + (0.5 - 1)/3 = 1/3; x2 = 1/6, y2 = 1/6 + (1/6 - 1/2)/3 = 1/18.
    let mut agd = AcceleratedGradient::<f64>::strongly_convex(0.5, 0.5).unwrap();
    let mut y = array![1.0];
    agd.step(y.view_mut(), array![1.0].view(), 0.5).unwrap();
    assert_abs_diff_eq!(y[0], 1.0 / 3.0, epsilon = 1e-15);
    let g = y[0];
    agd.step(y.view_mut(), array![g].view(), 0.5).unwrap();
    assert_abs_diff_eq!(y[0], 1.0 / 18.0, epsilon = 1e-15);
    assert_abs_diff_eq!(agd.iterate().unwrap()[0], 1.0 / 6.0, epsilon = 1e-15);
}

/// Iterations to `|∇f(y_k)| <= tol` from `x0 = 0` with the rule at `lr = 1/L`.
fn iterations<O: Optimizer<f64>>(q: &DiagonalQuadratic, optimizer: O, tol: f64) -> usize {
    let report = run(
        Minimizer::new(optimizer)
            .lr(1.0 / q.smoothness())
            .gradient_tolerance(tol)
            .max_iterations(100_000),
        q,
        Array1::zeros(q.dim()).view(),
    );
    assert_eq!(report.termination, Termination::GradientNorm);
    report.iterations
}

#[test]
fn nesterov_needs_sqrt_kappa_iterations_where_gradient_descent_needs_kappa() {
    // n = 100, b = 1, tol = 1e-6, so ln(|g0|/tol) = ln(1e7) ≈ 16.1 and ln(1/tol) ≈ 13.8.
    // Gradient descent (γ = 1/L): the slowest component shrinks by 1 - 1/κ per step, so
    //   (κ - 1) ln(1/tol) <= K_GD <= κ ln(|g0|/tol) + 1,
    // and the run must match the closed-form count to within one iteration.
    // Nesterov with β = (√κ - 1)/(√κ + 1): the slowest component has the double root 1 - 1/√κ,
    // so ½ √κ ln(1/tol) <= K_N <= 2 √κ ln(|g0|/tol).
    let tol = 1e-6;
    let mut counts = Vec::new();
    for kappa in [100.0, 1000.0] {
        let q = DiagonalQuadratic::log_spaced(100, kappa);
        let g0 = 10.0_f64; // |b|
        let k_gd = iterations(&q, GradientDescent::default(), tol);
        let closed = gradient_descent_count(&q, tol);
        assert!(
            k_gd.abs_diff(closed) <= 1,
            "κ = {kappa}: {k_gd} vs {closed}"
        );
        assert!(
            k_gd as f64 >= (kappa - 1.0) * (1.0 / tol).ln(),
            "κ = {kappa}: {k_gd}"
        );
        assert!(
            k_gd as f64 <= kappa * (g0 / tol).ln() + 1.0,
            "κ = {kappa}: {k_gd}"
        );

        let nesterov = AcceleratedGradient::strongly_convex(1.0 / kappa, 1.0).unwrap();
        let k_n = iterations(&q, nesterov, tol);
        let root = kappa.sqrt();
        assert!(
            k_n as f64 >= 0.5 * root * (1.0 / tol).ln(),
            "κ = {kappa}: {k_n}"
        );
        assert!(
            k_n as f64 <= 2.0 * root * (g0 / tol).ln(),
            "κ = {kappa}: {k_n}"
        );
        counts.push((k_gd, k_n));
    }
    // Tenfold κ: about tenfold work for gradient descent, about √10 ≈ 3.2-fold for Nesterov.
    let gd_ratio = counts[1].0 as f64 / counts[0].0 as f64;
    let n_ratio = counts[1].1 as f64 / counts[0].1 as f64;
    assert!(
        (8.0..12.0).contains(&gd_ratio),
        "gradient descent ratio {gd_ratio}"
    );
    assert!((2.2..4.5).contains(&n_ratio), "Nesterov ratio {n_ratio}");
}

#[test]
fn convex_form_meets_the_two_over_k_squared_bound() {
    // f(x_k) - f* <= 2 L |x_0 - x*|² / (k + 1)² for the gradient-step points x_k (Beck and
    // Teboulle, 2009, Theorem 4.4), checked at every step.
    let q = DiagonalQuadratic::log_spaced(100, 1000.0);
    let l = q.smoothness();
    let (x_star, f_star) = (q.minimizer(), q.minimum());
    let r0 = x_star.dot(&x_star); // x0 = 0
    let mut agd = AcceleratedGradient::with_lr(1.0 / l).unwrap();
    let mut y = Array1::zeros(100);
    let mut g = Array1::zeros(100);
    for k in 1..=2000 {
        q.gradient(y.view(), g.view_mut());
        agd.step(y.view_mut(), g.view(), 1.0 / l).unwrap();
        let gap = q.value(agd.iterate().unwrap()) - f_star;
        let bound = 2.0 * l * r0 / ((k + 1) as f64).powi(2);
        assert!(gap <= bound, "k = {k}: gap {gap} > bound {bound}");
    }
}

#[test]
fn adaptive_restart_recovers_the_strongly_convex_rate_without_mu() {
    // Without μ, the convex form oscillates on a strongly convex quadratic; restarting when
    // ∇f(y_k)'(x_k - x_{k-1}) > 0 removes the oscillation (O'Donoghue and Candès, 2015).
    let q = DiagonalQuadratic::log_spaced(100, 1000.0);
    let tol = 1e-6;
    let lr = 1.0 / q.smoothness();
    let plain = iterations(&q, AcceleratedGradient::with_lr(lr).unwrap(), tol);
    let config = AcceleratedGradientConfig {
        lr,
        mu: 0.0,
        restart: true,
    };
    let mut minimizer = Minimizer::new(AcceleratedGradient::new(config).unwrap())
        .gradient_tolerance(tol)
        .max_iterations(100_000);
    let report = minimizer.minimize(&q, Array1::zeros(100).view()).unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    let restarted = report.iterations;
    let tuned = iterations(
        &q,
        AcceleratedGradient::strongly_convex(lr, 1.0).unwrap(),
        tol,
    );
    assert!(minimizer.optimizer().restarts() > 0);
    assert!(
        restarted * 4 <= plain,
        "restart {restarted} vs plain {plain}"
    );
    assert!(
        restarted <= 2 * tuned,
        "restart {restarted} vs tuned {tuned}"
    );
}

#[test]
fn accelerated_gradient_rejects_a_step_longer_than_one_over_mu() {
    let err = AcceleratedGradient::strongly_convex(2.0, 1.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "lr", .. }));
    let mut agd = AcceleratedGradient::strongly_convex(0.5, 1.0).unwrap();
    let mut y = array![1.0];
    let err = agd.step(y.view_mut(), array![1.0].view(), 1.5);
    assert!(matches!(
        err,
        Err(Error::InvalidParameter { name: "lr", .. })
    ));
    assert_eq!(y[0], 1.0);
}
