//! Finite sums `f(x) = (1/N) Σ_i f_i(x)`: the objectives of machine learning, evaluated on
//! minibatches of examples.

use std::sync::Mutex;

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use crate::error::{Error, Result, check_len};
use crate::optim::kernel::widest_simd;
use crate::{Objective, Real};

/// A set of example indices: a contiguous range, or an explicit list (a minibatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch<'a> {
    /// The examples `start..end`.
    Range {
        /// First example.
        start: usize,
        /// One past the last example.
        end: usize,
    },
    /// The listed examples (repetitions allowed, as in sampling with replacement).
    Indices(&'a [usize]),
}

impl<'a> Batch<'a> {
    /// Every example of a sum of `n` terms.
    pub fn all(n: usize) -> Self {
        Batch::Range { start: 0, end: n }
    }

    /// Number of examples in the batch.
    pub fn len(&self) -> usize {
        match *self {
            Batch::Range { start, end } => end.saturating_sub(start),
            Batch::Indices(ix) => ix.len(),
        }
    }

    /// `true` for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k`-th example of the batch (`k < len()`).
    #[inline]
    pub fn get(&self, k: usize) -> usize {
        match *self {
            Batch::Range { start, .. } => start + k,
            Batch::Indices(ix) => ix[k],
        }
    }

    /// The examples at batch positions `from..to`.
    pub fn slice(&self, from: usize, to: usize) -> Batch<'a> {
        match *self {
            Batch::Range { start, .. } => Batch::Range {
                start: start + from,
                end: start + to,
            },
            Batch::Indices(ix) => Batch::Indices(&ix[from..to]),
        }
    }

    /// The example indices, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(move |k| self.get(k))
    }

    /// The largest index in the batch, if any.
    pub fn max_index(&self) -> Option<usize> {
        match *self {
            Batch::Range { start, end } => (end > start).then(|| end - 1),
            Batch::Indices(ix) => ix.iter().copied().max(),
        }
    }
}

/// A finite sum `f(x) = (1/N) Σ_{i<N} f_i(x)` of per-example losses.
///
/// Implementors give the mean loss and gradient over any batch `B` of examples,
///
/// ```text
/// f_B(x) = (1/|B|) Σ_{i∈B} f_i(x),    ∇f_B(x) = (1/|B|) Σ_{i∈B} ∇f_i(x),
/// ```
///
/// written into a caller buffer. Minibatch methods run on them through
/// [`Minimizer::minimize_finite_sum`](crate::Minimizer::minimize_finite_sum); any finite sum is also
/// a full [`Objective`] through [`FullBatch`]. [`BatchReducer`] computes such batch means over all
/// cores with results that do not depend on the number of threads.
pub trait FiniteSum<F: Real>: Sync {
    /// Number of variables `n`.
    fn dim(&self) -> usize;

    /// Number of examples `N`.
    fn examples(&self) -> usize;

    /// Writes `∇f_B(x)` into `grad` and returns `f_B(x)`.
    ///
    /// # Preconditions
    /// `x` and `grad` have [`dim`](FiniteSum::dim) entries, and the batch is not empty and
    /// holds indices below [`examples`](FiniteSum::examples). The loop checks the lengths before
    /// a run and draws only such batches; a call by hand goes through [`evaluate_batch`], which
    /// checks all of it and returns a typed error. An implementation may assume the
    /// preconditions; the problems of [`problems`](crate::problems) check them anyway, and
    /// panic in a debug build (naming the lengths or the index) or return NaN with a NaN
    /// gradient in a release build.
    fn batch_value_and_gradient(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        grad: ArrayViewMut1<'_, F>,
    ) -> F;

    /// A hint that `batch` comes next: a problem whose examples are rows of a large matrix can
    /// ask the processor to start loading the first ones, so that they arrive while the current
    /// batch is evaluated. Changes no result. The minibatch loop gives the hint before each
    /// batch for the one after it. Default: nothing.
    ///
    /// A hint has no precondition: an implementation must accept any batch, indices out of
    /// range included (the problems of this crate skip them).
    fn prefetch(&self, batch: Batch<'_>) {
        let _ = batch;
    }

    /// For a sum whose examples are spread over processes (a
    /// [`DistributedSum`](crate::distributed::DistributedSum)): its per-example access, through
    /// which SAGA keeps each example's table row on the process that owns the example. `None`
    /// (the default) for a sum held by one process.
    fn shards(&self) -> Option<&dyn Shards<F>> {
        None
    }
}

/// The term of one example in [`Shards::sum_terms`]: `term(i, f_i(x), ∇f_i(x), t)` writes the
/// term of example `i` (a global index) into `t`.
pub type ExampleTerm<'t, F> = dyn FnMut(usize, F, ArrayView1<'_, F>, &mut [F]) + 't;

