//! L1 balls `{x : |x - c|₁ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::simplex::SimplexThreshold;
use super::{Projection, check_center, check_radius};
use crate::Real;
use crate::error::Result;

/// The L1 ball `C = {x ∈ R^n : Σ_i |x_i - c_i| <= r}` (the cross-polytope), used for sparse
/// models (the constrained form of the lasso).
///
/// A point inside is left alone; a point outside is soft-thresholded:
///
/// ```text
/// P_C(x)_i = c_i + sign(x_i - c_i) max(|x_i - c_i| - τ, 0),
///            where τ > 0 solves  Σ_i max(|x_i - c_i| - τ, 0) = r .
/// ```
///
/// That is the projection of `|x - c|` onto the scaled simplex `Δ_r` with the signs put back
/// (Duchi, Shalev-Shwartz, Singer and Chandra, "Efficient projections onto the l1-ball for
/// learning in high dimensions", ICML 2008). The threshold is found by Michelot's algorithm on
/// the magnitudes, with passes over `x` and no scratch memory: see [`Simplex`](super::Simplex).
/// A ball about the origin ([`L1Ball::new`]) applies in any dimension.
///
/// ```
/// use gradus::constraints::{L1Ball, Projection};
/// use ndarray::array;
///
/// // |x|₁ = 4 > 1, and τ = 2 solves max(3 - τ, 0) + max(1 - τ, 0) = 1.
/// let mut x = array![3.0, -1.0];
/// L1Ball::new(1.0)?.project(x.view_mut());
/// assert_eq!(x, array![1.0, 0.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct L1Ball<F> {
    center: Option<Array1<F>>,
    radius: F,
}

impl<F: Real> L1Ball<F> {
    /// The L1 ball of radius `radius` about the origin, in any dimension.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// radius.
    pub fn new(radius: F) -> Result<Self> {
        check_radius(radius)?;
        Ok(L1Ball {
            center: None,
            radius,
        })
    }

    /// The L1 ball of radius `radius` about `center`.
    ///
    /// # Errors
    /// As [`new`](L1Ball::new); [`Error::Empty`](crate::Error::Empty) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) for an empty or non-finite center.
    pub fn centered(center: ArrayView1<'_, F>, radius: F) -> Result<Self> {
        check_radius(radius)?;
        check_center("center", center)?;
        Ok(L1Ball {
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

    /// `|x - c|₁`.
    fn distance(&self, x: ArrayView1<'_, F>) -> F {
        match &self.center {
            None => x.fold(F::zero(), |s, v| s + v.abs()),
            Some(c) => {
                let mut s = F::zero();
                Zip::from(x).and(c).for_each(|&x, &c| s += (x - c).abs());
                s
            }
        }
    }
}

impl<F: Real> Projection<F> for L1Ball<F> {
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
        // A distance that overflows (finite entries far outside) is outside the ball too.
        if self.distance(x.view()) <= self.radius {
            return;
        }
        let r = self.radius;
        if r == F::zero() {
            match &self.center {
                None => x.fill(F::zero()),
                Some(c) => x.assign(c),
            }
            return;
        }
        match &self.center {
            None => {
                let Some(t) = SimplexThreshold::find(|| x.iter().map(|v| v.abs()), r) else {
                    return;
                };
                x.mapv_inplace(|v| t.excess(v.abs()).copysign(v));
            }
            Some(c) => {
                // Where `x - c` overflows, project `(x - c)/2` onto the ball of radius `r/2`
                // and double the result: the same point, computed without infinities.
                let half = x.iter().zip(c).any(|(&x, &c)| !(x - c).is_finite());
                let k = if half { F::lit(0.5) } else { F::one() };
                let diff = |x: F, c: F| x * k - c * k;
                let Some(t) = SimplexThreshold::find(
                    || x.iter().zip(c).map(|(&x, &c)| diff(x, c).abs()),
                    r * k,
                ) else {
                    return;
                };
                Zip::from(x).and(c).for_each(|x, &c| {
                    let d = diff(*x, c);
                    *x = c + t.excess(d.abs()).copysign(d) / k;
                });
            }
        }
    }

    fn dim(&self) -> Option<usize> {
        self.center.as_ref().map(|c| c.len())
    }

    /// `|x - c|₁ <= r + tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        if self.center.as_ref().is_some_and(|c| c.len() != x.len()) {
            return false;
        }
        self.distance(x) <= self.radius + tolerance
    }
}
