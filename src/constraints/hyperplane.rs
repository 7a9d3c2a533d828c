//! Hyperplanes `{x : a·x = b}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Projection, unit_normal};
use crate::Real;
use crate::error::Result;
use crate::linalg::dot;

/// The hyperplane `C = {x ∈ R^n : a·x = b}` (`a ≠ 0`).
///
/// Every point moves along `a` onto the plane:
///
/// ```text
/// P_C(x) = x - (a·x - b) / |a|² · a .
/// ```
///
/// The set stores `â = a/|a|` and `b̂ = b/|a|` and applies `x - (â·x - b̂) â`.
///
/// ```
/// use gradus::constraints::{Hyperplane, Projection};
/// use ndarray::array;
///
/// // x + y = 1: (0, 0) moves to (1/2, 1/2).
/// let mut set = Hyperplane::new(array![1.0, 1.0].view(), 1.0)?;
/// let mut x = array![0.0_f64, 0.0];
/// set.project(x.view_mut());
/// assert!((x[0] - 0.5).abs() < 1e-15 && (x[1] - 0.5).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperplane<F> {
    normal: Array1<F>,
    offset: F,
}

impl<F: Real> Hyperplane<F> {
    /// The hyperplane `{x : a·x = b}`.
    ///
    /// # Errors
    /// [`Error::Empty`](crate::Error::Empty) for an empty `a`;
    /// [`Error::NonFinite`](crate::Error::NonFinite) for a non-finite entry of `a`;
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a non-finite `b`;
    /// [`Error::InvalidSet`](crate::Error::InvalidSet) for `a = 0`.
    pub fn new(a: ArrayView1<'_, F>, b: F) -> Result<Self> {
        Self::bounding("Hyperplane", a, b)
    }

    /// The hyperplane `{x : a·x = b}` as part of the set `set`, which its errors name.
    pub(super) fn bounding(set: &'static str, a: ArrayView1<'_, F>, b: F) -> Result<Self> {
        let (normal, offset) = unit_normal(set, a, b)?;
        Ok(Hyperplane { normal, offset })
    }

    /// The unit normal `â = a/|a|`.
    pub fn unit_normal(&self) -> ArrayView1<'_, F> {
        self.normal.view()
    }

    /// The offset `b̂ = b/|a|` that goes with the unit normal.
    pub fn unit_offset(&self) -> F {
        self.offset
    }

    /// The signed distance `â·x - b̂` from `x` to the plane.
    pub fn signed_distance(&self, x: ArrayView1<'_, F>) -> F {
        dot(self.normal.view(), x) - self.offset
    }

    /// Replaces `x` by its projection `x - (â·x - b̂) â` onto the plane; with `only_outside`,
    /// only when `â·x - b̂ > 0` (the projection onto the half-space below the plane).
    pub(super) fn move_onto(&self, x: ArrayViewMut1<'_, F>, only_outside: bool) {
        let t = self.signed_distance(x.view());
        if t.is_finite() || x.iter().any(|v| !v.is_finite()) {
            if !only_outside || t > F::zero() {
                Zip::from(x).and(&self.normal).for_each(|x, &a| *x -= t * a);
            }
            return;
        }
        // A finite point whose signed distance overflows (entries near the largest float): the
        // same step on `x/s`, with `s` the power of two at or above `2n` (dividing and
        // multiplying by it are exact), scaled back. `â·(x/s)` is then finite.
        let n = self.normal.len();
        let s = F::lit(2.0).powi((2.0 * n as f64).log2().ceil() as i32);
        let t = self
            .normal
            .iter()
            .zip(x.iter())
            .fold(F::zero(), |acc, (&a, &v)| acc + a * (v / s))
            - self.offset / s;
        if !only_outside || t > F::zero() {
            Zip::from(x)
                .and(&self.normal)
                .for_each(|x, &a| *x = (*x / s - t * a) * s);
        }
    }
}

impl<F: Real> Projection<F> for Hyperplane<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        self.move_onto(x, false);
    }

    fn dim(&self) -> Option<usize> {
        Some(self.normal.len())
    }

    /// `|â·x - b̂| <= tolerance`: the Euclidean distance to the plane is at most `tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        x.len() == self.normal.len() && self.signed_distance(x).abs() <= tolerance
    }
}
