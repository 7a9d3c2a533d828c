//! The shared core of the data problems: an average of per-example losses of a linear model
//! plus an L2 penalty,
//!
//! ```text
//! f(w) = (1/N) Σ_i φ(x_iᵀ w, y_i) + (λ/2) |w|² .
//! ```
//!
//! Each example is evaluated on its own ([`LinearModel::accumulate_example`]), so that a
//! minibatch gradient is the same loop over a subset of indices. As a finite sum the penalty is
//! shared equally by every example,
//!
//! ```text
//! f_i(w) = φ(x_iᵀ w, y_i) + (λ/2) |w|²,    ∇f_i(w) = φ'(x_iᵀ w, y_i) x_i + λ w,
//! ```
//!
//! so that the mean of the `f_i` over any batch is the batch's mean loss plus the whole penalty,
//! and over all `N` examples it is `f` itself. Batches and the full objective both go through
//! one [`BatchReducer`] (the full objective is the batch of all examples), so they agree to the
//! bit and use every core.

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Zip};

use super::data::Dataset;
use super::{Certificate, newton, wrong_length};
use crate::Real;
use crate::error::{Domain, Result, check};
use crate::finite_sum::{Batch, BatchReducer};
use crate::linalg::alloc::{too_large, try_from_fn2, try_map2};
use crate::linalg::{axpy_slices, dot_slices, symmetric_eigenvalues};

/// Examples evaluated together by [`LinearModel::accumulate_part`].
const GROUP: usize = 8;

/// Batch positions between the prefetch of an example's row and its evaluation.
const AHEAD: usize = 16;

/// A loss `φ(z, y)` of the margin (prediction) `z = xᵀw` and the target `y`.
pub(crate) trait ExampleLoss: Sync {
    /// `φ(z, y)`.
    fn loss<F: Real>(&self, z: F, y: F) -> F;
    /// `(φ(z, y), ∂φ/∂z (z, y))`.
    fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F);
    /// `∂²φ/∂z² (z, y)`, or a generalised second derivative where `∂φ/∂z` has kinks.
    fn curvature(&self, z: f64, y: f64) -> f64;
    /// `sup ∂²φ/∂z²` over all `z` and `y`: with it the problem's gradient is Lipschitz with
    /// `L = sup φ'' · λ_max(XᵀX/N) + λ`.
    fn max_curvature(&self) -> f64;
}

/// Data, penalty and the spectrum of the Gram matrix of a linear-model problem.
#[derive(Debug, Clone)]
pub(crate) struct LinearModel<F> {
    data: Dataset<F>,
    l2: F,
    /// Smallest and largest eigenvalue of `XᵀX / N`, computed in `f64`.
    gram_min: f64,
    gram_max: f64,
    /// Sums per-example gradients over batches (and over all examples) on all cores.
    reducer: BatchReducer<F>,
}

impl<F: Real> LinearModel<F> {
    /// Validates the data and the penalty and computes the spectrum of `XᵀX / N`.
    ///
    /// # Errors
    /// Those of [`Dataset::validate`] and of the penalty; [`Error::InvalidCount`] naming the
    /// number of features `d` when the dense `d x d` Gram matrix cannot be allocated (a wide
    /// dataset: `d = 10⁶` features would take 8 TB).
    ///
    /// [`Error::InvalidCount`]: crate::Error::InvalidCount
    pub(crate) fn new(data: Dataset<F>, l2: F) -> Result<Self> {
        data.validate()?;
        check("lambda", l2, Domain::NonNegative)?;
        let d = data.dim();
        let oversize = || too_large("features (columns)", d);
        let x = try_map2(&data.features, |v| v.as_f64()).ok_or_else(oversize)?;
        let mut gram = try_from_fn2((d, d), |_| 0.0).ok_or_else(oversize)?;
        // The product `x.t().dot(&x)` makes, written into memory reserved without aborting.
        ndarray::linalg::general_mat_mul(1.0, &x.t(), &x, 0.0, &mut gram);
        gram /= data.len() as f64;
        let eig = symmetric_eigenvalues(gram.view());
        let d = eig.len();
        Ok(LinearModel {
            gram_min: eig[0].max(0.0),
            gram_max: eig[d - 1],
            reducer: BatchReducer::new(data.features.ncols()),
            data,
            l2,
        })
    }

