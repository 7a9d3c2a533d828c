//! Minibatch runs over finite sums: sampling, reproducibility, SGD, SVRG, clipping, bad input.

use gradus::finite_sum::{Batch, BatchReducer, FullBatch, evaluate_batch};
use gradus::minimize::SamplingReport;
use gradus::prelude::*;
use gradus::{IterationState, Schedule};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

/// Least squares `f(w) = (1/N) Σ 1/2 (a_i·w - y_i)²` on a small fixed dataset.
struct LeastSquares {
    a: Array2<f64>,
    y: Array1<f64>,
    reducer: BatchReducer<f64>,
}

impl LeastSquares {
    /// `n` examples in 3 dimensions, from a fixed linear congruential sequence, with
    /// `y = a·(1, -2, 0.5) + noise`.
    fn new(n: usize) -> Self {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let a = Array2::from_shape_fn((n, 3), |_| next());
        let truth = array![1.0, -2.0, 0.5];
        let y = Array1::from_shape_fn(n, |i| a.row(i).dot(&truth) + 0.1 * next());
        LeastSquares {
            a,
            y,
            reducer: BatchReducer::new(3),
        }
    }

    /// The minimiser from the normal equations `AᵀA w = Aᵀy`, by Gaussian elimination.
    fn minimiser(&self) -> Array1<f64> {
        let mut m = self.a.t().dot(&self.a);
        let mut r = self.a.t().dot(&self.y);
        for k in 0..3 {
            for i in k + 1..3 {
                let l = m[[i, k]] / m[[k, k]];
                for j in k..3 {
                    m[[i, j]] -= l * m[[k, j]];
                }
                r[i] -= l * r[k];
            }
        }
        let mut w = Array1::zeros(3);
        for k in (0..3).rev() {
            let s: f64 = (k + 1..3).map(|j| m[[k, j]] * w[j]).sum();
            w[k] = (r[k] - s) / m[[k, k]];
        }
        w
    }

    fn full_loss(&self, w: ArrayView1<f64>) -> f64 {
        let r = self.a.dot(&w) - &self.y;
        0.5 * r.dot(&r) / self.y.len() as f64
    }
}

impl FiniteSum<f64> for LeastSquares {
    fn dim(&self) -> usize {
        3
    }
    fn examples(&self) -> usize {
        self.y.len()
    }
    fn batch_value_and_gradient(
        &self,
        w: ArrayView1<f64>,
        batch: Batch<'_>,
        grad: ArrayViewMut1<f64>,
    ) -> f64 {
        self.reducer.mean(batch, grad, |i, mut acc| {
            let a = self.a.row(i);
            let r = a.dot(&w) - self.y[i];
            acc.scaled_add(r, &a);
            0.5 * r * r
        })
    }
}

#[test]
fn minibatch_gradients_of_a_shuffled_epoch_average_to_the_full_gradient() {
    // With step 0 the iterate stays at w, so the observer sees the gradients of the batches of
    // one epoch at the same point: N = 10, B = 3 gives batches of 3, 3, 3 and 1 examples, and
    // Σ |B| ∇f_B(w) = N ∇f(w) exactly up to rounding.
    let p = LeastSquares::new(10);
    let w = array![0.3, 0.1, -0.7];
    let mut seen: Vec<Array1<f64>> = Vec::new();
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.0)
        .minibatch(Minibatch {
            batch_size: 3,
            ..Minibatch::default()
        })
        .max_iterations(3)
        .observer(|s: &IterationState<f64>| {
            seen.push(s.gradient.to_owned());
            Control::Continue
        })
        .minimize_finite_sum(&p, w.view())
        .unwrap();
    assert_eq!(seen.len(), 4);
    let weighted = &seen[0] * 3.0 + &seen[1] * 3.0 + &seen[2] * 3.0 + &seen[3];
    let mut full = Array1::zeros(3);
    FullBatch::new(&p).value_and_gradient(w.view(), full.view_mut());
    for (a, b) in weighted.iter().zip(full.iter()) {
        assert!((a / 10.0 - b).abs() < 1e-14, "{a} vs {b}");
    }
    assert_eq!(
        report.sampling,
        Some(SamplingReport {
            examples: 10,
            epochs: 1,
            // 10 examples of the epoch plus the final full evaluation.
            example_gradients: 20,
        })
    );
}

