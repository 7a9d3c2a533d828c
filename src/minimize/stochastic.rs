//! Minibatch sampling and variance reduction for finite sums, inside the shared loop.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::{Evaluations, Oracle};
use crate::Real;
use crate::error::{Error, Result, check_len};
use crate::finite_sum::{Batch, FiniteSum};
use crate::linalg::alloc::{too_large, try_with_capacity};
use crate::minimize::SamplingReport;

/// How minibatches are drawn from the `N` examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
///
/// A resumed run ([`Minimizer::resume_finite_sum`](crate::Minimizer::resume_finite_sum)) keeps
/// the sampler of the run it continues: its `batch_size`, `sampling` and `estimator` must be the
/// same, and its `seed` is not used again (the generator goes on from where it stopped);
/// `full_check_every` and `schedule_per_epoch` may change between runs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
    /// Evaluate the full loss and gradient at the start and every this many epochs, for the
    /// gradient-norm and target criteria and to keep the best iterate by the full loss (each
    /// check costs a pass over the data). Default: never; a gradient tolerance or a target is
    /// then refused (see [`Criteria`](crate::Criteria#minibatch-runs)).
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

/// SVRG's snapshot `x̃` and its full gradient `μ̃`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Svrg<F> {
    snapshot: Vec<F>,
    mean_gradient: Vec<F>,
    /// `∇f_B(x̃)` of the current batch (scratch).
    at_snapshot: Vec<F>,
    every: usize,
    until_snapshot: usize,
}

/// SAGA's table of per-example gradients and its mean.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Saga<F> {
    /// `N × n`, row-major: row `i` is `α_i`, the last gradient of example `i`. For a sum spread
    /// over processes ([`FiniteSum::shards`]), the rows of this process's examples only, from
    /// example `first` on.
    table: Vec<F>,
    /// The example of the table's first row.
    #[cfg_attr(feature = "serde", serde(default))]
    first: usize,
    /// `(1/N) Σ_i α_i`.
    mean: Vec<F>,
    /// `B × n`: the gradients `∇f_i(x)` of the current batch, row `k` for its `k`-th example
    /// (scratch). For a sum spread over processes, `1 + 3n` values: see `sharded_saga_step`.
    fresh: Vec<F>,
    filled: bool,
}

/// The state of the run's [`Estimator`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum EstimatorState<F> {
    /// Plain minibatch gradients: no state.
    Minibatch,
    /// SVRG's snapshot.
    Svrg(Svrg<F>),
    /// SAGA's table.
    Saga(Saga<F>),
}

/// The sampler of a minibatch run, with everything that must go on when the run is resumed: the
/// generator, the permutation and the position in the epoch, the epoch counters, the
/// estimator's snapshot or table, the evaluation counts.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) struct SamplerState<F> {
    examples: usize,
    dim: usize,
    batch_size: usize,
    sampling: Sampling,
    /// The estimator's settings, to refuse a resume with others.
    kind: Estimator,
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
    /// The mean minibatch loss of the last completed epoch.
    last_epoch_mean: Option<F>,
    estimator: EstimatorState<F>,
    evals: Evaluations,
    example_gradients: usize,
}

/// `len` zeros (`None`: a product of counts that overflows), or the error naming the count
/// `name = value` that sized them when they cannot be allocated.
fn zeros<F: Real>(len: Option<usize>, name: &'static str, value: usize) -> Result<Vec<F>> {
    let len = len.ok_or_else(|| too_large(name, value))?;
    let mut v = try_with_capacity(len).ok_or_else(|| too_large(name, value))?;
    v.resize(len, F::zero());
    Ok(v)
}