    pub(crate) fn data(&self) -> &Dataset<F> {
        &self.data
    }

    pub(crate) fn l2(&self) -> F {
        self.l2
    }

    pub(crate) fn dim(&self) -> usize {
        self.data.features.ncols()
    }

    /// Number of examples `N`.
    pub(crate) fn examples(&self) -> usize {
        self.data.features.nrows()
    }

    /// Smallest and largest eigenvalue of `XᵀX / N`.
    pub(crate) fn gram_extremes(&self) -> (f64, f64) {
        (self.gram_min, self.gram_max)
    }

    /// `φ(x_iᵀ w, y_i)`.
    pub(crate) fn example_loss<L: ExampleLoss>(
        &self,
        loss: &L,
        i: usize,
        w: ArrayView1<'_, F>,
    ) -> F {
        let row = self.data.features.row(i);
        let z = match (row.as_slice(), w.as_slice()) {
            (Some(r), Some(ws)) => dot_slices(r, ws),
            _ => row.dot(&w),
        };
        loss.loss(z, self.data.targets[i])
    }

    /// Adds `scale · ∇_w φ(x_iᵀ w, y_i) = scale · φ'(x_iᵀ w, y_i) x_i` to `grad` and returns
    /// `φ(x_iᵀ w, y_i)`. Allocates nothing; contiguous rows, weights and accumulators take a
    /// slice loop (a dot product and an axpy over the row).
    #[inline(always)]
    pub(crate) fn accumulate_example<L: ExampleLoss>(
        &self,
        loss: &L,
        i: usize,
        w: ArrayView1<'_, F>,
        grad: &mut ArrayViewMut1<'_, F>,
        scale: F,
    ) -> F {
        let row = self.data.features.row(i);
        let y = self.data.targets[i];
        if let (Some(r), Some(ws), Some(g)) = (row.as_slice(), w.as_slice(), grad.as_slice_mut()) {
            let (value, slope) = loss.loss_and_slope(dot_slices(r, ws), y);
            axpy_slices(scale * slope, r, g);
            return value;
        }
        let z = row.dot(&w);
        let (value, slope) = loss.loss_and_slope(z, y);
        grad.scaled_add(scale * slope, &row);
        value
    }

    /// `(λ/2) |w|²`.
    fn penalty(&self, w: ArrayView1<'_, F>) -> F {
        F::lit(0.5) * self.l2 * w.dot(&w)
    }

    /// `f(w)`; NaN if `w` does not have `d` entries (a debug build panics).
    pub(crate) fn value<L: ExampleLoss>(&self, loss: &L, w: ArrayView1<'_, F>) -> F {
        if wrong_length(self.dim(), &w, None) {
            return F::nan();
        }
        let n = self.data.len();
        let sum = (0..n).fold(F::zero(), |s, i| s + self.example_loss(loss, i, w));
        sum / F::from_count(n) + self.penalty(w)
    }

    /// Writes `∇f(w)` into `grad` and returns `f(w)`: the mean of the `f_i` over all examples,
    /// through the reducer. Allocates nothing after the first call.
    pub(crate) fn value_and_gradient<L: ExampleLoss>(
        &self,
        loss: &L,
        w: ArrayView1<'_, F>,
        grad: ArrayViewMut1<'_, F>,
    ) -> F {
        self.batch_value_and_gradient(loss, w, Batch::all(self.examples()), grad)
    }

