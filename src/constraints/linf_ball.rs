//! Max-norm balls `{x : |x - c|_∞ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Projection, check_center, check_radius};
use crate::Real;
use crate::error::Result;

/// The max-norm ball `C = {x ∈ R^n : |x_i - c_i| <= r for all i}`: a cube of side `2r`.
///
/// The set is the box `[c - r, c + r]`, so the projection clips each coordinate:
///
/// ```text
/// P_C(x)_i = c_i + min(max(x_i - c_i, -r), r)
/// ```
///
/// A ball about the origin ([`LInfBall::new`]) applies in any dimension.
///
/// ```
/// use gradus::constraints::{LInfBall, Projection};
/// use ndarray::array;
///
/// let mut x = array![3.0, -0.5, -7.0];
/// LInfBall::new(1.0)?.project(x.view_mut());
/// assert_eq!(x, array![1.0, -0.5, -1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LInfBall<F> {
    center: Option<Array1<F>>,
    radius: F,
}

impl<F: Real> LInfBall<F> {
    /// The ball of radius `radius` about the origin, in any dimension.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// radius.
    pub fn new(radius: F) -> Result<Self> {
        check_radius(radius)?;
        Ok(LInfBall {
            center: None,
            radius,
        })
    }

    /// The ball of radius `radius` about `center`.
    ///
    /// # Errors
    /// As [`new`](LInfBall::new); [`Error::Empty`](crate::Error::Empty) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) for an empty or non-finite center.
    pub fn centered(center: ArrayView1<'_, F>, radius: F) -> Result<Self> {
        check_radius(radius)?;
        check_center("center", center)?;
        Ok(LInfBall {
            center: Some(center.to_owned()),
            radius,
        })
    }

    /// The radius `r`.
    pub fn radius(&self) -> F {
        self.radius
    }

    /// The center `c`, or `None` for the origin.
    pub fn center(&self) -> Option<ArrayView1<'_, F>> {
        self.center.as_ref().map(|c| c.view())
    }
}

/// `d` clipped to `[-r, r]`, keeping a NaN.
#[inline]
fn clip<F: Real>(d: F, r: F) -> F {
    if d > r {
        r
    } else if d < -r {
        -r
    } else {
        d
    }
}

impl<F: Real> Projection<F> for LInfBall<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        let r = self.radius;
        match &self.center {
            None => x.mapv_inplace(|v| clip(v, r)),
            // Only points outside move, so a point inside is left exactly as it is.
            Some(c) => Zip::from(x).and(c).for_each(|x, &c| {
                let d = *x - c;
                if d > r {
                    *x = c + r;
                } else if d < -r {
                    *x = c - r;
                }
            }),
        }
    }

    fn dim(&self) -> Option<usize> {
        self.center.as_ref().map(|c| c.len())
    }

    /// `|x_i - c_i| <= r + tolerance` for every `i`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        let bound = self.radius + tolerance;
        match &self.center {
            None => x.iter().all(|v| v.abs() <= bound),
            Some(c) => c.len() == x.len() && x.iter().zip(c).all(|(&x, &c)| (x - c).abs() <= bound),
        }
    }
}
