//! Proximal operators: non-smooth penalties `h` (the lasso's `λ|x|₁`, the elastic net, group
//! lasso, ...) with their proximal maps, for minimising composite objectives `f(x) + h(x)`.
//!
//! # The proximal map
//!
//! For a closed convex function `h: R^n → R ∪ {+∞}` and a step `γ > 0`,
//!
//! ```text
//! prox_{γh}(v) = argmin_x  h(x) + |x - v|² / (2γ) .
//! ```
//!
//! The minimiser exists and is unique (the objective is strongly convex), and the map is firmly
//! non-expansive: `|prox(u) - prox(v)|² <= (prox(u) - prox(v))ᵀ(u - v)`. When `h = ι_C` is the
//! indicator of a closed convex set (`0` on `C`, `+∞` outside), `prox_{γh} = P_C` is the
//! Euclidean projection for every `γ`: [`Indicator`] makes every
//! [`Projection`](crate::Projection) set a [`Prox`] through the set's own projection, so the
//! sets of [`constraints`](crate::constraints) are proximal operators without a second
//! implementation, and a projected run is a proximal run.
//!
//! Moreau's decomposition relates the prox of `h` to that of its convex conjugate
//! `h*(y) = sup_x yᵀx - h(x)`:
//!
//! ```text
//! v = prox_{γh}(v) + γ prox_{h*/γ}(v/γ) .
//! ```
//!
//! For a norm `h = λ‖·‖`, `h*` is the indicator of the dual-norm ball of radius `λ`, so
//! `prox_{γh}(v) = v - P_{‖·‖_* <= γλ}(v)`: soft thresholding is `v` minus its projection onto a
//! box, and the group shrinkage of [`L2Norm`] is `v` minus its projection onto an L2 ball
//! (Parikh & Boyd, *Proximal Algorithms*, Foundations and Trends in Optimization 1(3), 2014,
//! §2.5 and §6.5).
//!
//! # The operators
//!
//! One file per operator, each with its value, its prox in closed form and its dual norm (the
//! `λ_max` of a [regularization path](crate::solvers::regularization_path)):
//!
//! | operator | `h(x)` | `prox_{γh}(v)_i` |
//! |---|---|---|
//! | [`L1Norm`] | `λ Σ |x_i|` | `sign(v_i) max(|v_i| - γλ, 0)` (soft thresholding) |
//! | [`WeightedL1`] | `λ Σ w_i |x_i|` | `sign(v_i) max(|v_i| - γλw_i, 0)` |
//! | [`ElasticNet`] | `λ₁ |x|₁ + (λ₂/2) |x|²` | `sign(v_i) max(|v_i| - γλ₁, 0) / (1 + γλ₂)` |
//! | [`L2Norm`] | `λ |x|₂` | `max(1 - γλ/|v|₂, 0) v` (block soft thresholding) |
//! | [`GroupLasso`] | `λ Σ_g w_g |x_g|₂` | `max(1 - γλw_g/|v_g|₂, 0) v_g` on each group |
//! | [`NonNegativeL1`] | `λ Σ x_i` on `x >= 0`, `+∞` elsewhere | `max(v_i - γλ, 0)` |
//! | [`Indicator`] of any [`Projection`](crate::Projection) set `C` | `ι_C(x)` | `P_C(v)` |
//!
//! # In the loop
//!
//! [`Minimizer::prox`](crate::Minimizer::prox) turns the loop's step into the proximal step
//! `x ← prox_{γh}(x - γ d)`: with [`GradientDescent`](crate::GradientDescent) it is the
//! proximal gradient method (ISTA), with [`Minimizer::accelerate`](crate::Minimizer::accelerate)
//! FISTA, over minibatches proximal SGD and Prox-SVRG. [`certificate`] checks a solution (the
//! subgradient conditions coordinate by coordinate, and the duality gap of the lasso), and
//! [`RegularizationPath`](crate::solvers::RegularizationPath) follows the solutions along a
//! decreasing grid of `λ`.
//!
//! ```
//! use gradus::prelude::*;
//! use gradus::prox::L1Norm;
//! use ndarray::array;
//!
//! // f(x) = ½|x - c|²: the lasso solution is the soft thresholding of c by λ = 1, and the
//! // proximal gradient step with γ = 1/L = 1 lands on it from anywhere.
//! let c = array![3.0, -0.5, -2.0];
//! let target = c.clone();
//! let f = FnObjective::new(
//!     3,
//!     move |x| 0.5 * (&x - &target).mapv(|d| d * d).sum(),
//!     move |x, mut g| g.assign(&(&x - &c)),
//! );
//! let report = Minimizer::new(GradientDescent::default())
//!     .lr(1.0)
//!     .prox(L1Norm::new(1.0)?)
//!     .gradient_tolerance(1e-12)
//!     .minimize(&f, array![0.0, 0.0, 0.0].view())?;
//! assert_eq!(report.x, array![2.0, 0.0, -1.0]);
//! assert_eq!(report.iterations, 1);
//! assert_eq!(report.support, Some(vec![0, 2]));
//! assert_eq!(report.f, 0.5 * (1.0 + 0.25 + 1.0) + 3.0); // f + h
//! # Ok::<(), gradus::Error>(())
//! ```

