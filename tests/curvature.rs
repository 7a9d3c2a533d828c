//! The second-order certificate against Hessians known in closed form: Rosenbrock's minimum, the
//! saddle `x² - y² + y⁴/4` and its two minima, the monkey saddle (a zero Hessian), a separable
//! double well in 20 dimensions with saddles of every index, and a quadratic of known spectrum.

use approx::assert_abs_diff_eq;
use gradus::curvature::{CurvatureConfig, PointKind, certify, smallest_eigenpair};
use gradus::problems::{Quadratic, Rosenbrock};
use gradus::{Error, Objective};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

/// `f(x, y) = x² - y² + y⁴/4`, with its exact Hessian-vector product.
struct Saddle;

impl Objective<f64> for Saddle {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, v: ArrayView1<'_, f64>) -> f64 {
        v[0] * v[0] - v[1] * v[1] + v[1].powi(4) / 4.0
    }
    fn gradient(&self, v: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>) {
        g[0] = 2.0 * v[0];
        g[1] = -2.0 * v[1] + v[1].powi(3);
    }
    fn hessian_vector_product(
        &self,
        v: ArrayView1<'_, f64>,
        d: ArrayView1<'_, f64>,
        mut hv: ArrayViewMut1<'_, f64>,
    ) {
        hv[0] = 2.0 * d[0];
        hv[1] = (-2.0 + 3.0 * v[1] * v[1]) * d[1];
    }
    fn exact_hessian_vector_product(&self) -> bool {
        true
    }
}

/// The monkey saddle `x³ - 3 x y²` (finite-difference products).
struct Monkey;

impl Objective<f64> for Monkey {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, v: ArrayView1<'_, f64>) -> f64 {
        v[0].powi(3) - 3.0 * v[0] * v[1] * v[1]
    }
    fn gradient(&self, v: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>) {
        g[0] = 3.0 * v[0] * v[0] - 3.0 * v[1] * v[1];
        g[1] = -6.0 * v[0] * v[1];
    }
}

/// `Σ_i (x_i² - 1)²`: stationary where every `x_i` is `-1`, `0` or `1`; the Hessian is diagonal
/// with `12 x_i² - 4`: `-4` at a zero, `8` at `±1`. A point with `k` zeros is a saddle of index
/// `k` (a minimum for `k = 0`).
struct DoubleWells(usize);

impl Objective<f64> for DoubleWells {
    fn dim(&self) -> usize {
        self.0
    }
    fn value(&self, x: ArrayView1<'_, f64>) -> f64 {
        x.iter().map(|&t| (t * t - 1.0).powi(2)).sum()
    }
    fn gradient(&self, x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>) {
        g.zip_mut_with(&x, |g, &t| *g = 4.0 * t * (t * t - 1.0));
    }
}

#[test]
fn rosenbrock_minimum_is_a_strict_minimum_with_the_closed_form_smallest_eigenvalue() {
    // H(1, 1) = [[802, -400], [-400, 200]].
    let exact = (1002.0 - (1002.0f64 * 1002.0 - 4.0 * 400.0).sqrt()) / 2.0;
    let c = certify(
        &Rosenbrock::new(2),
        array![1.0, 1.0].view(),
        &CurvatureConfig::default(),
    )
    .unwrap();
    assert_eq!(c.kind, PointKind::StrictMinimum);
    // Finite-difference products: accurate to about ε^(2/3) of the Hessian's scale (1000).
    assert_abs_diff_eq!(c.eigenpair.value, exact, epsilon = 1e-6);
    assert!(!c.exact_products);
    assert_eq!(c.gradient_evaluations, 1 + 2 * c.eigenpair.steps);
    assert!(c.eigenpair.steps <= 2);
}

#[test]
fn the_saddle_and_the_two_minima_of_x2_minus_y2_plus_y4_over_4() {
    let config = CurvatureConfig::default();
    let c = certify(&Saddle, array![0.0, 0.0].view(), &config).unwrap();
    let PointKind::Saddle { direction } = &c.kind else {
        panic!("{c:?}");
    };
    assert_abs_diff_eq!(c.eigenpair.value, -2.0, epsilon = 1e-12);
    assert_abs_diff_eq!(direction[0], 0.0, epsilon = 1e-12);
    assert_abs_diff_eq!(direction[1].abs(), 1.0, epsilon = 1e-12);
    // f falls along the direction on both sides.
    for t in [1e-3, -1e-3] {
        assert!(Saddle.value((t * direction).view()) < 0.0);
    }
    assert!(c.exact_products);
    assert_eq!(c.gradient_evaluations, 1);
    for y in [2f64.sqrt(), -(2f64.sqrt())] {
        let c = certify(&Saddle, array![0.0, y].view(), &config).unwrap();
        assert_eq!(c.kind, PointKind::StrictMinimum);
        // H = diag(2, 4).
        assert_abs_diff_eq!(c.eigenpair.value, 2.0, epsilon = 1e-12);
    }
}

