//! The schedule-free rules in the loop: the report at their evaluation point, the iterates seen
//! by criteria and observers, the runs that fall back to the last iterate, parameter sets, and
//! convergence of the averaged point on convex problems.

use std::cell::Cell;

use gradus::optim::{ScheduleFreeAdamWConfig, ScheduleFreeSgdConfig};
use gradus::params::ParameterSet;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression, Quadratic, TestFunction};
use gradus::{L2Ball, ScheduleFreeAdamW, ScheduleFreeSgd};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

/// `(y - (1 - β₁) z) / β₁`, written out from the iterate and the rule's `z`.
fn averaged(y: ArrayView1<'_, f64>, z: &[f64], b1: f64) -> Array1<f64> {
    Array1::from_shape_fn(y.len(), |i| (y[i] - (1.0 - b1) * z[i]) / b1)
}

/// `|∇f(x)|₂`, evaluated by hand.
fn gradient_norm(f: &impl Objective<f64>, x: ArrayView1<'_, f64>) -> f64 {
    let mut g = Array1::zeros(x.len());
    f.gradient(x, g.view_mut());
    g.dot(&g).sqrt()
}

/// A rotated quadratic of condition number 10 in 8 variables, minimised at `(1, ..., 1)`.
fn quadratic() -> Quadratic<f64> {
    Quadratic::log_spaced(8, 0.1, 1.0)
        .unwrap()
        .rotated(3)
        .unwrap()
}

#[test]
fn the_report_of_schedule_free_sgd_is_at_the_evaluation_point() {
    let q = quadratic();
    let config = ScheduleFreeSgdConfig {
        b1: 0.8,
        warmup_steps: 5,
        ..Default::default()
    };
    let mut m = Minimizer::new(ScheduleFreeSgd::new(config).unwrap())
        .lr(0.5)
        .gradient_tolerance(0.0)
        .max_iterations(40);
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    assert_eq!(report.termination, Termination::MaxIterations);
    let y = m.run_state().unwrap().x();
    let x = averaged(y, m.optimizer().state().z(), 0.8);
    assert_eq!(report.x, x, "the averaged point, bit for bit");
    assert_eq!(report.f, q.value(x.view()));
    assert_eq!(report.stationarity, gradient_norm(&q, x.view()));
    // The loop's iterate is another point, with another value.
    assert!(y.iter().zip(&x).any(|(a, b)| a != b));
    assert_ne!(m.run_state().unwrap().f(), report.f);
    // x_0, the 40 iterates, and the evaluation point.
    assert_eq!(report.function_evaluations, 42);
    assert_eq!(report.gradient_evaluations, 42);
}

#[test]
fn the_report_of_schedule_free_adamw_is_at_the_evaluation_point() {
    let q = quadratic();
    let mut m = Minimizer::new(ScheduleFreeAdamW::default())
        .lr(0.05)
        .gradient_tolerance(0.0)
        .max_iterations(30);
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    let y = m.run_state().unwrap().x();
    let x = averaged(y, m.optimizer().state().z(), 0.9);
    assert_eq!(report.x, x);
    assert_eq!(report.f, q.value(x.view()));
    assert_eq!(report.stationarity, gradient_norm(&q, x.view()));
    assert_eq!(report.function_evaluations, 32);
}

#[test]
fn criteria_observers_and_the_history_see_the_gradient_points() {
    let q = quadratic();
    let last_observed = Cell::new(f64::NAN);
    let mut m = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.5)
        .gradient_tolerance(1e-3)
        .record_history(true)
        .observer(|s| {
            last_observed.set(s.f);
            Control::Continue
        });
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    let state = m.run_state().unwrap();
    // The criterion was met at y: |∇f(y)| <= 1e-3, and f(y) is what observers and the history
    // saw last.
    assert!(gradient_norm(&q, state.x()) <= 1e-3);
    assert_eq!(last_observed.get(), q.value(state.x()));
    let history = report.history.as_ref().unwrap();
    assert_eq!(history.records.last().unwrap().f, q.value(state.x()));
    // The best iterate is one of the gradient points, judged by f there.
    let best = report.best.as_ref().unwrap();
    assert!(history.values().any(|f| f == best.value));
    // The report is at the evaluation point.
    let x = averaged(state.x(), m.optimizer().state().z(), 0.9);
    assert_eq!(report.x, x);
    assert_eq!(report.stationarity, gradient_norm(&q, x.view()));
}

