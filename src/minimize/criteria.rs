//! Convergence criteria and budgets.

use std::time::{Duration, Instant};

use super::Termination;
use crate::Real;
use crate::error::{Domain, Result, check};

/// When a run stops. Every criterion that is set is checked at every iteration; the first to hold
/// stops the run and is named in the [`Termination`] of the report.
///
/// # The stationarity measure
///
/// The first two criteria bound the *stationarity measure* `s(x)`, which is zero exactly at the
/// stationary points of the problem the loop solves:
///
/// ```text
/// unconstrained:            s(x) = |∇f(x)|₂
/// projected onto a set C:   s(x) = |x - P_C(x - γ∇f(x))|₂ / γ     (the gradient mapping)
/// ```
///
/// with `γ` the run's base step size (the constant step size, or the rule's `lr` when a schedule
/// or a line search sets the step; `1` if that is `0`). The gradient mapping equals `|∇f(x)|₂`
/// at points where the step stays inside `C`, and vanishes at a constrained minimiser where
/// `∇f` does not. The same measure is reported as [`Report::stationarity`](crate::Report),
/// [`Record::stationarity`](crate::Record) and
/// [`IterationState::stationarity`](crate::IterationState).
///
/// The [`Minimizer`](crate::Minimizer) has one builder method per field
/// ([`gradient_tolerance`](crate::Minimizer::gradient_tolerance) sets
/// [`stationarity`](Criteria::stationarity), ...), each changing its own field only.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria<F> {
    /// Stop when the stationarity measure is at most this. Default `1e-5` for `f64` and `√ε`
    /// (about `3.5e-4`) for `f32`.
    pub stationarity: Option<F>,
    /// Stop when the stationarity measure is at most this fraction of its value at `x0`.
    /// Default: off.
    pub relative_stationarity: Option<F>,
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
            stationarity: Some(F::lit(1e-5).max(F::epsilon().sqrt())),
            relative_stationarity: None,
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
            ("stationarity", self.stationarity),
            ("relative_stationarity", self.relative_stationarity),
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

    /// `true` if a criterion compares consecutive iterates (so the loop must track the change).
    pub(super) fn tracks_change(&self) -> bool {
        self.f_change.is_some() || self.relative_f_change.is_some() || self.x_change.is_some()
    }

    /// The criteria of one run, resolved at its starting point: `f0` and the stationarity
    /// measure `s0` there fix the divergence level and the relative tolerance.
    pub(super) fn resolve(&self, f0: F, s0: F, start: Instant) -> Stopping<F> {
        let off = F::nan();
        let budget = |b: Option<usize>| b.unwrap_or(usize::MAX);
        Stopping {
            stationarity: self.stationarity.unwrap_or(off),
            relative_stationarity: self.relative_stationarity.map_or(off, |t| t * s0),
            target: self.target.unwrap_or(off),
            f_change: self.f_change.unwrap_or(off),
            relative_f_change: self.relative_f_change.unwrap_or(off),
            x_change: self.x_change.unwrap_or(off),
            max_iterations: self.max_iterations,
            max_epochs: budget(self.max_epochs),
            max_evaluations: budget(self.max_evaluations),
            max_gradient_evaluations: budget(self.max_gradient_evaluations),
            deadline: self.max_time.map(|t| (start, t)),
            divergence_level: f0 + self.divergence_factor * F::one().max(f0.abs()),
        }
    }
}

/// The criteria of one run with what depends on its start worked out once: the relative
/// tolerance as an absolute threshold and the divergence level as a value of `f`.
///
/// A criterion that is off has the threshold NaN, which no comparison meets, and a budget that is
/// off the count `usize::MAX`, which no run reaches: checking costs a comparison per criterion.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stopping<F> {
    stationarity: F,
    /// `tol · s(x0)`.
    relative_stationarity: F,
    target: F,
    f_change: F,
    relative_f_change: F,
    x_change: F,
    max_iterations: usize,
    max_epochs: usize,
    max_evaluations: usize,
    max_gradient_evaluations: usize,
    deadline: Option<(Instant, Duration)>,
    /// `f(x0) + factor · max(1, |f(x0)|)`.
    divergence_level: F,
}

/// What the last step changed, for the change criteria.
#[derive(Debug, Clone, Copy)]
pub(super) struct Change<F> {
    /// `|f_k - f_{k-1}|`.
    pub(super) f: F,
    /// `f_{k-1}`.
    pub(super) f_prev: F,
    /// `|x_k - x_{k-1}|_∞` (`0` when no criterion needs it).
    pub(super) x: F,
}

/// Where a run stands, for the budgets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    pub(super) iteration: usize,
    pub(super) epoch: usize,
    pub(super) function_evaluations: usize,
    pub(super) gradient_evaluations: usize,
}

impl<F: Real> Stopping<F> {
    /// The first criterion or budget that holds, if any. `measured` holds the values
    /// `(f, stationarity)` the criteria may trust (exact values, or a full check of a sampled
    /// run), when there are any; `change` what the last step changed, when it is tracked.
    #[inline]
    pub(super) fn check(
        &self,
        measured: Option<(F, F)>,
        change: Option<Change<F>>,
        budget: Budget,
    ) -> Option<Termination> {
        if let Some((f, s)) = measured {
            if s <= self.stationarity {
                return Some(Termination::GradientNorm);
            }
            if s <= self.relative_stationarity {
                return Some(Termination::RelativeGradientNorm);
            }
            if f <= self.target {
                return Some(Termination::TargetReached);
            }
            if let Some(c) = change {
                if c.f <= self.f_change {
                    return Some(Termination::FunctionChange);
                }
                if c.f <= self.relative_f_change * f.abs().max(c.f_prev.abs()) {
                    return Some(Termination::RelativeFunctionChange);
                }
                if c.x <= self.x_change {
                    return Some(Termination::StepChange);
                }
            }
        }
        self.check_budgets(budget)
    }

    /// `true` if `f` has grown beyond the divergence level.
    #[inline]
    pub(super) fn diverged(&self, f: F) -> bool {
        f > self.divergence_level
    }

    /// The first budget that has run out, if any.
    #[inline]
    fn check_budgets(&self, budget: Budget) -> Option<Termination> {
        if budget.iteration >= self.max_iterations {
            return Some(Termination::MaxIterations);
        }
        if budget.epoch >= self.max_epochs {
            return Some(Termination::MaxEpochs);
        }
        if budget.function_evaluations >= self.max_evaluations
            || budget.gradient_evaluations >= self.max_gradient_evaluations
        {
            return Some(Termination::MaxEvaluations);
        }
        if self.deadline.is_some_and(|(start, t)| start.elapsed() >= t) {
            return Some(Termination::MaxTime);
        }
        None
    }
}