#[test]
fn the_monkey_saddle_is_degenerate_at_the_origin_and_not_stationary_elsewhere() {
    let config = CurvatureConfig::default();
    let c = certify(&Monkey, array![0.0, 0.0].view(), &config).unwrap();
    assert_eq!(c.kind, PointKind::Degenerate);
    assert!(c.eigenpair.value.abs() <= 1e-6, "{c:?}");
    let c = certify(&Monkey, array![1.0, 0.0].view(), &config).unwrap();
    assert_eq!(c.kind, PointKind::NotStationary);
    assert_abs_diff_eq!(c.gradient_norm, 3.0, epsilon = 1e-12);
}

#[test]
fn saddles_of_every_index_of_twenty_double_wells() {
    let f = DoubleWells(20);
    let config = CurvatureConfig::default();
    for zeros in [0usize, 1, 7, 20] {
        let x = Array1::from_shape_fn(20, |i| {
            if i < zeros {
                0.0
            } else if i % 2 == 0 {
                1.0
            } else {
                -1.0
            }
        });
        let c = certify(&f, x.view(), &config).unwrap();
        // Two distinct eigenvalues at most: the Krylov space is invariant after two steps.
        assert!(c.eigenpair.steps <= 2, "{zeros} zeros: {c:?}");
        if zeros == 0 {
            assert_eq!(c.kind, PointKind::StrictMinimum);
            assert_abs_diff_eq!(c.eigenpair.value, 8.0, epsilon = 1e-6);
        } else {
            let PointKind::Saddle { direction } = &c.kind else {
                panic!("{zeros} zeros: {c:?}");
            };
            assert_abs_diff_eq!(c.eigenpair.value, -4.0, epsilon = 1e-6);
            // The direction lies in the coordinates that are zero.
            let outside: f64 = direction.iter().skip(zeros).map(|d| d * d).sum();
            assert!(outside < 1e-12, "{outside}");
        }
    }
}

#[test]
fn lanczos_finds_the_smallest_eigenvalue_of_a_known_spectrum_in_fewer_than_n_products() {
    // Eigenvalues log-spaced in [1e-2, 1]: λ_min = 1e-2, well separated from the next (1.02e-2
    // for n = 400... rather close: Lanczos needs many steps, but far fewer than n).
    let q = Quadratic::<f64>::log_spaced(400, 1e-2, 1.0).unwrap();
    let x = Array1::zeros(400);
    let config = CurvatureConfig {
        max_steps: 400,
        residual_tolerance: 1e-8,
        ..Default::default()
    };
    let pair = smallest_eigenpair(&q, x.view(), &config).unwrap();
    let lambda_min = q
        .eigenvalues()
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min);
    assert!(pair.converged && pair.steps < 400, "{} steps", pair.steps);
    assert!(pair.value >= lambda_min - 1e-9, "θ bounds λ_min from above");
    assert_abs_diff_eq!(pair.value, lambda_min, epsilon = pair.residual + 1e-9);
    assert_abs_diff_eq!(ndarray_norm(&pair.vector), 1.0, epsilon = 1e-12);
}

fn ndarray_norm(v: &Array1<f64>) -> f64 {
    v.dot(v).sqrt()
}

#[test]
fn bad_inputs_are_typed_errors() {
    let config = CurvatureConfig::default();
    assert!(matches!(
        certify(&Saddle, array![0.0].view(), &config),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        certify(&Saddle, array![f64::NAN, 0.0].view(), &config),
        Err(Error::NonFinite { .. })
    ));
    let bad = CurvatureConfig {
        max_steps: 0,
        ..config
    };
    assert!(matches!(
        certify(&Saddle, array![0.0, 0.0].view(), &bad),
        Err(Error::InvalidCount {
            name: "max_steps",
            ..
        })
    ));
}

#[test]
fn a_run_asked_for_it_reports_whether_it_stopped_at_a_saddle_or_a_minimum() {
    use gradus::{GradientDescent, Minimizer};
    // From (1, 0) gradient descent keeps y = 0 and converges to the saddle at the origin; from
    // (1, 0.1) it leaves along y and converges to the minimum (0, √2).
    let run = |y0: f64| {
        Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .gradient_tolerance(1e-9)
            .certify_second_order(CurvatureConfig::default())
            .minimize(&Saddle, array![1.0, y0].view())
            .unwrap()
    };
    let at_saddle = run(0.0);
    let c = at_saddle.second_order.expect("asked for");
    assert!(matches!(c.kind, PointKind::Saddle { .. }), "{c:?}");
    let at_minimum = run(0.1);
    assert_abs_diff_eq!(at_minimum.x[1], 2f64.sqrt(), epsilon = 1e-8);
    assert_eq!(
        at_minimum.second_order.unwrap().kind,
        PointKind::StrictMinimum
    );
    // Not asked for: none.
    let plain = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .minimize(&Saddle, array![1.0, 0.1].view())
        .unwrap();
    assert!(plain.second_order.is_none());
}

