//! The augmented Lagrangian method against problems with solutions and multipliers known in
//! closed form or from their KKT system, its handling of bad input, and no allocation per inner
//! iteration.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use gradus::constraints::{Constraint, FnConstraint, Simplex};
use gradus::line_search::Backtracking;
use gradus::solvers::{AugmentedLagrangian, AugmentedLagrangianConfig, ConstrainedTermination};
use gradus::{
    Control, Error, FnObjective, GradientDescent, IterationState, Minimizer, Termination,
};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// Gradient descent with a backtracking line search, for unconstrained inner problems.
fn gd_backtracking() -> Minimizer<'static, f64, GradientDescent<f64>> {
    Minimizer::new(GradientDescent::default())
        .line_search(Backtracking::default())
        .max_iterations(50_000)
}

/// `h(x) = |x|² - 1` in `n` dimensions: `J(x)ᵀ v = 2 v x`.
fn unit_sphere(n: usize) -> impl Constraint<f64> {
    FnConstraint::new(
        n,
        1,
        |x: ArrayView1<f64>| [x.dot(&x) - 1.0],
        |x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.assign(&x);
            out *= 2.0 * v[0];
        },
    )
}

/// `f(x) = c·x`.
fn linear(c: Array1<f64>) -> impl gradus::Objective<f64> {
    let c2 = c.clone();
    FnObjective::new(
        c.len(),
        move |x: ArrayView1<f64>| c.dot(&x),
        move |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&c2),
    )
}

// Minimising c·x on the unit sphere, h(x) = |x|² - 1 = 0.
// Stationarity of L = c·x + λ(|x|² - 1): c + 2λx = 0, so x = -c/(2λ); feasibility |x| = 1
// gives 2|λ| = |c|. The two stationary points are x = ∓c/|c| with λ = ±|c|/2; c·x is smallest
// at x* = -c/|c|, with multiplier λ* = |c|/2.
#[test]
fn linear_function_on_the_unit_circle_has_closed_form_solution_and_multiplier() {
    for (c, x0) in [
        (array![3.0_f64, -4.0], array![1.0, 0.0]),
        (array![1.0, 2.0, 2.0], array![0.0, 0.0, 1.0]),
    ] {
        let n = c.len();
        let norm = c.dot(&c).sqrt();
        let report = AugmentedLagrangian::new(gd_backtracking())
            .equalities(unit_sphere(n))
            .minimize(&linear(c.clone()), x0.view())
            .unwrap();
        assert!(report.converged(), "{}", report.termination);
        for i in 0..n {
            assert!(
                abs_diff_eq!(report.x[i], -(c[i] / norm), epsilon = 1e-6),
                "x = {}",
                report.x
            );
        }
        assert_abs_diff_eq!(report.equality_multipliers[0], norm / 2.0, epsilon = 1e-6);
        assert_abs_diff_eq!(report.f, -norm, epsilon = 1e-6);
        assert!(report.max_violation <= 1e-6 && report.kkt_residual <= 1e-6);
        assert_eq!(report.inequality_multipliers.len(), 0);
        assert_eq!(report.complementarity, 0.0);
        // The bookkeeping adds up.
        assert!(report.outer_iterations >= 1 && report.inner_iterations >= report.outer_iterations);
        assert!(report.function_evaluations >= report.inner_iterations);
        assert!(report.gradient_evaluations >= report.outer_iterations);
        assert!(report.penalty >= 10.0);
        assert!(report.last_inner_termination.is_converged());
    }
}

