//! The indicator of a convex set: a projection as a proximal operator.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Prox;
use crate::Real;
use crate::constraints::Projection;

/// The indicator `ι_C` of a closed convex set `C` (`0` on `C`, `+∞` outside), whose prox is the
/// set's projection for every step `γ`:
///
/// ```text
/// prox_{γ ι_C}(v) = argmin_{x ∈ C} |x - v|² / (2γ) = P_C(v) .
/// ```
///
/// Any [`Projection`] set becomes a [`Prox`] through its own projection, with no second
/// implementation; [`Minimizer::projection`](crate::Minimizer::projection) is
/// [`Minimizer::prox`](crate::Minimizer::prox) with the indicator of the set, so a projected run
/// is the proximal gradient method with `h = ι_C`.
///
/// `h(x)` is `0` where the set [contains](Projection::contains) `x` up to `√ε` (in the set's
/// own measure of violation; `ε` the machine epsilon of `F`) and `+∞` elsewhere. The loop never
/// evaluates it: it starts from the projection of `x0` ([`enter_domain`](Prox::enter_domain)),
/// and every iterate is a projection, where `h = 0`.
///
/// ```
/// use gradus::constraints::BoxSet;
/// use gradus::prox::{Indicator, Prox};
/// use ndarray::array;
///
/// let mut h = Indicator(BoxSet::uniform(2, -1.0, 1.0)?);
/// let mut x = array![3.0, 0.5];
/// assert_eq!(h.prox(x.view_mut(), 10.0), 0.0); // h = 0 at the projection, whatever γ
/// assert_eq!(x, array![1.0, 0.5]);
/// assert_eq!(h.value(array![3.0, 0.5].view()), f64::INFINITY);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator<S>(pub S);

impl<F: Real, S: Projection<F>> Prox<F> for Indicator<S> {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if self.0.contains(x, F::epsilon().sqrt()) {
            F::zero()
        } else {
            F::infinity()
        }
    }

    #[inline]
    fn prox(&mut self, x: ArrayViewMut1<'_, F>, _gamma: F) -> F {
        self.0.project(x);
        F::zero()
    }

    fn dim(&self) -> Option<usize> {
        self.0.dim()
    }

    fn enter_domain(&mut self, x: ArrayViewMut1<'_, F>) -> F {
        self.0.project(x);
        F::zero()
    }
}