fn sgd_run(p: &LeastSquares, seed: u64, sampling: Sampling) -> Report<f64> {
    Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.05)
        .minibatch(Minibatch {
            batch_size: 8,
            seed,
            sampling,
            ..Minibatch::default()
        })
        .max_epochs(5)
        .minimize_finite_sum(p, Array1::zeros(3).view())
        .unwrap()
}

#[test]
fn same_seed_gives_identical_bits_and_different_seeds_differ() {
    let p = LeastSquares::new(100);
    for sampling in [Sampling::Shuffle, Sampling::WithReplacement] {
        let a = sgd_run(&p, 7, sampling);
        let b = sgd_run(&p, 7, sampling);
        let c = sgd_run(&p, 8, sampling);
        assert_eq!(a.termination, Termination::MaxEpochs);
        assert_eq!(a.x, b.x);
        assert_eq!(a.f.to_bits(), b.f.to_bits());
        assert_ne!(a.x, c.x);
    }
}

/// `γ_t = γ0 / (1 + t / t0)`: the classical `O(1/t)` step of SGD on strongly convex problems.
struct Decay(f64, f64);
impl Schedule<f64> for Decay {
    fn step_size(&mut self, t: usize) -> f64 {
        self.0 / (1.0 + t as f64 / self.1)
    }
}

#[test]
fn sgd_with_a_decaying_step_reaches_the_least_squares_minimiser() {
    let p = LeastSquares::new(400);
    let w_star = p.minimiser();
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .schedule(Decay(0.5, 200.0))
        .minibatch(Minibatch {
            batch_size: 4,
            seed: 3,
            ..Minibatch::default()
        })
        .max_epochs(60)
        .max_iterations(usize::MAX)
        .minimize_finite_sum(&p, Array1::zeros(3).view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEpochs);
    let err = (&report.x - &w_star)
        .mapv(f64::abs)
        .fold(0.0_f64, |m, &v| m.max(v));
    assert!(err < 1e-2, "|w - w*|_inf = {err}");
    assert!((report.f - p.full_loss(w_star.view())) < 1e-4);
}

#[test]
fn svrg_converges_linearly_on_a_strongly_convex_sum() {
    // Johnson and Zhang (2013), Theorem 1: with γ < 1/(4L) and m large enough the suboptimality
    // of the snapshots contracts by a constant factor per outer loop. Check a factor of at least
    // 2 per epoch (about 3 is observed) until f - f* nears rounding level.
    let p = LeastSquares::new(200);
    let f_star = p.full_loss(p.minimiser().view());
    // L <= max_i |a_i|² <= 3 for entries in [-1, 1]: γ = 0.08 < 1/(4L).
    let per_epoch = 200 / 10;
    let mut gaps = Vec::new();
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.08)
        .minibatch(Minibatch {
            batch_size: 10,
            estimator: Estimator::Svrg {
                snapshot_every: None,
            },
            ..Minibatch::default()
        })
        .max_epochs(30)
        .observer(|s: &IterationState<f64>| {
            if s.iteration.is_multiple_of(per_epoch) {
                gaps.push(p.full_loss(s.x) - f_star);
            }
            Control::Continue
        })
        .minimize_finite_sum(&p, Array1::zeros(3).view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxEpochs);
    for pair in gaps.windows(2) {
        if pair[0] > 1e-13 {
            assert!(pair[1] <= 0.5 * pair[0], "gaps {gaps:?}");
        }
    }
    assert!(gaps.last().unwrap() < &1e-10, "gaps {gaps:?}");
    // Each epoch: a full pass for the snapshot plus two gradients per example.
    let sampling = report.sampling.unwrap();
    assert_eq!(sampling.example_gradients, 30 * 3 * 200 + 200);
}