impl<F: Real> SamplerState<F> {
    /// A fresh sampler for `problem`, as `settings` say.
    pub(super) fn new<P: FiniteSum<F> + ?Sized>(problem: &P, settings: &Minibatch) -> Result<Self> {
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
        check_full_check_every(settings)?;
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
                    snapshot: zeros(Some(n), "dim", n)?,
                    mean_gradient: zeros(Some(n), "dim", n)?,
                    at_snapshot: zeros(Some(n), "dim", n)?,
                    every,
                    until_snapshot: 0,
                })
            }
            Estimator::Saga => {
                // The rows of the examples this process holds; all of them in one process.
                let rows = problem.shards().map_or(0..examples, |s| s.local_examples());
                let fresh = if problem.shards().is_some() {
                    // One example's difference and the step's sums (see `sharded_saga_step`).
                    zeros(n.checked_mul(3).and_then(|m| m.checked_add(1)), "dim", n)?
                } else {
                    zeros(b.checked_mul(n), "batch_size", b)?
                };
                EstimatorState::Saga(Saga {
                    table: zeros(rows.len().checked_mul(n), "examples", rows.len())?,
                    first: rows.start,
                    mean: zeros(Some(n), "dim", n)?,
                    fresh,
                    filled: false,
                })
            }
        };
        let order = match settings.sampling {
            Sampling::Shuffle => {
                let mut order =
                    try_with_capacity(examples).ok_or_else(|| too_large("examples", examples))?;
                order.extend(0..examples);
                order
            }
            Sampling::WithReplacement => {
                let mut order = try_with_capacity(b.saturating_mul(2))
                    .ok_or_else(|| too_large("batch_size", b))?;
                order.resize(2 * b, 0);
                order
            }
        };
        Ok(SamplerState {
            examples,
            dim: n,
            batch_size: b,
            sampling: settings.sampling,
            kind: settings.estimator,
            rng: Xoshiro256PlusPlus::seed_from_u64(settings.seed),
            order,
            cursor: 0,
            drawn_ahead: false,
            batches_per_epoch,
            batches_in_epoch: 0,
            epoch: 0,
            epoch_loss: F::zero(),
            epoch_ended: false,
            last_epoch_mean: None,
            estimator,
            evals: Evaluations::default(),
            example_gradients: 0,
        })
    }

    /// Checks that this sampler can go on over `problem` with `settings`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for another number of examples or variables,
    /// [`Error::InvalidParameter`] for another batch size, [`Error::Incompatible`] for another
    /// sampling or estimator, and the errors of the settings themselves.
    pub(super) fn check_fits<P: FiniteSum<F> + ?Sized>(
        &self,
        problem: &P,
        settings: &Minibatch,
    ) -> Result<()> {
        check_len(
            "examples of the finite sum vs the run state",
            self.examples,
            problem.examples(),
        )?;
        check_len("finite sum vs the run state", self.dim, problem.dim())?;
        check_full_check_every(settings)?;
        if settings.batch_size != self.batch_size {
            return Err(Error::InvalidParameter {
                name: "batch_size",
                value: settings.batch_size as f64,
                expected: "the batch size of the run state being resumed",
            });
        }
        if settings.sampling != self.sampling {
            return Err(Error::Incompatible {
                reason: "the run state was sampled another way (Minibatch::sampling): resume it \
                         with the sampling it was made with",
            });
        }
        if settings.estimator != self.kind {
            return Err(Error::Incompatible {
                reason: "the run state holds another gradient estimator (Minibatch::estimator): \
                         resume it with the estimator it was made with",
            });
        }
        if let EstimatorState::Saga(saga) = &self.estimator {
            let rows = problem
                .shards()
                .map_or(0..self.examples, |s| s.local_examples());
            if saga.first != rows.start || saga.table.len() != rows.len() * self.dim {
                return Err(Error::Incompatible {
                    reason: "the run state's SAGA table holds the rows of other examples than \
                             this process's: a SAGA run resumes on the processes and shards it \
                             was saved from, each process from its own state",
                });
            }
        }
        Ok(())
    }

    /// Completed epochs.
    pub(super) fn epoch(&self) -> usize {
        self.epoch
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
    fn refresh<P: FiniteSum<F> + ?Sized>(&mut self, problem: &P, x: ArrayView1<'_, F>) {
        match &mut self.estimator {
            EstimatorState::Minibatch => {}
            EstimatorState::Svrg(svrg) => {
                if svrg.until_snapshot == 0 {
                    for (s, &v) in svrg.snapshot.iter_mut().zip(x) {
                        *s = v;
                    }
                    problem.batch_value_and_gradient(
                        x,
                        Batch::all(self.examples),
                        ArrayViewMut1::from(&mut svrg.mean_gradient[..]),
                    );
                    self.example_gradients = self.example_gradients.saturating_add(self.examples);
                    svrg.until_snapshot = svrg.every;
                }
            }
            EstimatorState::Saga(saga) => {
                if !saga.filled
                    && let Some(shards) = problem.shards()
                {
                    // Each process fills its rows; the mean is summed over the processes.
                    let (n, first) = (self.dim, saga.first);
                    let table = &mut saga.table;
                    shards.sum_terms(
                        x,
                        Batch::all(self.examples),
                        n,
                        &mut |i, _, gradient, term| {
                            let row = &mut table[(i - first) * n..(i - first + 1) * n];
                            for ((a, t), &v) in row.iter_mut().zip(term.iter_mut()).zip(gradient) {
                                *a = v;
                                *t = v;
                            }
                        },
                        &mut saga.mean,
                    );
                    let scale = F::one() / F::from_count(self.examples);
                    saga.mean.iter_mut().for_each(|m| *m *= scale);
                    saga.filled = true;
                    self.example_gradients = self.example_gradients.saturating_add(self.examples);
                }
                if !saga.filled {
                    let n = self.dim;
                    for (i, row) in saga.table.chunks_exact_mut(n).enumerate() {
                        problem.batch_value_and_gradient(
                            x,
                            Batch::Indices(&[i]),
                            ArrayViewMut1::from(row),
                        );
                    }
                    let scale = F::one() / F::from_count(self.examples);
                    saga.mean.fill(F::zero());
                    for row in saga.table.chunks_exact(n) {
                        for (m, &a) in saga.mean.iter_mut().zip(row) {
                            *m += a;
                        }
                    }
                    for m in &mut saga.mean {
                        *m *= scale;
                    }
                    saga.filled = true;
                    self.example_gradients = self.example_gradients.saturating_add(self.examples);
                }
            }
        }
    }
}