#[test]
fn circle_is_solved_with_a_constant_step_inner_rule_too() {
    // Same problem, c = (3, -4): the inner rule only needs to implement `Optimizer`.
    let inner = Minimizer::new(GradientDescent::default())
        .lr(0.01)
        .max_iterations(100_000);
    let config = AugmentedLagrangianConfig {
        max_penalty: 20.0, // keeps the step 0.01 below 2/L of the augmented Lagrangian
        ..Default::default()
    };
    let report = AugmentedLagrangian::new(inner)
        .with_config(config)
        .unwrap()
        .equalities(unit_sphere(2))
        .minimize(&linear(array![3.0, -4.0]), array![1.0, 0.0].view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    assert_abs_diff_eq!(report.x[0], -0.6, epsilon = 1e-6);
    assert_abs_diff_eq!(report.x[1], 0.8, epsilon = 1e-6);
    assert_abs_diff_eq!(report.equality_multipliers[0], 2.5, epsilon = 1e-6);
}

#[test]
fn f32_circle_converges_to_single_precision() {
    let f = FnObjective::new(
        2,
        |x: ArrayView1<f32>| 3.0 * x[0] - 4.0 * x[1],
        |_x: ArrayView1<f32>, mut g: ArrayViewMut1<f32>| {
            g[0] = 3.0;
            g[1] = -4.0;
        },
    );
    let h = FnConstraint::new(
        2,
        1,
        |x: ArrayView1<f32>| [x[0] * x[0] + x[1] * x[1] - 1.0],
        |x: ArrayView1<f32>, v: ArrayView1<f32>, mut out: ArrayViewMut1<f32>| {
            out[0] = 2.0 * v[0] * x[0];
            out[1] = 2.0 * v[0] * x[1];
        },
    );
    let inner = Minimizer::new(GradientDescent::default()).line_search(Backtracking::default());
    let report = AugmentedLagrangian::new(inner)
        .equalities(h)
        .minimize(&f, array![1.0f32, 0.0].view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    assert_abs_diff_eq!(report.x[0], -0.6, epsilon = 1e-3);
    assert_abs_diff_eq!(report.x[1], 0.8, epsilon = 1e-3);
    assert_abs_diff_eq!(report.equality_multipliers[0], 2.5, epsilon = 1e-3);
}

/// Solves the square system `M z = r` by Gaussian elimination with partial pivoting.
fn solve(mut m: Array2<f64>, mut r: Array1<f64>) -> Array1<f64> {
    let n = r.len();
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[[i, k]].abs().total_cmp(&m[[j, k]].abs()))
            .unwrap();
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

// min ½|Ax - b|² subject to Cx = d. With L = f + λᵀ(Cx - d), the KKT conditions are the linear
// system  [AᵀA  Cᵀ; C  0] [x; λ] = [Aᵀb; d],  solved here directly.
#[test]
fn equality_constrained_least_squares_matches_the_kkt_system() {
    let a = array![
        [1.0, 2.0, 0.0, 1.0],
        [0.0, 1.0, 1.0, 0.0],
        [2.0, 0.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0],
        [0.0, 2.0, 0.0, 1.0],
        [1.0, 0.0, 2.0, 0.0],
    ];
    let b = array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let c = array![[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 0.0, 2.0]];
    let d = array![1.0, 0.0];

    let mut kkt = Array2::zeros((6, 6));
    kkt.slice_mut(ndarray::s![..4, ..4]).assign(&a.t().dot(&a));
    kkt.slice_mut(ndarray::s![..4, 4..]).assign(&c.t());
    kkt.slice_mut(ndarray::s![4.., ..4]).assign(&c);
    let mut rhs = Array1::zeros(6);
    rhs.slice_mut(ndarray::s![..4]).assign(&a.t().dot(&b));
    rhs.slice_mut(ndarray::s![4..]).assign(&d);
    let z = solve(kkt, rhs);
    let (x_star, lambda_star) = (z.slice(ndarray::s![..4]), z.slice(ndarray::s![4..]));

    let (a2, b2) = (a.clone(), b.clone());
    let f = FnObjective::new(
        4,
        move |x: ArrayView1<f64>| {
            let r = a.dot(&x) - &b;
            0.5 * r.dot(&r)
        },
        move |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            let r = a2.dot(&x) - &b2;
            g.assign(&a2.t().dot(&r));
        },
    );
    let c2 = c.clone();
    let h = FnConstraint::new(
        4,
        2,
        move |x: ArrayView1<f64>| {
            let r = c.dot(&x) - &d;
            [r[0], r[1]]
        },
        move |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.assign(&c2.t().dot(&v));
        },
    );
    let report = AugmentedLagrangian::new(gd_backtracking())
        .equalities(h)
        .minimize(&f, Array1::zeros(4).view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    for i in 0..4 {
        assert!(
            abs_diff_eq!(report.x[i], x_star[i], epsilon = 1e-5),
            "{} vs {x_star}",
            report.x
        );
    }
    for i in 0..2 {
        assert!(
            abs_diff_eq!(
                report.equality_multipliers[i],
                lambda_star[i],
                epsilon = 1e-5
            ),
            "{} vs {lambda_star}",
            report.equality_multipliers
        );
    }
}

// min (x₁ - 2)² + (x₂ - 1)²  subject to  g₁ = x₁² + x₂² - 1 <= 0,  g₂ = -x₂ - 1 <= 0.
// The unconstrained minimiser c = (2, 1) lies outside the disc, so g₁ is active:
// 2(x - c) + 2μ₁x = 0 gives x = c/(1 + μ₁), and |x| = 1 gives 1 + μ₁ = |c| = √5. So
// x* = (2, 1)/√5, μ₁ = √5 - 1, and g₂(x*) = -1/√5 - 1 < 0 is inactive with μ₂ = 0.
#[test]
fn inequality_problem_has_zero_multiplier_on_the_inactive_constraint() {
    let f = FnObjective::new(
        2,
        |x: ArrayView1<f64>| (x[0] - 2.0).powi(2) + (x[1] - 1.0).powi(2),
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            g[0] = 2.0 * (x[0] - 2.0);
            g[1] = 2.0 * (x[1] - 1.0);
        },
    );
    let g = FnConstraint::new(
        2,
        2,
        |x: ArrayView1<f64>| [x[0] * x[0] + x[1] * x[1] - 1.0, -x[1] - 1.0],
        |x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out[0] = 2.0 * v[0] * x[0];
            out[1] = 2.0 * v[0] * x[1] - v[1];
        },
    );
    let report = AugmentedLagrangian::new(gd_backtracking())
        .inequalities(g)
        .minimize(&f, array![0.0, 0.0].view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    let s5 = 5.0_f64.sqrt();
    assert_abs_diff_eq!(report.x[0], 2.0 / s5, epsilon = 1e-6);
    assert_abs_diff_eq!(report.x[1], 1.0 / s5, epsilon = 1e-6);
    assert_abs_diff_eq!(report.inequality_multipliers[0], s5 - 1.0, epsilon = 1e-6);
    assert_eq!(report.inequality_multipliers[1], 0.0);
    assert!(report.complementarity <= 1e-6 && report.max_violation <= 1e-6);
    assert_eq!(report.equality_multipliers.len(), 0);
}

