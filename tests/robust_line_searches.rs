//! Line searches given a gradient inconsistent with `f` (a sign error, a flat `f` with a non-zero
//! gradient): the run ends at once with `Termination::LineSearchFailed`, within a small number of
//! evaluations, at a finite iterate where `f` is no higher than at `x0` but for the rounding
//! level of the strong Wolfe search, which no accepted step exceeds. The same runs with the correct gradient converge to the gradient tolerance
//! `√ε |f(x0)|`, where `f` no longer changes at its rounding level: the stop is not triggered by
//! rounding near a minimiser.
//!
//! Every combination is run: `f32` and `f64`; `f` scaled from `1e-30` to `1e30`; gradient descent
//! and L-BFGS directions; backtracking, strong Wolfe and exact quadratic searches.

use gradus::line_search::{Backtracking, ExactQuadratic, LineSearch, StrongWolfe};
use gradus::{
    Control, FnObjective, GradientDescent, Lbfgs, Minimizer, Objective, Optimizer, Real, Report,
    Termination,
};
use ndarray::{Array1, ArrayView1, ArrayViewMut1};

/// The most evaluations a run may make before it stops: ten steps in a row without progress,
/// each with a full search (backtracking tries 60 steps), and a few steps of progress before.
const MAX_EVALUATIONS: usize = 1_000;

/// The scales of `f` tried, for a dtype.
fn scales<F: Real>() -> Vec<F> {
    let decades: &[f64] = if F::max_value().to_f64().unwrap() < 1e39 {
        &[1e-12, 1e-3, 1.0, 1e3, 1e12]
    } else {
        &[1e-30, 1e-3, 1.0, 1e3, 1e30]
    };
    decades.iter().map(|&d| F::from_f64(d).unwrap()).collect()
}

fn lit<F: Real>(v: f64) -> F {
    F::from_f64(v).unwrap()
}

/// `f(x) = c (|x|² / 2 + 1)`, with the gradient `sign · c x` (`sign = -1`: a sign error).
fn bowl<F: Real>(c: F, sign: F) -> impl Objective<F> {
    FnObjective::new(
        3,
        move |x: ArrayView1<'_, F>| c * (x.dot(&x) * lit(0.5) + F::one()),
        move |x: ArrayView1<'_, F>, mut g: ArrayViewMut1<'_, F>| {
            g.zip_mut_with(&x, |g, &x| *g = sign * c * x);
        },
    )
}

/// A constant `f = c` whose gradient claims `(c, -c, c)`.
fn flat<F: Real>(c: F) -> impl Objective<F> {
    FnObjective::new(
        3,
        move |_x: ArrayView1<'_, F>| c,
        move |_x: ArrayView1<'_, F>, mut g: ArrayViewMut1<'_, F>| {
            g.assign(&Array1::from(vec![c, -c, c]));
        },
    )
}

fn start<F: Real>() -> Array1<F> {
    Array1::from(vec![lit(1.0), lit(-2.0), lit(0.5)])
}

/// Runs `rule` with `search` from [`start`], checking that no accepted step raised `f` by more
/// than `allowance` times its value before the step.
fn run<F: Real, O: Optimizer<F>>(
    rule: O,
    search: impl LineSearch<F>,
    allowance: F,
    objective: &impl Objective<F>,
    tolerance: F,
) -> Report<F> {
    let mut worst = F::zero();
    let mut last = F::infinity();
    let report = Minimizer::new(rule)
        .line_search(search)
        .gradient_tolerance(tolerance)
        .max_iterations(100_000)
        .observer(|s| {
            worst = worst.max(s.f - last - allowance * last.abs());
            last = s.f;
            Control::Continue
        })
        .minimize(objective, start::<F>().view())
        .unwrap();
    assert!(
        worst <= F::zero(),
        "an accepted step raised f by {worst:?} beyond the allowance"
    );
    report
}