/// Checks [`Minibatch::full_check_every`].
fn check_full_check_every(settings: &Minibatch) -> Result<()> {
    if settings.full_check_every == Some(0) {
        return Err(Error::InvalidParameter {
            name: "full_check_every",
            value: 0.0,
            expected: "at least 1 (epochs), or None",
        });
    }
    Ok(())
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
    let n = g.len();
    if let Some(shards) = problem.shards() {
        return sharded_saga_step(shards, saga, x, batch, g, examples);
    }
    // A state made over a distributed sum and resumed over the undistributed one has the
    // scratch of the other layout: grown once.
    if saga.fresh.len() < batch.len() * n {
        saga.fresh.resize(batch.len() * n, F::zero());
    }
    let mut value = F::zero();
    g.fill(F::zero());
    for (k, i) in batch.iter().enumerate() {
        let fresh = &mut saga.fresh[k * n..(k + 1) * n];
        value += problem.batch_value_and_gradient(
            x,
            Batch::Indices(&[i]),
            ArrayViewMut1::from(&mut *fresh),
        );
        let alpha = &saga.table[i * n..(i + 1) * n];
        Zip::from(&mut g)
            .and(ArrayView1::from(&*fresh))
            .and(ArrayView1::from(alpha))
            .for_each(|g, &f, &a| *g += f - a);
    }
    let size = F::from_count(batch.len());
    Zip::from(&mut g)
        .and(ArrayView1::from(&saga.mean[..]))
        .for_each(|g, &m| *g = *g / size + m);
    // Replace the table's rows, keeping the mean in step. A repeated index (sampling with
    // replacement) changes its row once: the second time the difference is zero.
    let per_example = F::one() / F::from_count(examples);
    for (k, i) in batch.iter().enumerate() {
        let fresh = &saga.fresh[k * n..(k + 1) * n];
        let row = &mut saga.table[i * n..(i + 1) * n];
        for ((m, a), &f) in saga.mean.iter_mut().zip(row).zip(fresh) {
            *m += (f - *a) * per_example;
            *a = f;
        }
    }
    value / size
}

/// [`saga_step`] for a sum spread over processes, whose table holds this process's rows: each
/// process computes the terms of its examples, and one sum over the processes gives the loss,
/// `Σ (∇f_i - α_i)` over the batch's draws (for the estimate) and over its distinct examples
/// (for the table's mean), the same on every process.
fn sharded_saga_step<F: Real>(
    shards: &dyn crate::finite_sum::Shards<F>,
    saga: &mut Saga<F>,
    x: ArrayView1<'_, F>,
    batch: Batch<'_>,
    mut g: ArrayViewMut1<'_, F>,
    examples: usize,
) -> F {
    let n = g.len();
    let Saga {
        table,
        first,
        mean,
        fresh,
        ..
    } = saga;
    let first = *first;
    // `fresh` holds one example's difference `∇f_i - α_i`, then the sums
    // `[loss, per draw (n), per distinct example (n)]` (grown once if the state was made over an
    // undistributed sum).
    if fresh.len() != 1 + 3 * n {
        fresh.resize(1 + 3 * n, F::zero());
    }
    let (difference, totals) = fresh.split_at_mut(n);
    let mut last = None;
    shards.sum_terms(
        x,
        batch,
        1 + 2 * n,
        &mut |i, f, gradient, term| {
            let (loss, rest) = term.split_at_mut(1);
            let (per_draw, per_example) = rest.split_at_mut(n);
            loss[0] = f;
            if last == Some(i) {
                // A repetition (sampling with replacement) comes right after the first draw of
                // its example: the same difference, and the table changes once.
                per_draw.copy_from_slice(difference);
                per_example.fill(F::zero());
                return;
            }
            let row = &mut table[(i - first) * n..(i - first + 1) * n];
            for ((((d, a), &v), p), e) in difference
                .iter_mut()
                .zip(row.iter_mut())
                .zip(gradient.iter())
                .zip(per_draw.iter_mut())
                .zip(per_example.iter_mut())
            {
                *d = v - *a;
                *a = v;
                *p = *d;
                *e = *d;
            }
            last = Some(i);
        },
        totals,
    );
    // The estimate from the mean before the step, then the mean kept in step with the table.
    let size = F::from_count(batch.len());
    let per_example = F::one() / F::from_count(examples);
    let (per_draw, distinct) = totals[1..].split_at(n);
    for (((gk, m), &p), &d) in g
        .iter_mut()
        .zip(mean.iter_mut())
        .zip(per_draw)
        .zip(distinct)
    {
        *gk = p / size + *m;
        *m += d * per_example;
    }
    totals[0] / size
}

