//! The L1 norm `λ|x|₁`: the lasso penalty.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::penalty::{Penalty, max_abs};
use super::{Prox, soft_threshold};
use crate::Real;
use crate::error::{Domain, Result, check};

/// The lasso penalty `h(x) = λ |x|₁ = λ Σ_i |x_i|` (Tibshirani, "Regression shrinkage and
/// selection via the lasso", JRSS B 58, 1996), in any dimension, with its prox, soft
/// thresholding:
///
/// ```text
/// prox_{γh}(v)_i = sign(v_i) max(|v_i| - γλ, 0) .
/// ```
///
/// Coordinate `i` of `h(x) + |x - v|²/(2γ)` is minimised where `0 ∈ λ ∂|x_i| + (x_i - v_i)/γ`:
/// at `x_i = v_i - γλ sign(v_i)` when `|v_i| > γλ`, and at `0` when `|v_i| <= γλ` (where
/// `∂|0| = [-1, 1]`). The dual norm is `|·|_∞`, so `0` minimises `f + h` exactly when
/// `|∇f(0)|_∞ <= λ` ([`Penalty::lambda_max`](super::Penalty::lambda_max)).
///
/// ```
/// use gradus::prox::{L1Norm, Prox};
/// use ndarray::array;
///
/// let mut h = L1Norm::new(2.0)?;
/// let mut x = array![3.0, -0.5, -1.5];
/// let value = h.prox(x.view_mut(), 0.5); // threshold γλ = 1
/// assert_eq!(x, array![2.0, 0.0, -0.5]);
/// assert_eq!(value, 2.0 * 2.5);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct L1Norm<F> {
    lambda: F,
}

impl<F: Real> L1Norm<F> {
    /// `λ |x|₁` with `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lambda`.
    pub fn new(lambda: F) -> Result<Self> {
        check("lambda", lambda, Domain::NonNegative)?;
        Ok(L1Norm { lambda })
    }

    /// The weight `λ`.
    pub fn lambda(&self) -> F {
        self.lambda
    }
}

impl<F: Real> Prox<F> for L1Norm<F> {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        self.lambda * x.iter().fold(F::zero(), |s, &v| s + v.abs())
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        let t = gamma * self.lambda;
        let mut sum = F::zero();
        x.map_inplace(|v| {
            *v = soft_threshold(*v, t);
            sum += v.abs();
        });
        self.lambda * sum
    }

    fn dim(&self) -> Option<usize> {
        None
    }
}

impl<F: Real> Penalty<F> for L1Norm<F> {
    fn lambda(&self) -> F {
        self.lambda
    }

    fn with_lambda(&self, lambda: F) -> Self {
        L1Norm { lambda }
    }

    /// `|g|_∞`.
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        max_abs(gradient.iter().copied())
    }
}
