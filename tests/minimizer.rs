//! The shared loop: criteria, budgets, non-finite values, divergence, observers, errors.

use std::time::Duration;

use gradus::prelude::*;
use gradus::problems::{Rosenbrock, Sphere};
use gradus::{BoxSet, Control, IterationState, Schedule};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

/// f(x) = 1/2 Σ λ_i x_i², a diagonal quadratic with minimiser 0 and L = max λ, μ = min λ.
struct Diagonal(Vec<f64>);

impl Objective<f64> for Diagonal {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn value(&self, x: ArrayView1<f64>) -> f64 {
        x.iter().zip(&self.0).map(|(x, l)| 0.5 * l * x * x).sum()
    }
    fn gradient(&self, x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>) {
        for i in 0..x.len() {
            g[i] = self.0[i] * x[i];
        }
    }
}

#[test]
fn gradient_descent_with_step_one_over_l_needs_about_kappa_log_iterations() {
    // Along the eigenvector of μ = 1 the error contracts by exactly (1 - 1/κ) per step with
    // γ = 1/L, while the other components vanish at the first step (λ = L) or faster. Starting
    // from x0 = (1, 1), |g_k| = (1 - 1/κ)^k for k >= 1, so the gradient norm reaches ε after
    // k* = ceil(ln ε / ln(1 - 1/κ)) steps, which is at most κ ln(1/ε).
    let kappa = 100.0;
    let eps = 1e-8;
    let f = Diagonal(vec![1.0, kappa]);
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(1.0 / kappa)
        .gradient_tolerance(eps)
        .max_iterations(100_000)
        .minimize(&f, array![1.0, 1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    let expected = (eps.ln() / (1.0 - 1.0 / kappa).ln()).ceil() as usize;
    assert_eq!(report.iterations, expected);
    assert!(report.iterations as f64 <= kappa * (1.0 / eps).ln());
    assert_eq!(report.function_evaluations, report.iterations + 1);
    assert_eq!(report.gradient_evaluations, report.iterations + 1);
    assert!(report.x.iter().all(|v| v.abs() <= eps));
}

#[test]
fn non_finite_value_stops_and_keeps_last_finite_iterate() {
    // f is finite for x < 3 and NaN beyond; GD with step 1 on f = -x moves x by +1 per step.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| if x[0] < 3.0 { -x[0] } else { f64::NAN },
        |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = -1.0,
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(1.0)
        .minimize(&f, array![0.5].view())
        .unwrap();
    assert_eq!(report.termination, Termination::NonFinite);
    assert_eq!(report.x[0], 2.5);
    assert_eq!(report.f, -2.5);
    assert_eq!(report.iterations, 2);
}

#[test]
fn non_finite_gradient_stops_the_run() {
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| x[0] * x[0],
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            g[0] = if x[0].abs() < 0.3 {
                f64::INFINITY
            } else {
                2.0 * x[0]
            }
        },
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.25)
        .minimize(&f, array![1.0].view())
        .unwrap();
    // x: 1 -> 0.5 -> 0.25 (gradient infinite there), so 0.5 is the last finite iterate.
    assert_eq!(report.termination, Termination::NonFinite);
    assert_eq!(report.x[0], 0.5);
    assert_eq!(report.stationarity, 1.0);
}

#[test]
fn non_finite_value_at_start_is_reported_not_an_error() {
    let f = FnObjective::new(
        1,
        |_x: ArrayView1<f64>| f64::NAN,
        |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = 0.0,
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .minimize(&f, array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::NonFinite);
    assert_eq!(report.iterations, 0);
}

#[test]
fn too_large_a_step_diverges() {
    // GD on f = x² with step 2 maps x to -3x: |f| grows by 9 per step.
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(2.0)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::Diverged);
    assert!(report.f > 1e12 && report.f.is_finite());
}

#[test]
fn observer_sees_every_iterate_and_can_stop() {
    let mut seen = Vec::new();
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.25)
        .observer(|s: &IterationState<f64>| {
            seen.push((s.iteration, s.x[0], s.step_size));
            if s.iteration == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::StoppedByObserver);
    assert_eq!(report.iterations, 3);
    // x_{k+1} = x_k - 0.25 · 2 x_k = x_k / 2.
    assert_eq!(
        seen,
        vec![
            (0, 1.0, 0.0),
            (1, 0.5, 0.25),
            (2, 0.25, 0.25),
            (3, 0.125, 0.25)
        ]
    );
}

