//! Minibatch sampling and variance reduction for finite sums, inside the shared loop.

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Zip};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::{Evaluations, Oracle};
use crate::Real;
use crate::error::{Error, Result};
use crate::finite_sum::{Batch, FiniteSum};
use crate::minimize::SamplingReport;

/// How minibatches are drawn from the `N` examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampling {
    /// Shuffle the examples once per epoch and take consecutive batches; the last batch of an
    /// epoch holds the `N mod B` examples left, if any (PyTorch's `DataLoader(shuffle=True)`).
    #[default]
    Shuffle,
    /// Draw each batch's `B` indices independently and uniformly, with replacement; an epoch is
    /// `⌈N/B⌉` batches.
    WithReplacement,
}

/// The gradient estimate a minibatch run steps with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimator {
    /// The minibatch gradient `∇f_B(x)`: SGD, and the stochastic version of every rule.
    #[default]
    Minibatch,
    /// Stochastic variance-reduced gradient (Johnson and Zhang, 2013):
    ///
    /// ```text
    /// every m steps:  x̃ = x,  μ̃ = ∇f(x̃)   (one full pass)
    /// each step:      g = ∇f_B(x) - ∇f_B(x̃) + μ̃
    /// ```
    ///
    /// `g` is an unbiased estimate of `∇f(x)` whose variance vanishes as `x` and `x̃` approach
    /// the minimiser, so a constant step converges linearly on strongly convex sums (with step
    /// `γ < 1/(4L)` and `m` large enough). Each step costs two minibatch gradients.
    Svrg {
        /// Steps between snapshots `m`; `None` is one epoch (`⌈N/B⌉` steps).
        snapshot_every: Option<usize>,
    },
    /// SAGA (Defazio, Bach and Lacoste-Julien, 2014): a table keeps the last gradient `α_i`
    /// computed for each example, and
    ///
    /// ```text
    /// at the start:  α_i = ∇f_i(x_0) for every i   (one full pass)
    /// each step:     g = (1/|B|) Σ_{i∈B} (∇f_i(x) - α_i) + (1/N) Σ_j α_j,   then α_i = ∇f_i(x), i ∈ B
    /// ```
    ///
    /// Unbiased, with a variance that vanishes at the minimiser, like SVRG but without snapshot
    /// passes: each step costs one minibatch of per-example gradients. A constant step
    /// `γ = 1/(3L)` converges linearly on strongly convex sums. The table holds `N × n` values,
    /// allocated when the run starts; examples are evaluated one at a time (a batch of one), so
    /// the batch is not spread over threads.
    Saga,
}

/// Settings of a minibatch run ([`Minimizer::minimize_finite_sum`](crate::Minimizer::minimize_finite_sum)).
#[derive(Debug, Clone, PartialEq)]
pub struct Minibatch {
    /// Examples per batch `B`. Default `32`.
    pub batch_size: usize,
    /// How batches are drawn. Default [`Sampling::Shuffle`].
    pub sampling: Sampling,
    /// Seed of the sampler's generator (xoshiro256++): the same seed gives the same bits.
    /// Default `0`.
    pub seed: u64,
    /// The gradient estimate. Default [`Estimator::Minibatch`].
    pub estimator: Estimator,
    /// Evaluate the full loss and gradient every this many epochs, for the gradient-norm and
    /// target criteria (each check costs a pass over the data). Default: never.
    pub full_check_every: Option<usize>,
    /// Let schedules step per epoch (`t` = completed epochs, and reduce-on-plateau observes each
    /// epoch's mean loss, or the full loss when checked) instead of per iteration. Default `false`.
    pub schedule_per_epoch: bool,
}

impl Default for Minibatch {
    fn default() -> Self {
        Minibatch {
            batch_size: 32,
            sampling: Sampling::Shuffle,
            seed: 0,
            estimator: Estimator::Minibatch,
            full_check_every: None,
            schedule_per_epoch: false,
        }
    }
}

