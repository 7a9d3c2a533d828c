//! L-BFGS: the two-loop recursion against the explicit BFGS update, iteration counts on
//! ill-conditioned quadratics and Rosenbrock, finite termination with exact line searches, and
//! its errors.
//!
//! Iteration counts are checked against bounds derived from the theory (stated next to each
//! test), not against numbers read off the code.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use common::quadratic::DiagonalQuadratic;
use common::run;
use gradus::line_search::{ExactQuadratic, StrongWolfe};
use gradus::optim::LbfgsConfig;
use gradus::problems::Rosenbrock;
use gradus::{Error, Lbfgs, Minimizer, Optimizer, Termination};
use ndarray::{Array1, array};

#[test]
fn lbfgs_memory7_solves_ill_conditioned_quadratic_within_330_iterations() {
    // n = 1000, κ = 1000: conjugate gradients would need about √κ/2 · ln(2/ε) ≈ 290 iterations
    // for this reduction; L-BFGS with a strong Wolfe search should be in the same range.
    let q = DiagonalQuadratic::log_spaced(1000, 1000.0);
    let x0 = Array1::zeros(1000);
    let report = run(
        Minimizer::new(Lbfgs::with_memory(7).unwrap())
            .line_search(StrongWolfe::default())
            .gradient_tolerance(1e-6)
            .max_iterations(2000),
        &q,
        x0.view(),
    );
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!(report.iterations <= 330, "{} iterations", report.iterations);
    assert!(
        report.gradient_evaluations <= 450,
        "{} gradient evaluations",
        report.gradient_evaluations
    );
    let err = (&report.x - &q.minimizer()).fold(0.0_f64, |m, &e| m.max(e.abs()));
    assert!(err <= 1e-6, "max error {err}"); // |x - x*|_∞ <= |g|/μ = 1e-6
}

#[test]
fn lbfgs_with_strong_wolfe_solves_rosenbrock_within_45_iterations_and_60_evaluations() {
    for optimizer in [Lbfgs::default(), Lbfgs::with_memory(7).unwrap()] {
        let memory = optimizer.config().memory;
        let report = run(
            Minimizer::new(optimizer)
                .line_search(StrongWolfe::default())
                .gradient_tolerance(1e-8),
            &Rosenbrock::new(2),
            array![-1.2, 1.0].view(),
        );
        assert_eq!(
            report.termination,
            Termination::GradientNorm,
            "m = {memory}"
        );
        assert!(
            report.iterations <= 45,
            "m = {memory}: {}",
            report.iterations
        );
        assert!(report.function_evaluations <= 60, "m = {memory}");
        assert!(report.gradient_evaluations <= 60, "m = {memory}");
        // Near the minimiser, |x - x*| <= |g| / λ_min(∇²f(x*)) with λ_min ≈ 0.4.
        assert_abs_diff_eq!(report.x[0], 1.0, epsilon = 1e-7);
        assert_abs_diff_eq!(report.x[1], 1.0, epsilon = 1e-7);
    }
}