#[test]
fn history_records_each_iterate_and_its_values() {
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.25)
        .max_iterations(4)
        .record_iterates(true)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxIterations);
    let history = report.history.unwrap();
    assert_eq!(history.records.len(), 5);
    let values: Vec<f64> = history.values().collect();
    assert_eq!(values, vec![1.0, 0.25, 0.0625, 0.015625, 0.00390625]);
    assert_eq!(history.records[2].x.as_ref().unwrap()[0], 0.25);
}

#[test]
fn change_criteria_and_target_stop_the_run() {
    let run = |criteria: Criteria<f64>| {
        Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.25)
            .with_criteria(criteria)
            .minimize(&Sphere::new(1), array![1.0].view())
            .unwrap()
    };
    let none = Criteria {
        stationarity: None,
        ..Criteria::default()
    };
    // f_k = 4^-k: the change f_{k-1} - f_k = 3 · 4^-k first drops to 3/64 or less at k = 3.
    let r = run(Criteria {
        f_change: Some(3.0 / 64.0),
        ..none.clone()
    });
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::FunctionChange, 3)
    );
    // Relative change (f_{k-1} - f_k)/f_{k-1} = 3/4 always: never holds for tolerance 0.5.
    let r = run(Criteria {
        relative_f_change: Some(0.5),
        max_iterations: Some(20),
        ..none.clone()
    });
    assert_eq!(r.termination, Termination::MaxIterations);
    // x_k = 2^-k, the step is 2^-k: first <= 1/8 at k = 3.
    let r = run(Criteria {
        x_change: Some(0.125),
        ..none.clone()
    });
    assert_eq!((r.termination, r.iterations), (Termination::StepChange, 3));
    let r = run(Criteria {
        target: Some(1e-3),
        ..none.clone()
    });
    // 4^-5 = 9.8e-4 is the first value below 1e-3.
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::TargetReached, 5)
    );
    // |g_k| = 2 · 2^-k: relative to |g_0| = 2 it is 2^-k, first <= 0.01 at k = 7.
    let r = run(Criteria {
        relative_stationarity: Some(0.01),
        ..none.clone()
    });
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::RelativeGradientNorm, 7)
    );
    let r = run(Criteria {
        max_evaluations: Some(4),
        ..none.clone()
    });
    assert_eq!(
        (r.termination, r.function_evaluations),
        (Termination::MaxEvaluations, 4)
    );
    let r = run(Criteria {
        max_gradient_evaluations: Some(6),
        ..none.clone()
    });
    assert_eq!(
        (r.termination, r.gradient_evaluations),
        (Termination::MaxEvaluations, 6)
    );
    let r = run(Criteria {
        max_time: Some(Duration::ZERO),
        ..none
    });
    assert_eq!((r.termination, r.iterations), (Termination::MaxTime, 0));
}