/// Sums of per-example terms of a finite sum whose examples are spread over processes, each
/// example evaluated by the process that holds it: what SAGA needs to keep its table of
/// per-example gradients sharded (see [`FiniteSum::shards`]).
pub trait Shards<F: Real> {
    /// The examples this process holds (global indices).
    fn local_examples(&self) -> std::ops::Range<usize>;

    /// Writes into `out` (of `width` values) the sum over the batch's examples `i` (global
    /// indices, repetitions counted) of the terms `term(i, f_i(x), ∇f_i(x), t)` writes into `t`
    /// (of `width` values). Only the process holding example `i` calls `term` for it, and it
    /// calls it for the repetitions of an example one after the other; the sum is the same on
    /// every process. Collective: every process calls it with the same `x`, batch and `width`.
    /// After a failure of the processes (see
    /// [`DistributedSum::failure`](crate::distributed::DistributedSum::failure)), `out` is NaN.
    fn sum_terms(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        width: usize,
        term: &mut ExampleTerm<'_, F>,
        out: &mut [F],
    );
}

impl<F: Real, T: FiniteSum<F> + ?Sized> FiniteSum<F> for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn examples(&self) -> usize {
        (**self).examples()
    }
    fn batch_value_and_gradient(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        grad: ArrayViewMut1<'_, F>,
    ) -> F {
        (**self).batch_value_and_gradient(x, batch, grad)
    }
    fn prefetch(&self, batch: Batch<'_>) {
        (**self).prefetch(batch)
    }
    fn shards(&self) -> Option<&dyn Shards<F>> {
        (**self).shards()
    }
}

/// [`FiniteSum::batch_value_and_gradient`] with its arguments checked: a non-empty batch of
/// indices below `N`, and `x` and `grad` of length `n`.
///
/// # Errors
/// [`Error::Empty`] for an empty batch, [`Error::InvalidParameter`] for an index out of range,
/// [`Error::DimensionMismatch`] for `x` or `grad` of the wrong length.
pub fn evaluate_batch<F: Real, S: FiniteSum<F> + ?Sized>(
    sum: &S,
    x: ArrayView1<'_, F>,
    batch: Batch<'_>,
    grad: ArrayViewMut1<'_, F>,
) -> Result<F> {
    if batch.is_empty() {
        return Err(Error::Empty { what: "batch" });
    }
    if let Some(max) = batch.max_index()
        && max >= sum.examples()
    {
        return Err(Error::InvalidParameter {
            name: "batch index",
            value: max as f64,
            expected: "below the number of examples",
        });
    }
    check_len("x vs dim()", sum.dim(), x.len())?;
    check_len("grad vs dim()", sum.dim(), grad.len())?;
    Ok(sum.batch_value_and_gradient(x, batch, grad))
}

/// A [`FiniteSum`] seen as a full [`Objective`]: `f(x)` and `∇f(x)` over all `N` examples.
///
/// `value` costs a full gradient as well (a finite sum only promises both together); prefer
/// `value_and_gradient`, which the [`Minimizer`](crate::Minimizer) uses at every iteration.
/// Keeps one scratch gradient for `value`, allocated on first use.
pub struct FullBatch<S, F> {
    sum: S,
    scratch: Mutex<Vec<F>>,
}

impl<S, F> FullBatch<S, F> {
    /// Wraps a finite sum.
    pub fn new(sum: S) -> Self {
        FullBatch {
            sum,
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// The wrapped finite sum.
    pub fn inner(&self) -> &S {
        &self.sum
    }
}

impl<F: Real, S: FiniteSum<F>> Objective<F> for FullBatch<S, F> {
    fn dim(&self) -> usize {
        self.sum.dim()
    }

    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        scratch.resize(self.sum.dim(), F::zero());
        let grad = ArrayViewMut1::from(&mut scratch[..]);
        self.sum
            .batch_value_and_gradient(x, Batch::all(self.sum.examples()), grad)
    }

    fn gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) {
        self.value_and_gradient(x, grad);
    }

    fn value_and_gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        self.sum
            .batch_value_and_gradient(x, Batch::all(self.sum.examples()), grad)
    }

    fn value_with_scratch(&self, x: ArrayView1<'_, F>, scratch: ArrayViewMut1<'_, F>) -> F {
        self.value_and_gradient(x, scratch)
    }
}