#[test]
fn escaping_saddles_takes_gradient_descent_from_the_saddle_to_a_minimum() {
    use gradus::minimize::SaddleEscape;
    use gradus::{GradientDescent, Minimizer};
    let run = |escape: bool| {
        let m = Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .gradient_tolerance(1e-9)
            .certify_second_order(CurvatureConfig::default());
        let mut m = if escape {
            m.escape_saddles(SaddleEscape::default())
        } else {
            m
        };
        m.minimize(&Saddle, array![1.0, 0.0].view()).unwrap()
    };
    let stuck = run(false);
    assert_eq!(stuck.saddle_escapes, 0);
    assert!(matches!(
        stuck.second_order.unwrap().kind,
        PointKind::Saddle { .. }
    ));
    let escaped = run(true);
    assert_eq!(escaped.saddle_escapes, 1);
    assert!(escaped.converged());
    assert_abs_diff_eq!(escaped.x[0], 0.0, epsilon = 1e-8);
    assert_abs_diff_eq!(escaped.x[1].abs(), 2f64.sqrt(), epsilon = 1e-8);
    assert_eq!(escaped.second_order.unwrap().kind, PointKind::StrictMinimum);
    // f(0, ±√2) = -1, below the saddle's 0.
    assert_abs_diff_eq!(escaped.f, -1.0, epsilon = 1e-12);
}

#[test]
fn escaping_saddles_of_twenty_double_wells_reaches_a_minimum() {
    use gradus::minimize::SaddleEscape;
    use gradus::{GradientDescent, Minimizer};
    // Seven coordinates start at exactly 0, where their gradient is 0: gradient descent keeps them
    // there and stops at a saddle of index 7. The escape direction lies in those coordinates.
    let x0 = Array1::from_shape_fn(20, |i| if i < 7 { 0.0 } else { 0.5 });
    let f = DoubleWells(20);
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.05)
        .gradient_tolerance(1e-8)
        .escape_saddles(SaddleEscape::default())
        .certify_second_order(CurvatureConfig::default())
        .minimize(&f, x0.view())
        .unwrap();
    assert!(report.converged());
    assert!(report.saddle_escapes >= 1 && report.saddle_escapes <= 7);
    assert!(
        report.x.iter().all(|v| (v.abs() - 1.0).abs() < 1e-6),
        "{}",
        report.x
    );
    assert!(report.f < 1e-12);
    assert_eq!(report.second_order.unwrap().kind, PointKind::StrictMinimum);
}

#[test]
fn escaping_saddles_is_refused_where_it_cannot_work() {
    use gradus::constraints::NonNegative;
    use gradus::minimize::SaddleEscape;
    use gradus::{GradientDescent, Minimizer};
    let err = Minimizer::new(GradientDescent::default())
        .escape_saddles(SaddleEscape::default())
        .projection(NonNegative)
        .minimize(&Saddle, array![1.0, 0.0].view())
        .unwrap_err();
    assert!(matches!(err, Error::Incompatible { .. }), "{err}");
    let err = Minimizer::new(GradientDescent::default())
        .escape_saddles(SaddleEscape {
            max_escapes: 0,
            ..Default::default()
        })
        .minimize(&Saddle, array![1.0, 0.0].view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCount {
                name: "max_escapes",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn perturbed_gradient_descent_leaves_the_saddle_and_stops_at_the_minimum() {
    use gradus::minimize::{EscapeMethod, SaddleEscape};
    use gradus::{GradientDescent, Minimizer};
    let escape = SaddleEscape {
        method: EscapeMethod::Perturbation {
            radius: 1e-3,
            decrease: 1e-6,
            seed: 5,
        },
        ..Default::default()
    };
    let run = || {
        Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .gradient_tolerance(1e-9)
            .escape_saddles(escape)
            .minimize(&Saddle, array![1.0, 0.0].view())
            .unwrap()
    };
    let report = run();
    // One perturbation off the saddle (f falls from 0 to -1), one at the minimum that leads
    // back to it (no decrease): then the run stops.
    assert_eq!(report.saddle_escapes, 2);
    assert!(report.converged());
    assert_abs_diff_eq!(report.x[1].abs(), 2f64.sqrt(), epsilon = 1e-8);
    assert_abs_diff_eq!(report.f, -1.0, epsilon = 1e-12);
    // Seeded: the same run twice gives the same bits.
    assert_eq!(run().x, report.x);
}