// --- Termination reasons --------------------------------------------------------------------

#[test]
fn contradictory_equalities_stop_as_an_infeasible_stall() {
    // h = (x - 1, x + 1) = 0 has no solution; the least violation is at x = 0.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| x[0] * x[0],
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = 2.0 * x[0],
    );
    let h = FnConstraint::new(
        1,
        2,
        |x: ArrayView1<f64>| [x[0] - 1.0, x[0] + 1.0],
        |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out[0] = v[0] + v[1];
        },
    );
    let config = AugmentedLagrangianConfig {
        max_penalty: 1e4,
        ..Default::default()
    };
    let report = AugmentedLagrangian::new(gd_backtracking())
        .with_config(config)
        .unwrap()
        .equalities(h)
        .minimize(&f, array![0.5].view())
        .unwrap();
    assert_eq!(report.termination, ConstrainedTermination::InfeasibleStall);
    assert!(!report.converged());
    assert!(
        abs_diff_eq!(report.max_violation, 1.0, epsilon = 1e-3),
        "{}",
        report.max_violation
    );
    assert_eq!(report.penalty, 1e4);
}

#[test]
fn outer_budget_is_reported_as_a_termination_not_an_error() {
    let config = AugmentedLagrangianConfig {
        max_outer_iterations: 1,
        ..Default::default()
    };
    let report = AugmentedLagrangian::new(gd_backtracking())
        .with_config(config)
        .unwrap()
        .equalities(unit_sphere(2))
        .minimize(&linear(array![3.0, -4.0]), array![1.0, 0.0].view())
        .unwrap();
    assert_eq!(
        report.termination,
        ConstrainedTermination::MaxOuterIterations
    );
    assert_eq!(report.outer_iterations, 1);
}

