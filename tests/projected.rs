//! Projected runs: the `Minimizer` with a projection set against solutions known in closed form,
//! and a check that every iterate of every projected run lies in its set.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use gradus::constraints::{BoxSet, FnConstraint, HalfSpace, Product, Projection, Simplex};
use gradus::problems::Rosenbrock;
use gradus::solvers::{AugmentedLagrangian, AugmentedLagrangianConfig};
use gradus::{
    Control, Error, FnObjective, GradientDescent, IterationState, Minimizer, Objective, Optimizer,
};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

/// f(x) = ½ Σ d_i (x_i - c_i)², with gradient d ⊙ (x - c).
fn diagonal_quadratic(d: Array1<f64>, c: Array1<f64>) -> impl Objective<f64> {
    let n = d.len();
    let (d2, c2) = (d.clone(), c.clone());
    FnObjective::new(
        n,
        move |x: ArrayView1<f64>| {
            (0..n)
                .map(|i| 0.5 * d[i] * (x[i] - c[i]) * (x[i] - c[i]))
                .sum()
        },
        move |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            for i in 0..n {
                g[i] = d2[i] * (x[i] - c2[i]);
            }
        },
    )
}

#[test]
fn quadratic_with_diagonal_hessian_on_a_box_is_solved_by_clipping() {
    // With a diagonal Hessian the problem separates by coordinate, so the minimiser over the box
    // is the unconstrained minimiser c clipped to [l, u]: (1, -1, 0.5, 5).
    let f = diagonal_quadratic(array![1.0, 4.0, 0.5, 2.0], array![2.0, -3.0, 0.5, 10.0]);
    let set = BoxSet::new(
        array![-1.0, -1.0, 0.0, f64::NEG_INFINITY].view(),
        array![1.0, 1.0, 1.0, 5.0].view(),
    )
    .unwrap();
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.25) // 1/L with L = max d_i = 4
        .gradient_tolerance(1e-12)
        .projection(set)
        .minimize(&f, array![0.0, 0.0, 0.0, 0.0].view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    let expected = [1.0, -1.0, 0.5, 5.0];
    for (x, e) in report.x.iter().zip(expected) {
        assert!(
            abs_diff_eq!(*x, e, epsilon = 1e-10),
            "{} vs {expected:?}",
            report.x
        );
    }
    // The gradient itself is not zero at the solution: the stationarity measure that converged
    // is the gradient mapping.
    let mut g = Array1::zeros(4);
    f.gradient(report.x.view(), g.view_mut());
    assert_abs_diff_eq!(g[0], -1.0, epsilon = 1e-9);
    assert_abs_diff_eq!(g[1], 8.0, epsilon = 1e-9);
    assert_abs_diff_eq!(g[3], -10.0, epsilon = 1e-9);
}

#[test]
fn f32_quadratic_on_a_box_is_solved_by_clipping() {
    let f = FnObjective::new(
        2,
        |x: ArrayView1<f32>| 0.5 * (x[0] - 3.0).powi(2) + (x[1] + 2.0).powi(2),
        |x: ArrayView1<f32>, mut g: ArrayViewMut1<f32>| {
            g[0] = x[0] - 3.0;
            g[1] = 2.0 * (x[1] + 2.0);
        },
    );
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.5f32)
        .projection(BoxSet::uniform(2, -1.0f32, 1.0).unwrap())
        .minimize(&f, array![0.0f32, 0.0].view())
        .unwrap();
    assert!(report.converged());
    assert_eq!(report.x, array![1.0f32, -1.0]);
}

