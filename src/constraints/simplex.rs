//! Simplices `{x : x >= 0, Σ x_i = s}`, and the threshold search they share with the L1 ball.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Projection;
use crate::Real;
use crate::error::{Domain, Result, check};

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
/// τ_0     = (Σ_{i} x_i - s) / n
/// I_k     = {i : x_i > τ_k}
/// τ_{k+1} = (Σ_{i ∈ I_k} x_i - s) / |I_k|        until I_{k+1} = I_k .
/// ```
///
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
        let tau = michelot_threshold(|| x.iter().copied(), self.sum);
        if !tau.is_finite() {
            // No projection of a point with an infinite or NaN entry: leave a NaN where the
            // loop will see it.
            x.fill(F::nan());
            return;
        }
        x.mapv_inplace(|v| {
            let shifted = v - tau;
            // A comparison rather than `max`, so that a NaN stays visible.
            if shifted < F::zero() {
                F::zero()
            } else {
                shifted
            }
        });
    }

    fn dim(&self) -> Option<usize> {
        None
    }

    /// `x_i >= -tolerance` for every `i` and `|Σ x_i - s| <= tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        !x.is_empty()
            && x.iter().all(|&v| v >= -tolerance)
            && (x.sum() - self.sum).abs() <= tolerance
    }
}

/// The threshold `τ` with `Σ_i max(y_i - τ, 0) = s` (`s > 0`), by Michelot's algorithm.
///
/// `values` yields the `y_i` afresh at each call: the active set `{i : y_i > τ_k}` is recomputed
/// from `τ_k` at every pass, so nothing is stored. Returns NaN if a `y_i` is NaN, and `0` for no
/// values. In floating point the active set can fail to shrink when the iteration has reached
/// the threshold up to rounding; that also ends the search, so there are at most `n` passes.
pub(crate) fn michelot_threshold<F, I>(values: impl Fn() -> I, s: F) -> F
where
    F: Real,
    I: Iterator<Item = F>,
{
    let (mut sum, mut count) = values().fold((F::zero(), 0usize), |(t, c), y| (t + y, c + 1));
    if count == 0 {
        return F::zero();
    }
    let mut tau = (sum - s) / F::from_count(count);
    loop {
        let (new_sum, new_count) = values()
            .filter(|&y| y > tau)
            .fold((F::zero(), 0usize), |(t, c), y| (t + y, c + 1));
        if new_count == 0 || new_count >= count {
            return tau;
        }
        sum = new_sum;
        count = new_count;
        tau = (sum - s) / F::from_count(count);
    }
}