/// Computes batch means `(1/|B|) Σ_{i∈B} (f_i, ∇f_i)` from per-example terms, over all cores
/// when the batch is large, with bit-identical results for any number of threads.
///
/// The batch is cut into chunks of [`CHUNK`](BatchReducer::CHUNK) consecutive examples whatever
/// the number of threads; each chunk is summed in order into its own buffer, and the chunk sums
/// are added in chunk order. The summation order is thus fixed by the batch alone: one thread
/// or many give the same bits.
///
/// Chunks run in parallel (with the `parallel` feature) when the batch holds more than one chunk
/// and at least [`PARALLEL_WORK`](BatchReducer::PARALLEL_WORK) `examples × dim` entries: handing
/// chunks to the thread pool and waiting for them costs tens of microseconds, and a second thread
/// pays only when its share of the batch takes longer than that. Chunk buffers are kept between
/// calls, so a reducer allocates only when a batch larger than any before arrives.
pub struct BatchReducer<F> {
    dim: usize,
    buffers: Mutex<(Vec<F>, Vec<F>)>,
}

impl<F: Real> BatchReducer<F> {
    /// Examples per chunk.
    pub const CHUNK: usize = 256;
    /// Work (`batch size × dim`) from which chunks are spread over threads.
    ///
    /// Two threads take `W t / 2 + c` for a batch of `W` entries that one thread does in `W t`,
    /// where `c` is the cost of handing chunks to the pool and waiting for them (a fork and a
    /// join from outside the pool), so they pay from `W = 2c / t`. Measured with `cargo bench
    /// --bench epoch` on a two-core virtual machine: `c ≈ 20–30 µs`, and `t ≈ 1 ns` per entry
    /// for logistic regression on shuffled rows (`0.55 ns` on rows in order), so the break-even
    /// point is `40,000–60,000` entries; `2^16` splits batches of 1024 examples of 100 features
    /// and keeps batches of 512 on one thread.
    pub const PARALLEL_WORK: usize = 1 << 16;
    /// How many examples ahead [`mean_prefetching`](BatchReducer::mean_prefetching) prefetches.
    pub const LOOKAHEAD: usize = 4;