/// A target (or a change of `f`) judges `f` at the evaluation point, the point the report
/// returns: the run stops when the averaged point reaches the target, whatever `f(y)` is, and
/// each iteration costs one function evaluation more (no gradient).
#[test]
fn a_target_is_judged_at_the_evaluation_point() {
    let q = quadratic();
    let target = q.minimum() + 1e-6;
    let judged = Cell::new(0usize);
    let mut m = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.5)
        .gradient_tolerance(0.0)
        .target(target)
        .max_iterations(5_000)
        .observer(|s| {
            judged.set(s.iteration);
            Control::Continue
        });
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    assert_eq!(report.termination, Termination::TargetReached);
    assert!(report.f <= target, "{} > {target}", report.f);
    // The evaluation point one step earlier had not reached the target: the stop is the first.
    let k = report.iterations;
    let mut earlier = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.5)
        .gradient_tolerance(0.0)
        .max_iterations(k - 1);
    assert!(earlier.minimize(&q, Array1::zeros(8).view()).unwrap().f > target);
    // x_0; per iteration f(y) with its gradient and f at the evaluation point; the report's x.
    assert_eq!(report.function_evaluations, 1 + 2 * k + 1);
    assert_eq!(report.gradient_evaluations, 1 + k + 1);
    assert_eq!(judged.get(), k);
}

#[test]
fn other_rules_report_their_iterate_as_before() {
    let q = quadratic();
    let mut m = Minimizer::new(Adam::default())
        .lr(0.05)
        .gradient_tolerance(0.0)
        .max_iterations(30);
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    assert_eq!(report.x, m.run_state().unwrap().x());
    assert_eq!(report.f, m.run_state().unwrap().f());
    assert_eq!(report.function_evaluations, 31);
}

#[test]
fn a_resumed_run_reports_the_evaluation_point_of_the_uninterrupted_one() {
    let q = quadratic();
    let make = |iterations| {
        Minimizer::new(ScheduleFreeAdamW::default())
            .lr(0.05)
            .gradient_tolerance(0.0)
            .max_iterations(iterations)
    };
    let whole = make(60).minimize(&q, Array1::zeros(8).view()).unwrap();
    let mut parts = make(25);
    parts.minimize(&q, Array1::zeros(8).view()).unwrap();
    let resumed = parts.max_iterations(60).resume(&q).unwrap();
    assert_eq!(resumed.x, whole.x);
    assert_eq!(resumed.f, whole.f);
    // Each part evaluated f once more at its end.
    assert_eq!(resumed.function_evaluations, whole.function_evaluations + 1);
}

#[test]
fn a_state_overflow_reports_the_last_finite_iterate() {
    // f = |x|²/2; the gradient is huge once x₀ falls below 0.5, which overflows the second
    // moment: the run stops at the last iterate, with its own value.
    let f = FnObjective::new(
        2,
        |x: ArrayView1<'_, f64>| x.dot(&x) / 2.0,
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| {
            g.assign(&x);
            if x[0] < 0.5 {
                g[0] = 1e200;
            }
        },
    );
    let mut m = Minimizer::new(ScheduleFreeAdamW::default())
        .lr(0.1)
        .max_iterations(1000);
    let report = m.minimize(&f, array![1.0, 1.0].view()).unwrap();
    assert_eq!(report.termination, Termination::StateOverflow);
    let y = m.run_state().unwrap().x();
    assert_eq!(report.x, y);
    assert_eq!(report.f, f.value(y));
    assert_eq!(report.function_evaluations, report.iterations + 1);
}

#[test]
fn a_non_finite_value_reports_the_last_finite_iterate() {
    // f is NaN for x₀ < 0: the step that crosses it is undone.
    let f = FnObjective::new(
        1,
        |x: ArrayView1<'_, f64>| if x[0] < 0.0 { f64::NAN } else { x[0] },
        |_x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| g[0] = 1.0,
    );
    let mut m = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.3)
        .max_iterations(1000);
    let report = m.minimize(&f, array![1.0].view()).unwrap();
    assert_eq!(report.termination, Termination::NonFinite);
    let y = m.run_state().unwrap().x();
    assert_eq!(report.x, y);
    assert!(report.f.is_finite() && report.f == f.value(y));
}

#[test]
fn a_projected_run_reports_its_iterate() {
    let q = quadratic();
    let mut m = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.5)
        .projection(L2Ball::new(1.0).unwrap())
        .gradient_tolerance(0.0)
        .max_iterations(20);
    let report = m.minimize(&q, Array1::zeros(8).view()).unwrap();
    assert_eq!(report.x, m.run_state().unwrap().x());
}

/// Logistic regression on 400 examples in 6 dimensions, with a small ridge penalty.
fn logistic() -> LogisticRegression<f64> {
    let data = Dataset::<f64>::classification(400, 6, 11).unwrap();
    LogisticRegression::new(data, 1e-3).unwrap()
}

