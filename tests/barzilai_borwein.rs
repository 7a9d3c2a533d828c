//! Barzilai–Borwein: hand-computed steps of both variants, its speed against gradient descent
//! on an ill-conditioned quadratic (counted in closed form), and its errors.
//!
//! Iteration counts are checked against bounds derived from the theory (stated next to each
//! test), not against numbers read off the code.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use common::quadratic::{DiagonalQuadratic, gradient_descent_count};
use common::run;
use gradus::optim::{BarzilaiBorweinConfig, BbVariant};
use gradus::{BarzilaiBorwein, Error, Minimizer, Optimizer, Termination};
use ndarray::{Array1, array};

#[test]
fn barzilai_borwein_steps_match_hand_computation() {
    // f = 1/2 (x² + 4 y²), x0 = (1, 1), lr = 0.1: g0 = (1, 4), x1 = (0.9, 0.6), g1 = (0.9, 2.4),
    // s = (-0.1, -0.4), y = (-0.1, -1.6): s's = 0.17, s'y = 0.65, y'y = 2.57.
    for (variant, alpha) in [
        (BbVariant::Long, 0.17 / 0.65),
        (BbVariant::Short, 0.65 / 2.57),
    ] {
        let mut bb = BarzilaiBorwein::<f64>::with_variant(variant);
        let mut x = array![1.0, 1.0];
        bb.step(x.view_mut(), array![1.0, 4.0].view(), 0.1).unwrap();
        assert_eq!(bb.last_step_length(), Some(0.1));
        assert_abs_diff_eq!(x[0], 0.9, epsilon = 1e-15);
        assert_abs_diff_eq!(x[1], 0.6, epsilon = 1e-15);
        bb.step(x.view_mut(), array![0.9, 2.4].view(), 0.1).unwrap();
        let got = bb.last_step_length().unwrap();
        assert!(
            abs_diff_eq!(got, alpha, epsilon = 1e-14),
            "{variant:?}: {got}"
        );
        assert_abs_diff_eq!(x[0], 0.9 - alpha * 0.9, epsilon = 1e-14);
        assert_abs_diff_eq!(x[1], 0.6 - alpha * 2.4, epsilon = 1e-14);
    }
}

#[test]
fn barzilai_borwein_is_much_faster_than_fixed_step_gradient_descent() {
    // Gradient descent with γ = 1/L needs K_GD = 14,642 iterations (closed form) on this
    // problem; BB1 needs 559 and BB2 400: both well under K_GD / 20.
    let q = DiagonalQuadratic::log_spaced(1000, 1000.0);
    let tol = 1e-6;
    let k_gd = gradient_descent_count(&q, tol);
    assert!((14_000..15_000).contains(&k_gd), "{k_gd}");
    for (variant, limit) in [(BbVariant::Long, 650), (BbVariant::Short, 500)] {
        let report = run(
            Minimizer::new(BarzilaiBorwein::with_variant(variant))
                .lr(1.0 / q.smoothness())
                .gradient_tolerance(tol)
                .max_iterations(20_000),
            &q,
            Array1::zeros(1000).view(),
        );
        assert_eq!(report.termination, Termination::GradientNorm, "{variant:?}");
        assert!(
            report.iterations <= limit,
            "{variant:?}: {}",
            report.iterations
        );
        assert!(report.iterations * 20 <= k_gd, "{variant:?}");
    }
}

#[test]
fn barzilai_borwein_rejects_bad_bounds() {
    let err = BarzilaiBorwein::new(BarzilaiBorweinConfig {
        alpha_min: 1.0,
        alpha_max: 0.5,
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "alpha_max",
            ..
        }
    ));
    let err = BarzilaiBorwein::new(BarzilaiBorweinConfig {
        alpha_min: 0.0,
        ..BarzilaiBorweinConfig::<f64>::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "alpha_min",
            ..
        }
    ));
}