/// The SVRG snapshot and its full gradient.
struct Svrg<F> {
    snapshot: Array1<F>,
    mean_gradient: Array1<F>,
    /// `∇f_B(x̃)` of the current batch.
    at_snapshot: Array1<F>,
    every: usize,
    until_snapshot: usize,
}

/// SAGA's table of per-example gradients and its mean.
struct Saga<F> {
    /// Row `i` is `α_i`, the last gradient of example `i`.
    table: Array2<F>,
    /// `(1/N) Σ_i α_i`.
    mean: Array1<F>,
    /// The gradients `∇f_i(x)` of the current batch, row `k` for its `k`-th example.
    fresh: Array2<F>,
    filled: bool,
}

/// The state of the run's [`Estimator`].
enum EstimatorState<F> {
    /// Plain minibatch gradients: no state.
    Minibatch,
    /// SVRG's snapshot.
    Svrg(Svrg<F>),
    /// SAGA's table.
    Saga(Saga<F>),
}

/// The minibatch oracle of the loop: draws batches, counts epochs, and applies the estimator.
pub(super) struct Sampled<'p, F, P: ?Sized> {
    problem: &'p P,
    examples: usize,
    batch_size: usize,
    sampling: Sampling,
    rng: Xoshiro256PlusPlus,
    /// Shuffling: a permutation of the examples, taken in consecutive batches. With
    /// replacement: two batches, the current one and the next one (drawn a step ahead, so that
    /// its examples can be prefetched; the draws come in the same order either way).
    order: Vec<usize>,
    /// Shuffling: where the next batch starts in `order`. With replacement: which half of
    /// `order` holds the next batch.
    cursor: usize,
    /// With replacement: `true` once the first batch has been drawn.
    drawn_ahead: bool,
    batches_per_epoch: usize,
    batches_in_epoch: usize,
    epoch: usize,
    epoch_loss: F,
    epoch_ended: bool,
    full_check_every: Option<usize>,
    full_gradient: Array1<F>,
    estimator: EstimatorState<F>,
    evals: Evaluations,
    example_gradients: usize,
}

impl<'p, F: Real, P: FiniteSum<F> + ?Sized> Sampled<'p, F, P> {
    pub(super) fn new(problem: &'p P, settings: &Minibatch) -> Result<Self> {
        let examples = problem.examples();
        let n = problem.dim();
        if examples == 0 {
            return Err(Error::Empty {
                what: "the finite sum (it has no examples)",
            });
        }
        let b = settings.batch_size;
        if b == 0 || b > examples {
            return Err(Error::InvalidParameter {
                name: "batch_size",
                value: b as f64,
                expected: "between 1 and the number of examples",
            });
        }
        if settings.full_check_every == Some(0) {
            return Err(Error::InvalidParameter {
                name: "full_check_every",
                value: 0.0,
                expected: "at least 1 (epochs), or None",
            });
        }
        let batches_per_epoch = examples.div_ceil(b);
        let estimator = match settings.estimator {
            Estimator::Minibatch => EstimatorState::Minibatch,
            Estimator::Svrg { snapshot_every } => {
                let every = snapshot_every.unwrap_or(batches_per_epoch);
                if every == 0 {
                    return Err(Error::InvalidParameter {
                        name: "snapshot_every",
                        value: 0.0,
                        expected: "at least 1 (steps), or None for one epoch",
                    });
                }
                EstimatorState::Svrg(Svrg {
                    snapshot: Array1::zeros(n),
                    mean_gradient: Array1::zeros(n),
                    at_snapshot: Array1::zeros(n),
                    every,
                    until_snapshot: 0,
                })
            }
            Estimator::Saga => EstimatorState::Saga(Saga {
                table: Array2::zeros((examples, n)),
                mean: Array1::zeros(n),
                fresh: Array2::zeros((b, n)),
                filled: false,
            }),
        };
        let order = match settings.sampling {
            Sampling::Shuffle => (0..examples).collect(),
            Sampling::WithReplacement => vec![0; 2 * b],
        };
        Ok(Sampled {
            problem,
            examples,
            batch_size: b,
            sampling: settings.sampling,
            rng: Xoshiro256PlusPlus::seed_from_u64(settings.seed),
            order,
            cursor: 0,
            drawn_ahead: false,
            batches_per_epoch,
            batches_in_epoch: 0,
            epoch: 0,
            epoch_loss: F::zero(),
            epoch_ended: false,
            full_check_every: settings.full_check_every,
            full_gradient: Array1::zeros(n),
            estimator,
            evals: Evaluations::default(),
            example_gradients: 0,
        })
    }