use ndarray::{ArrayView1, ArrayViewMut1};

use crate::Real;
use crate::error::{Domain, Result, check, check_len};

pub mod certificate;
mod elastic_net;
mod group_lasso;
mod indicator;
mod l1;
mod l2_norm;
mod nonnegative_l1;
mod penalty;
mod weighted_l1;

pub use certificate::{DualityGap, Kkt, Subdifferential, duality_gap, kkt};
pub use elastic_net::ElasticNet;
pub use group_lasso::GroupLasso;
pub use indicator::Indicator;
pub use l1::L1Norm;
pub use l2_norm::L2Norm;
pub use nonnegative_l1::NonNegativeL1;
pub use penalty::Penalty;
pub use weighted_l1::WeightedL1;

/// A closed convex function `h: R^n → R ∪ {+∞}` with its proximal map
///
/// ```text
/// prox_{γh}(v) = argmin_x  h(x) + |x - v|² / (2γ)      (γ >= 0; prox_{0h} = P_{dom h}).
/// ```
///
/// The [`Minimizer`](crate::Minimizer) applies it after every step (see
/// [`Minimizer::prox`](crate::Minimizer::prox)); it must work in place and allocate nothing
/// (an operator that needs scratch space keeps it, which is why the methods that write take
/// `&mut self`). Every [`Projection`](crate::Projection) set is one through its
/// [`Indicator`].
///
/// The operators of this module keep a NaN entry NaN (never a finite value computed from a
/// point that was never computed), so that the loop stops with
/// [`Termination::NonFinite`](crate::Termination::NonFinite); one of fixed dimension given an
/// `x` of another length fills it with NaN, as the sets do. [`try_prox`](Prox::try_prox) checks
/// both lengths and the step for a call by hand.
pub trait Prox<F: Real> {
    /// `h(x)`: `+∞` outside the domain of `h`.
    fn value(&self, x: ArrayView1<'_, F>) -> F;

    /// Replaces `x` by `prox_{γh}(x)` and returns `h` there (which the loop adds to `f` without
    /// evaluating `h` again). `gamma` must be finite and `>= 0`, as the loop guarantees.
    fn prox(&mut self, x: ArrayViewMut1<'_, F>, gamma: F) -> F;

    /// The dimension `n`, or `None` if `h` applies in any dimension.
    fn dim(&self) -> Option<usize>;

    /// Moves `x` into the closure of the domain of `h` (its Euclidean projection there) and
    /// returns `h(x)` there. The loop starts from this point: a set projects the starting
    /// point, [`NonNegativeL1`] clips it at 0, and a penalty that is finite everywhere (the
    /// default) leaves it as it is.
    fn enter_domain(&mut self, x: ArrayViewMut1<'_, F>) -> F {
        self.value(x.view())
    }

    /// [`prox`](Prox::prox) after checking the length of `x` and the step.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) if `h` has a fixed
    /// dimension and `x` another length; [`Error::InvalidParameter`](crate::Error::InvalidParameter)
    /// for a negative or non-finite `gamma`.
    fn try_prox(&mut self, x: ArrayViewMut1<'_, F>, gamma: F) -> Result<F> {
        if let Some(n) = self.dim() {
            check_len("x vs the prox dimension", n, x.len())?;
        }
        check("gamma", gamma, Domain::NonNegative)?;
        Ok(self.prox(x, gamma))
    }
}

/// Soft thresholding `sign(v) max(|v| - t, 0)`, the prox of `t|·|` at `v` (`t >= 0`); NaN stays
/// NaN.
#[inline(always)]
pub(crate) fn soft_threshold<F: Real>(v: F, t: F) -> F {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else if v.is_nan() {
        v
    } else {
        F::zero()
    }
}

/// Fills `x` with NaN and returns `true` when its length differs from the dimension `n` of the
/// operator: [`Prox::prox`] cannot return an error, and a wrong length must not panic.
pub(crate) fn reject_wrong_length<F: Real>(n: usize, x: &mut ArrayViewMut1<'_, F>) -> bool {
    if x.len() == n {
        false
    } else {
        x.fill(F::nan());
        true
    }
}

/// The support of `x`: the indices of its non-zero entries (NaN counts as non-zero).
pub fn support<F: Real>(x: ArrayView1<'_, F>) -> Vec<usize> {
    x.iter()
        .enumerate()
        .filter(|&(_, &v)| v != F::zero())
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests;