#[test]
fn lbfgs_f32_solves_rosenbrock() {
    let report = Minimizer::new(Lbfgs::<f32>::default())
        .line_search(StrongWolfe::default())
        .gradient_tolerance(1e-3)
        .minimize(&Rosenbrock::new(2), array![-1.2_f32, 1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!(report.iterations <= 60);
    assert_abs_diff_eq!(report.x[0], 1.0, epsilon = 1e-2);
    assert_abs_diff_eq!(report.x[1], 1.0, epsilon = 1e-2);
}

#[test]
fn lbfgs_with_exact_line_search_terminates_in_n_steps_on_a_quadratic() {
    // With exact line searches on a quadratic, g_k ⊥ s_j and the s_j are A-conjugate, so the
    // two-loop recursion reduces to γ_k times the Hestenes–Stiefel conjugate-gradient direction,
    // whatever the memory. CG ends in exactly as many steps as A has distinct eigenvalues (with
    // every eigencomponent of b present): here n = 6.
    let q = DiagonalQuadratic {
        lambda: array![1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
        b: Array1::ones(6),
    };
    for memory in [1, 3, 6] {
        let report = run(
            Minimizer::new(Lbfgs::with_memory(memory).unwrap())
                .line_search(ExactQuadratic::default())
                .gradient_tolerance(1e-9),
            &q,
            Array1::zeros(6).view(),
        );
        assert_eq!(report.termination, Termination::GradientNorm);
        assert_eq!(report.iterations, 6, "memory {memory}");
    }
}

#[test]
fn lbfgs_two_loop_matches_explicit_bfgs_inverse_update() {
    // First direction, no pair: d = -min(1, 1/|g|) g. g0 = (3, 4), |g0| = 5.
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut d = Array1::zeros(2);
    lbfgs
        .search_direction(
            array![0.0, 0.0].view(),
            array![3.0, 4.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert_abs_diff_eq!(d[0], -0.6, epsilon = 1e-15);
    assert_abs_diff_eq!(d[1], -0.8, epsilon = 1e-15);
    // Second call: s = (1, 0), y = (5, 5) - (3, 4) = (2, 1); s'y = 2, y'y = 5, γ = 0.4, ρ = 1/2.
    // H = (I - ρ s y') γ (I - ρ y s') + ρ s s' = [[0.6, -0.2], [-0.2, 0.4]] by hand (H y = s).
    // d = -H g1 with g1 = (5, 5): -(2, 1).
    lbfgs
        .search_direction(
            array![1.0, 0.0].view(),
            array![5.0, 5.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert_eq!(lbfgs.stored_pairs(), 1);
    assert!(
        abs_diff_eq!(d[0], -2.0, epsilon = 1e-14) && abs_diff_eq!(d[1], -1.0, epsilon = 1e-14),
        "{d}"
    );
    // A pair with s'y <= 0 is skipped: s = (0, 1), y = (0, -1).
    lbfgs
        .search_direction(
            array![1.0, 1.0].view(),
            array![5.0, 4.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert_eq!(lbfgs.stored_pairs(), 1);
    // d = -H g with the same H and g = (5, 4): -(0.6·5 - 0.2·4, -0.2·5 + 0.4·4) = -(2.2, 0.6).
    assert!(
        abs_diff_eq!(d[0], -2.2, epsilon = 1e-14) && abs_diff_eq!(d[1], -0.6, epsilon = 1e-14),
        "{d}"
    );
}

#[test]
fn lbfgs_step_is_a_newton_step_in_one_dimension_after_one_pair() {
    // f = 2 x² (f' = 4x), x0 = 3: g0 = 12, first step -g0/|g0| = -1 → x1 = 2, g1 = 8.
    // s = -1, y = -4: H = s/y = 1/4 = 1/f'', so the next step is Newton's: x2 = 2 - 8/4 = 0.
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut x = array![3.0];
    lbfgs.step(x.view_mut(), array![12.0].view(), 1.0).unwrap();
    assert_eq!(x[0], 2.0);
    lbfgs.step(x.view_mut(), array![8.0].view(), 1.0).unwrap();
    assert_eq!(x[0], 0.0);
    assert_eq!(lbfgs.steps_taken(), 2);
}

#[test]
fn lbfgs_rejects_bad_settings_and_sizes() {
    let err = Lbfgs::<f64>::with_memory(0).unwrap_err();
    assert!(matches!(err, Error::InvalidCount { name: "memory", .. }));
    let err = Lbfgs::new(LbfgsConfig {
        curvature_eps: -1.0,
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "curvature_eps",
            ..
        }
    ));
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut x = array![1.0, 2.0];
    lbfgs
        .step(x.view_mut(), array![1.0, 1.0].view(), 1.0)
        .unwrap();
    let mut y = array![1.0, 2.0, 3.0];
    let err = lbfgs.step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 1.0);
    assert!(matches!(err, Err(Error::DimensionMismatch { .. })));
    lbfgs.reset();
    lbfgs
        .step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 1.0)
        .unwrap();
}