/// Every combination of direction and search, on `objective`; `check` judges each report.
fn for_every_run<F: Real>(objective: &impl Objective<F>, check: impl Fn(&str, Report<F>)) {
    let tolerance = F::epsilon().sqrt() * objective_scale(objective);
    // Backtracking accepts no increase; strong Wolfe one within its rounding level (its default
    // `value_tolerance`, with a margin for the rounding of the check itself); the exact step of
    // a quadratic is accepted without a test, but fails at once here (the curvature it measures
    // along the direction is negative or zero).
    let strong_wolfe = StrongWolfe::<F>::default();
    let rounding = strong_wolfe.config().value_tolerance * lit(1.01);
    macro_rules! each_search {
        ($rule:expr, $name:expr) => {
            check(
                concat!($name, " + backtracking"),
                run(
                    $rule,
                    Backtracking::default(),
                    F::zero(),
                    objective,
                    tolerance,
                ),
            );
            check(
                concat!($name, " + strong Wolfe"),
                run($rule, strong_wolfe, rounding, objective, tolerance),
            );
            check(
                concat!($name, " + exact quadratic"),
                run(
                    $rule,
                    ExactQuadratic::default(),
                    F::zero(),
                    objective,
                    tolerance,
                ),
            );
        };
    }
    each_search!(GradientDescent::<F>::default(), "gradient descent");
    each_search!(Lbfgs::<F>::default(), "L-BFGS");
}

/// `|f(x0)|`, the scale of the gradient tolerance.
fn objective_scale<F: Real>(objective: &impl Objective<F>) -> F {
    objective.value(start::<F>().view()).abs()
}

/// The checks of a run with an inconsistent gradient.
fn assert_stops_at_once<F: Real>(objective: &impl Objective<F>, label: &str) {
    let f0 = objective.value(start::<F>().view());
    for_every_run(objective, |search, report| {
        let context = format!("{label}, {search}: {report:?}");
        assert_eq!(
            report.termination,
            Termination::LineSearchFailed,
            "{context}"
        );
        assert!(
            report.function_evaluations <= MAX_EVALUATIONS,
            "{} evaluations; {context}",
            report.function_evaluations
        );
        assert!(report.x.iter().all(|v| v.is_finite()), "{context}");
        // At most ten steps, each within the strong Wolfe search's rounding level.
        let rounding = StrongWolfe::<F>::default().config().value_tolerance;
        let limit = f0 + lit::<F>(11.0) * rounding * f0.abs();
        assert!(objective.value(report.x.view()) <= limit, "{context}");
    });
}

fn sign_error<F: Real>() {
    for c in scales::<F>() {
        let label = format!(
            "{} with a sign error, c = {c:?}",
            std::any::type_name::<F>()
        );
        assert_stops_at_once(&bowl(c, -F::one()), &label);
    }
}

fn flat_function<F: Real>() {
    for c in scales::<F>() {
        let label = format!("flat {} f = {c:?}", std::any::type_name::<F>());
        let objective = flat(c);
        assert_stops_at_once(&objective, &label);
        // No long step: at most the steps of unit length along `-g` that a search accepts as
        // decreasing `f` below its rounding level, ten in a row, and a first one (|g|∞ = c).
        for_every_run(&objective, |search, report| {
            let moved = (&report.x - &start::<F>()).fold(F::zero(), |m, v| m.max(v.abs()));
            assert!(
                moved <= lit::<F>(11.0) * c,
                "{label}, {search}: moved by {moved:?}"
            );
        });
    }
}

/// With the correct gradient, at the scales where the searches' first trial step of 1 suits
/// gradient descent. (At the smallest scales tried above, a unit step along `-g` moves `x` by less
/// than its rounding; at the largest, no halving of it within the budget of trials is short
/// enough. Those runs stop with `LineSearchFailed` too, as they should.)
fn correct_gradient_converges<F: Real>() {
    let failures = std::cell::RefCell::new(Vec::new());
    for c in [lit::<F>(1e-3), F::one(), lit(1e3)] {
        for_every_run(&bowl(c, F::one()), |search, report| {
            if report.termination != Termination::GradientNorm {
                failures.borrow_mut().push(format!(
                    "c = {c:?}, {search}: {:?} after {} iterations, x = {}",
                    report.termination, report.iterations, report.x
                ));
            }
        });
    }
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_sign_error_in_the_gradient_stops_the_run_at_once_f32() {
    sign_error::<f32>();
}

#[test]
fn a_sign_error_in_the_gradient_stops_the_run_at_once_f64() {
    sign_error::<f64>();
}

#[test]
fn a_flat_function_with_a_nonzero_gradient_stops_the_run_where_it_started_f32() {
    flat_function::<f32>();
}

#[test]
fn a_flat_function_with_a_nonzero_gradient_stops_the_run_where_it_started_f64() {
    flat_function::<f64>();
}

#[test]
fn the_same_runs_with_the_correct_gradient_converge_f32() {
    correct_gradient_converges::<f32>();
}

#[test]
fn the_same_runs_with_the_correct_gradient_converge_f64() {
    correct_gradient_converges::<f64>();
}