#[test]
fn saga_converges_linearly_on_a_strongly_convex_sum() {
    // Defazio, Bach and Lacoste-Julien (2014), Theorem 1: with γ = 1/(3L) the iterates converge
    // linearly on a strongly convex sum. Check a factor of at least 2 per epoch until f - f*
    // nears rounding level, sampling with and without replacement.
    let p = LeastSquares::new(200);
    let f_star = p.full_loss(p.minimiser().view());
    // Every f_i is L-smooth with L = |a_i|² <= 3: γ = 0.1 <= 1/(3L).
    let per_epoch = 200 / 10;
    for sampling in [Sampling::Shuffle, Sampling::WithReplacement] {
        let mut gaps = Vec::new();
        let report = Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.1)
            .minibatch(Minibatch {
                batch_size: 10,
                sampling,
                estimator: Estimator::Saga,
                ..Minibatch::default()
            })
            .max_epochs(40)
            .observer(|s: &IterationState<f64>| {
                if s.iteration.is_multiple_of(per_epoch) {
                    gaps.push(p.full_loss(s.x) - f_star);
                }
                Control::Continue
            })
            .minimize_finite_sum(&p, Array1::zeros(3).view())
            .unwrap();
        assert_eq!(report.termination, Termination::MaxEpochs);
        // Compare epochs five apart, which smooths the sampling noise of single epochs.
        for pair in gaps.windows(6) {
            if pair[0] > 1e-13 {
                assert!(pair[5] <= 0.5 * pair[0], "{sampling:?}: gaps {gaps:?}");
            }
        }
        assert!(gaps.last().unwrap() < &1e-10, "{sampling:?}: gaps {gaps:?}");
        // The table's first pass, one gradient per example and epoch, the final evaluation.
        assert_eq!(
            report.sampling.unwrap().example_gradients,
            200 + 40 * 200 + 200
        );
    }
}