    /// Writes `∇f_B(w) = (1/|B|) Σ_{i∈B} φ'(x_iᵀ w, y_i) x_i + λ w` into `grad` and returns
    /// `f_B(w) = (1/|B|) Σ_{i∈B} φ(x_iᵀ w, y_i) + (λ/2) |w|²`, the batch mean of the `f_i`.
    /// Allocates nothing once the reducer has seen a batch this large.
    ///
    /// `w` and `grad` must have `d` entries, and `batch` must be non-empty with indices below
    /// `N` (the precondition of [`FiniteSum`](crate::FiniteSum)): otherwise a debug build
    /// panics naming what is wrong, and a release build returns NaN and fills `grad` with NaN.
    pub(crate) fn batch_value_and_gradient<L: ExampleLoss>(
        &self,
        loss: &L,
        w: ArrayView1<'_, F>,
        batch: Batch<'_>,
        mut grad: ArrayViewMut1<'_, F>,
    ) -> F {
        if wrong_length(self.dim(), &w, Some(&mut grad)) || self.wrong_batch(batch, &mut grad) {
            return F::nan();
        }
        let mean = self.reducer.mean_of_parts(
            batch,
            grad.view_mut(),
            #[inline(always)]
            |batch, from, to, mut acc| self.accumulate_part(loss, batch, from, to, w, &mut acc),
        );
        let l2 = self.l2;
        if l2 != F::zero() {
            Zip::from(&mut grad).and(w).for_each(|g, &wi| *g += l2 * wi);
        }
        mean + self.penalty(w)
    }

    /// `true` (after filling `grad` with NaN) if `batch` is empty or holds an index `>= N`; a
    /// debug build panics naming the index. A scan of the indices, which costs a small fraction
    /// of evaluating the batch (each example reads `d` features).
    fn wrong_batch(&self, batch: Batch<'_>, grad: &mut ArrayViewMut1<'_, F>) -> bool {
        let examples = self.examples();
        let bad = match batch.max_index() {
            None => true,
            Some(max) => max >= examples,
        };
        if bad {
            wrong_batch_found(batch.max_index(), examples);
            grad.fill(F::nan());
        }
        bad
    }

    /// Adds `Σ_k φ'(x_iᵀ w, y_i) x_i` over the examples `i` at batch positions `from..to` to
    /// `acc` and returns `Σ_k φ(x_iᵀ w, y_i)`, both summed in batch order: the same bits as
    /// [`accumulate_example`](LinearModel::accumulate_example) called on each example in turn.
    ///
    /// In a shuffled batch every row is somewhere else in memory. Rows are prefetched [`AHEAD`]
    /// positions before they are used, and evaluated [`GROUP`] at a time: the group's dot
    /// products together, then its losses, then its gradient updates. Measured on a shuffled
    /// epoch of 200,000 x 100 logistic regression, this halves the time of evaluating one
    /// example after the other with the same prefetches (the epoch bench); the independent dot
    /// products and losses of a group keep the arithmetic units busy while rows arrive.
    #[inline(always)]
    fn accumulate_part<L: ExampleLoss>(
        &self,
        loss: &L,
        batch: Batch<'_>,
        from: usize,
        to: usize,
        w: ArrayView1<'_, F>,
        acc: &mut ArrayViewMut1<'_, F>,
    ) -> F {
        let d = self.dim();
        let (Some(x), Some(y), Some(ws), Some(g)) = (
            self.data.features.as_slice(),
            self.data.targets.as_slice(),
            w.as_slice(),
            acc.as_slice_mut(),
        ) else {
            let mut value = F::zero();
            for k in from..to {
                value += self.accumulate_example(loss, batch.get(k), w, acc, F::one());
            }
            return value;
        };
        let row = |i: usize| &x[i * d..(i + 1) * d];
        let prefetch = |from: usize, to: usize| prefetch_rows(x, y, d, batch, from, to);
        prefetch(from, from + AHEAD);
        let mut value = F::zero();
        let mut start = from;
        while start + GROUP <= to {
            prefetch(start + AHEAD, start + GROUP + AHEAD);
            let rows: [&[F]; GROUP] = std::array::from_fn(|r| row(batch.get(start + r)));
            let mut slopes = dot_rows(&rows, ws);
            for (r, s) in slopes.iter_mut().enumerate() {
                let (v, slope) = loss.loss_and_slope(*s, y[batch.get(start + r)]);
                value += v;
                *s = slope;
            }
            axpy_rows(&slopes, &rows, g);
            start += GROUP;
        }
        for k in start..to {
            let i = batch.get(k);
            let (v, slope) = loss.loss_and_slope(dot_slices(row(i), ws), y[i]);
            value += v;
            axpy_slices(slope, row(i), g);
        }
        value
    }

