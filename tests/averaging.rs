//! Iterate averaging ([`Averaged`]): the averages of each mode against their closed forms over
//! a few steps of gradient descent on a quadratic, the report at the average with the last
//! iterate beside it, typed errors for bad parameters, no allocation after the first step, a
//! checkpoint round trip, and the theory: with minibatch SGD at a constant step size on a
//! strongly convex least-squares sum, the Polyak-Ruppert average ends far below the noise floor
//! where the last iterate stalls.

use gradus::optim::Averaging;
use gradus::prelude::*;
use gradus::problems::{Dataset, LeastSquares, TestFunction};
use gradus::{Averaged, Error};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

mod common;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

use common::counting::allocations_during as allocations;

/// The curvatures of `f(x) = Σ a_i x_i² / 2`.
const A: [f64; 3] = [1.0, 0.5, 0.25];
/// The step size: gradient descent multiplies `x_i` by `1 - LR a_i` at each step.
const LR: f64 = 0.5;

fn x0() -> Array1<f64> {
    array![1.0, -2.0, 4.0]
}

/// The iterate `x_k` of gradient descent on `f`, in closed form: `x_{k,i} = (1 - LR a_i)^k x_{0,i}`.
fn iterate(k: usize) -> Array1<f64> {
    let x0 = x0();
    Array1::from_shape_fn(3, |i| (1.0 - LR * A[i]).powi(k as i32) * x0[i])
}

fn quadratic() -> impl Objective<f64> {
    FnObjective::new(
        3,
        |x: ArrayView1<'_, f64>| (0..3).map(|i| 0.5 * A[i] * x[i] * x[i]).sum(),
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| {
            for i in 0..3 {
                g[i] = A[i] * x[i];
            }
        },
    )
}

/// `steps` steps of the averaged gradient descent by hand; the average after each step.
fn averages(averaging: Averaging<f64>, steps: usize) -> Vec<Option<Array1<f64>>> {
    let mut rule = Averaged::new(GradientDescent::default(), averaging).unwrap();
    let mut x = x0();
    let mut out = Vec::new();
    for k in 1..=steps {
        let g = Array1::from_shape_fn(3, |i| A[i] * x[i]);
        rule.step(x.view_mut(), g.view(), LR).unwrap();
        assert!(
            close(&x, &iterate(k)),
            "the iterates are gradient descent's"
        );
        out.push(rule.average().map(|a| a.to_owned()));
    }
    out
}

fn close(a: &Array1<f64>, b: &Array1<f64>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(u, v)| (u - v).abs() <= 1e-14 * v.abs().max(1.0))
}

fn mean(ks: impl IntoIterator<Item = usize>) -> Array1<f64> {
    let ks: Vec<usize> = ks.into_iter().collect();
    let mut sum = Array1::zeros(3);
    for &k in &ks {
        sum += &iterate(k);
    }
    sum / ks.len() as f64
}

#[test]
fn polyak_ruppert_is_the_mean_of_the_iterates_from_start_on() {
    // From the start: x_0 is included.
    for (k, average) in (1..).zip(averages(Averaging::PolyakRuppert { start: 0 }, 6)) {
        assert!(close(&average.unwrap(), &mean(0..=k)), "step {k}");
    }
    // From step 3: no average before, the mean of x_3, ..., x_k after.
    for (k, average) in (1..).zip(averages(Averaging::PolyakRuppert { start: 3 }, 7)) {
        if k < 3 {
            assert!(average.is_none(), "step {k}");
        } else {
            assert!(close(&average.unwrap(), &mean(3..=k)), "step {k}");
        }
    }
}

#[test]
fn ema_copies_the_first_iterate_then_moves_by_one_minus_decay() {
    let decay = 0.75;
    let mut expected = iterate(1);
    for (k, average) in (1..).zip(averages(Averaging::Ema { decay }, 6)) {
        if k > 1 {
            expected = decay * &expected + (1.0 - decay) * &iterate(k);
        }
        assert!(close(&average.unwrap(), &expected), "step {k}");
    }
    // decay 0: the average is the iterate.
    for (k, average) in (1..).zip(averages(Averaging::Ema { decay: 0.0 }, 4)) {
        assert!(close(&average.unwrap(), &iterate(k)), "step {k}");
    }
}

#[test]
fn swa_is_the_mean_of_every_few_iterates_from_start_on() {
    for (k, average) in (1..).zip(averages(Averaging::Swa { start: 2, every: 3 }, 10)) {
        if k < 2 {
            assert!(average.is_none(), "step {k}");
        } else {
            let taken = (2..=k).step_by(3);
            assert!(close(&average.unwrap(), &mean(taken)), "step {k}");
        }
    }
    // every = 1 is Polyak-Ruppert, to the bit.
    assert_eq!(
        averages(Averaging::Swa { start: 1, every: 1 }, 8),
        averages(Averaging::PolyakRuppert { start: 1 }, 8)
    );
}