#[test]
fn nan_constraint_value_during_the_run_stops_with_an_inner_failure() {
    // f = -x pushes x up; the constraint function returns NaN beyond x = 3.5. A constant step
    // of 1 from x = 0 reaches 4 on the fourth step.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| -x[0],
        |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = -1.0,
    );
    let g = FnConstraint::new(
        1,
        1,
        |x: ArrayView1<f64>| [if x[0] > 3.5 { f64::NAN } else { x[0] - 10.0 }],
        |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| out[0] = v[0],
    );
    let inner = Minimizer::new(GradientDescent::default()).lr(1.0);
    let report = AugmentedLagrangian::new(inner)
        .inequalities(g)
        .minimize(&f, array![0.0].view())
        .unwrap();
    assert_eq!(
        report.termination,
        ConstrainedTermination::InnerFailure(Termination::NonFinite)
    );
    assert_eq!(report.x, array![3.0]); // the last finite iterate
    assert_eq!(
        report.termination.to_string(),
        "stopped: the inner solve failed (stopped: non-finite value or gradient met; last \
         finite iterate kept)"
    );
}

#[test]
fn an_inner_observer_can_stop_the_solve() {
    let inner = gd_backtracking().observer(|s: &IterationState<f64>| {
        if s.iteration == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    });
    let report = AugmentedLagrangian::new(inner)
        .equalities(unit_sphere(2))
        .minimize(&linear(array![3.0, -4.0]), array![1.0, 0.0].view())
        .unwrap();
    assert_eq!(
        report.termination,
        ConstrainedTermination::StoppedByObserver
    );
    assert_eq!(report.inner_iterations, 3);
}

#[test]
fn terminations_read_as_sentences() {
    assert_eq!(
        ConstrainedTermination::Converged.to_string(),
        "converged: feasible, stationary and complementary within tolerance"
    );
    assert!(
        ConstrainedTermination::InfeasibleStall
            .to_string()
            .contains("constraints look infeasible")
    );
    assert!(!ConstrainedTermination::MaxOuterIterations.is_converged());
}

// --- Bad input is a typed error -----------------------------------------------------------

