//! Euclidean balls `{x : |x - c|₂ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Projection, check_center, check_radius};
use crate::Real;
use crate::error::Result;
use crate::linalg::{norm, norm_of};

/// The Euclidean ball `C = {x ∈ R^n : |x - c|₂ <= r}`.
///
/// A point outside is pulled radially onto the sphere:
///
/// ```text
/// P_C(x) = c + r (x - c) / max(r, |x - c|₂)
/// ```
///
/// A ball about the origin ([`L2Ball::new`]) applies in any dimension; a ball with a center
/// ([`L2Ball::centered`]) has the center's dimension. The distance is computed with rescaling, so
/// it does not overflow for large finite entries.
///
/// ```
/// use gradus::constraints::{L2Ball, Projection};
/// use ndarray::array;
///
/// let mut x = array![3.0_f64, 4.0];
/// L2Ball::new(1.0)?.project(x.view_mut());
/// assert!((x[0] - 0.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct L2Ball<F> {
    center: Option<Array1<F>>,
    radius: F,
}

impl<F: Real> L2Ball<F> {
    /// The ball of radius `radius` about the origin, in any dimension.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// radius.
    pub fn new(radius: F) -> Result<Self> {
        check_radius(radius)?;
        Ok(L2Ball {
            center: None,
            radius,
        })
    }

    /// The ball of radius `radius` about `center`.
    ///
    /// # Errors
    /// As [`new`](L2Ball::new); [`Error::Empty`](crate::Error::Empty) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) for an empty or non-finite center.
    pub fn centered(center: ArrayView1<'_, F>, radius: F) -> Result<Self> {
        check_radius(radius)?;
        check_center("center", center)?;
        Ok(L2Ball {
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

    /// `|x - c|₂`, without overflow for finite entries.
    fn distance(&self, x: ArrayView1<'_, F>) -> F {
        match &self.center {
            None => norm(x),
            Some(c) => norm_of(x.iter().zip(c).map(|(&x, &c)| x - c)),
        }
    }
}

impl<F: Real> Projection<F> for L2Ball<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        if x.iter().any(|v| !v.is_finite()) {
            // No projection of a point with an infinite or NaN entry: leave a NaN where the
            // loop will see it.
            x.fill(F::nan());
            return;
        }
        let d = self.distance(x.view());
        if d <= self.radius {
            return;
        }
        if d.is_finite() {
            let scale = self.radius / d;
            match &self.center {
                None => x.mapv_inplace(|v| v * scale),
                Some(c) => Zip::from(x)
                    .and(c)
                    .for_each(|x, &c| *x = c + (*x - c) * scale),
            }
            return;
        }
        // `|x - c|` (or `x - c` itself) overflows: the direction of `(x - c)/2` is the same and
        // its length is finite.
        let half = F::lit(0.5);
        match &self.center {
            None => {
                let scale = self.radius / norm_of(x.iter().map(|&v| v * half));
                x.mapv_inplace(|v| (v * half) * scale);
            }
            Some(c) => {
                let d = norm_of(x.iter().zip(c).map(|(&x, &c)| x * half - c * half));
                let scale = self.radius / d;
                Zip::from(x)
                    .and(c)
                    .for_each(|x, &c| *x = c + (*x * half - c * half) * scale);
            }
        }
    }

    fn dim(&self) -> Option<usize> {
        self.center.as_ref().map(|c| c.len())
    }

    /// `|x - c|₂ <= r + tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        if self.center.as_ref().is_some_and(|c| c.len() != x.len()) {
            return false;
        }
        self.distance(x) <= self.radius + tolerance
    }
}