    /// Asks the processor to load the row and the target of example `i` (a hint: no effect on
    /// any result).
    #[inline(always)]
    fn prefetch_example(&self, i: usize) {
        if let Some(row) = self.data.features.row(i).as_slice() {
            prefetch_slice(row);
        }
        if let Some(y) = self.data.targets.get(i) {
            prefetch_slice(std::slice::from_ref(y));
        }
    }

    /// Prefetches the rows and targets of the first [`AHEAD`] examples of `batch`, which
    /// [`batch_value_and_gradient`](LinearModel::batch_value_and_gradient) would otherwise
    /// wait for.
    pub(crate) fn prefetch(&self, batch: Batch<'_>) {
        for k in 0..batch.len().min(AHEAD) {
            let i = batch.get(k);
            if i < self.examples() {
                self.prefetch_example(i);
            }
        }
    }

    /// Minimises `f` in `f64` by damped Newton from `w0`, to a gradient norm of `1e-12`.
    pub(crate) fn certify<L: ExampleLoss>(&self, loss: &L, w0: Array1<f64>) -> Certificate {
        let x = self.data.features_f64();
        let y = self.data.targets_f64();
        let l2 = self.l2.as_f64();
        let n = x.nrows() as f64;
        let value = |w: ArrayView1<'_, f64>| {
            let z = x.dot(&w);
            let sum = Zip::from(&z)
                .and(&y)
                .fold(0.0, |s, &zi, &yi| s + loss.loss(zi, yi));
            sum / n + 0.5 * l2 * w.dot(&w)
        };
        let derivatives =
            |w: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>, h: &mut Array2<f64>| {
                let z = x.dot(&w);
                let mut sum = 0.0;
                let mut slopes = Array1::zeros(z.len());
                let mut weighted = x.clone();
                for i in 0..z.len() {
                    let (v, s) = loss.loss_and_slope(z[i], y[i]);
                    sum += v;
                    slopes[i] = s / n;
                    let c = loss.curvature(z[i], y[i]) / n;
                    weighted.row_mut(i).mapv_inplace(|v| v * c);
                }
                g.assign(&x.t().dot(&slopes));
                g.scaled_add(l2, &w);
                h.assign(&x.t().dot(&weighted));
                for j in 0..h.nrows() {
                    h[[j, j]] += l2;
                }
                sum / n + 0.5 * l2 * w.dot(&w)
            };
        newton::minimize(w0, value, derivatives)
    }

    /// The gradient norm of `f` at `w`, computed in `f64`.
    pub(crate) fn gradient_norm_f64<L: ExampleLoss>(
        &self,
        loss: &L,
        w: ArrayView1<'_, f64>,
    ) -> f64 {
        let x = self.data.features_f64();
        let y = self.data.targets_f64();
        let n = x.nrows() as f64;
        let z = x.dot(&w);
        let slopes = Array1::from_shape_fn(z.len(), |i| loss.loss_and_slope(z[i], y[i]).1 / n);
        let mut g = x.t().dot(&slopes);
        g.scaled_add(self.l2.as_f64(), &w);
        g.dot(&g).sqrt()
    }

    /// `f(w)` computed in `f64`.
    pub(crate) fn value_f64<L: ExampleLoss>(&self, loss: &L, w: ArrayView1<'_, f64>) -> f64 {
        let x = self.data.features_f64();
        let y = self.data.targets_f64();
        let z = x.dot(&w);
        let sum = Zip::from(&z)
            .and(&y)
            .fold(0.0, |s, &zi, &yi| s + loss.loss(zi, yi));
        sum / x.nrows() as f64 + 0.5 * self.l2.as_f64() * w.dot(&w)
    }
}