#[test]
fn constraint_function_returning_the_wrong_number_of_values_is_an_error() {
    // Declares one constraint, returns two.
    let h = FnConstraint::new(
        2,
        1,
        |x: ArrayView1<f64>| [x[0], x[1]],
        |_x: ArrayView1<f64>, _v: ArrayView1<f64>, _out: ArrayViewMut1<f64>| {},
    );
    let err = AugmentedLagrangian::new(gd_backtracking())
        .equalities(h)
        .minimize(&linear(array![1.0, 1.0]), array![1.0, 0.0].view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn constraint_of_another_dimension_is_an_error() {
    let err = AugmentedLagrangian::new(gd_backtracking())
        .equalities(unit_sphere(3))
        .minimize(&linear(array![1.0, 1.0]), array![1.0, 0.0].view())
        .unwrap_err();
    assert!(matches!(
        err,
        Error::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        }
    ));
}

#[test]
fn nan_constraint_value_at_the_start_is_an_error() {
    let g = FnConstraint::new(
        2,
        1,
        |x: ArrayView1<f64>| [x[0].ln()],
        |_x: ArrayView1<f64>, _v: ArrayView1<f64>, _out: ArrayViewMut1<f64>| {},
    );
    let err = AugmentedLagrangian::new(gd_backtracking())
        .inequalities(g)
        .minimize(&linear(array![1.0, 1.0]), array![-1.0, 0.0].view())
        .unwrap_err();
    assert!(matches!(err, Error::NonFinite { index: 0, .. }), "{err:?}");
}

#[test]
fn bad_starting_points_are_errors() {
    let mut al = AugmentedLagrangian::new(gd_backtracking()).equalities(unit_sphere(2));
    let f = linear(array![1.0, 1.0]);
    assert!(matches!(
        al.minimize(&f, array![1.0, 0.0, 0.0].view()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        al.minimize(&f, array![f64::NAN, 0.0].view()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        al.minimize(&f, Array1::zeros(0).view()),
        Err(Error::Empty { .. })
    ));
    // The solver is still usable after rejected input.
    assert!(
        al.minimize(&f, array![1.0, 0.0].view())
            .unwrap()
            .converged()
    );
}

#[test]
fn invalid_settings_are_rejected_naming_the_field() {
    let cases: [(&str, AugmentedLagrangianConfig<f64>); 8] = [
        (
            "initial_penalty",
            AugmentedLagrangianConfig {
                initial_penalty: 0.0,
                ..Default::default()
            },
        ),
        (
            "penalty_growth",
            AugmentedLagrangianConfig {
                penalty_growth: 1.0,
                ..Default::default()
            },
        ),
        (
            "required_decrease",
            AugmentedLagrangianConfig {
                required_decrease: 1.0,
                ..Default::default()
            },
        ),
        (
            "stall_ratio",
            AugmentedLagrangianConfig {
                stall_ratio: 0.1,
                ..Default::default()
            },
        ),
        (
            "max_penalty",
            AugmentedLagrangianConfig {
                max_penalty: 1.0,
                ..Default::default()
            },
        ),
        (
            "inner_tolerance_decrease",
            AugmentedLagrangianConfig {
                inner_tolerance_decrease: 0.0,
                ..Default::default()
            },
        ),
        (
            "feasibility_tolerance",
            AugmentedLagrangianConfig {
                feasibility_tolerance: f64::NAN,
                ..Default::default()
            },
        ),
        (
            "max_outer_iterations",
            AugmentedLagrangianConfig {
                max_outer_iterations: 0,
                ..Default::default()
            },
        ),
    ];
    for (field, config) in cases {
        let err = AugmentedLagrangian::new(gd_backtracking())
            .with_config(config)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { name, .. } | Error::InvalidCount { name, .. } if name == field),
            "{field}: {err:?}"
        );
    }
}

#[test]
fn line_search_with_a_projection_is_reported_as_incompatible() {
    let err = AugmentedLagrangian::new(gd_backtracking())
        .equalities(unit_sphere(2))
        .projection(Simplex::probability())
        .minimize(&linear(array![1.0, 1.0]), array![1.0, 0.0].view())
        .unwrap_err();
    assert!(matches!(err, Error::Incompatible { .. }));
}

// --- No allocation per inner iteration ---------------------------------------------------

#[test]
fn inner_iterations_allocate_nothing() {
    let mut last: Option<(usize, usize)> = None; // (iteration, allocations so far)
    let mut steps = 0usize;
    let mut allocating = 0usize;
    {
        let inner = gd_backtracking().observer(|s: &IterationState<f64>| {
            let now = common::counting::allocations();
            if let Some((iteration, count)) = last
                && s.iteration == iteration + 1
            {
                steps += 1;
                if now != count {
                    allocating += 1;
                }
            }
            last = Some((s.iteration, now));
            Control::Continue
        });
        let h = FnConstraint::new(
            2,
            1,
            |x: ArrayView1<f64>| [x[0] * x[0] + x[1] * x[1] - 1.0],
            |x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
                out[0] = 2.0 * v[0] * x[0];
                out[1] = 2.0 * v[0] * x[1];
            },
        );
        let g = FnConstraint::new(
            2,
            1,
            |x: ArrayView1<f64>| [x[0] - x[1]],
            |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
                out[0] = v[0];
                out[1] = -v[0];
            },
        );
        let report = AugmentedLagrangian::new(inner)
            .equalities(h)
            .inequalities(g)
            .minimize(&linear(array![3.0, -4.0]), array![1.0, 0.0].view())
            .unwrap();
        assert!(report.converged(), "{}", report.termination);
    }
    assert!(steps > 20, "only {steps} inner steps observed");
    assert_eq!(
        allocating, 0,
        "{allocating} of {steps} inner iterations allocated"
    );
}