#[test]
fn the_report_is_at_the_average_with_the_last_iterate_beside_it() {
    let f = quadratic();
    let k = 5;
    let mut m = Minimizer::new(
        Averaged::new(
            GradientDescent::default(),
            Averaging::PolyakRuppert { start: 0 },
        )
        .unwrap(),
    )
    .lr(LR)
    .max_iterations(k);
    let report = m.minimize(&f, x0().view()).unwrap();
    assert_eq!(report.termination, Termination::MaxIterations);
    let average = mean(0..=k);
    assert!(close(&report.x, &average));
    assert_eq!(report.x, m.optimizer().average().unwrap());
    assert_eq!(report.f, f.value(report.x.view()));
    let last = report.last_iterate.as_ref().unwrap();
    assert!(close(&last.x, &iterate(k)));
    assert_eq!(last.x.view(), m.run_state().unwrap().x());
    assert_eq!(last.f, f.value(last.x.view()));
    let g = Array1::from_shape_fn(3, |i| A[i] * last.x[i]);
    assert!((last.stationarity - g.dot(&g).sqrt()).abs() <= 1e-15);
    // x_0, the iterates, and the average once more.
    assert_eq!(report.function_evaluations, k + 2);

    // Before `start`, no average: the report is at the iterate, as for any rule.
    let report = Minimizer::new(
        Averaged::new(
            GradientDescent::default(),
            Averaging::PolyakRuppert { start: 100 },
        )
        .unwrap(),
    )
    .lr(LR)
    .max_iterations(k)
    .minimize(&f, x0().view())
    .unwrap();
    assert!(close(&report.x, &iterate(k)));
    assert!(report.last_iterate.is_none());
    assert_eq!(report.function_evaluations, k + 1);

    // Other rules report no last iterate apart.
    let report = Minimizer::new(GradientDescent::default())
        .lr(LR)
        .max_iterations(k)
        .minimize(&f, x0().view())
        .unwrap();
    assert!(report.last_iterate.is_none());
}

#[test]
fn the_inner_rule_s_name_step_size_and_search_direction_are_forwarded() {
    let rule = Averaged::new(Lbfgs::default(), Averaging::Ema { decay: 0.9 }).unwrap();
    assert_eq!(rule.name(), rule.inner().name());
    assert_eq!(rule.default_lr(), rule.inner().default_lr());
    assert!(rule.has_search_direction());
    assert!(rule.has_evaluation_point());
    // An averaged line-search method in the loop: the iterates are L-BFGS's, the report at the
    // average.
    let f = quadratic();
    let mut m = Minimizer::new(rule)
        .line_search(StrongWolfe::default())
        .max_iterations(30);
    let report = m.minimize(&f, x0().view()).unwrap();
    assert_eq!(report.x, m.optimizer().average().unwrap());
    assert!(report.f < f.value(x0().view()));
    assert!(report.last_iterate.unwrap().f <= report.f);
}

#[test]
fn bad_parameters_are_typed_errors() {
    for decay in [1.0, -0.1, f64::NAN, 2.0] {
        let err =
            Averaged::new(GradientDescent::<f64>::default(), Averaging::Ema { decay }).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { name: "decay", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("[0, 1)"), "{err}");
    }
    let err = Averaged::new(
        GradientDescent::<f64>::default(),
        Averaging::Swa { start: 0, every: 0 },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidCount { name: "every", .. }),
        "{err}"
    );

    // A step of another length is refused, nothing moved; a reset allows it.
    let mut rule = Averaged::new(Adam::default(), Averaging::PolyakRuppert { start: 0 }).unwrap();
    let mut x = array![1.0, 2.0];
    rule.step(x.view_mut(), array![0.5, 0.5].view(), 0.1)
        .unwrap();
    let average = rule.average().unwrap().to_owned();
    let mut y = array![1.0, 2.0, 3.0];
    let err = rule
        .step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 0.1)
        .unwrap_err();
    assert!(matches!(err, Error::DimensionMismatch { .. }), "{err}");
    assert_eq!(y, array![1.0, 2.0, 3.0]);
    assert_eq!(rule.average().unwrap(), average);
    let mut out = Array1::zeros(3);
    assert!(rule.evaluation_point(y.view(), out.view_mut()).is_err());
    let err = rule
        .step(x.view_mut(), array![0.5, 0.5].view(), -1.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "lr", .. }),
        "{err}"
    );
    rule.reset();
    assert!(rule.average().is_none());
    assert_eq!(rule.steps_taken(), 0);
    rule.step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 0.1)
        .unwrap();
    assert_eq!(rule.average().unwrap().len(), 3);
}

