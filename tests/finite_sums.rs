//! The data problems as finite sums: batch means against hand-computed sums, minibatch
//! gradients against the full gradient, thread-count independence, SGD and SVRG runs, bad input.

use gradus::IterationState;
use gradus::finite_sum::{Batch, FullBatch, evaluate_batch};
use gradus::prelude::*;
use gradus::problems::{Dataset, HuberRegression, LeastSquares, LogisticRegression};
use gradus::schedule::Exponential;
use ndarray::{Array1, Array2, ArrayView1};

/// A problem's name, the problem, its loss and its penalty `λ`.
type Case = (&'static str, Box<dyn FiniteSum<f64>>, Loss, f64);

/// The three problems, each with a penalty, on small seeded datasets.
fn problems() -> Vec<Case> {
    let reg = || Dataset::<f64>::linear_regression(300, 6, 20.0, 1.0, 11).unwrap();
    let cls = Dataset::<f64>::classification(300, 6, 12).unwrap();
    vec![
        (
            "ridge",
            Box::new(LeastSquares::ridge(reg(), 0.3).unwrap()),
            Loss::Squared,
            0.3,
        ),
        (
            "logistic",
            Box::new(LogisticRegression::new(cls, 0.05).unwrap()),
            Loss::Logistic,
            0.05,
        ),
        (
            "huber",
            Box::new(HuberRegression::new(reg(), 0.5, 0.2).unwrap()),
            Loss::Huber(0.5),
            0.2,
        ),
    ]
}

#[derive(Clone, Copy)]
enum Loss {
    Squared,
    Logistic,
    Huber(f64),
}

impl Loss {
    /// `(φ(z, y), φ'(z, y))` written from the textbook formulas.
    fn eval(self, z: f64, y: f64) -> (f64, f64) {
        match self {
            Loss::Squared => ((z - y).powi(2) / 2.0, z - y),
            Loss::Logistic => {
                let p = 1.0 / (1.0 + (-z).exp());
                ((1.0 + z.exp()).ln() - y * z, p - y)
            }
            Loss::Huber(d) => {
                let r = z - y;
                if r.abs() <= d {
                    (r * r / 2.0, r)
                } else {
                    (d * (r.abs() - d / 2.0), d * r.signum())
                }
            }
        }
    }
}

/// `(1/|B|) Σ_{i∈B} [φ(x_iᵀw, y_i) + λ/2 |w|²]` and its gradient, by plain loops.
fn by_hand(
    x: &Array2<f64>,
    y: &Array1<f64>,
    loss: Loss,
    lambda: f64,
    w: &Array1<f64>,
    batch: &[usize],
) -> (f64, Array1<f64>) {
    let d = w.len();
    let mut value = 0.0;
    let mut grad = Array1::zeros(d);
    for &i in batch {
        let z: f64 = (0..d).map(|j| x[[i, j]] * w[j]).sum();
        let (v, s) = loss.eval(z, y[i]);
        let wn: f64 = w.iter().map(|a| a * a).sum();
        value += v + lambda / 2.0 * wn;
        for j in 0..d {
            grad[j] += s * x[[i, j]] + lambda * w[j];
        }
    }
    let b = batch.len() as f64;
    (value / b, grad / b)
}

fn data_of(name: &str) -> Dataset<f64> {
    match name {
        "logistic" => Dataset::classification(300, 6, 12).unwrap(),
        _ => Dataset::linear_regression(300, 6, 20.0, 1.0, 11).unwrap(),
    }
}

fn close(a: ArrayView1<f64>, b: ArrayView1<f64>, tol: f64) -> bool {
    a.iter().zip(b.iter()).all(|(p, q)| (p - q).abs() <= tol)
}

#[test]
fn batch_means_equal_the_per_example_formulas_and_the_full_mean_is_the_objective() {
    let w = Array1::from_shape_fn(6, |j| 0.3 - 0.17 * j as f64);
    let subset: Vec<usize> = vec![5, 17, 17, 299, 0, 123, 42];
    for (name, p, loss, lambda) in problems() {
        let data = data_of(name);
        // A minibatch (with a repeated index).
        let mut g = Array1::zeros(6);
        let v = evaluate_batch(&*p, w.view(), Batch::Indices(&subset), g.view_mut()).unwrap();
        let (hv, hg) = by_hand(&data.features, &data.targets, loss, lambda, &w, &subset);
        assert!((v - hv).abs() < 1e-12, "{name}: {v} vs {hv}");
        assert!(close(g.view(), hg.view(), 1e-12), "{name}: {g} vs {hg}");
        // All examples: the mean of the f_i is f = mean loss + λ/2 |w|².
        let all: Vec<usize> = (0..300).collect();
        let (hv, hg) = by_hand(&data.features, &data.targets, loss, lambda, &w, &all);
        let v = p.batch_value_and_gradient(w.view(), Batch::all(300), g.view_mut());
        assert!((v - hv).abs() < 1e-12, "{name}: {v} vs {hv}");
        assert!(close(g.view(), hg.view(), 1e-12), "{name}");
        // The same through `Batch::Indices` of every example.
        let mut gi = Array1::zeros(6);
        let vi = p.batch_value_and_gradient(w.view(), Batch::Indices(&all), gi.view_mut());
        assert!((v - vi).abs() < 1e-13 && close(g.view(), gi.view(), 1e-13));
    }
}

#[test]
fn objective_value_and_gradient_equal_the_mean_over_all_examples() {
    let w = Array1::from_shape_fn(6, |j| (j as f64 * 0.7).sin());
    let data = data_of("logistic");
    let p = LogisticRegression::new(data, 0.05).unwrap();
    let mut g_obj = Array1::zeros(6);
    let mut g_sum = Array1::zeros(6);
    let f_obj = Objective::value_and_gradient(&p, w.view(), g_obj.view_mut());
    let f_sum = p.batch_value_and_gradient(w.view(), Batch::all(300), g_sum.view_mut());
    // Same reducer over the same batch: identical bits.
    assert_eq!(f_obj.to_bits(), f_sum.to_bits());
    assert_eq!(g_obj, g_sum);
    // `value` alone sums in another order: equal to rounding.
    assert!((Objective::value(&p, w.view()) - f_obj).abs() < 1e-13);
    // And the generic wrapper agrees.
    let mut g_fb = Array1::zeros(6);
    let f_fb = FullBatch::new(&p).value_and_gradient(w.view(), g_fb.view_mut());
    assert_eq!(f_fb.to_bits(), f_obj.to_bits());
    for (name, p, _, _) in problems() {
        let f = p.batch_value_and_gradient(w.view(), Batch::all(300), g_sum.view_mut());
        assert!(f.is_finite(), "{name}");
    }
}

#[test]
fn minibatch_gradients_of_a_shuffled_epoch_weighted_by_size_average_to_the_full_gradient() {
    // N = 300, B = 64: the epoch has batches of 64, 64, 64, 64 and 44 examples; with step 0 the
    // iterate stays put, so Σ_B |B| ∇f_B(w) = N ∇f(w) (the penalty gradient λw included, since
    // each f_i carries it).
    let w = Array1::from_shape_fn(6, |j| 0.1 * j as f64 - 0.2);
    for (name, p, _, _) in problems() {
        let mut seen: Vec<Array1<f64>> = Vec::new();
        Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.0)
            .minibatch(Minibatch {
                batch_size: 64,
                seed: 3,
                ..Minibatch::default()
            })
            .max_iterations(4)
            .observer(|s: &IterationState<f64>| {
                seen.push(s.gradient.to_owned());
                Control::Continue
            })
            .minimize_finite_sum(&*p, w.view())
            .unwrap();
        assert_eq!(seen.len(), 5, "{name}");
        let sizes = [64.0, 64.0, 64.0, 64.0, 44.0];
        let weighted = seen
            .iter()
            .zip(sizes)
            .fold(Array1::zeros(6), |acc, (g, b)| acc + g * b)
            / 300.0;
        let mut full = Array1::zeros(6);
        p.batch_value_and_gradient(w.view(), Batch::all(300), full.view_mut());
        assert!(close(weighted.view(), full.view(), 1e-13), "{name}");
        // No single batch is the full gradient (the check above is not vacuous).
        assert!(!close(seen[0].view(), full.view(), 1e-6), "{name}");
    }
}