#[test]
fn backtracking_line_search_solves_rosenbrock() {
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .line_search(Backtracking::default())
        .gradient_tolerance(1e-4)
        .max_iterations(50_000)
        .minimize(&Rosenbrock::new(2), array![-1.2, 1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!((report.x[0] - 1.0).abs() < 1e-3 && (report.x[1] - 1.0).abs() < 1e-3);
    assert!(report.function_evaluations > report.gradient_evaluations);
}

#[test]
fn a_gradient_budget_counts_gradients_not_the_line_search_values() {
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .line_search(Backtracking::default())
        .with_criteria(Criteria {
            max_gradient_evaluations: Some(50),
            ..Criteria::default()
        })
        .minimize(&Rosenbrock::new(2), array![-1.2, 1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEvaluations);
    assert_eq!(report.gradient_evaluations, 50);
    assert!(report.function_evaluations > 50);
}

#[test]
fn backtracking_step_satisfies_armijo_on_a_quadratic() {
    // On f = x², from x = 1 the direction is -2; α = 1 gives x = -1 (no decrease), α = 1/2 gives
    // the minimiser 0, which satisfies f(0) = 0 <= 1 + 1e-4 · 0.5 · (-4).
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .line_search(Backtracking::default())
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert_eq!(report.iterations, 1);
    assert_eq!(report.x[0], 0.0);
    // Two values tried (α = 1, 1/2) after the first evaluation; one gradient at the accepted point.
    assert_eq!(report.function_evaluations, 3);
    assert_eq!(report.gradient_evaluations, 2);
}

#[test]
fn bad_input_is_a_typed_error() {
    let mut m = Minimizer::new(GradientDescent::<f64>::default());
    let f = Sphere::new(2);
    assert_eq!(
        m.minimize(&f, Array1::zeros(0).view()).unwrap_err(),
        Error::Empty { what: "x0" }
    );
    assert!(matches!(
        m.minimize(&f, array![1.0, 2.0, 3.0].view()),
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        m.minimize(&f, array![1.0, f64::NAN].view()),
        Err(Error::NonFinite { index: 1, .. })
    ));
    let mut m = Minimizer::new(GradientDescent::<f64>::default()).lr(-1.0);
    let err = m.minimize(&f, array![1.0, 1.0].view()).unwrap_err();
    assert!(err.to_string().contains("-1"), "{err}");
    let mut m = Minimizer::new(GradientDescent::<f64>::default()).gradient_tolerance(f64::NAN);
    assert!(matches!(
        m.minimize(&f, array![1.0, 1.0].view()),
        Err(Error::InvalidParameter {
            name: "stationarity",
            ..
        })
    ));
}

#[test]
fn minimizer_can_be_rerun_and_gives_identical_results() {
    let mut m =
        Minimizer::new(GradientDescent::<f64>::default()).line_search(Backtracking::default());
    let a = m
        .minimize(&Rosenbrock::new(2), array![-1.2, 1.0].view())
        .unwrap();
    let b = m
        .minimize(&Rosenbrock::new(2), array![-1.2, 1.0].view())
        .unwrap();
    assert_eq!(a.x, b.x);
    assert_eq!(a.iterations, b.iterations);
}

#[test]
fn f32_runs() {
    let report = Minimizer::new(GradientDescent::<f32>::default())
        .lr(0.25)
        .minimize(&Sphere::new(3), Array1::<f32>::ones(3).view())
        .unwrap();
    assert!(report.converged());
    assert!(report.f < 1e-6);
}

#[test]
fn each_builder_method_sets_its_own_criterion_and_clears_none() {
    let m = Minimizer::new(GradientDescent::<f64>::default())
        .gradient_tolerance(1e-7)
        .relative_gradient_tolerance(1e-3)
        .f_change(1e-9)
        .relative_f_change(1e-10)
        .x_change(1e-11)
        .target(-5.0)
        .max_iterations(77)
        .max_epochs(3)
        .max_evaluations(500)
        .max_gradient_evaluations(400)
        .max_time(Duration::from_secs(9))
        .divergence_factor(1e6)
        // Setting one again changes that one only.
        .gradient_tolerance(1e-8);
    assert_eq!(
        m.criteria(),
        &Criteria {
            stationarity: Some(1e-8),
            relative_stationarity: Some(1e-3),
            f_change: Some(1e-9),
            relative_f_change: Some(1e-10),
            x_change: Some(1e-11),
            target: Some(-5.0),
            max_iterations: Some(77),
            max_epochs: Some(3),
            max_evaluations: Some(500),
            max_gradient_evaluations: Some(400),
            max_time: Some(Duration::from_secs(9)),
            divergence_factor: 1e6,
        }
    );
}

#[test]
fn with_criteria_replaces_all_and_later_builder_methods_adjust_one() {
    let mut m = Minimizer::new(GradientDescent::<f64>::default())
        .target(1.0)
        .with_criteria(Criteria {
            stationarity: None,
            ..Criteria::default()
        })
        .max_iterations(4)
        .lr(0.25);
    assert_eq!(m.criteria().target, None);
    assert_eq!(m.criteria().stationarity, None);
    m.criteria_mut().f_change = Some(0.0);
    // f = x² from 1 never changes by 0 in 4 halvings of x: the budget stops the run.
    let r = m.minimize(&Sphere::new(1), array![1.0].view()).unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::MaxIterations, 4)
    );
}

#[test]
fn builder_methods_stop_the_run_by_their_own_criterion() {
    // GD with step 1/4 on f = x² from 1 halves x: x_k = 2^-k, f_k = 4^-k, |g_k| = 2^(1-k).
    let run = |configure: &dyn Fn(
        Minimizer<'static, f64, GradientDescent<f64>>,
    ) -> Minimizer<'static, f64, GradientDescent<f64>>| {
        let m = Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.25)
            .with_criteria(Criteria {
                stationarity: None,
                ..Criteria::default()
            });
        let r = configure(m)
            .minimize(&Sphere::new(1), array![1.0].view())
            .unwrap();
        (r.termination, r.iterations)
    };
    // |g_k| = 2^(1-k) <= 2^-9 first at k = 10.
    assert_eq!(
        run(&|m| m.gradient_tolerance(1.0 / 512.0)),
        (Termination::GradientNorm, 10)
    );
    assert_eq!(
        run(&|m| m.relative_gradient_tolerance(0.01)),
        (Termination::RelativeGradientNorm, 7)
    );
    assert_eq!(
        run(&|m| m.f_change(3.0 / 64.0)),
        (Termination::FunctionChange, 3)
    );
    assert_eq!(run(&|m| m.x_change(0.125)), (Termination::StepChange, 3));
    assert_eq!(run(&|m| m.target(1e-3)), (Termination::TargetReached, 5));
    // f_0 = 1 and f_k <= 1: the relative change 3/4 never falls to 1/2.
    assert_eq!(
        run(&|m| m.relative_f_change(0.5).max_iterations(20)),
        (Termination::MaxIterations, 20)
    );
    // Each iteration evaluates f and ∇f once, after the one at x0.
    assert_eq!(
        run(&|m| m.max_evaluations(4)),
        (Termination::MaxEvaluations, 3)
    );
    assert_eq!(
        run(&|m| m.max_gradient_evaluations(6)),
        (Termination::MaxEvaluations, 5)
    );
    assert_eq!(
        run(&|m| m.max_time(Duration::ZERO)),
        (Termination::MaxTime, 0)
    );
    // With step 2, x is multiplied by -3: f_k = 9^k, above 1 + 100 · 1 at k = 3.
    assert_eq!(
        run(&|m| m.lr(2.0).divergence_factor(100.0)),
        (Termination::Diverged, 3)
    );
}

