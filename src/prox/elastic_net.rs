//! The elastic net `λ₁|x|₁ + (λ₂/2)|x|²`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::penalty::{Penalty, max_abs};
use super::{Prox, soft_threshold};
use crate::Real;
use crate::error::{Domain, Result, check};

/// The elastic-net penalty (Zou & Hastie, "Regularization and variable selection via the
/// elastic net", JRSS B 67, 2005)
///
/// ```text
/// h(x) = λ₁ |x|₁ + (λ₂/2) |x|²₂ ,
/// prox_{γh}(v)_i = sign(v_i) max(|v_i| - γλ₁, 0) / (1 + γλ₂) ,
/// ```
///
/// in any dimension. The prox follows from `0 ∈ λ₁ ∂|x_i| + λ₂ x_i + (x_i - v_i)/γ`, that is
/// `(1 + γλ₂) x_i ∈ v_i - γλ₁ ∂|x_i|`: soft thresholding by `γλ₁`, then shrinkage by
/// `1/(1 + γλ₂)`. scikit-learn's `ElasticNet(alpha, l1_ratio)` and glmnet's
/// `(lambda, alpha)` write the same penalty as `α ρ |x|₁ + α (1 - ρ)/2 |x|²`:
/// [`with_ratio`](ElasticNet::with_ratio). The quadratic term vanishes at `0`, so `0` minimises
/// `f + h` exactly when `|∇f(0)|_∞ <= λ₁`.
///
/// ```
/// use gradus::prox::{ElasticNet, Prox};
/// use ndarray::array;
///
/// let mut h = ElasticNet::new(1.0, 2.0)?;
/// let mut x = array![4.0, -0.5];
/// h.prox(x.view_mut(), 0.5); // (4 - 0.5) / (1 + 1)
/// assert_eq!(x, array![1.75, 0.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ElasticNet<F> {
    l1: F,
    l2: F,
}

impl<F: Real> ElasticNet<F> {
    /// `λ₁ |x|₁ + (λ₂/2) |x|²` with `λ₁ = l1`, `λ₂ = l2`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// weight.
    pub fn new(l1: F, l2: F) -> Result<Self> {
        check("l1", l1, Domain::NonNegative)?;
        check("l2", l2, Domain::NonNegative)?;
        Ok(ElasticNet { l1, l2 })
    }

    /// scikit-learn's and glmnet's form `α ρ |x|₁ + α (1 - ρ)/2 |x|²`, with `α = alpha` and the
    /// mixing `ρ = l1_ratio` (`1`: the lasso; `0`: ridge).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `alpha`, or `l1_ratio` outside `[0, 1]`.
    pub fn with_ratio(alpha: F, l1_ratio: F) -> Result<Self> {
        check("alpha", alpha, Domain::NonNegative)?;
        check("l1_ratio", l1_ratio, Domain::ClosedUnitInterval)?;
        Ok(ElasticNet {
            l1: alpha * l1_ratio,
            l2: alpha * (F::one() - l1_ratio),
        })
    }

    /// `λ₁`.
    pub fn l1(&self) -> F {
        self.l1
    }

    /// `λ₂`.
    pub fn l2(&self) -> F {
        self.l2
    }
}

impl<F: Real> Prox<F> for ElasticNet<F> {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let (abs, sq) = x.iter().fold((F::zero(), F::zero()), |(a, s), &v| {
            (a + v.abs(), s + v * v)
        });
        self.l1 * abs + F::lit(0.5) * self.l2 * sq
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        let t = gamma * self.l1;
        let shrink = F::one() + gamma * self.l2;
        let (mut abs, mut sq) = (F::zero(), F::zero());
        x.map_inplace(|v| {
            *v = soft_threshold(*v, t) / shrink;
            abs += v.abs();
            sq += *v * *v;
        });
        self.l1 * abs + F::lit(0.5) * self.l2 * sq
    }

    fn dim(&self) -> Option<usize> {
        None
    }
}

/// The elastic net as a family in `α = λ₁ + λ₂` with its mixing `ρ = λ₁/α` fixed (scikit-learn's
/// `enet_path` for a given `l1_ratio`; `ρ = 1` when both weights are `0`).
impl<F: Real> Penalty<F> for ElasticNet<F> {
    /// `α = λ₁ + λ₂`.
    fn lambda(&self) -> F {
        self.l1 + self.l2
    }

    fn with_lambda(&self, alpha: F) -> Self {
        let total = self.l1 + self.l2;
        let ratio = if total > F::zero() {
            self.l1 / total
        } else {
            F::one()
        };
        ElasticNet {
            l1: alpha * ratio,
            l2: alpha * (F::one() - ratio),
        }
    }

    /// `|g|_∞ / ρ` (the quadratic term has a zero gradient at `0`); `+∞` for a pure ridge
    /// penalty (`ρ = 0`), which never makes `0` optimal unless `g = 0`.
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        let total = self.l1 + self.l2;
        let ratio = if total > F::zero() {
            self.l1 / total
        } else {
            F::one()
        };
        let g = max_abs(gradient.iter().copied());
        if g == F::zero() { F::zero() } else { g / ratio }
    }
}