#[test]
fn only_the_first_step_allocates() {
    for averaging in [
        Averaging::PolyakRuppert { start: 0 },
        Averaging::PolyakRuppert { start: 10 },
        Averaging::Ema { decay: 0.99 },
        Averaging::Swa { start: 5, every: 3 },
    ] {
        let mut rule = Averaged::new(Adam::default(), averaging).unwrap();
        let mut x = Array1::from_elem(64, 0.5);
        let g = Array1::from_shape_fn(64, |i| ((i % 8) as f64 - 4.0) / 8.0);
        let mut at = Array1::zeros(64);
        rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
        let count = allocations(|| {
            for _ in 0..100 {
                rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
                rule.evaluation_point(x.view(), at.view_mut()).unwrap();
            }
            // A reset keeps the memory: the next first step refills it.
            rule.reset();
            for _ in 0..20 {
                rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
            }
        });
        assert_eq!(count, 0, "{averaging:?}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn a_checkpoint_resumes_the_average_to_the_bit() {
    use gradus::checkpoint::{from_bytes, to_bytes};
    for averaging in [
        Averaging::PolyakRuppert { start: 3 },
        Averaging::Ema { decay: 0.9 },
        Averaging::Swa { start: 2, every: 2 },
    ] {
        let g = |x: &Array1<f64>| Array1::from_shape_fn(3, |i| A[i] * x[i] + 0.1 * (i as f64));
        let run = |rule: &mut Averaged<f64, Adam<f64>>, x: &mut Array1<f64>, n: usize| {
            for _ in 0..n {
                let grad = g(x);
                rule.step(x.view_mut(), grad.view(), 0.05).unwrap();
            }
        };
        let mut whole = Averaged::new(Adam::default(), averaging).unwrap();
        let mut x_whole = x0();
        run(&mut whole, &mut x_whole, 12);

        let mut first = Averaged::new(Adam::default(), averaging).unwrap();
        let mut x = x0();
        run(&mut first, &mut x, 5);
        let bytes = to_bytes(&first).unwrap();
        let mut resumed: Averaged<f64, Adam<f64>> = from_bytes(&bytes).unwrap();
        assert_eq!(resumed.average(), first.average());
        run(&mut resumed, &mut x, 7);
        assert_eq!(x, x_whole, "{averaging:?}");
        assert_eq!(resumed.average(), whole.average(), "{averaging:?}");
        assert_eq!(resumed.averaged(), whole.averaged());
    }
}

#[test]
fn with_a_constant_step_the_average_ends_far_below_the_last_iterate_s_noise_floor() {
    // Strongly convex least squares (κ = 10, noisy targets), minibatch SGD of 10 examples at
    // a constant step: the last iterate reaches a floor O(γ σ²) and wanders there; the
    // Polyak-Ruppert average of the iterates after the first epoch goes on down.
    let data = Dataset::<f64>::linear_regression(2000, 10, 10.0, 1.0, 7).unwrap();
    let problem = LeastSquares::new(data).unwrap();
    let f_star = problem.minimum();
    let epochs = 30;
    let batch_size = 10;
    let per_epoch = 2000 / batch_size;
    let rule = Averaged::new(
        GradientDescent::default(),
        Averaging::PolyakRuppert { start: per_epoch },
    )
    .unwrap();
    let report = Minimizer::new(rule)
        .lr(0.1)
        .minibatch(Minibatch {
            batch_size,
            seed: 11,
            ..Minibatch::default()
        })
        .max_epochs(epochs)
        .minimize_finite_sum(&problem, Array1::zeros(10).view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEpochs);
    let averaged = report.f - f_star;
    let last = report.last_iterate.as_ref().unwrap().f - f_star;
    println!("f - f*: {averaged:e} at the average, {last:e} at the last iterate");
    assert!(averaged >= 0.0 && last > 0.0);
    assert!(
        averaged * 20.0 < last,
        "average {averaged:e} vs last iterate {last:e}"
    );
    // Epochs: the sampled passes, the full sum at the average and at the last iterate.
    let sampling = report.sampling.unwrap();
    assert_eq!(sampling.example_gradients, (epochs + 2) * 2000);
}

#[cfg(feature = "serde")]
#[test]
fn a_run_resumed_from_a_checkpoint_reports_the_average_of_the_uninterrupted_run() {
    use gradus::checkpoint::{from_bytes, to_bytes};
    use gradus::problems::LogisticRegression;
    type Rule = Averaged<f64, Adam<f64>>;
    let p = LogisticRegression::new(Dataset::classification(300, 6, 5).unwrap(), 1e-3).unwrap();
    let x0 = Array1::zeros(6);
    let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for minibatch in [false, true] {
        for averaging in [
            Averaging::PolyakRuppert { start: 10 },
            Averaging::Ema { decay: 0.9 },
            Averaging::Swa { start: 5, every: 4 },
        ] {
            let minimizer = |iterations: usize| {
                let m = Minimizer::new(Averaged::new(Adam::default(), averaging).unwrap())
                    .lr(0.05)
                    .max_iterations(iterations);
                if minibatch {
                    m.minibatch(Minibatch {
                        seed: 3,
                        ..Minibatch::default()
                    })
                } else {
                    m
                }
            };
            let run = |m: &mut Minimizer<'static, f64, Rule>, resume: bool| {
                match (minibatch, resume) {
                    (true, false) => m.minimize_finite_sum(&p, x0.view()),
                    (true, true) => m.resume_finite_sum(&p),
                    (false, false) => m.minimize(&p, x0.view()),
                    (false, true) => m.resume(&p),
                }
                .unwrap()
            };
            let whole = run(&mut minimizer(60), false);
            let mut first = minimizer(23);
            run(&mut first, false);
            let bytes = to_bytes(&(first.optimizer(), first.run_state().unwrap())).unwrap();
            let (rule, state): (Rule, RunState<f64>) = from_bytes(&bytes).unwrap();
            let mut second = Minimizer::new(rule).lr(0.05).max_iterations(60);
            if minibatch {
                second = second.minibatch(Minibatch {
                    seed: 3,
                    ..Minibatch::default()
                });
            }
            second.set_run_state(state);
            let resumed = run(&mut second, true);
            assert_eq!(resumed.iterations, whole.iterations);
            assert_eq!(bits(&resumed.x), bits(&whole.x), "{averaging:?}");
            assert_eq!(resumed.f.to_bits(), whole.f.to_bits());
            let (a, b) = (resumed.last_iterate.unwrap(), whole.last_iterate.unwrap());
            assert_eq!(bits(&a.x), bits(&b.x));
        }
    }
}

/// Lookahead saved between two synchronisations and read back goes on with the bits of the
/// uninterrupted run; a file whose count of steps since the last synchronisation reaches the
/// period is refused.
#[cfg(feature = "serde")]
#[test]
fn lookahead_resumes_from_a_checkpoint_bit_for_bit() {
    use gradus::checkpoint::{from_bytes, to_bytes};
    use gradus::optim::LookaheadConfig;
    use gradus::{Adam, Lookahead};

    let config = LookaheadConfig {
        sync_period: 4,
        slow_step_size: 0.3,
        reset_state: false,
    };
    let steps = |rule: &mut Lookahead<f64, Adam<f64>>, x: &mut Array1<f64>, n: usize| {
        for _ in 0..n {
            let g = x.mapv(|v| 2.0 * v - 1.0);
            rule.step(x.view_mut(), g.view(), 0.05).unwrap();
        }
    };
    let mut whole = Lookahead::new(Adam::default(), config).unwrap();
    let mut x_whole = Array1::from(vec![1.0, -2.0, 0.5]);
    steps(&mut whole, &mut x_whole, 11);
    let mut first = Lookahead::new(Adam::default(), config).unwrap();
    let mut x = Array1::from(vec![1.0, -2.0, 0.5]);
    steps(&mut first, &mut x, 6);
    let bytes = to_bytes(&first).unwrap();
    let mut resumed: Lookahead<f64, Adam<f64>> = from_bytes(&bytes).unwrap();
    steps(&mut resumed, &mut x, 5);
    assert_eq!(x, x_whole);
    assert_eq!(resumed.slow().unwrap(), whole.slow().unwrap());
    // An edited count: 2 steps since the last synchronisation becomes 9, past the period.
    use ciborium::value::Value;
    let mut value = Value::serialized(&first).unwrap();
    let Value::Map(entries) = &mut value else {
        panic!("a map");
    };
    for (key, v) in entries.iter_mut() {
        if key.as_text() == Some("since_sync") {
            *v = Value::from(9);
        }
    }
    let edited = value.deserialized::<Lookahead<f64, Adam<f64>>>();
    assert!(
        edited.unwrap_err().to_string().contains("synchronisation"),
        "an edited count is refused"
    );
}
