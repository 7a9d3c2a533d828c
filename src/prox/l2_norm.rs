//! The Euclidean norm `λ|x|₂`: one group of the group lasso.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Prox;
use super::penalty::Penalty;
use crate::Real;
use crate::error::{Domain, Result, check};
use crate::linalg::norm;

/// The Euclidean norm `h(x) = λ |x|₂` (not squared), in any dimension, with its prox, block
/// soft thresholding:
///
/// ```text
/// prox_{γh}(v) = max(1 - γλ / |v|₂, 0) v .
/// ```
///
/// By Moreau's decomposition `prox_{γh}(v) = v - P_B(v)` with `B` the L2 ball of radius `γλ`
/// (the dual-norm ball): `v` shrinks towards `0` by `γλ` along its own direction, and becomes
/// `0` when `|v|₂ <= γλ`. It is the group lasso's penalty on a single group (see
/// [`GroupLasso`](super::GroupLasso)), and `0` minimises `f + h` exactly when
/// `|∇f(0)|₂ <= λ`. The norm is computed without overflow.
///
/// ```
/// use gradus::prox::{L2Norm, Prox};
/// use ndarray::array;
///
/// let mut h = L2Norm::new(1.0)?;
/// let mut x = array![3.0, 4.0]; // |x| = 5: shrunk to length 5 - 2.5
/// h.prox(x.view_mut(), 2.5);
/// assert_eq!(x, array![1.5, 2.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct L2Norm<F> {
    lambda: F,
}

impl<F: Real> L2Norm<F> {
    /// `λ |x|₂` with `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lambda`.
    pub fn new(lambda: F) -> Result<Self> {
        check("lambda", lambda, Domain::NonNegative)?;
        Ok(L2Norm { lambda })
    }

    /// The weight `λ`.
    pub fn lambda(&self) -> F {
        self.lambda
    }
}

/// The factor `max(1 - t/r, 0)` of block soft thresholding for a block of norm `r` and
/// threshold `t`; NaN for a NaN norm (the block then stays NaN).
#[inline]
pub(super) fn shrink_factor<F: Real>(r: F, t: F) -> F {
    if r > t {
        // 1 - t/r, in (0, 1]; r = +∞ gives 1 and keeps the infinite entry visible.
        F::one() - t / r
    } else if r <= t {
        F::zero()
    } else {
        F::nan()
    }
}

impl<F: Real> Prox<F> for L2Norm<F> {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        self.lambda * norm(x)
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        let r = norm(x.view());
        let factor = shrink_factor(r, gamma * self.lambda);
        x.map_inplace(|v| *v *= factor);
        self.lambda * r * factor
    }

    fn dim(&self) -> Option<usize> {
        None
    }
}

impl<F: Real> Penalty<F> for L2Norm<F> {
    fn lambda(&self) -> F {
        self.lambda
    }

    fn with_lambda(&self, lambda: F) -> Self {
        L2Norm { lambda }
    }

    /// `|g|₂`.
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        norm(gradient)
    }
}