#[test]
fn batch_results_do_not_depend_on_the_number_of_threads() {
    // 4000 x 40 = 160,000 entries per full pass: above the reducer's parallel threshold.
    let data = Dataset::<f64>::classification(4000, 40, 5).unwrap();
    let p = LogisticRegression::new(data, 1e-3).unwrap();
    let w = Array1::from_shape_fn(40, |j| ((j * 7 % 11) as f64 - 5.0) * 0.05);
    let indices: Vec<usize> = (0..2500).map(|k| (k * 1543 + 17) % 4000).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut g_all = Array1::zeros(40);
            let mut g_ix = Array1::zeros(40);
            let f_all = p.batch_value_and_gradient(w.view(), Batch::all(4000), g_all.view_mut());
            let f_ix =
                p.batch_value_and_gradient(w.view(), Batch::Indices(&indices), g_ix.view_mut());
            (f_all.to_bits(), g_all, f_ix.to_bits(), g_ix)
        })
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four);
}

#[test]
fn sgd_with_a_decaying_step_reaches_the_least_squares_closed_form_minimiser() {
    // Hessian eigenvalues in about [0.1, 1] (κ = 10), noisy targets so the per-example
    // gradients do not vanish at w*. The step 0.2 · 0.85^epoch shrinks the SGD noise floor
    // geometrically while Σ γ_t μ over the run is ~40, ample to forget the start.
    let data = Dataset::<f64>::linear_regression(2000, 5, 10.0, 0.5, 21).unwrap();
    let p = LeastSquares::new(data).unwrap();
    let w_star = p.certificate().minimizer.clone();
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .schedule(Exponential::new(0.2, 0.85).unwrap())
        .minibatch(Minibatch {
            batch_size: 16,
            seed: 1,
            schedule_per_epoch: true,
            ..Minibatch::default()
        })
        .max_epochs(60)
        .minimize_finite_sum(&p, Array1::zeros(5).view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEpochs);
    let err = (&report.x - &w_star)
        .mapv(f64::abs)
        .fold(0.0, |m: f64, &e| m.max(e));
    assert!(err < 1e-3, "max |w - w*| = {err}");
}

