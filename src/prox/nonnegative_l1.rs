//! The L1 norm on the non-negative orthant: `λ Σ x_i` for `x >= 0`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Prox;
use super::penalty::Penalty;
use crate::Real;
use crate::error::{Domain, Result, check};

/// The non-negative lasso penalty (scikit-learn's `Lasso(positive=True)`; glmnet's
/// `lower.limits = 0`)
///
/// ```text
/// h(x) = λ Σ_i x_i  if x >= 0,  +∞ otherwise   (= λ|x|₁ + ι_{x >= 0}) ,
/// prox_{γh}(v)_i = max(v_i - γλ, 0) ,
/// ```
///
/// in any dimension. On each coordinate, `h(x) + |x - v|²/(2γ)` is a parabola in `x_i >= 0`
/// with vertex `v_i - γλ`, so its minimiser is the vertex clipped at `0`. The loop starts from
/// `x0` clipped at `0` ([`enter_domain`](Prox::enter_domain)). `0` minimises `f + h` exactly
/// when `∇f(0)_i >= -λ` for every `i`.
///
/// ```
/// use gradus::prox::{NonNegativeL1, Prox};
/// use ndarray::array;
///
/// let mut h = NonNegativeL1::new(1.0)?;
/// let mut x = array![3.0, 0.5, -2.0];
/// h.prox(x.view_mut(), 1.0);
/// assert_eq!(x, array![2.0, 0.0, 0.0]);
/// assert_eq!(h.value(array![1.0, -1.0].view()), f64::INFINITY);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NonNegativeL1<F> {
    lambda: F,
}

impl<F: Real> NonNegativeL1<F> {
    /// `λ Σ x_i` on `x >= 0` with `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lambda`.
    pub fn new(lambda: F) -> Result<Self> {
        check("lambda", lambda, Domain::NonNegative)?;
        Ok(NonNegativeL1 { lambda })
    }

    /// The weight `λ`.
    pub fn lambda(&self) -> F {
        self.lambda
    }
}

impl<F: Real> Prox<F> for NonNegativeL1<F> {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let mut sum = F::zero();
        for &v in x {
            if v < F::zero() {
                return F::infinity();
            }
            sum += v;
        }
        self.lambda * sum
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        let t = gamma * self.lambda;
        let mut sum = F::zero();
        x.map_inplace(|v| {
            // Written as a comparison so that NaN stays NaN (`max` would drop it).
            let shifted = *v - t;
            *v = if shifted < F::zero() {
                F::zero()
            } else {
                shifted
            };
            sum += *v;
        });
        self.lambda * sum
    }

    fn dim(&self) -> Option<usize> {
        None
    }

    fn enter_domain(&mut self, mut x: ArrayViewMut1<'_, F>) -> F {
        x.map_inplace(|v| {
            if *v < F::zero() {
                *v = F::zero();
            }
        });
        self.value(x.view())
    }
}

impl<F: Real> Penalty<F> for NonNegativeL1<F> {
    fn lambda(&self) -> F {
        self.lambda
    }

    fn with_lambda(&self, lambda: F) -> Self {
        NonNegativeL1 { lambda }
    }

    /// `max(0, max_i -g_i)`: `0` is optimal when `g_i >= -λ` for every `i`.
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        gradient
            .iter()
            .fold(F::zero(), |m, &g| if -g > m || g.is_nan() { -g } else { m })
    }
}
