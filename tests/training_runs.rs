//! Training runs as users expect them: epoch budgets, criteria a minibatch run cannot test,
//! epochs and their mean loss seen by observers, validation with early stopping, the best
//! iterate, resumed and warm-started runs bit for bit, and objectives that compute the value and
//! the gradient together. Every expected number is worked out by hand in the comments.

use gradus::finite_sum::Batch;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression, Rosenbrock, Sphere};
use gradus::{Combined, check_gradient};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

mod common;

use common::counting::allocations_during as allocations;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// `f(x) = (1/N) Σ_i (c_i + x²/2)` over one variable: every batch has the gradient `x`, so GD
/// with step `γ` gives `x_k = (1 - γ)^k x_0` whatever the batches, and the loss of a batch `B`
/// at `x` is `mean_{i∈B} c_i + x²/2`.
struct Offsets {
    c: Vec<f64>,
}

impl FiniteSum<f64> for Offsets {
    fn dim(&self) -> usize {
        1
    }
    fn examples(&self) -> usize {
        self.c.len()
    }
    fn batch_value_and_gradient(
        &self,
        x: ArrayView1<f64>,
        batch: Batch<'_>,
        mut grad: ArrayViewMut1<f64>,
    ) -> f64 {
        let mut sum = 0.0;
        for i in batch.iter() {
            sum += self.c[i] + 0.5 * x[0] * x[0];
        }
        grad[0] = x[0];
        sum / batch.len() as f64
    }
}

fn offsets(n: usize) -> Offsets {
    Offsets {
        c: (1..=n).map(|i| i as f64).collect(),
    }
}

fn minibatch(batch_size: usize) -> Minibatch {
    Minibatch {
        batch_size,
        ..Minibatch::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Budgets

#[test]
fn an_epoch_budget_alone_bounds_a_minibatch_run() {
    // 1000 examples in batches of 1: an epoch is 1000 steps, and 20 epochs end after the
    // 20 000-th batch, drawn at iteration 19 999 (the first is drawn at x0) — twice the
    // 10 000-step cap of a run with no budget.
    let p = offsets(1000);
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.0)
        .minibatch(minibatch(1))
        .max_epochs(20)
        .minimize_finite_sum(&p, array![1.0].view())
        .unwrap();
    assert_eq!(r.termination, Termination::MaxEpochs);
    assert_eq!(r.iterations, 19_999);
    assert_eq!(r.sampling.unwrap().epochs, 20);
    // An iteration budget set as well stops the run first when it is the smaller.
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.0)
        .minibatch(minibatch(1))
        .max_epochs(20)
        .max_iterations(500)
        .minimize_finite_sum(&p, array![1.0].view())
        .unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::MaxIterations, 500)
    );
}

#[test]
fn the_default_iteration_cap_applies_only_to_runs_with_no_budget() {
    // With step 0 the iterate never moves and |g| = 2 never meets the tolerance.
    let f = Sphere::new(1);
    let run = |m: Minimizer<'static, f64, GradientDescent<f64>>| {
        let r = m.lr(0.0).minimize(&f, array![1.0].view()).unwrap();
        (r.termination, r.iterations)
    };
    let m = || Minimizer::new(GradientDescent::default());
    assert_eq!(
        run(m()),
        (
            Termination::MaxIterations,
            Criteria::<f64>::DEFAULT_MAX_ITERATIONS
        )
    );
    // One evaluation at x0 and one per step: 12 000 evaluations are 11 999 steps.
    assert_eq!(
        run(m().max_evaluations(12_000)),
        (Termination::MaxEvaluations, 11_999)
    );
    assert_eq!(
        run(m().max_gradient_evaluations(10_500)),
        (Termination::MaxEvaluations, 10_499)
    );
    assert_eq!(run(m().max_iterations(3)), (Termination::MaxIterations, 3));
    // A minibatch run with no budget at all has the cap too.
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.0)
        .minibatch(minibatch(1))
        .minimize_finite_sum(&offsets(3), array![1.0].view())
        .unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::MaxIterations, 10_000)
    );
}