/// The minibatch oracle of the loop: the finite sum and the sampler of the run, which draws
/// batches, counts epochs, and applies the estimator.
pub(super) struct Sampled<'p, F, P: ?Sized> {
    problem: &'p P,
    pub(super) state: SamplerState<F>,
    full_check_every: Option<usize>,
    /// The full gradient of the last full check (scratch of the run).
    full_gradient: Vec<F>,
}

impl<'p, F: Real, P: FiniteSum<F> + ?Sized> Sampled<'p, F, P> {
    /// The oracle of `problem` with the sampler `state` (checked to fit by the caller).
    pub(super) fn new(problem: &'p P, state: SamplerState<F>, settings: &Minibatch) -> Self {
        Sampled {
            problem,
            full_gradient: vec![F::zero(); state.dim],
            state,
            full_check_every: settings.full_check_every,
        }
    }
}

impl<F: Real, P: FiniteSum<F> + ?Sized> Oracle<F> for Sampled<'_, F, P> {
    fn dim(&self) -> usize {
        self.problem.dim()
    }

    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, mut g: ArrayViewMut1<'_, F>) -> F {
        let problem = self.problem;
        let st = &mut self.state;
        st.refresh(problem, x);
        let ((from, to), after) = st.next_batch();
        if let Some((a, b)) = after {
            problem.prefetch(Batch::Indices(&st.order[a..b]));
        }
        let batch = Batch::Indices(&st.order[from..to]);
        let value = match &mut st.estimator {
            EstimatorState::Minibatch => problem.batch_value_and_gradient(x, batch, g.view_mut()),
            EstimatorState::Svrg(svrg) => {
                let value = problem.batch_value_and_gradient(x, batch, g.view_mut());
                problem.batch_value_and_gradient(
                    ArrayView1::from(&svrg.snapshot[..]),
                    batch,
                    ArrayViewMut1::from(&mut svrg.at_snapshot[..]),
                );
                Zip::from(&mut g)
                    .and(ArrayView1::from(&svrg.at_snapshot[..]))
                    .and(ArrayView1::from(&svrg.mean_gradient[..]))
                    .for_each(|g, &s, &m| *g = *g - s + m);
                svrg.until_snapshot -= 1;
                st.example_gradients = st.example_gradients.saturating_add(batch.len());
                value
            }
            EstimatorState::Saga(saga) => {
                saga_step(problem, saga, x, batch, g.view_mut(), st.examples)
            }
        };
        st.evals.function += 1;
        st.evals.gradient += 1;
        st.example_gradients = st.example_gradients.saturating_add(batch.len());
        st.epoch_loss += value;
        st.batches_in_epoch += 1;
        if st.batches_in_epoch == st.batches_per_epoch {
            st.epoch_ended = true;
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
        (self.state.evals.function, self.state.evals.gradient)
    }

    fn is_sampled(&self) -> bool {
        true
    }

    fn epoch(&self) -> usize {
        self.state.epoch
    }

    fn epoch_mean_loss(&self) -> Option<F> {
        self.state.last_epoch_mean
    }

    fn end_of_epoch(&mut self) -> Option<F> {
        let st = &mut self.state;
        if !st.epoch_ended {
            return None;
        }
        let mean = st.epoch_loss / F::from_count(st.batches_in_epoch);
        st.epoch_ended = false;
        st.epoch += 1;
        st.epoch_loss = F::zero();
        st.batches_in_epoch = 0;
        st.last_epoch_mean = Some(mean);
        Some(mean)
    }

    fn full_check_due(&self, at_start: bool) -> bool {
        match self.full_check_every {
            None => false,
            Some(k) => at_start || self.state.epoch.is_multiple_of(k),
        }
    }

    fn full_evaluation(&mut self, x: ArrayView1<'_, F>) -> F {
        self.state.example_gradients = self
            .state
            .example_gradients
            .saturating_add(self.state.examples);
        self.problem.batch_value_and_gradient(
            x,
            Batch::all(self.state.examples),
            ArrayViewMut1::from(&mut self.full_gradient[..]),
        )
    }

    fn full_gradient(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&self.full_gradient[..])
    }

    fn sampling_report(&self) -> Option<SamplingReport> {
        Some(SamplingReport {
            examples: self.state.examples,
            epochs: self.state.epoch,
            example_gradients: self.state.example_gradients,
        })
    }
}
