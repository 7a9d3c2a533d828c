//! Half-spaces `{x : a·x <= b}`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::{Hyperplane, Projection};
use crate::Real;
use crate::error::Result;

/// The half-space `C = {x ∈ R^n : a·x <= b}` (`a ≠ 0`).
///
/// A point that violates the inequality moves along `a` onto the bounding hyperplane:
///
/// ```text
/// P_C(x) = x - max(0, a·x - b) / |a|² · a .
/// ```
///
/// The set stores `â = a/|a|` and `b̂ = b/|a|`, so the formula is applied as
/// `x - max(0, â·x - b̂) â` and `â·x - b̂` is the signed distance to the boundary.
///
/// ```
/// use gradus::constraints::{HalfSpace, Projection};
/// use ndarray::array;
///
/// // x + y <= 1: (2, 1) violates it by 2, and moves by 2/2 (1, 1).
/// let mut set = HalfSpace::new(array![1.0, 1.0].view(), 1.0)?;
/// let mut x = array![2.0_f64, 1.0];
/// set.project(x.view_mut());
/// assert!((x[0] - 1.0).abs() < 1e-15 && x[1].abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HalfSpace<F> {
    /// The boundary `{x : a·x = b}`, which also holds `â` and `b̂`.
    boundary: Hyperplane<F>,
}

impl<F: Real> HalfSpace<F> {
    /// The half-space `{x : a·x <= b}`.
    ///
    /// # Errors
    /// [`Error::Empty`](crate::Error::Empty) for an empty `a`;
    /// [`Error::NonFinite`](crate::Error::NonFinite) for a non-finite entry of `a`;
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a non-finite `b`;
    /// [`Error::InvalidSet`](crate::Error::InvalidSet) for `a = 0`.
    pub fn new(a: ArrayView1<'_, F>, b: F) -> Result<Self> {
        let boundary = Hyperplane::bounding("HalfSpace", a, b)?;
        Ok(HalfSpace { boundary })
    }

    /// The unit normal `â = a/|a|`.
    pub fn unit_normal(&self) -> ArrayView1<'_, F> {
        self.boundary.unit_normal()
    }

    /// The offset `b̂ = b/|a|` that goes with the unit normal.
    pub fn unit_offset(&self) -> F {
        self.boundary.unit_offset()
    }

    /// The signed distance `â·x - b̂` from `x` to the boundary (positive outside).
    pub fn signed_distance(&self, x: ArrayView1<'_, F>) -> F {
        self.boundary.signed_distance(x)
    }
}

impl<F: Real> Projection<F> for HalfSpace<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        self.boundary.move_onto(x, true);
    }

    fn dim(&self) -> Option<usize> {
        self.boundary.dim()
    }

    /// `â·x - b̂ <= tolerance`: the Euclidean distance to the set is at most `tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        self.boundary.dim() == Some(x.len()) && self.signed_distance(x) <= tolerance
    }
}