#[test]
fn an_epoch_budget_on_a_full_batch_run_is_a_typed_error() {
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .max_epochs(3)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap_err();
    assert!(matches!(err, Error::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("max_iterations"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Criteria a minibatch run cannot test

#[test]
fn criteria_a_minibatch_run_cannot_test_are_typed_errors_saying_how_to_fix_them() {
    let p = offsets(8);
    let run = |m: Minimizer<'static, f64, GradientDescent<f64>>, full_checks: bool| {
        m.lr(0.1)
            .minibatch(Minibatch {
                batch_size: 2,
                full_check_every: full_checks.then_some(1),
                ..Minibatch::default()
            })
            .max_epochs(2)
            .minimize_finite_sum(&p, array![1.0].view())
    };
    let m = || Minimizer::new(GradientDescent::default());
    for (name, m) in [
        ("gradient tolerance", m().gradient_tolerance(0.1)),
        (
            "relative gradient tolerance",
            m().relative_gradient_tolerance(0.1),
        ),
        ("target", m().target(0.0)),
    ] {
        let err = run(m, false).unwrap_err();
        assert!(matches!(err, Error::Incompatible { .. }), "{name}: {err}");
        let text = err.to_string();
        assert!(text.contains("full_check_every"), "{name}: {text}");
        assert!(text.contains("or remove the"), "{name}: {text}");
    }
    // With full checks they are tested.
    assert!(run(m().gradient_tolerance(0.1), true).is_ok());
    assert!(run(m().relative_gradient_tolerance(0.1), true).is_ok());
    assert!(run(m().target(0.0), true).is_ok());
    // The f-change criteria need the exact f of consecutive iterates: refused even with checks.
    for m in [m().f_change(1e-9), m().relative_f_change(1e-9)] {
        let err = run(m, true).unwrap_err();
        assert!(matches!(err, Error::Incompatible { .. }), "{err}");
        assert!(err.to_string().contains("f_change"), "{err}");
    }
    // The default criteria (with their default gradient tolerance) run without full checks.
    assert_eq!(run(m(), false).unwrap().termination, Termination::MaxEpochs);
}

#[test]
fn the_x_change_criterion_applies_to_minibatch_runs() {
    // x_k = 0.5^k: the step from x_{k-1} is 0.5^k, at most 1/16 first at k = 4.
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .minibatch(minibatch(2))
        .x_change(1.0 / 16.0)
        .minimize_finite_sum(&offsets(8), array![1.0].view())
        .unwrap();
    assert_eq!((r.termination, r.iterations), (Termination::StepChange, 4));
}

#[test]
fn a_gradient_tolerance_with_full_checks_stops_the_run_at_a_full_check() {
    // Full checks after each epoch of 2 batches (iterations 1, 3, 5, ...), where the full
    // gradient is x_k = 0.5^k: first <= 0.1 at k = 5 (0.03125; at k = 3 it is 0.125).
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .minibatch(Minibatch {
            batch_size: 2,
            full_check_every: Some(1),
            ..Minibatch::default()
        })
        .gradient_tolerance(0.1)
        .minimize_finite_sum(&offsets(4), array![1.0].view())
        .unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::GradientNorm, 5)
    );
}

// ---------------------------------------------------------------------------------------------
// Observers

#[test]
fn observers_see_the_epoch_and_its_mean_minibatch_loss_without_annotations() {
    // c = (1, 2, 3, 4) in batches of 2, step 1/2 from x0 = 1: x_k = 2^-k. An epoch is two
    // batches, each example once, so the mean of its two batch losses is
    // mean(c) + (x_a² + x_b²)/4 for the iterates x_a, x_b where they were drawn:
    //   epoch 1 (x0, x1): 2.5 + (1 + 1/4)/4     = 2.8125,     completed at iteration 1;
    //   epoch 2 (x2, x3): 2.5 + (1/16 + 1/64)/4 = 2.51953125, completed at iteration 3.
    let mut seen = Vec::new();
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .minibatch(minibatch(2))
        .max_epochs(2)
        .observer(|s| {
            seen.push((s.iteration, s.epoch, s.epoch_mean_loss));
            Control::Continue
        })
        .minimize_finite_sum(&offsets(4), array![1.0].view())
        .unwrap();
    assert_eq!(r.termination, Termination::MaxEpochs);
    assert_eq!(
        seen,
        vec![
            (0, Some(0), None),
            (1, Some(1), Some(2.8125)),
            (2, Some(1), Some(2.8125)),
            (3, Some(2), Some(2.51953125)),
        ]
    );
    // A full-batch run has no epochs.
    let mut epochs = Vec::new();
    Minimizer::new(GradientDescent::default())
        .lr(0.25)
        .max_iterations(2)
        .observer(|s| {
            epochs.push((s.epoch, s.epoch_mean_loss, s.validation_loss));
            Control::Continue
        })
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert_eq!(epochs, vec![(None, None, None); 3]);
}

// ---------------------------------------------------------------------------------------------
// Validation and early stopping

/// GD with step 1/4 on f = x² from x0 = 1 halves x: x_k = 2^-k. The validation loss
/// v(x) = (x - 0.1)² falls while x nears 0.1, then rises: v_0..v_6 = 0.81, 0.16, 0.0225,
/// 0.000625, 0.00140625, 0.00472656.., 0.00714..., lowest at k = 3 (x = 0.125).
fn halving_with_validation(
    every: usize,
    patience: usize,
    min_delta: f64,
) -> (Report<f64>, Vec<(usize, Option<f64>)>) {
    let mut seen = Vec::new();
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.25)
        .validation(every, |x| (x[0] - 0.1) * (x[0] - 0.1))
        .early_stopping(patience, min_delta)
        .observer(|s| {
            seen.push((s.iteration, s.validation_loss));
            Control::Continue
        })
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    (r, seen)
}

