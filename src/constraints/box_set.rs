//! Boxes: `{x : l <= x <= u}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Projection, invalid_set};
use crate::Real;
use crate::error::{Error, Result, check_len};
use crate::linalg::alloc::{too_large, try_from_elem};

/// The box `C = {x ∈ R^n : l_i <= x_i <= u_i}`, with bounds that may be infinite.
///
/// The projection clips each coordinate to its interval:
///
/// ```text
/// P_C(x)_i = min(max(x_i, l_i), u_i)
/// ```
///
/// which is exact because both the set and the squared distance separate over coordinates.
/// `l_i = -∞` or `u_i = +∞` leave that side open.
///
/// ```
/// use gradus::constraints::{BoxSet, Projection};
/// use ndarray::array;
///
/// let mut set = BoxSet::new(array![0.0, -1.0].view(), array![1.0, f64::INFINITY].view())?;
/// let mut x = array![2.0, -3.0];
/// set.project(x.view_mut());
/// assert_eq!(x, array![1.0, -1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[doc(alias = "Box")]
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSet<F> {
    lower: Array1<F>,
    upper: Array1<F>,
}

impl<F: Real> BoxSet<F> {
    /// The box with lower bounds `lower` and upper bounds `upper`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no bounds; [`Error::DimensionMismatch`] if the two differ in length;
    /// [`Error::InvalidSet`] for a NaN bound, a lower bound of `+∞` or an upper bound of `-∞`,
    /// or `lower_i > upper_i` (an empty box).
    pub fn new(lower: ArrayView1<'_, F>, upper: ArrayView1<'_, F>) -> Result<Self> {
        if lower.is_empty() {
            return Err(Error::Empty { what: "box bounds" });
        }
        check_len("upper bounds vs lower bounds", lower.len(), upper.len())?;
        for (i, (&l, &u)) in lower.iter().zip(upper.iter()).enumerate() {
            if l.is_nan() || u.is_nan() {
                return Err(invalid_set(
                    "BoxSet",
                    format!(
                        "bound {i} is NaN (lower {l}, upper {u}); bounds may be infinite but \
                         must not be NaN"
                    ),
                ));
            }
            if l == F::infinity() || u == F::neg_infinity() {
                return Err(invalid_set(
                    "BoxSet",
                    format!(
                        "bound {i} leaves no room (lower {l}, upper {u}); use a lower bound \
                         below +inf and an upper bound above -inf"
                    ),
                ));
            }
            if l > u {
                return Err(invalid_set(
                    "BoxSet",
                    format!(
                        "lower bound {l} exceeds upper bound {u} at index {i}, so the box is \
                         empty; give lower <= upper"
                    ),
                ));
            }
        }
        Ok(BoxSet {
            lower: lower.to_owned(),
            upper: upper.to_owned(),
        })
    }

    /// The box `[lower, upper]^n` with the same interval in every coordinate.
    ///
    /// # Errors
    /// As [`new`](BoxSet::new) (checked once, on the one interval, before anything is
    /// allocated); [`Error::InvalidCount`] naming `n` when two vectors of `n` bounds cannot be
    /// allocated.
    pub fn uniform(n: usize, lower: F, upper: F) -> Result<Self> {
        if n == 0 {
            return Err(Error::Empty { what: "box bounds" });
        }
        let (l, u) = ([lower], [upper]);
        Self::new(ArrayView1::from(&l), ArrayView1::from(&u))?;
        let bounds = |v| try_from_elem(n, v).ok_or_else(|| too_large("n", n));
        Ok(BoxSet {
            lower: bounds(lower)?,
            upper: bounds(upper)?,
        })
    }

    /// The lower bounds `l`.
    pub fn lower(&self) -> ArrayView1<'_, F> {
        self.lower.view()
    }

    /// The upper bounds `u`.
    pub fn upper(&self) -> ArrayView1<'_, F> {
        self.upper.view()
    }
}

impl<F: Real> Projection<F> for BoxSet<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        Zip::from(x)
            .and(&self.lower)
            .and(&self.upper)
            .for_each(|x, &l, &u| {
                // Comparisons rather than `max`/`min`, so that a NaN stays visible to the loop.
                if *x < l {
                    *x = l;
                } else if *x > u {
                    *x = u;
                }
            });
    }

    fn dim(&self) -> Option<usize> {
        Some(self.lower.len())
    }

    /// `l_i - tolerance <= x_i <= u_i + tolerance` for every `i`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        x.len() == self.lower.len()
            && x.iter()
                .zip(&self.lower)
                .zip(&self.upper)
                .all(|((&x, &l), &u)| x >= l - tolerance && x <= u + tolerance)
    }
}