    /// Draws the next batch; returns its range in `order` and the range of the batch after it,
    /// when that one is already known (it is not when an epoch of shuffling ends).
    fn next_batch(&mut self) -> ((usize, usize), Option<(usize, usize)>) {
        let b = self.batch_size;
        match self.sampling {
            Sampling::Shuffle => {
                if self.cursor == 0 {
                    self.order.shuffle(&mut self.rng);
                }
                let from = self.cursor;
                let to = (from + b).min(self.examples);
                self.cursor = if to == self.examples { 0 } else { to };
                let after = (to < self.examples).then(|| (to, (to + b).min(self.examples)));
                ((from, to), after)
            }
            Sampling::WithReplacement => {
                let examples = self.examples;
                let mut draw = |half: usize, order: &mut [usize]| {
                    for i in &mut order[half * b..(half + 1) * b] {
                        *i = self.rng.random_range(0..examples);
                    }
                };
                if !self.drawn_ahead {
                    draw(0, &mut self.order);
                    self.drawn_ahead = true;
                }
                let current = self.cursor;
                let after = 1 - current;
                draw(after, &mut self.order);
                self.cursor = after;
                (
                    (current * b, (current + 1) * b),
                    Some((after * b, (after + 1) * b)),
                )
            }
        }
    }

    /// Takes the SVRG snapshot or fills the SAGA table, when due.
    fn refresh(&mut self, x: ArrayView1<'_, F>) {
        match &mut self.estimator {
            EstimatorState::Minibatch => {}
            EstimatorState::Svrg(svrg) => {
                if svrg.until_snapshot == 0 {
                    svrg.snapshot.assign(&x);
                    self.problem.batch_value_and_gradient(
                        x,
                        Batch::all(self.examples),
                        svrg.mean_gradient.view_mut(),
                    );
                    self.example_gradients += self.examples;
                    svrg.until_snapshot = svrg.every;
                }
            }
            EstimatorState::Saga(saga) => {
                if !saga.filled {
                    for (i, row) in saga.table.outer_iter_mut().enumerate() {
                        self.problem
                            .batch_value_and_gradient(x, Batch::Indices(&[i]), row);
                    }
                    let scale = F::one() / F::from_count(self.examples);
                    saga.mean.fill(F::zero());
                    for row in saga.table.outer_iter() {
                        Zip::from(&mut saga.mean)
                            .and(&row)
                            .for_each(|m, &a| *m += a);
                    }
                    saga.mean.mapv_inplace(|m| m * scale);
                    saga.filled = true;
                    self.example_gradients += self.examples;
                }
            }
        }
    }
}

/// One SAGA estimate on `batch`: writes `g` and returns the batch's mean loss, then stores the
/// batch's fresh gradients in the table.
fn saga_step<F: Real, P: FiniteSum<F> + ?Sized>(
    problem: &P,
    saga: &mut Saga<F>,
    x: ArrayView1<'_, F>,
    batch: Batch<'_>,
    mut g: ArrayViewMut1<'_, F>,
    examples: usize,
) -> F {
    let mut value = F::zero();
    g.fill(F::zero());
    for (k, i) in batch.iter().enumerate() {
        let mut fresh = saga.fresh.row_mut(k);
        value += problem.batch_value_and_gradient(x, Batch::Indices(&[i]), fresh.view_mut());
        Zip::from(&mut g)
            .and(&fresh)
            .and(&saga.table.row(i))
            .for_each(|g, &f, &a| *g += f - a);
    }
    let size = F::from_count(batch.len());
    Zip::from(&mut g)
        .and(&saga.mean)
        .for_each(|g, &m| *g = *g / size + m);
    // Replace the table's rows, keeping the mean in step. A repeated index (sampling with
    // replacement) changes its row once: the second time the difference is zero.
    let per_example = F::one() / F::from_count(examples);
    for (k, i) in batch.iter().enumerate() {
        let fresh = saga.fresh.row(k);
        let mut row = saga.table.row_mut(i);
        Zip::from(&mut saga.mean)
            .and(&mut row)
            .and(&fresh)
            .for_each(|m, a, &f| {
                *m += (f - *a) * per_example;
                *a = f;
            });
    }
    value / size
}