#[cold]
#[inline(never)]
fn wrong_batch_found(max: Option<usize>, examples: usize) {
    if cfg!(debug_assertions) {
        match max {
            None => panic!("a data problem was evaluated on an empty batch"),
            Some(max) => panic!(
                "a data problem of {examples} examples was evaluated on a batch holding the \
                 index {max}: every index must be below the number of examples"
            ),
        }
    }
}

/// Prefetches the rows (of `d` entries in `x`) and targets of the examples at batch positions
/// `from..to` (cut at the batch's end).
#[inline(always)]
fn prefetch_rows<F>(x: &[F], y: &[F], d: usize, batch: Batch<'_>, from: usize, to: usize) {
    for k in from..to.min(batch.len()) {
        let i = batch.get(k);
        prefetch_slice(&x[i * d..(i + 1) * d]);
        prefetch_slice(std::slice::from_ref(&y[i]));
    }
}

/// Asks the processor to bring `data` into the cache (a hint: no effect on any result).
#[inline(always)]
fn prefetch_slice<F>(data: &[F]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let bytes = std::mem::size_of_val(data);
        let start = data.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: prefetching is a hint that never faults; SSE is part of the x86_64
            // baseline; the address lies inside `data`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// The dot products `rows[r] · w` of a group of rows, each summed exactly as [`dot_slices`]
/// sums it (four running sums over blocks of four entries, then the rest, then
/// `(s0 + s1) + (s2 + s3) + rest`), but interleaved, so that the group's independent sums fill
/// the arithmetic units.
#[inline(always)]
fn dot_rows<F: Real, const G: usize>(rows: &[&[F]; G], w: &[F]) -> [F; G] {
    let d = w.len();
    let full = d - d % 4;
    let rows: [&[F]; G] = std::array::from_fn(|r| &rows[r][..d]);
    let mut s = [[F::zero(); 4]; G];
    let mut j = 0;
    while j < full {
        let wq = &w[j..j + 4];
        for r in 0..G {
            let xq = &rows[r][j..j + 4];
            for l in 0..4 {
                s[r][l] += xq[l] * wq[l];
            }
        }
        j += 4;
    }
    std::array::from_fn(|r| {
        let mut rest = F::zero();
        for j in full..d {
            rest += rows[r][j] * w[j];
        }
        (s[r][0] + s[r][1]) + (s[r][2] + s[r][3]) + rest
    })
}

/// `g += Σ_r c[r] rows[r]`, adding the rows one after the other into each entry, exactly as
/// [`axpy_slices`] called on each row in turn; each entry is loaded and stored once per group.
#[inline(always)]
fn axpy_rows<F: Real, const G: usize>(c: &[F; G], rows: &[&[F]; G], g: &mut [F]) {
    let d = g.len();
    let rows: [&[F]; G] = std::array::from_fn(|r| &rows[r][..d]);
    for (j, gj) in g.iter_mut().enumerate() {
        let mut a = *gj;
        for r in 0..G {
            a += c[r] * rows[r][j];
        }
        *gj = a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::s;

    /// Logistic loss, as in `logistic.rs`, kept here so the test needs no other module.
    struct Logit;

    impl ExampleLoss for Logit {
        fn loss<F: Real>(&self, z: F, y: F) -> F {
            z.max(F::zero()) + (-z.abs()).exp().ln_1p() - y * z
        }
        fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F) {
            (self.loss(z, y), F::one() / (F::one() + (-z).exp()) - y)
        }
        fn curvature(&self, _z: f64, _y: f64) -> f64 {
            0.0
        }
        fn max_curvature(&self) -> f64 {
            0.25
        }
    }

    /// The bits of `x` (exact for `f32` too: widening is exact).
    fn bits<F: Real>(x: F) -> u64 {
        x.as_f64().to_bits()
    }

    fn all_bits<'a, F: Real + 'a>(v: impl IntoIterator<Item = &'a F>) -> Vec<u64> {
        v.into_iter().map(|&x| bits(x)).collect()
    }

    fn vector<F: Real>(len: usize, seed: usize) -> Vec<F> {
        (0..len)
            .map(|j| F::lit((((j * 37 + seed * 11) % 23) as f64 - 11.0) / 7.0 + 1e-3 * j as f64))
            .collect()
    }

    fn grouped_dots_and_updates_are_the_single_row_ones<F: Real>() {
        for d in 0..19 {
            let w = vector::<F>(d, 1);
            let data: Vec<Vec<F>> = (0..GROUP).map(|r| vector::<F>(d, r + 2)).collect();
            let rows: [&[F]; GROUP] = std::array::from_fn(|r| &data[r][..]);
            let dots = dot_rows(&rows, &w);
            for r in 0..GROUP {
                assert_eq!(bits(dots[r]), bits(dot_slices(rows[r], &w)), "d = {d}");
            }
            let c: [F; GROUP] = std::array::from_fn(|r| F::lit(0.3 * r as f64 - 1.1));
            let mut grouped = vector::<F>(d, 99);
            let mut one_by_one = grouped.clone();
            axpy_rows(&c, &rows, &mut grouped);
            for r in 0..GROUP {
                axpy_slices(c[r], rows[r], &mut one_by_one);
            }
            assert_eq!(all_bits(&grouped), all_bits(&one_by_one), "d = {d}");
        }
    }

    #[test]
    fn grouped_dots_and_updates_are_bit_identical_to_single_rows() {
        grouped_dots_and_updates_are_the_single_row_ones::<f64>();
        grouped_dots_and_updates_are_the_single_row_ones::<f32>();
    }

    /// The grouped evaluation against one example at a time through `BatchReducer::mean`, to the
    /// bit: batches of every size around the group and chunk lengths, scattered and in order,
    /// dimensions with and without a remainder of four, and a strided weight vector (the
    /// per-example fallback).
    fn batches_match_one_example_at_a_time<F: Real>(d: usize) {
        let n = 700;
        let data = Dataset::<F>::classification(n, d, 3).unwrap();
        let model = LinearModel::new(data, F::lit(1e-3)).unwrap();
        let wide = Array1::from_vec(vector::<F>(2 * d, 5));
        let packed = wide.slice(s![..;2]).to_owned();
        let order: Vec<usize> = (0..n).map(|k| (k * 389 + 7) % n).collect();
        let reducer = BatchReducer::<F>::new(d);
        for len in [1, 7, 8, 9, 16, 255, 256, 257, 521, 700] {
            for batch in [
                Batch::Indices(&order[..len]),
                Batch::Range { start: 0, end: len },
            ] {
                for w in [packed.view(), wide.slice(s![..;2])] {
                    let mut reference = Array1::zeros(d);
                    let mean = reducer.mean(batch, reference.view_mut(), |i, mut acc| {
                        model.accumulate_example(&Logit, i, w, &mut acc, F::one())
                    });
                    Zip::from(&mut reference)
                        .and(w)
                        .for_each(|g, &wi| *g += model.l2() * wi);
                    let expected = mean + model.penalty(w);
                    let mut g = Array1::zeros(d);
                    let f = model.batch_value_and_gradient(&Logit, w, batch, g.view_mut());
                    assert_eq!(bits(f), bits(expected), "d = {d}, |B| = {len}");
                    assert_eq!(all_bits(&g), all_bits(&reference), "d = {d}, |B| = {len}");
                }
            }
        }
    }

    #[test]
    fn grouped_batches_are_bit_identical_to_one_example_at_a_time() {
        for d in [1, 4, 7, 30] {
            batches_match_one_example_at_a_time::<f64>(d);
            batches_match_one_example_at_a_time::<f32>(d);
        }
    }
}