#[test]
fn history_and_iterates_are_recorded_independently() {
    let run = |configure: &dyn Fn(
        Minimizer<'static, f64, GradientDescent<f64>>,
    ) -> Minimizer<'static, f64, GradientDescent<f64>>| {
        let m = Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.25)
            .max_iterations(2);
        let r = configure(m)
            .minimize(&Sphere::new(1), array![1.0].view())
            .unwrap();
        r.history
            .map(|h| (h.records.len(), h.records.iter().all(|r| r.x.is_some())))
    };
    assert_eq!(run(&|m| m), None);
    assert_eq!(run(&|m| m.record_history(true)), Some((3, false)));
    assert_eq!(run(&|m| m.record_iterates(true)), Some((3, true)));
    // Turning the iterates off keeps the history that was asked for, and the other way round.
    assert_eq!(
        run(&|m| m.record_history(true).record_iterates(false)),
        Some((3, false))
    );
    assert_eq!(
        run(&|m| m.record_iterates(true).record_history(false)),
        Some((3, true))
    );
    assert_eq!(
        run(&|m| m
            .record_history(true)
            .record_iterates(true)
            .record_iterates(false)),
        Some((3, false))
    );
}

#[test]
fn report_stationarity_is_the_gradient_mapping_norm_when_projecting() {
    // f = 1/2 (x - 2)² on [0, 1], GD with γ = 1/2 from 1/2: x_1 = P(1/2 + 3/4) = 1, where
    // ∇f = -1 but |x - P(x - γ∇f)| / γ = |1 - P(3/2)| / (1/2) = 0.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| 0.5 * (x[0] - 2.0) * (x[0] - 2.0),
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = x[0] - 2.0,
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.5)
        .projection(BoxSet::new(array![0.0].view(), array![1.0].view()).unwrap())
        .minimize(&f, array![0.5].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert_eq!((report.iterations, report.x[0]), (1, 1.0));
    assert_eq!(report.stationarity, 0.0);
}

#[test]
fn a_step_into_nan_found_by_a_line_search_is_undone() {
    // On f = x² from 1 the direction is -2; backtracking accepts α = 1/2, x = 0, where the
    // gradient is NaN: the run goes back to x = 1.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| x[0] * x[0],
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            g[0] = if x[0] == 0.0 { f64::NAN } else { 2.0 * x[0] }
        },
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .line_search(Backtracking::default())
        .minimize(&f, array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::NonFinite);
    assert_eq!((report.iterations, report.x[0], report.f), (0, 1.0, 1.0));
    assert_eq!(report.stationarity, 2.0);
}

#[test]
fn a_failed_line_search_keeps_the_current_iterate() {
    // f is NaN everywhere but at x = 1: every trial step fails.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<f64>| if x[0] == 1.0 { 1.0 } else { f64::NAN },
        |_x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g[0] = 1.0,
    );
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .line_search(Backtracking::new(1.0, 0.5, 1e-4, 5).unwrap())
        .minimize(&f, array![1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::LineSearchFailed);
    assert_eq!((report.iterations, report.x[0], report.f), (0, 1.0, 1.0));
    // One value at x0 and five trials.
    assert_eq!(report.function_evaluations, 6);
}

#[test]
fn a_schedule_step_size_out_of_its_domain_is_a_typed_error() {
    struct NegativeAtTwo;
    impl Schedule<f64> for NegativeAtTwo {
        fn step_size(&mut self, t: usize) -> f64 {
            if t == 2 { -0.1 } else { 0.1 }
        }
    }
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .schedule(NegativeAtTwo)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "lr", value, .. } if value == -0.1),
        "{err}"
    );
}