#[test]
fn a_minibatch_run_reports_the_full_sum_at_the_evaluation_point() {
    let problem = logistic();
    let mut m = Minimizer::new(ScheduleFreeSgd::default())
        .lr(0.5)
        .minibatch(Minibatch {
            batch_size: 20,
            seed: 3,
            ..Minibatch::default()
        })
        .max_epochs(3);
    let report = m
        .minimize_finite_sum(&problem, Array1::zeros(6).view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEpochs);
    let y = m.run_state().unwrap().x();
    let x = averaged(y, m.optimizer().state().z(), 0.9);
    assert_eq!(report.x, x);
    assert!((report.f - problem.value(x.view())).abs() <= 1e-14);
    assert!((report.stationarity - gradient_norm(&problem, x.view())).abs() <= 1e-14);
    // The last iterate y beside it, with the full sum there.
    let last = report.last_iterate.as_ref().unwrap();
    assert_eq!(last.x.view(), y);
    assert!((last.f - problem.value(y)).abs() <= 1e-14);
    // The full passes at the end: at x, and at y for the last iterate; 3 epochs and two.
    let sampling = report.sampling.unwrap();
    assert_eq!(sampling.example_gradients, 5 * 400);
}

#[test]
fn the_average_converges_on_a_smooth_convex_problem_with_the_defaults() {
    // Deterministic gradients, the default hyperparameters (β₁ = 0.9, r = 2, no warmup) and
    // the step 1/L: the averaged point converges, f(x_T) - f* falling as the run goes on.
    let problem = logistic();
    let lr = 1.0 / problem.smoothness().unwrap();
    let gap = |iterations| {
        let report = Minimizer::new(ScheduleFreeSgd::default())
            .lr(lr)
            .gradient_tolerance(0.0)
            .max_iterations(iterations)
            .minimize(&problem, Array1::zeros(6).view())
            .unwrap();
        report.f - problem.minimum()
    };
    let gaps = [gap(30), gap(100), gap(300), gap(1000)];
    assert!(gaps.windows(2).all(|w| w[1] < w[0]), "{gaps:?}");
    assert!(gaps[3].abs() < 1e-12, "{gaps:?}");

    // AdamW with its defaults but the step size.
    let report = Minimizer::new(ScheduleFreeAdamW::default())
        .lr(0.01)
        .gradient_tolerance(0.0)
        .max_iterations(10_000)
        .minimize(&problem, Array1::zeros(6).view())
        .unwrap();
    assert!(report.f - problem.minimum() < 1e-6);
}

#[test]
fn the_average_converges_on_minibatches_where_the_iterate_does_not_settle() {
    // Stochastic gradients with a constant step: the averaged point goes on converging, while
    // the gradient point keeps the noise of the last minibatches.
    let problem = logistic();
    let minimum = problem.minimum();
    let run = |epochs| {
        let mut m = Minimizer::new(ScheduleFreeSgd::default())
            .lr(0.5)
            .minibatch(Minibatch {
                batch_size: 10,
                seed: 5,
                ..Minibatch::default()
            })
            .max_epochs(epochs);
        let report = m
            .minimize_finite_sum(&problem, Array1::zeros(6).view())
            .unwrap();
        let at_y = problem.value(m.run_state().unwrap().x());
        (report.f - minimum, at_y - minimum)
    };
    let (short, _) = run(5);
    let (long, long_y) = run(100);
    assert!(long < short, "{long} vs {short}");
    assert!(long < 1e-4, "{long}");
    assert!(long < long_y, "the average {long} vs the iterate {long_y}");
}