impl<F: Real, P: FiniteSum<F> + ?Sized> Oracle<F> for Sampled<'_, F, P> {
    fn dim(&self) -> usize {
        self.problem.dim()
    }

    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, mut g: ArrayViewMut1<'_, F>) -> F {
        self.refresh(x);
        let ((from, to), after) = self.next_batch();
        if let Some((a, b)) = after {
            self.problem.prefetch(Batch::Indices(&self.order[a..b]));
        }
        let batch = Batch::Indices(&self.order[from..to]);
        let problem = self.problem;
        let value = match &mut self.estimator {
            EstimatorState::Minibatch => problem.batch_value_and_gradient(x, batch, g.view_mut()),
            EstimatorState::Svrg(svrg) => {
                let value = problem.batch_value_and_gradient(x, batch, g.view_mut());
                problem.batch_value_and_gradient(
                    svrg.snapshot.view(),
                    batch,
                    svrg.at_snapshot.view_mut(),
                );
                Zip::from(&mut g)
                    .and(&svrg.at_snapshot)
                    .and(&svrg.mean_gradient)
                    .for_each(|g, &s, &m| *g = *g - s + m);
                svrg.until_snapshot -= 1;
                self.example_gradients += batch.len();
                value
            }
            EstimatorState::Saga(saga) => {
                saga_step(problem, saga, x, batch, g.view_mut(), self.examples)
            }
        };
        self.evals.function += 1;
        self.evals.gradient += 1;
        self.example_gradients += batch.len();
        self.epoch_loss += value;
        self.batches_in_epoch += 1;
        if self.batches_in_epoch == self.batches_per_epoch {
            self.epoch_ended = true;
        }
        value
    }

    fn value(&mut self, x: ArrayView1<'_, F>) -> F {
        // Line searches are refused for sampled runs; this serves only completeness.
        self.full_evaluation(x)
    }

    fn gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) {
        self.value_and_gradient(x, g);
    }

    fn counts(&self) -> (usize, usize) {
        (self.evals.function, self.evals.gradient)
    }

    fn is_sampled(&self) -> bool {
        true
    }

    fn epoch(&self) -> usize {
        self.epoch
    }

    fn end_of_epoch(&mut self) -> Option<F> {
        if !self.epoch_ended {
            return None;
        }
        let mean = self.epoch_loss / F::from_count(self.batches_in_epoch);
        self.epoch_ended = false;
        self.epoch += 1;
        self.epoch_loss = F::zero();
        self.batches_in_epoch = 0;
        Some(mean)
    }

    fn full_check_due(&self, at_start: bool) -> bool {
        match self.full_check_every {
            None => false,
            Some(k) => at_start || self.epoch.is_multiple_of(k),
        }
    }

    fn full_evaluation(&mut self, x: ArrayView1<'_, F>) -> F {
        self.example_gradients += self.examples;
        self.problem.batch_value_and_gradient(
            x,
            Batch::all(self.examples),
            self.full_gradient.view_mut(),
        )
    }

    fn full_gradient(&self) -> ArrayView1<'_, F> {
        self.full_gradient.view()
    }

    fn sampling_report(&self) -> Option<SamplingReport> {
        Some(SamplingReport {
            examples: self.examples,
            epochs: self.epoch,
            example_gradients: self.example_gradients,
        })
    }
}
