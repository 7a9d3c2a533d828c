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

use super::Certificate;
use super::data::Dataset;
use super::newton;
use crate::Real;
use crate::error::{Domain, Result, check};
use crate::finite_sum::{Batch, BatchReducer};
use crate::linalg::{axpy_slices, dot_slices, symmetric_eigenvalues};

/// A loss `φ(z, y)` of the margin (prediction) `z = xᵀw` and the target `y`.
pub(crate) trait ExampleLoss: Sync {
    /// `φ(z, y)`.
    fn loss<F: Real>(&self, z: F, y: F) -> F;
    /// `(φ(z, y), ∂φ/∂z (z, y))`.
    fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F);
    /// `∂²φ/∂z² (z, y)`, or a generalised second derivative where `∂φ/∂z` has kinks.
    fn curvature(&self, z: f64, y: f64) -> f64;
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
    pub(crate) fn new(data: Dataset<F>, l2: F) -> Result<Self> {
        data.validate()?;
        check("lambda", l2, Domain::NonNegative)?;
        let x = data.features_f64();
        let gram = x.t().dot(&x) / data.len() as f64;
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

    /// `f(w)`.
    pub(crate) fn value<L: ExampleLoss>(&self, loss: &L, w: ArrayView1<'_, F>) -> F {
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
    pub(crate) fn batch_value_and_gradient<L: ExampleLoss>(
        &self,
        loss: &L,
        w: ArrayView1<'_, F>,
        batch: Batch<'_>,
        mut grad: ArrayViewMut1<'_, F>,
    ) -> F {
        let mean = self.reducer.mean_prefetching(
            batch,
            grad.view_mut(),
            #[inline(always)]
            |i, mut acc| self.accumulate_example(loss, i, w, &mut acc, F::one()),
            #[inline(always)]
            |i| {
                if let Some(row) = self.data.features.row(i).as_slice() {
                    prefetch_slice(row);
                }
            },
        );
        let l2 = self.l2;
        if l2 != F::zero() {
            Zip::from(&mut grad).and(w).for_each(|g, &wi| *g += l2 * wi);
        }
        mean + self.penalty(w)
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