fn v(x: f64) -> f64 {
    (x - 0.1) * (x - 0.1)
}

#[test]
fn early_stopping_stops_at_the_predicted_iteration_and_keeps_the_best_iterate() {
    // Every iteration, patience 2: v_4 and v_5 do not improve on v_3, so the run stops at 5.
    let (r, seen) = halving_with_validation(1, 2, 0.0);
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::EarlyStopped, 5)
    );
    assert!(!r.converged());
    assert_eq!(r.x[0], 1.0 / 32.0);
    let best = r.best.unwrap();
    assert_eq!(
        (best.iteration, best.x[0], best.value),
        (3, 0.125, v(0.125))
    );
    assert_eq!(seen[4], (4, Some(v(0.0625))));
    assert_eq!(seen.len(), 6);

    // min_delta 0.1: v_1 = 0.16 < 0.81 - 0.1 and v_2 = 0.0225 < 0.16 - 0.1 improve, v_3 does
    // not (0.000625 >= 0.0225 - 0.1), nor v_4: the run stops at 4. The best iterate is still
    // the lowest validation loss, x_3.
    let (r, _) = halving_with_validation(1, 2, 0.1);
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::EarlyStopped, 4)
    );
    assert_eq!(r.best.unwrap().iteration, 3);

    // Every 2 iterations: v_0, v_2, v_4 improve (0.81, 0.0225, 0.00140625), v_6 and v_8 do not:
    // stop at 8 with the best at 4; observers see the last validation loss in between.
    let (r, seen) = halving_with_validation(2, 2, 0.0);
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::EarlyStopped, 8)
    );
    let best = r.best.unwrap();
    assert_eq!((best.iteration, best.x[0]), (4, 0.0625));
    assert_eq!(seen[5], (5, Some(v(0.0625))));
}