    /// A reducer for gradients of `dim` entries. Allocates nothing: the chunk buffers are
    /// reserved on first use.
    pub fn new(dim: usize) -> Self {
        BatchReducer {
            dim,
            buffers: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    /// Writes `(1/|B|) Σ_{i∈B} ∇f_i` into `grad` and returns `(1/|B|) Σ_{i∈B} f_i`, where
    /// `example(i, acc)` adds `∇f_i` into the accumulator `acc` and returns `f_i`.
    ///
    /// # Preconditions
    /// `grad` has the reducer's `dim` entries (a debug build panics naming both lengths). The
    /// accumulators handed to `example` have `grad.len()` entries whatever the reducer was
    /// built for, so a mismatch cannot make the reducer index out of bounds; an `example` that
    /// assumes `dim` entries may. An empty batch gives `0` and a zero gradient. A batch too
    /// large for one chunk buffer per thread (a [`Batch::Range`] of up to `usize::MAX`
    /// examples) is summed one chunk at a time with one buffer, to the same bits; only if even
    /// that buffer cannot be allocated are the value and `grad` NaN.
    pub fn mean<E>(&self, batch: Batch<'_>, grad: ArrayViewMut1<'_, F>, example: E) -> F
    where
        E: Fn(usize, ArrayViewMut1<'_, F>) -> F + Sync,
    {
        self.mean_prefetching(batch, grad, example, |_| {})
    }

    /// [`mean`](BatchReducer::mean), calling `prefetch(j)` for the example `j` that comes
    /// [`LOOKAHEAD`](BatchReducer::LOOKAHEAD) places after the one being evaluated, in the same
    /// chunk. A problem whose examples are rows of a large matrix can ask the processor to load
    /// the row early (a prefetch hint changes no result): in a shuffled batch the rows are
    /// scattered through memory and the hardware cannot guess the next one.
    pub fn mean_prefetching<E, P>(
        &self,
        batch: Batch<'_>,
        grad: ArrayViewMut1<'_, F>,
        example: E,
        prefetch: P,
    ) -> F
    where
        E: Fn(usize, ArrayViewMut1<'_, F>) -> F + Sync,
        P: Fn(usize) + Sync,
    {
        self.mean_of_parts(
            batch,
            grad,
            #[inline(always)]
            |batch: Batch<'_>, from: usize, to: usize, mut acc: ArrayViewMut1<'_, F>| {
                let mut value = F::zero();
                for k in from..to {
                    // `k + LOOKAHEAD < to`, written so that it cannot overflow.
                    if to - k > Self::LOOKAHEAD {
                        prefetch(batch.get(k + Self::LOOKAHEAD));
                    }
                    value += example(batch.get(k), acc.view_mut());
                }
                value
            },
        )
    }

    /// [`mean`](BatchReducer::mean) for problems that evaluate a run of examples at once.
    ///
    /// `part(batch, from, to, acc)` adds the gradients of the examples at batch positions
    /// `from..to` into `acc` and returns the sum of their values. It sees the whole batch, so
    /// that it can prefetch what comes after `to`. For the same bits as
    /// [`mean`](BatchReducer::mean) it adds the examples into `acc` one after the other in batch
    /// order (each entry as `acc_j + ∇f_i[j]`) and sums the values in the same order from zero;
    /// any other fixed order is equally independent of the number of threads.
    ///
    /// # Preconditions
    /// As [`mean`](BatchReducer::mean); `acc` has `grad.len()` entries.
    pub fn mean_of_parts<P>(&self, batch: Batch<'_>, mut grad: ArrayViewMut1<'_, F>, part: P) -> F
    where
        P: Fn(Batch<'_>, usize, usize, ArrayViewMut1<'_, F>) -> F + Sync,
    {
        let len = batch.len();
        let dim = grad.len();
        debug_assert!(
            dim == self.dim,
            "BatchReducer::new({}) was given a gradient buffer of length {dim}: build the reducer \
             for the length of the gradients it sums",
            self.dim
        );
        grad.fill(F::zero());
        if len == 0 {
            return F::zero();
        }
        let chunks = len.div_ceil(Self::CHUNK);
        let sum_chunk = |c: usize, acc: ArrayViewMut1<'_, F>| -> F {
            let from = c * Self::CHUNK;
            let to = from.saturating_add(Self::CHUNK).min(len);
            // Compiled for the widest SIMD instructions available, so that an inlined
            // per-example function (a dot product and a gradient update, for linear models)
            // runs on wide vectors.
            widest_simd(
                #[inline(always)]
                || part(batch, from, to, acc),
            )
        };
        let total = if chunks == 1 {
            sum_chunk(0, grad.view_mut())
        } else {
            let mut guard = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
            let (partials, values) = &mut *guard;
            // One buffer per chunk, when the chunks are spread over threads and the buffers can
            // be allocated.
            #[cfg(feature = "parallel")]
            let spread = self.parallel(len, dim)
                && dim > 0
                && chunks
                    .checked_mul(dim)
                    .is_some_and(|total| try_resize(partials, total))
                && try_resize(values, chunks);
            #[cfg(not(feature = "parallel"))]
            let spread = false;
            if spread {
                #[cfg(feature = "parallel")]
                {
                    use rayon::prelude::*;
                    let run = |(c, (acc, value)): (usize, (&mut [F], &mut F))| {
                        acc.fill(F::zero());
                        *value = sum_chunk(c, ArrayViewMut1::from(acc));
                    };
                    partials[..chunks * dim]
                        .par_chunks_mut(dim)
                        .zip(values[..chunks].par_iter_mut())
                        .enumerate()
                        .for_each(run);
                }
                for acc in partials[..chunks * dim].chunks(dim) {
                    Zip::from(&mut grad)
                        .and(&ArrayView1::from(acc))
                        .for_each(|g, &a| *g += a);
                }
                values[..chunks].iter().fold(F::zero(), |s, &v| s + v)
            } else if try_resize(partials, dim) {
                // One chunk at a time into one buffer: each chunk summed from zero, the chunk
                // sums added in chunk order, as above, so the bits are the same.
                let acc = &mut partials[..dim];
                let mut total = F::zero();
                for c in 0..chunks {
                    acc.fill(F::zero());
                    let value = sum_chunk(c, ArrayViewMut1::from(&mut *acc));
                    Zip::from(&mut grad)
                        .and(&ArrayView1::from(&*acc))
                        .for_each(|g, &a| *g += a);
                    total += value;
                }
                total
            } else {
                grad.fill(F::nan());
                return F::nan();
            }
        };
        let scale = F::one() / F::from_count(len);
        grad.mapv_inplace(|g| g * scale);
        total * scale
    }

    /// `true` if a batch of `len` examples of `dim` entries is spread over threads.
    #[cfg(feature = "parallel")]
    fn parallel(&self, len: usize, dim: usize) -> bool {
        len > Self::CHUNK
            && len.saturating_mul(dim) >= Self::PARALLEL_WORK
            && rayon::current_num_threads() > 1
    }
}

/// Resizes `v` to `len` entries (new ones zero); `false`, leaving `v` as it is, if the memory
/// cannot be allocated.
fn try_resize<F: Real>(v: &mut Vec<F>, len: usize) -> bool {
    if len > v.len() && v.try_reserve(len - v.len()).is_err() {
        return false;
    }
    v.resize(len, F::zero());
    true
}

/// A clone is a fresh reducer for the same dimension (the scratch buffers are not copied).
impl<F> Clone for BatchReducer<F> {
    fn clone(&self) -> Self {
        BatchReducer {
            dim: self.dim,
            buffers: Mutex::new((Vec::new(), Vec::new())),
        }
    }
}

impl<F> std::fmt::Debug for BatchReducer<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchReducer")
            .field("dim", &self.dim)
            .finish()
    }
}
