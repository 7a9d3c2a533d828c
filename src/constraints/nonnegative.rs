//! The non-negative orthant `{x : x >= 0}`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Projection;
use crate::Real;

/// The non-negative orthant `C = {x ∈ R^n : x_i >= 0}`, in any dimension.
///
/// ```text
/// P_C(x)_i = max(x_i, 0)
/// ```
///
/// Projected gradient descent onto this set solves non-negative least squares, non-negative
/// matrix factorisation subproblems, and other sign-constrained fits.
///
/// ```
/// use gradus::constraints::{NonNegative, Projection};
/// use ndarray::array;
///
/// let mut x = array![1.5, -2.0, 0.0];
/// NonNegative.project(x.view_mut());
/// assert_eq!(x, array![1.5, 0.0, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NonNegative;

impl<F: Real> Projection<F> for NonNegative {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        // `max` returns the non-NaN operand, so write the comparison to keep NaN visible.
        x.mapv_inplace(|v| if v < F::zero() { F::zero() } else { v });
    }

    fn dim(&self) -> Option<usize> {
        None
    }

    /// `x_i >= -tolerance` for every `i`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        x.iter().all(|&v| v >= -tolerance)
    }
}
