//! The exact step along a line of a quadratic objective, from one extra gradient evaluation.

use super::{LineFunction, LineSearch, LineSearchStep};
use crate::Real;
use crate::error::{Domain, Result, check};

/// The exact line search for a quadratic objective, from one extra gradient evaluation.
///
/// For `f(x) = ½ x'Ax - b'x` the restriction `φ(α) = f(x + α d)` is a parabola, so its slope
/// `φ'(α) = φ'(0) + α d'Ad` is affine in `α`. One evaluation of the slope at a trial step `t`
/// gives the curvature `d'Ad = (φ'(t) - φ'(0)) / t`, and the secant of `φ'` gives the exact
/// minimiser along the line:
///
/// ```text
/// α* = -φ'(0) / d'Ad = t φ'(0) / (φ'(0) - φ'(t)) .
/// ```
///
/// With `d = -∇f(x)` this is the Cauchy step `α* = |g|² / g'Ag` of steepest descent. The search
/// then evaluates `φ` and `φ'` at `α*`, so that the loop has the gradient there: two evaluations
/// of the value and gradient per iteration. It makes no acceptance test, because near the
/// minimiser the decrease of `f` is below the rounding error of `f` while `α*` is still accurate.
///
/// **Exact only for quadratic `f`.** For other functions it is one secant step on `φ'`, with no
/// guarantee of decrease; use [`StrongWolfe`](super::StrongWolfe) or
/// [`Backtracking`](super::Backtracking) there. The search fails when the measured curvature
/// `d'Ad` is not positive (the quadratic is then unbounded below along `d`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactQuadratic<F> {
    trial_step: F,
}

impl<F: Real> Default for ExactQuadratic<F> {
    /// `trial_step = 1`.
    fn default() -> Self {
        ExactQuadratic {
            trial_step: F::one(),
        }
    }
}

impl<F: Real> ExactQuadratic<F> {
    /// The exact search with trial step `t` (any positive `t` gives the same `α*` for a quadratic,
    /// up to rounding).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `trial_step` is finite
    /// and positive.
    pub fn new(trial_step: F) -> Result<Self> {
        check("trial_step", trial_step, Domain::Positive)?;
        Ok(ExactQuadratic { trial_step })
    }
}

impl<F: Real> LineSearch<F> for ExactQuadratic<F> {
    fn search(
        &mut self,
        phi: &mut dyn LineFunction<F>,
        _value0: F,
        slope0: F,
    ) -> Option<LineSearchStep<F>> {
        let t = self.trial_step;
        let (_, slope_t) = phi.value_and_slope(t);
        let curvature = (slope_t - slope0) / t;
        if !(curvature > F::zero() && curvature.is_finite()) {
            return None;
        }
        let alpha = -slope0 / curvature;
        if !(alpha > F::zero() && alpha.is_finite()) {
            return None;
        }
        let (value, _) = phi.value_and_slope(alpha);
        Some(LineSearchStep { alpha, value })
    }
}