#[test]
fn a_parameter_set_writes_the_evaluation_point_of_each_tensor() {
    let config = ScheduleFreeAdamWConfig {
        lr: 0.05,
        warmup_steps: 2,
        weight_decay: 0.01,
        ..Default::default()
    };
    let other = ScheduleFreeAdamWConfig { b1: 0.7, ..config };
    let mut set = ParameterSet::new(config)
        .unwrap()
        .group([1], other)
        .unwrap();
    // A matrix stepped through its transpose (not contiguous in row-major order), and a vector
    // in a group of its own.
    let mut w = Array2::from_shape_fn((3, 2), |(i, j)| i as f64 - j as f64 * 0.5);
    let mut b = array![0.5, -1.0, 2.0];
    let (mut alone_w, mut alone_b) = (
        ScheduleFreeAdamW::new(config).unwrap(),
        ScheduleFreeAdamW::new(other).unwrap(),
    );
    let mut flat_w: Array1<f64> = w.t().iter().copied().collect();
    let mut flat_b = b.clone();
    // The evaluation point of the matrix is written through a transpose too.
    let mut x = Array2::zeros((3, 2));
    let mut xb = Array1::zeros(3);
    let mut write = |set: &ParameterSet<_>, w: &Array2<f64>, b: &Array1<f64>| {
        set.evaluation_point(
            &[w.t().into_dyn(), b.view().into_dyn()],
            &mut [
                x.view_mut().reversed_axes().into_dyn(),
                xb.view_mut().into_dyn(),
            ],
        )
    };
    assert!(
        !write(&set, &w, &b).unwrap(),
        "nothing before the first step"
    );
    for k in 0..3 {
        let gw = Array2::from_shape_fn((2, 3), |(i, j)| (i + j + k) as f64 * 0.3 - 0.4);
        let gb = array![0.1, -0.2 * k as f64, 0.3];
        set.step(
            &mut [
                w.view_mut().reversed_axes().into_dyn(),
                b.view_mut().into_dyn(),
            ],
            &[gw.view().into_dyn(), gb.view().into_dyn()],
        )
        .unwrap();
        let flat_gw: Array1<f64> = gw.iter().copied().collect();
        alone_w
            .step(flat_w.view_mut(), flat_gw.view(), 0.05)
            .unwrap();
        alone_b.step(flat_b.view_mut(), gb.view(), 0.05).unwrap();
    }
    assert!(write(&set, &w, &b).unwrap());
    // A tensor of another shape is refused.
    assert!(
        set.evaluation_point(
            &[w.view().into_dyn(), b.view().into_dyn()],
            &mut [x.view_mut().into_dyn(), xb.view_mut().into_dyn()],
        )
        .is_err()
    );
    let mut expected_w = Array1::zeros(6);
    let mut expected_b = Array1::zeros(3);
    assert!(
        alone_w
            .evaluation_point(flat_w.view(), expected_w.view_mut())
            .unwrap()
    );
    assert!(
        alone_b
            .evaluation_point(flat_b.view(), expected_b.view_mut())
            .unwrap()
    );
    assert_eq!(x.t().iter().copied().collect::<Array1<f64>>(), expected_w);
    assert_eq!(xb, expected_b);
}

#[cfg(feature = "serde")]
#[test]
fn a_checkpoint_in_the_middle_gives_the_iterates_and_the_evaluation_point_of_an_uninterrupted_run()
{
    use gradus::checkpoint::{from_bytes, to_bytes};
    fn check<O: Optimizer<f64> + serde::Serialize + serde::de::DeserializeOwned>(mut a: O) {
        let gradient = |y: &Array1<f64>| Array1::from_shape_fn(4, |i| (i + 1) as f64 * y[i] - 1.0);
        let mut y = array![3.0, -1.0, 0.5, 2.0];
        for _ in 0..5 {
            let g = gradient(&y);
            a.step(y.view_mut(), g.view(), 0.05).unwrap();
        }
        let mut b: O = from_bytes(&to_bytes(&a).unwrap()).unwrap();
        let mut y_b = y.clone();
        for _ in 0..7 {
            let g = gradient(&y);
            a.step(y.view_mut(), g.view(), 0.05).unwrap();
            let g = gradient(&y_b);
            b.step(y_b.view_mut(), g.view(), 0.05).unwrap();
        }
        let (mut x, mut x_b) = (Array1::zeros(4), Array1::zeros(4));
        assert!(a.evaluation_point(y.view(), x.view_mut()).unwrap());
        assert!(b.evaluation_point(y_b.view(), x_b.view_mut()).unwrap());
        let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&y), bits(&y_b), "{}", a.name());
        assert_eq!(bits(&x), bits(&x_b), "{}", a.name());
    }
    check(
        ScheduleFreeSgd::new(ScheduleFreeSgdConfig {
            warmup_steps: 8,
            weight_decay: 0.01,
            ..Default::default()
        })
        .unwrap(),
    );
    check(
        ScheduleFreeAdamW::new(ScheduleFreeAdamWConfig {
            warmup_steps: 8,
            weight_decay: 0.01,
            ..Default::default()
        })
        .unwrap(),
    );
    // A state whose buffers do not fit is refused when read.
    let mut rule = ScheduleFreeAdamW::<f64>::default();
    let mut y = array![1.0, 2.0];
    rule.step(y.view_mut(), array![0.5, 0.5].view(), 0.1)
        .unwrap();
    let sgd = from_bytes::<ScheduleFreeSgd<f64>>(&to_bytes(&rule).unwrap());
    assert!(sgd.is_err());
}
