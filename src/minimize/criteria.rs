//! Convergence criteria and budgets.

use std::time::Duration;

use crate::Real;
use crate::error::{Domain, Result, check};

/// When a run stops. Every criterion that is set is checked at every iteration; the first to hold
/// stops the run and is named in the [`Termination`](crate::Termination) of the report.
///
/// The *stationarity* measure is the gradient norm `|∇f(x)|₂` for unconstrained runs, and the
/// norm of the gradient mapping `|x - P(x - γ∇f(x))|₂ / γ` when the run projects onto a set.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria<F> {
    /// Stop when the stationarity measure is at most this. Default `1e-5` for `f64` and `√ε`
    /// (about `3.5e-4`) for `f32`.
    pub gradient_norm: Option<F>,
    /// Stop when the stationarity measure is at most this fraction of its value at `x0`.
    /// Default: off.
    pub relative_gradient_norm: Option<F>,
    /// Stop when one step changes `f` by at most this: `|f_{k} - f_{k-1}| <= tol`. Default: off.
    pub f_change: Option<F>,
    /// Stop when `|f_{k} - f_{k-1}| <= tol · max(|f_k|, |f_{k-1}|)`. Default: off.
    pub relative_f_change: Option<F>,
    /// Stop when one step moves `x` by at most this in the max-norm: `|x_k - x_{k-1}|_∞ <= tol`.
    /// Default: off.
    pub x_change: Option<F>,
    /// Stop when `f(x) <= target`. Default: off.
    pub target: Option<F>,
    /// Stop after this many iterations (steps). Default `10_000`.
    pub max_iterations: usize,
    /// Stop a minibatch run after this many epochs (passes over the data). Default: none.
    pub max_epochs: Option<usize>,
    /// Stop once this many function evaluations have been made (checked between iterations, so a
    /// line search may exceed it by its own number of trials). Default: none.
    pub max_evaluations: Option<usize>,
    /// Stop once this many gradient evaluations have been made (checked between iterations, as
    /// `max_evaluations`): the budget that compares methods fairly when a line search evaluates
    /// `f` more often than its gradient. Default: none.
    pub max_gradient_evaluations: Option<usize>,
    /// Stop once this much wall time has passed (checked between iterations). Default: none.
    pub max_time: Option<Duration>,
    /// Stop as diverged when `f(x) - f(x0) > factor · max(1, |f(x0)|)`. Default `1e12`.
    pub divergence_factor: F,
}

impl<F: Real> Default for Criteria<F> {
    fn default() -> Self {
        Criteria {
            gradient_norm: Some(F::lit(1e-5).max(F::epsilon().sqrt())),
            relative_gradient_norm: None,
            f_change: None,
            relative_f_change: None,
            x_change: None,
            target: None,
            max_iterations: 10_000,
            max_epochs: None,
            max_evaluations: None,
            max_gradient_evaluations: None,
            max_time: None,
            divergence_factor: F::lit(1e12),
        }
    }
}

impl<F: Real> Criteria<F> {
    /// Checks every tolerance: each must be finite and non-negative (the target only not NaN),
    /// the divergence factor positive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the field.
    pub fn validate(&self) -> Result<()> {
        let tolerances = [
            ("gradient_norm", self.gradient_norm),
            ("relative_gradient_norm", self.relative_gradient_norm),
            ("f_change", self.f_change),
            ("relative_f_change", self.relative_f_change),
            ("x_change", self.x_change),
        ];
        for (name, tol) in tolerances {
            if let Some(t) = tol {
                check(name, t, Domain::NonNegative)?;
            }
        }
        if let Some(t) = self.target {
            check("target", t, Domain::NotNan)?;
        }
        check(
            "divergence_factor",
            self.divergence_factor,
            Domain::Positive,
        )
    }
}