#[test]
fn svrg_on_logistic_regression_shrinks_the_gap_by_a_constant_factor_per_epoch() {
    let data = Dataset::<f64>::classification(2000, 10, 8).unwrap();
    let p = LogisticRegression::new(data, 1e-2).unwrap();
    let f_star = p.certificate().minimum;
    assert!(p.certificate().gradient_norm < 1e-12);
    let gap_after = |epochs: usize| {
        let report = Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.5)
            .minibatch(Minibatch {
                batch_size: 10,
                seed: 4,
                estimator: Estimator::Svrg {
                    snapshot_every: None,
                },
                ..Minibatch::default()
            })
            .max_epochs(epochs)
            .minimize_finite_sum(&p, Array1::zeros(10).view())
            .unwrap();
        Objective::value(&p, report.x.view()) - f_star
    };
    let gaps: Vec<f64> = (1..=6).map(gap_after).collect();
    for k in 1..gaps.len() {
        assert!(
            gaps[k] <= 0.3 * gaps[k - 1] || gaps[k] < 1e-13,
            "epoch {k}: gaps {gaps:?}"
        );
    }
    assert!(gaps[5] < 1e-8, "gaps {gaps:?}");
}

#[test]
fn bad_data_and_mismatched_dimensions_give_typed_errors() {
    // Targets do not match the rows of the design matrix.
    let bad = Dataset {
        features: Array2::<f64>::zeros((4, 2)),
        targets: Array1::zeros(3),
        true_weights: None,
    };
    assert!(matches!(
        LeastSquares::new(bad.clone()),
        Err(Error::DimensionMismatch {
            expected: 4,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        HuberRegression::new(bad, 1.0, 0.0),
        Err(Error::DimensionMismatch { .. })
    ));
    // A NaN feature, no examples, a label outside {0, 1}.
    let mut nan = Dataset::<f64>::classification(10, 2, 1).unwrap();
    nan.features[[3, 1]] = f64::NAN;
    assert!(matches!(
        LogisticRegression::new(nan, 0.1),
        Err(Error::NonFinite { index: 7, .. })
    ));
    assert!(matches!(
        Dataset::<f64>::classification(0, 3, 1),
        Err(Error::Empty { .. })
    ));
    let mut labels = Dataset::<f64>::classification(10, 2, 1).unwrap();
    labels.targets[2] = 2.0;
    assert!(matches!(
        LogisticRegression::new(labels, 0.1),
        Err(Error::InvalidParameter { name: "targets", value, .. }) if value == 2.0
    ));
    // Weights or gradient buffers of the wrong length, out-of-range and empty batches.
    let p = LogisticRegression::new(Dataset::classification(10, 3, 1).unwrap(), 0.1).unwrap();
    let mut g = Array1::zeros(3);
    let w4 = Array1::<f64>::zeros(4);
    assert!(matches!(
        evaluate_batch(&p, w4.view(), Batch::all(10), g.view_mut()),
        Err(Error::DimensionMismatch {
            expected: 3,
            found: 4,
            ..
        })
    ));
    let w = Array1::<f64>::zeros(3);
    let mut g2 = Array1::zeros(2);
    assert!(matches!(
        evaluate_batch(&p, w.view(), Batch::all(10), g2.view_mut()),
        Err(Error::DimensionMismatch { found: 2, .. })
    ));
    assert!(matches!(
        evaluate_batch(&p, w.view(), Batch::Indices(&[1, 10]), g.view_mut()),
        Err(Error::InvalidParameter { value, .. }) if value == 10.0
    ));
    assert!(matches!(
        evaluate_batch(&p, w.view(), Batch::Indices(&[]), g.view_mut()),
        Err(Error::Empty { .. })
    ));
    assert!(
        Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.1)
            .minibatch(Minibatch::default())
            .max_epochs(1)
            .minimize_finite_sum(&p, w4.view())
            .is_err()
    );
}
