//! The weighted L1 norm `λ Σ w_i |x_i|`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::penalty::Penalty;
use super::{Prox, reject_wrong_length, soft_threshold};
use crate::Real;
use crate::error::{Domain, Error, Result, check, check_entries};

/// The weighted lasso penalty `h(x) = λ Σ_i w_i |x_i|`, with weights `w_i >= 0` (Zou, "The
/// adaptive lasso and its oracle properties", JASA 101, 2006; glmnet's `penalty.factor`), and
/// its prox, soft thresholding coordinate by coordinate:
///
/// ```text
/// prox_{γh}(v)_i = sign(v_i) max(|v_i| - γλw_i, 0) .
/// ```
///
/// A weight of `0` leaves its coordinate unpenalised (an intercept); its prox is the identity.
/// The dimension is the number of weights. `0` minimises `f + h` exactly when
/// `|∇f(0)_i| <= λ w_i` for every `i`, so
/// [`lambda_max`](super::Penalty::lambda_max) is `max_{w_i > 0} |∇f(0)_i| / w_i`; it needs
/// `∇f(0)_i = 0` on the unpenalised coordinates, which holds at a point where `f` is minimised
/// over them (see [the path](crate::solvers::regularization_path)).
///
/// ```
/// use gradus::prox::{Prox, WeightedL1};
/// use ndarray::array;
///
/// // An unpenalised intercept first, then two coefficients.
/// let mut h = WeightedL1::new(1.0, array![0.0, 1.0, 2.0].view())?;
/// let mut x = array![5.0, 3.0, 3.0];
/// h.prox(x.view_mut(), 1.0);
/// assert_eq!(x, array![5.0, 2.0, 1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WeightedL1<F> {
    lambda: F,
    weights: Array1<F>,
}

impl<F: Real> WeightedL1<F> {
    /// `λ Σ w_i |x_i|` with `λ = lambda` and `w = weights`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `lambda`; [`Error::Empty`] for
    /// no weights; [`Error::InvalidEntry`] naming the first weight that is negative or not
    /// finite.
    pub fn new(lambda: F, weights: ArrayView1<'_, F>) -> Result<Self> {
        check("lambda", lambda, Domain::NonNegative)?;
        if weights.is_empty() {
            return Err(Error::Empty { what: "weights" });
        }
        check_entries("weights", weights.iter().copied(), Domain::NonNegative)?;
        Ok(WeightedL1 {
            lambda,
            weights: weights.to_owned(),
        })
    }

    /// The overall weight `λ`.
    pub fn lambda(&self) -> F {
        self.lambda
    }

    /// The weights `w`.
    pub fn weights(&self) -> ArrayView1<'_, F> {
        self.weights.view()
    }
}

impl<F: Real> Prox<F> for WeightedL1<F> {
    /// `λ Σ w_i |x_i|`; NaN if `x` does not have one entry per weight.
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if x.len() != self.weights.len() {
            return F::nan();
        }
        let mut sum = F::zero();
        Zip::from(&x)
            .and(&self.weights)
            .for_each(|&v, &w| sum += w * v.abs());
        self.lambda * sum
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        if reject_wrong_length(self.weights.len(), &mut x) {
            return F::nan();
        }
        let t = gamma * self.lambda;
        let mut sum = F::zero();
        Zip::from(&mut x).and(&self.weights).for_each(|v, &w| {
            *v = soft_threshold(*v, t * w);
            sum += w * v.abs();
        });
        self.lambda * sum
    }

    fn dim(&self) -> Option<usize> {
        Some(self.weights.len())
    }
}

impl<F: Real> Penalty<F> for WeightedL1<F> {
    fn lambda(&self) -> F {
        self.lambda
    }

    fn with_lambda(&self, lambda: F) -> Self {
        WeightedL1 {
            lambda,
            weights: self.weights.clone(),
        }
    }

    /// `max_{w_i > 0} |g_i| / w_i` (the unpenalised coordinates are not counted).
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        let mut m = F::zero();
        Zip::from(&gradient).and(&self.weights).for_each(|&g, &w| {
            if w > F::zero() {
                let r = g.abs() / w;
                if r > m || r.is_nan() {
                    m = r;
                }
            }
        });
        m
    }
}
