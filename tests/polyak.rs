//! Polyak's step size against what it guarantees: on `|x|²/2` the step is exactly `1/2`, so
//! every iterate halves; on a convex quadratic every step brings `x` closer to the minimiser;
//! a "minimum" above the optimal value is found out as an error.

mod common;

use approx::assert_abs_diff_eq;
use common::quadratic::DiagonalQuadratic;
use gradus::constraints::NonNegative;
use gradus::minimize::PolyakStep;
use gradus::prelude::*;
use gradus::{Error, FnObjective};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

#[test]
fn on_half_the_squared_norm_every_step_halves_x() {
    // γ = (|x|²/2 - 0) / |x|² = 1/2, so x - γ x = x/2.
    let f = FnObjective::new(
        3,
        |x: ArrayView1<'_, f64>| 0.5 * x.dot(&x),
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| g.assign(&x),
    );
    let x0 = array![1.0, -2.0, 4.0];
    let report = Minimizer::new(GradientDescent::default())
        .polyak(PolyakStep::new(0.0))
        .max_iterations(5)
        .record_iterates(true)
        .minimize(&f, x0.view())
        .unwrap();
    for record in &report.history.unwrap().records {
        let x = record.x.as_ref().unwrap();
        let expected = &x0 / 2f64.powi(record.iteration as i32);
        assert_eq!(x, &expected, "iteration {}", record.iteration);
        if record.iteration > 0 {
            assert_eq!(record.step_size, 0.5);
        }
    }
}

#[test]
fn every_step_brings_x_closer_to_the_minimiser_of_a_convex_quadratic() {
    let q = DiagonalQuadratic::log_spaced(50, 1e3);
    let x_star = q.minimizer();
    let mut distances = Vec::new();
    let report = Minimizer::new(GradientDescent::default())
        .polyak(PolyakStep::new(q.minimum()))
        // f - f* <= |g|²/(2μ) = 5e-13: well above the rounding of f (f* is about -4).
        .gradient_tolerance(1e-6)
        .max_iterations(100_000)
        .observer(|s| {
            distances.push((&s.x.to_owned() - &x_star).mapv(|v| v * v).sum().sqrt());
            Control::Continue
        })
        .minimize(&q, Array1::zeros(50).view())
        .unwrap();
    assert!(report.converged(), "{:?}", report.termination);
    for w in distances.windows(2) {
        // Non-increasing, to rounding.
        assert!(w[1] <= w[0] * (1.0 + 1e-12), "{} then {}", w[0], w[1]);
    }
    assert_abs_diff_eq!(report.f, q.minimum(), epsilon = 1e-9);
}

#[test]
fn a_minimum_above_the_optimal_value_is_an_error_and_the_settings_are_checked() {
    let q = DiagonalQuadratic::log_spaced(5, 10.0);
    // f* < 0 here; claiming 0 is not a lower bound once the run gets below it.
    let err = Minimizer::new(GradientDescent::default())
        .polyak(PolyakStep::new(q.minimum() + 0.1))
        .max_iterations(1_000)
        .minimize(&q, Array1::zeros(5).view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "minimum",
                ..
            }
        ),
        "{err}"
    );
    let err = Minimizer::new(GradientDescent::default())
        .polyak(PolyakStep::new(f64::NAN))
        .minimize(&q, Array1::zeros(5).view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "minimum",
                ..
            }
        ),
        "{err}"
    );
    let err = Minimizer::new(GradientDescent::default())
        .polyak(PolyakStep::new(q.minimum()))
        .projection(NonNegative)
        .minimize(&q, Array1::zeros(5).view())
        .unwrap_err();
    assert!(matches!(err, Error::Incompatible { .. }), "{err}");
}