#[test]
fn early_stopping_in_a_minibatch_run_counts_epochs() {
    // Each batch has gradient x, so GD with step 1/2 gives x_k = 2^-k; with 4 examples in
    // batches of 2, epoch e ends at iteration 2e - 1. Validation v(x) = (x - 0.1)² after each
    // epoch: v(1) = 0.81, v(x_1) = 0.16, v(x_3) = 0.000625 improve, v(x_5) = 0.0047 and
    // v(x_7) = 0.0085 do not: patience 2 stops the run at iteration 7, after 4 epochs.
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .minibatch(minibatch(2))
        .max_epochs(100)
        .validation(1, |x| v(x[0]))
        .early_stopping(2, 0.0)
        .minimize_finite_sum(&offsets(4), array![1.0].view())
        .unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::EarlyStopped, 7)
    );
    assert_eq!(r.sampling.unwrap().epochs, 4);
    let best = r.best.unwrap();
    assert_eq!((best.iteration, best.x[0]), (3, 0.125));
}

#[test]
fn bad_validation_settings_are_typed_errors() {
    let f = Sphere::new(1);
    let x0 = array![1.0];
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .early_stopping(3, 0.0)
        .minimize(&f, x0.view())
        .unwrap_err();
    assert!(matches!(err, Error::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("validation"), "{err}");
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .validation(1, |x| x[0])
        .early_stopping(0, 0.0)
        .minimize(&f, x0.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCount {
                name: "patience",
                value: 0,
                ..
            }
        ),
        "{err}"
    );
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .validation(0, |x| x[0])
        .minimize(&f, x0.view())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCount { value: 0, .. }), "{err}");
    let err = Minimizer::new(GradientDescent::<f64>::default())
        .validation(1, |x| x[0])
        .early_stopping(2, -1.0)
        .minimize(&f, x0.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "min_delta",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn early_stopping_is_named_and_not_a_convergence() {
    assert_eq!(Termination::EarlyStopped.label(), "early-stop");
    assert!(Termination::EarlyStopped.to_string().contains("validation"));
    assert!(!Termination::EarlyStopped.is_converged());
}

// ---------------------------------------------------------------------------------------------
// The best iterate

#[test]
fn the_best_iterate_of_a_full_batch_run_is_the_one_with_the_lowest_f() {
    // Heavy ball (v ← μv + g, x ← x - γv) with γ = 0.1, μ = 0.9 on f = x² from 1:
    //   x1 = 0.8, x2 = 0.46, x3 = 0.062, x4 = -0.3086, x5 = -0.58042, x6 = -0.708974:
    // f falls to x3 and rises after it.
    let r = Minimizer::new(Momentum::heavy_ball(0.1_f64, 0.9).unwrap())
        .max_iterations(6)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    assert!((r.x[0] + 0.708974).abs() < 1e-12, "{}", r.x[0]);
    let best = r.best.unwrap();
    assert_eq!(best.iteration, 3);
    assert!((best.x[0] - 0.062).abs() < 1e-12, "{}", best.x[0]);
    assert_eq!(best.value, best.x[0] * best.x[0]);
    // A descent method's best iterate is its last.
    let r = Minimizer::new(GradientDescent::default())
        .lr(0.25)
        .max_iterations(4)
        .minimize(&Sphere::new(1), array![1.0].view())
        .unwrap();
    let best = r.best.unwrap();
    assert_eq!((best.iteration, best.x, best.value), (4, r.x, 1.0 / 256.0));
}

#[test]
fn a_minibatch_run_keeps_the_best_iterate_of_its_full_checks() {
    let p = offsets(4);
    let run = |full_check_every| {
        Minimizer::new(GradientDescent::default())
            .lr(0.5)
            .minibatch(Minibatch {
                batch_size: 2,
                full_check_every,
                ..Minibatch::default()
            })
            .max_epochs(2)
            .minimize_finite_sum(&p, array![1.0].view())
            .unwrap()
    };
    // Without full checks nothing judges the iterates.
    assert!(run(None).best.is_none());
    // Full checks at x0 and after each epoch (iterations 1 and 3): f = 2.5 + x²/2 is lowest at
    // the last check, x3 = 1/8.
    let best = run(Some(1)).best.unwrap();
    assert_eq!(
        (best.iteration, best.x[0], best.value),
        (3, 0.125, 2.5 + 0.5 / 64.0)
    );
}

// ---------------------------------------------------------------------------------------------
// No allocation per iteration

#[test]
fn validation_and_the_best_iterate_allocate_nothing_per_iteration() {
    let f = Rosenbrock::new(2);
    let x0 = array![-1.2, 1.0];
    // Heavy ball moves f up and down, so the best iterate is copied out again and again.
    let full = |iterations: usize| {
        let mut m = Minimizer::new(Momentum::heavy_ball(1e-3_f64, 0.9).unwrap())
            .gradient_tolerance(0.0)
            .validation(1, |x| (x[0] - 0.5).abs() + (x[1] - 0.25).abs())
            .early_stopping(usize::MAX, 0.0)
            .max_iterations(iterations);
        allocations(|| {
            let r = m.minimize(&f, x0.view()).unwrap();
            assert_eq!(r.iterations, iterations, "{}", r.termination);
        })
    };
    assert_eq!(full(10), full(3_000));
    let p = offsets(64);
    let sampled = |epochs: usize| {
        let mut m = Minimizer::new(Adam::<f64>::default())
            .lr(0.3)
            .minibatch(Minibatch {
                batch_size: 8,
                full_check_every: Some(1),
                ..Minibatch::default()
            })
            .gradient_tolerance(0.0)
            .validation(1, |x| (x[0] - 0.5).abs())
            .max_epochs(epochs);
        allocations(|| {
            let r = m.minimize_finite_sum(&p, array![1.0].view()).unwrap();
            assert_eq!(r.sampling.unwrap().epochs, epochs, "{}", r.termination);
        })
    };
    assert_eq!(sampled(2), sampled(200));
}

// ---------------------------------------------------------------------------------------------
// Resume and warm start

fn same_bits(a: ArrayView1<f64>, b: ArrayView1<f64>) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn a_resumed_full_batch_run_gives_the_bits_of_the_uninterrupted_run() {
    let f = Rosenbrock::new(2);
    let x0 = array![-1.2, 1.0];
    let whole = Minimizer::new(Adam::default())
        .lr(0.01)
        .max_iterations(200)
        .minimize(&f, x0.view())
        .unwrap();
    let mut m = Minimizer::new(Adam::default()).lr(0.01).max_iterations(100);
    let first = m.minimize(&f, x0.view()).unwrap();
    let restarted = m.minimize(&f, first.x.view()).unwrap();
    // Restarting from x_100 resets Adam's moments and step count: another trajectory.
    assert!(!same_bits(restarted.x.view(), whole.x.view()));
    m.minimize(&f, x0.view()).unwrap();
    m.criteria_mut().max_iterations = Some(200);
    let resumed = m.resume(&f).unwrap();
    assert!(same_bits(resumed.x.view(), whole.x.view()));
    assert_eq!(resumed.f.to_bits(), whole.f.to_bits());
    assert_eq!(resumed.iterations, 200);
    // The evaluations go on too: x0 and one per step, none repeated at the resume.
    assert_eq!(resumed.function_evaluations, whole.function_evaluations);
    let (a, b) = (resumed.best.unwrap(), whole.best.unwrap());
    assert_eq!(
        (a.iteration, a.value.to_bits()),
        (b.iteration, b.value.to_bits())
    );

    // L-BFGS with a strong Wolfe line search: its pairs and the search go on.
    let lbfgs = || {
        Minimizer::new(Lbfgs::default())
            .line_search(StrongWolfe::default())
            .gradient_tolerance(0.0)
    };
    let whole = lbfgs().max_iterations(20).minimize(&f, x0.view()).unwrap();
    let mut m = lbfgs().max_iterations(8);
    m.minimize(&f, x0.view()).unwrap();
    let resumed = m.max_iterations(20).resume(&f).unwrap();
    assert_eq!(resumed.iterations, 20);
    assert!(same_bits(resumed.x.view(), whole.x.view()));
    assert_eq!(resumed.gradient_evaluations, whole.gradient_evaluations);
}

#[test]
fn a_warm_start_keeps_the_rule_state_for_a_new_run() {
    // Adam with a constant step goes on from x_100 with its moments and step count: the same
    // 100 steps as the second half of one run of 200.
    let f = Rosenbrock::new(2);
    let x0 = array![-1.2, 1.0];
    let whole = Minimizer::new(Adam::default())
        .lr(0.01)
        .max_iterations(200)
        .minimize(&f, x0.view())
        .unwrap();
    let mut m = Minimizer::new(Adam::default())
        .lr(0.01)
        .max_iterations(100)
        .warm_start(true);
    let first = m.minimize(&f, x0.view()).unwrap();
    let second = m.minimize(&f, first.x.view()).unwrap();
    assert_eq!(second.iterations, 100);
    assert!(same_bits(second.x.view(), whole.x.view()));
}

/// A logistic regression of 300 examples in 6 dimensions.
fn logistic() -> LogisticRegression<f64> {
    LogisticRegression::new(Dataset::classification(300, 6, 5).unwrap(), 1e-3).unwrap()
}

/// `N + M` iterations of a minibatch run against `N`, resumed to `N + M` in the same
/// `Minimizer` and, for stateless rules, in a new one given the state.
fn check_minibatch_resume<O: Optimizer<f64>>(
    make: &dyn Fn() -> Minimizer<'static, f64, O>,
    label: &str,
    stateless: bool,
) {
    let p = logistic();
    let x0 = Array1::zeros(6);
    let whole = make()
        .max_iterations(100)
        .minimize_finite_sum(&p, x0.view())
        .unwrap();
    // 37 steps stop in the middle of the third epoch (ten batches of 32 per epoch, the last of
    // 12 examples).
    let mut m = make().max_iterations(37);
    m.minimize_finite_sum(&p, x0.view()).unwrap();
    let state = m.run_state().unwrap().clone();
    assert_eq!((state.iteration(), state.epoch()), (37, Some(3)), "{label}");
    m.criteria_mut().max_iterations = Some(100);
    let resumed = m.resume_finite_sum(&p).unwrap();
    assert_eq!(resumed.iterations, 100, "{label}");
    assert!(same_bits(resumed.x.view(), whole.x.view()), "{label}");
    assert_eq!(resumed.f.to_bits(), whole.f.to_bits(), "{label}");
    assert_eq!(
        resumed.sampling.unwrap().epochs,
        whole.sampling.unwrap().epochs,
        "{label}"
    );
    if stateless {
        let mut other = make().max_iterations(100);
        other.set_run_state(state);
        let resumed = other.resume_finite_sum(&p).unwrap();
        assert!(
            same_bits(resumed.x.view(), whole.x.view()),
            "{label} in another Minimizer"
        );
    }
}

#[test]
fn a_resumed_minibatch_run_gives_the_bits_of_the_uninterrupted_run() {
    for sampling in [Sampling::Shuffle, Sampling::WithReplacement] {
        for estimator in [
            Estimator::Minibatch,
            Estimator::Svrg {
                snapshot_every: Some(15),
            },
            Estimator::Saga,
        ] {
            let settings = Minibatch {
                sampling,
                estimator,
                seed: 11,
                ..Minibatch::default()
            };
            let label = format!("{sampling:?} {estimator:?}");
            let sgd = || {
                Minimizer::new(GradientDescent::default())
                    .lr(0.2)
                    .minibatch(settings.clone())
            };
            check_minibatch_resume(&sgd, &format!("SGD {label}"), true);
            let adam = || {
                Minimizer::new(Adam::default())
                    .lr(0.01)
                    .minibatch(settings.clone())
            };
            check_minibatch_resume(&adam, &format!("Adam {label}"), false);
        }
    }
}

#[test]
fn a_resumed_run_goes_on_with_its_best_iterate_and_patience() {
    // The run of the early-stopping test, cut at iteration 4 (one evaluation without
    // improvement counted) and resumed: it stops at 5 as the uninterrupted run does.
    let mut m = Minimizer::new(GradientDescent::default())
        .lr(0.25)
        .validation(1, |x| v(x[0]))
        .early_stopping(2, 0.0)
        .max_iterations(4);
    let f = Sphere::new(1);
    assert_eq!(
        m.minimize(&f, array![1.0].view()).unwrap().termination,
        Termination::MaxIterations
    );
    let r = m.max_iterations(100).resume(&f).unwrap();
    assert_eq!(
        (r.termination, r.iterations),
        (Termination::EarlyStopped, 5)
    );
    assert_eq!(r.best.unwrap().iteration, 3);
}

#[test]
fn a_state_that_does_not_fit_is_a_typed_error_and_is_kept() {
    let p = logistic();
    let x0 = Array1::zeros(6);
    let mut m = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .max_iterations(5);
    let err = m.resume(&Sphere::new(6)).unwrap_err();
    assert!(err.to_string().contains("no run to resume"), "{err}");
    m.minimize_finite_sum(&p, x0.view()).unwrap();
    // A minibatch state resumed as a full-batch run.
    let err = m.resume(&Sphere::new(6)).unwrap_err();
    assert!(err.to_string().contains("resume_finite_sum"), "{err}");
    // Another number of examples, of variables.
    let other = LogisticRegression::new(Dataset::classification(200, 6, 5).unwrap(), 1e-3).unwrap();
    assert!(matches!(
        m.resume_finite_sum(&other),
        Err(Error::DimensionMismatch {
            expected: 300,
            found: 200,
            ..
        })
    ));
    let wider = LogisticRegression::new(Dataset::classification(300, 7, 5).unwrap(), 1e-3).unwrap();
    assert!(matches!(
        m.resume_finite_sum(&wider),
        Err(Error::DimensionMismatch { .. })
    ));
    // Another batch size, sampling, estimator.
    let mut m = m.minibatch(Minibatch {
        batch_size: 16,
        ..Minibatch::default()
    });
    assert!(matches!(
        m.resume_finite_sum(&p),
        Err(Error::InvalidParameter {
            name: "batch_size",
            ..
        })
    ));
    for settings in [
        Minibatch {
            sampling: Sampling::WithReplacement,
            ..Minibatch::default()
        },
        Minibatch {
            estimator: Estimator::Saga,
            ..Minibatch::default()
        },
    ] {
        m = m.minibatch(settings);
        assert!(matches!(
            m.resume_finite_sum(&p),
            Err(Error::Incompatible { .. })
        ));
    }
    // Every refusal kept the state: with the first settings back, the run goes on.
    let mut m = m.minibatch(Minibatch::default()).max_iterations(9);
    assert_eq!(m.resume_finite_sum(&p).unwrap().iterations, 9);
    // A full-batch state resumed as a minibatch run, or on another dimension.
    m.minimize(&Sphere::new(6), x0.view()).unwrap();
    let err = m.resume_finite_sum(&p).unwrap_err();
    assert!(err.to_string().contains("full-batch"), "{err}");
    assert!(matches!(
        m.resume(&Sphere::new(5)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(m.take_run_state().is_some());
    assert!(m.run_state().is_none());
}

#[cfg(feature = "serde")]
#[test]
fn the_run_state_and_the_minibatch_settings_serialize() {
    fn serializable<T: serde::Serialize + serde::de::DeserializeOwned>() {}
    serializable::<RunState<f64>>();
    serializable::<RunState<f32>>();
    serializable::<Minibatch>();
}

// ---------------------------------------------------------------------------------------------
// Criteria compose

#[test]
fn training_settings_leave_the_criteria_alone() {
    let m = Minimizer::new(GradientDescent::<f64>::default())
        .gradient_tolerance(1e-7)
        .max_epochs(4)
        .target(-1.0)
        .validation(2, |x| x[0])
        .early_stopping(3, 0.5)
        .warm_start(true)
        .observer(|_| Control::Continue)
        .max_iterations(9);
    let c = m.criteria();
    assert_eq!(
        (c.stationarity, c.max_epochs, c.target, c.max_iterations),
        (Some(1e-7), Some(4), Some(-1.0), Some(9))
    );
}

// ---------------------------------------------------------------------------------------------
// The value and the gradient together

/// f(x) = Σ (x_i - i)², written once as value and gradient together.
struct Shifted {
    n: usize,
}

impl Objective<f64> for Shifted {
    fn dim(&self) -> usize {
        self.n
    }
    fn value_and_gradient(&self, x: ArrayView1<f64>, mut grad: ArrayViewMut1<f64>) -> f64 {
        let mut f = 0.0;
        for (i, (g, &xi)) in grad.iter_mut().zip(x).enumerate() {
            let r = xi - i as f64;
            *g = 2.0 * r;
            f += r * r;
        }
        f
    }
    fn value_with_scratch(&self, x: ArrayView1<f64>, scratch: ArrayViewMut1<f64>) -> f64 {
        self.value_and_gradient(x, scratch)
    }
}

#[test]
fn an_objective_can_give_the_value_and_the_gradient_together_only() {
    let f = Shifted { n: 3 };
    let x = array![1.0, 1.0, 1.0];
    // f = 1 + 0 + 1, ∇f = (2, 0, -2), through the defaults built on value_and_gradient.
    assert_eq!(f.value(x.view()), 2.0);
    let mut g = Array1::zeros(3);
    f.gradient(x.view(), g.view_mut());
    assert_eq!(g, array![2.0, 0.0, -2.0]);
    assert!(check_gradient(&f, x.view()).unwrap().passes(1e-8));
    let r = Minimizer::new(GradientDescent::default())
        .line_search(Backtracking::default())
        .minimize(&f, Array1::zeros(3).view())
        .unwrap();
    assert!(r.converged());
    assert!(
        (&r.x - &array![0.0, 1.0, 2.0])
            .iter()
            .all(|e| e.abs() < 1e-6)
    );
}

#[test]
fn a_combined_fn_objective_computes_through_its_one_closure() {
    let f: FnObjective<_, Combined> = FnObjective::combined(2, |x: ArrayView1<f64>, mut g| {
        g[0] = 2.0 * x[0];
        g[1] = 8.0 * x[1];
        x[0] * x[0] + 4.0 * x[1] * x[1]
    });
    let x = array![1.0, -0.5];
    assert_eq!(f.value(x.view()), 2.0);
    let mut g = Array1::zeros(2);
    assert_eq!(f.value_and_gradient(x.view(), g.view_mut()), 2.0);
    assert_eq!(g, array![2.0, -4.0]);
    let mut g2 = Array1::zeros(2);
    f.gradient(x.view(), g2.view_mut());
    assert_eq!(g, g2);
    assert!(check_gradient(&f, x.view()).unwrap().passes(1e-8));
    // Shared between threads: it holds the closure alone.
    fn shareable<T: Sync + Send>(_: &T) {}
    shareable(&f);
}

#[test]
fn a_line_search_on_a_combined_objective_allocates_nothing_per_iteration() {
    // Rosenbrock written as one closure: backtracking asks for values alone, which the loop
    // computes through the closure into a buffer of its own.
    let f = FnObjective::combined(2, |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
        let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
        g[0] = -2.0 * a - 400.0 * x[0] * b;
        g[1] = 200.0 * b;
        a * a + 100.0 * b * b
    });
    let x0 = array![-1.2, 1.0];
    let run = |iterations: usize| {
        let mut m = Minimizer::new(GradientDescent::default())
            .line_search(Backtracking::default())
            .gradient_tolerance(0.0)
            .max_iterations(iterations);
        allocations(|| {
            let r = m.minimize(&f, x0.view()).unwrap();
            assert_eq!(r.iterations, iterations, "{}", r.termination);
        })
    };
    assert_eq!(run(10), run(1_000));
}