#[test]
fn projection_of_a_point_onto_a_product_polytope_is_blockwise() {
    // min ½|x - y|² over Δ(3) × {u + v <= 1}: the projection of y, block by block.
    // Simplex block: y = (0.9, 0.6, -0.3), τ = (0.9 + 0.6 - 1)/2 = 0.25 → (0.65, 0.35, 0).
    // Half-space block: (2, 3) exceeds u + v <= 1 by 4, moves by 4/2 (1, 1) → (0, 1).
    let y = array![0.9, 0.6, -0.3, 2.0, 3.0];
    let f = diagonal_quadratic(Array1::ones(5), y);
    let set = Product::new()
        .block(3, Simplex::probability())
        .unwrap()
        .block(2, HalfSpace::new(array![1.0, 1.0].view(), 1.0).unwrap())
        .unwrap();
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .gradient_tolerance(1e-12)
        .projection(set)
        .minimize(&f, Array1::zeros(5).view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    let expected = [0.65, 0.35, 0.0, 0.0, 1.0];
    for (x, e) in report.x.iter().zip(expected) {
        assert!(
            abs_diff_eq!(*x, e, epsilon = 1e-10),
            "{} vs {expected:?}",
            report.x
        );
    }
}

#[test]
fn projection_onto_simplex_intersect_halfspace_via_augmented_lagrangian() {
    // min ½|x - y|² over {x ∈ Δ(3), x_1 <= 0.2} with y = (0.9, 0.6, -0.3).
    // Without the half-space the answer (0.65, 0.35, 0) has x_1 > 0.2, so x_1 = 0.2 is active
    // and (x_2, x_3) is the projection of (0.6, -0.3) onto {x_2 + x_3 = 0.8, x >= 0}: (0.8, 0).
    // KKT: x - y + μ e_1 + ν 1 - η e_3 = 0, η >= 0. Row 2: 0.2 + ν = 0 → ν = -0.2;
    // row 1: -0.7 - 0.2 + μ = 0 → μ = 0.9; row 3: 0.3 - 0.2 - η = 0 → η = 0.1 >= 0.
    let f = diagonal_quadratic(Array1::ones(3), array![0.9, 0.6, -0.3]);
    let cap = FnConstraint::new(
        3,
        1,
        |x: ArrayView1<f64>| [x[0] - 0.2],
        |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.fill(0.0);
            out[0] = v[0];
        },
    );
    // A projected inner solve takes a constant step, which must stay below 2/L of the augmented
    // Lagrangian, L = 1 + ρ: cap ρ at 30 for the step 0.05.
    let config = AugmentedLagrangianConfig {
        initial_penalty: 1.0,
        max_penalty: 30.0,
        optimality_tolerance: 1e-8,
        feasibility_tolerance: 1e-8,
        complementarity_tolerance: 1e-8,
        ..Default::default()
    };
    let inner = Minimizer::new(GradientDescent::default())
        .lr(0.05)
        .max_iterations(20_000);
    let report = AugmentedLagrangian::new(inner)
        .with_config(config)
        .unwrap()
        .inequalities(cap)
        .projection(Simplex::probability())
        .minimize(&f, array![1.0, 1.0, 1.0].view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    let expected = [0.2, 0.8, 0.0];
    for (x, e) in report.x.iter().zip(expected) {
        assert!(
            abs_diff_eq!(*x, e, epsilon = 1e-6),
            "{} vs {expected:?}",
            report.x
        );
    }
    assert_abs_diff_eq!(report.inequality_multipliers[0], 0.9, epsilon = 1e-5);
    assert!(report.kkt_residual <= 1e-8 && report.max_violation <= 1e-8);
}

#[test]
fn minimizer_rejects_a_projection_set_of_another_dimension() {
    let f = diagonal_quadratic(Array1::ones(3), Array1::zeros(3));
    let result = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .projection(BoxSet::uniform(2, 0.0, 1.0).unwrap())
        .minimize(&f, Array1::zeros(3).view());
    assert!(matches!(
        result,
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
}

// --- Every iterate of every projected run is feasible -------------------------------------

use common::sets::{N, sets};

/// Feasibility "to rounding" for iterates of size about 10.
const FEASIBLE: f64 = 1e-11;

/// A way to build a fresh update rule (rules are stateful, so each run gets its own).
type RuleFactory = Box<dyn Fn() -> Box<dyn Optimizer<f64>>>;

/// Every rule and variant of the registry (`tests/common/rules.rs`), at its defaults and with
/// its options on (weight decay 0.1 wherever it exists).
fn rules() -> Vec<(String, RuleFactory)> {
    let mut all: Vec<(String, RuleFactory)> = Vec::new();
    for rule in common::rules::rules::<f64>() {
        if rule.needs_unconstrained {
            continue;
        }
        let (default, with_options) = (rule.default, rule.with_options);
        all.push((rule.name.to_owned(), Box::new(default)));
        all.push((
            format!("{} with options", rule.name),
            Box::new(move || with_options(0.1)),
        ));
    }
    all
}

/// Objectives that pull iterates out of every set: a quadratic centred far outside, and
/// Rosenbrock.
fn objectives() -> Vec<(&'static str, Box<dyn Objective<f64>>, f64)> {
    vec![
        (
            "far-quadratic",
            Box::new(diagonal_quadratic(
                array![1.0, 2.0, 3.0, 4.0],
                array![10.0, -8.0, 6.0, 9.0],
            )),
            0.2,
        ),
        ("rosenbrock", Box::new(Rosenbrock::new(N)), 1e-3),
    ]
}

#[test]
fn every_iterate_of_every_projected_run_is_feasible() {
    let x0 = array![3.0, -2.0, 1.5, 4.0];
    for (set_name, make_set) in sets() {
        let checker = make_set();
        for (rule_name, make_rule) in rules() {
            for (f_name, f, lr) in objectives() {
                // Optimistic gradient descent with α = β = 1 steps along 2g_t - g_{t-1}, stable on
                // a quadratic only for γL < 2/3 (γL = 0.8 here, where its iterates grow until
                // the projections round): half the step.
                let lr = if rule_name == "OptimisticGradientDescent" {
                    lr / 2.0
                } else {
                    lr
                };
                let mut seen = 0usize;
                let mut infeasible = Vec::new();
                {
                    let mut minimizer = Minimizer::new(make_rule())
                        .lr(lr)
                        .max_iterations(300)
                        .projection(make_set())
                        .observer(|s: &IterationState<f64>| {
                            seen += 1;
                            if !checker.contains(s.x, FEASIBLE) {
                                infeasible.push((s.iteration, s.x.to_owned()));
                            }
                            Control::Continue
                        });
                    minimizer.minimize(&*f, x0.view()).unwrap();
                }
                assert!(seen > 0);
                assert!(
                    infeasible.is_empty(),
                    "{set_name} / {rule_name} / {f_name}: infeasible iterates {infeasible:?}"
                );
            }
        }
    }
}

#[test]
fn every_inner_iterate_of_a_projected_augmented_lagrangian_solve_is_feasible() {
    // min ½|x - c|² over the simplex Δ_2 with x_1 x_2 = 0.1 and x_3 <= 0.25.
    let f = diagonal_quadratic(Array1::ones(N), array![1.0, 0.5, 2.0, -1.0]);
    let h = FnConstraint::new(
        N,
        1,
        |x: ArrayView1<f64>| [x[0] * x[1] - 0.1],
        |x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.fill(0.0);
            out[0] = v[0] * x[1];
            out[1] = v[0] * x[0];
        },
    );
    let g = FnConstraint::new(
        N,
        1,
        |x: ArrayView1<f64>| [x[2] - 0.25],
        |_x: ArrayView1<f64>, v: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            out.fill(0.0);
            out[2] = v[0];
        },
    );
    let config = AugmentedLagrangianConfig {
        max_penalty: 50.0,
        max_outer_iterations: 30,
        ..Default::default()
    };
    // Every rule at its defaults (with its options on as well, the solve would take twice as
    // long for no other code path: the projection comes after any rule's step).
    for rule in common::rules::rules::<f64>() {
        let (rule_name, make_rule) = (rule.name, rule.default);
        let checker = Simplex::new(2.0).unwrap();
        let mut seen = 0usize;
        let mut infeasible = 0usize;
        {
            let inner = Minimizer::new(make_rule())
                .lr(0.01)
                .max_iterations(2_000)
                .observer(|s: &IterationState<f64>| {
                    seen += 1;
                    if !checker.contains(s.x, FEASIBLE) {
                        infeasible += 1;
                    }
                    Control::Continue
                });
            let report = AugmentedLagrangian::new(inner)
                .with_config(config)
                .unwrap()
                .equalities(&h)
                .inequalities(&g)
                .projection(Simplex::new(2.0).unwrap())
                .minimize(&f, array![3.0, -1.0, 0.5, 0.0].view())
                .unwrap();
            assert!(checker.contains(report.x.view(), FEASIBLE));
        }
        assert!(seen > 10, "{rule_name}: only {seen} iterates observed");
        assert_eq!(
            infeasible, 0,
            "{rule_name}: {infeasible} of {seen} iterates infeasible"
        );
    }
}
