//! Simplices `{x : x >= 0, Σ x_i = s}`, and the threshold search they share with the L1 ball.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Projection;
use crate::Real;
use crate::error::{Domain, Result, check};
use crate::linalg::sum_within;

/// The scaled simplex `Δ_s = {x ∈ R^n : x_i >= 0, Σ_i x_i = s}` (`s > 0`); `s = 1` is the
/// probability simplex. It applies in any dimension.
///
/// The projection shifts every coordinate down by one threshold `τ` and clips at zero:
///
/// ```text
/// P(x)_i = max(x_i - τ, 0),   where τ solves   φ(τ) = Σ_i max(x_i - τ, 0) = s .
/// ```
///
/// (The KKT conditions of `min ½|z - x|²` over `Δ_s` give `z_i = max(x_i - τ, 0)` with `τ` the
/// multiplier of the sum constraint; `φ` is continuous and strictly decreasing where positive, so
/// `τ` is unique.)
///
/// `τ` is found by Michelot's algorithm (C. Michelot, "A finite algorithm for finding the
/// projection of a point onto the canonical simplex of R^n", *J. Optim. Theory Appl.* 50, 1986;
/// see also L. Condat, "Fast projection onto the simplex and the l1 ball", *Math. Program.* 158,
/// 2016), done with passes over `x` and no scratch memory:
///
/// ```text
/// τ_0     = max_i x_i - s
/// I_k     = {i : x_i > τ_k}
/// τ_{k+1} = (Σ_{i ∈ I_k} x_i - s) / |I_k|        until I_{k+1} = I_k .
/// ```
///
/// (`τ_0` is a lower bound: the largest coordinate alone already exceeds it by `s`.) The
/// threshold is held relative to `max_i x_i`, so that the result is accurate relative to `s`
/// however large the coordinates are: `[a, a]` projects to `[s/2, s/2]` for every finite `a`.
/// The sequence `τ_k` increases and never passes `τ` (each `τ_k` is a lower bound because the
/// terms it averages over include every index of the true support), so the active sets `I_k`
/// shrink and the search stops after at most `n` passes with `τ_k = τ`; the active set is
/// recomputed from `τ_k` at each pass instead of being stored. Each pass costs `O(n)`; in practice
/// a handful of passes suffice, and the worst case is `O(n²)`.
///
/// ```
/// use gradus::constraints::{Projection, Simplex};
/// use ndarray::array;
///
/// // τ = 0.25: (1 - 0.25) + (0.5 - 0.25) = 1, and -1 is clipped to 0.
/// let mut x = array![1.0, 0.5, -1.0];
/// Simplex::probability().project(x.view_mut());
/// assert_eq!(x, array![0.75, 0.25, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simplex<F> {
    sum: F,
}

impl<F: Real> Simplex<F> {
    /// The probability simplex `{x >= 0, Σ x_i = 1}`.
    pub fn probability() -> Self {
        Simplex { sum: F::one() }
    }

    /// The scaled simplex `{x >= 0, Σ x_i = sum}`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `sum` is finite and
    /// positive.
    pub fn new(sum: F) -> Result<Self> {
        check("sum", sum, Domain::Positive)?;
        Ok(Simplex { sum })
    }

    /// The sum `s` of the coordinates.
    pub fn sum(&self) -> F {
        self.sum
    }
}

impl<F: Real> Projection<F> for Simplex<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        match SimplexThreshold::find(|| x.iter().copied(), self.sum) {
            Some(t) => x.mapv_inplace(|v| t.excess(v)),
            // No projection of a point with an infinite or NaN entry: leave a NaN where the
            // loop will see it.
            None => x.fill(F::nan()),
        }
    }

    fn dim(&self) -> Option<usize> {
        None
    }

    /// `x_i >= -tolerance` for every `i` and `|Σ x_i - s| <= tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        !x.is_empty()
            && x.iter().all(|&v| v >= -tolerance)
            && sum_within(x.iter().copied(), self.sum, tolerance)
    }
}

/// The threshold of a projection onto the simplex `{y >= 0, Σ y_i = s}`: the `τ` with
/// `Σ_i max(v_i - τ, 0) = s`, so that the projection of `v` is `max(v - τ, 0)`.
///
/// It is kept relative to the largest value, `τ = top + shift` with `top = max_i v_i` and
/// `-s <= shift < 0`, and the projection is computed as `max((v_i - top) - shift, 0)`. Both
/// differences are exact or rounded relative to `s`, never to `|v|`: written as `v_i - τ`, the
/// threshold of `[a, a]` with `a = 1e16` and `s = 1` rounds to `a` and the projection to
/// `[0, 0]`, which is not even in the set; here it is `[0.5, 0.5]`.
///
/// `shift` is found by Michelot's algorithm ("A finite algorithm for finding the projection of a
/// point onto the canonical simplex of R^n", JOTA 50, 1986) on `y = v - top`: starting from a
/// lower bound `τ_0 = -s` (the largest `y` is 0 and is always kept, so `shift >= -s`), each pass
/// sets `τ ← (Σ_{y > τ} y - s) / |{y > τ}|`, which increases to the threshold while the set
/// shrinks; it stops when the set no longer changes, after at most `n` passes (a few in
/// practice) and with no scratch memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimplexThreshold<F> {
    top: F,
    shift: F,
}

impl<F: Real> SimplexThreshold<F> {
    /// The threshold of the values that `values()` yields (each call yields them anew), for the
    /// sum `s > 0`; `None` if there are no values or one is not finite.
    pub(crate) fn find<I: Iterator<Item = F>>(values: impl Fn() -> I, s: F) -> Option<Self> {
        let mut top = F::neg_infinity();
        for v in values() {
            if !v.is_finite() {
                return None;
            }
            top = top.max(v);
        }
        if top == F::neg_infinity() {
            return None;
        }
        let mut shift = -s;
        let mut count = usize::MAX;
        loop {
            // `v - top` may overflow to -inf for a value far below the largest: it is then
            // outside the set, as it should be.
            let (sum, kept) = values()
                .map(|v| v - top)
                .filter(|&y| y > shift)
                .fold((F::zero(), 0usize), |(t, k), y| (t + y, k + 1));
            if kept >= count {
                return Some(SimplexThreshold { top, shift });
            }
            count = kept;
            let k = F::from_count(kept);
            let mean = (sum - s) / k;
            // Σ y lies in (-k s, 0]: it can only overflow for sums s near the largest float.
            shift = if mean.is_finite() {
                // The exact mean is negative (Σ y <= 0 < s); for sums `s` at the bottom of the
                // denormals it can round to 0, which would drop the largest value and with it
                // every value: keep the largest negative number instead.
                mean.min(-(F::min_positive_value() * F::epsilon()))
            } else {
                values()
                    .map(|v| v - top)
                    .filter(|&y| y > shift)
                    .fold(F::zero(), |t, y| t + y / k)
                    - s / k
            };
        }
    }

    /// `max(v - τ, 0)`: how far `v` lies above the threshold.
    #[inline]
    pub(crate) fn excess(&self, v: F) -> F {
        let e = (v - self.top) - self.shift;
        if e > F::zero() { e } else { F::zero() }
    }
}