#[test]
fn full_checks_let_the_gradient_criterion_stop_a_minibatch_run() {
    let p = LeastSquares::new(200);
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(0.08)
        .gradient_tolerance(1e-8)
        .minibatch(Minibatch {
            batch_size: 10,
            estimator: Estimator::Svrg {
                snapshot_every: None,
            },
            full_check_every: Some(1),
            ..Minibatch::default()
        })
        .max_epochs(100)
        .minimize_finite_sum(&p, Array1::zeros(3).view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!(report.stationarity <= 1e-8);
    assert!(report.sampling.unwrap().epochs < 100);
}

#[test]
fn batch_means_do_not_depend_on_the_number_of_threads() {
    // 25,000 examples x 3 = 75,000 entries: 98 chunks, above the parallel threshold.
    let n = 25_000;
    assert!(n * 3 >= BatchReducer::<f64>::PARALLEL_WORK);
    let p = LeastSquares::new(n);
    let w = array![0.2, -0.4, 0.9];
    let eval = || {
        let mut g = Array1::zeros(3);
        let f = p.batch_value_and_gradient(w.view(), Batch::all(n), g.view_mut());
        (f, g)
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(eval);
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(eval);
    assert_eq!(one.0.to_bits(), four.0.to_bits());
    assert_eq!(one.1, four.1);
    // And the mean is the mean: compare with a plain sum.
    let r = p.a.dot(&w) - &p.y;
    let g = p.a.t().dot(&r) / n as f64;
    for (a, b) in one.1.iter().zip(g.iter()) {
        assert!((a - b).abs() < 1e-14);
    }
}

#[test]
fn clipping_in_the_loop_bounds_every_step() {
    // GD with step 1 on f = |x|² from x = (30, 40): the gradient (60, 80) is clipped to norm 1,
    // so each step moves x by exactly 1 towards the origin.
    let report = Minimizer::new(GradientDescent::<f64>::default())
        .lr(1.0)
        .clip(Clip::GlobalNorm(1.0))
        .max_iterations(3)
        .minimize(
            &gradus::problems::Sphere::new(2),
            array![30.0_f64, 40.0].view(),
        )
        .unwrap();
    let expected = array![30.0 - 3.0 * 0.6, 40.0 - 3.0 * 0.8];
    for (a, b) in report.x.iter().zip(expected.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn bad_minibatch_input_is_a_typed_error() {
    let p = LeastSquares::new(10);
    let x0 = Array1::zeros(3);
    for batch_size in [0, 11] {
        let err = Minimizer::new(GradientDescent::<f64>::default())
            .minibatch(Minibatch {
                batch_size,
                ..Minibatch::default()
            })
            .minimize_finite_sum(&p, x0.view())
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "batch_size",
                ..
            }
        ));
    }
    let empty = LeastSquares::new(0);
    assert!(matches!(
        Minimizer::new(GradientDescent::<f64>::default()).minimize_finite_sum(&empty, x0.view()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        Minimizer::new(GradientDescent::<f64>::default())
            .minibatch(Minibatch {
                batch_size: 2,
                ..Minibatch::default()
            })
            .minimize_finite_sum(&p, Array1::zeros(4).view()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Minimizer::new(GradientDescent::<f64>::default())
            .line_search(Backtracking::default())
            .minimize_finite_sum(&p, x0.view()),
        Err(Error::Incompatible { .. })
    ));
    let mut g = Array1::zeros(3);
    assert!(matches!(
        evaluate_batch(&p, x0.view(), Batch::Indices(&[1, 10]), g.view_mut()),
        Err(Error::InvalidParameter {
            name: "batch index",
            ..
        })
    ));
    assert!(matches!(
        evaluate_batch(&p, x0.view(), Batch::Indices(&[]), g.view_mut()),
        Err(Error::Empty { .. })
    ));
}

/// A finite sum that records the batches it evaluates and the batches it is told come next.
struct Recording<'a> {
    inner: &'a LeastSquares,
    evaluated: std::sync::Mutex<Vec<Vec<usize>>>,
    hinted: std::sync::Mutex<Vec<Vec<usize>>>,
}

impl FiniteSum<f64> for Recording<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn examples(&self) -> usize {
        self.inner.examples()
    }
    fn batch_value_and_gradient(
        &self,
        w: ArrayView1<f64>,
        batch: Batch<'_>,
        grad: ArrayViewMut1<f64>,
    ) -> f64 {
        if let Batch::Indices(ix) = batch {
            self.evaluated.lock().unwrap().push(ix.to_vec());
        }
        self.inner.batch_value_and_gradient(w, batch, grad)
    }
    fn prefetch(&self, batch: Batch<'_>) {
        self.hinted.lock().unwrap().push(batch.iter().collect());
    }
}

#[test]
fn the_prefetch_hint_names_the_batch_evaluated_next() {
    let p = LeastSquares::new(10);
    for sampling in [Sampling::Shuffle, Sampling::WithReplacement] {
        let recording = Recording {
            inner: &p,
            evaluated: Default::default(),
            hinted: Default::default(),
        };
        // N = 10, B = 4: batches of 4, 4 and 2 per epoch when shuffling; 9 steps, 3 epochs.
        Minimizer::new(GradientDescent::<f64>::default())
            .lr(0.1)
            .minibatch(Minibatch {
                batch_size: 4,
                sampling,
                ..Minibatch::default()
            })
            .max_iterations(8)
            .minimize_finite_sum(&recording, array![0.0, 0.0, 0.0].view())
            .unwrap();
        let evaluated = recording.evaluated.into_inner().unwrap();
        let hinted = recording.hinted.into_inner().unwrap();
        assert_eq!(evaluated.len(), 9, "{sampling:?}");
        match sampling {
            // Every batch but the last of an epoch announces its successor.
            Sampling::Shuffle => {
                let announced: Vec<&Vec<usize>> = evaluated
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| k % 3 != 0)
                    .map(|(_, b)| b)
                    .collect();
                assert_eq!(hinted.iter().collect::<Vec<_>>(), announced);
            }
            // Batches drawn with replacement are drawn a step ahead: all are announced.
            Sampling::WithReplacement => assert_eq!(hinted[..8], evaluated[1..]),
        }
    }
}
