//! Convergence criteria and budgets.

use std::time::{Duration, Instant};

use super::Termination;
use crate::Real;
use crate::error::{Domain, Error, Result, check};

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
/// projected onto a set C:   s(x) = |x - P_C(x - γ∇f(x))|₂ / γ       (the gradient mapping)
/// with a penalty h:         s(x) = |x - prox_{γh}(x - γ∇f(x))|₂ / γ  (the proximal one)
/// ```
///
/// with `γ` the run's base step size (the constant step size, or the rule's `lr` when a schedule
/// or a line search sets the step; `1` if that is `0`; the current step of a
/// [`ProxBacktracking`](crate::ProxBacktracking)). The gradient mapping equals `|∇f(x)|₂`
/// at points where the step stays inside `C`, and vanishes at a constrained minimiser where
/// `∇f` does not; the proximal one vanishes exactly at the minimisers of `f + h` (a projection
/// is the prox of the set's indicator, so the second line is a case of the third). An
/// [accelerated](crate::Minimizer::accelerate) run measures the mapping at its extrapolated point
/// `y_k`, `|y_k - x_{k+1}| / γ`. The same measure is reported as [`Report::stationarity`](crate::Report),
/// [`Record::stationarity`](crate::Record) and
/// [`IterationState::stationarity`](crate::IterationState).
///
/// The [`Minimizer`](crate::Minimizer) has one builder method per field
/// ([`gradient_tolerance`](crate::Minimizer::gradient_tolerance) sets
/// [`stationarity`](Criteria::stationarity), ...), each changing its own field only.
///
/// # Budgets
///
/// A run stops on the first budget that runs out. When you set none of your own, a safety cap of
/// [`DEFAULT_MAX_ITERATIONS`](Criteria::DEFAULT_MAX_ITERATIONS) steps applies, so that no run is
/// unbounded; any budget you set replaces it: a minibatch run with
/// [`max_epochs`](Criteria::max_epochs) runs its epochs, however many steps they take, and a run
/// with [`max_time`](Criteria::max_time) runs until that time.
///
/// # Minibatch runs
///
/// A minibatch run ([`Minimizer::minimize_finite_sum`](crate::Minimizer::minimize_finite_sum))
/// knows `f` and `∇f` of the whole sum only at its full checks (every
/// [`Minibatch::full_check_every`](crate::Minibatch::full_check_every) epochs), so:
///
/// - [`stationarity`](Criteria::stationarity), [`relative_stationarity`](Criteria::relative_stationarity)
///   and [`target`](Criteria::target) are tested at the full checks. Set without full checks,
///   they could never be tested, and the run is refused with
///   [`Error::Incompatible`](crate::Error::Incompatible) — except the *default* gradient
///   tolerance, which such a run simply goes without;
/// - [`f_change`](Criteria::f_change) and [`relative_f_change`](Criteria::relative_f_change)
///   compare the exact `f` of consecutive iterates, which a minibatch run never has: they are
///   refused;
/// - [`x_change`](Criteria::x_change) and the budgets apply as in any run (`x` is exact);
/// - [`max_epochs`](Criteria::max_epochs) counts passes of the sampler over the data. A
///   full-batch run has no epochs, and refuses an epoch budget.
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
    /// Stop after this many iterations (steps). Default `None`: no iteration budget of your own,
    /// and then the run stops after
    /// [`DEFAULT_MAX_ITERATIONS`](Criteria::DEFAULT_MAX_ITERATIONS) steps unless another budget
    /// bounds it ([`max_epochs`](Criteria::max_epochs) in a minibatch run,
    /// [`max_evaluations`](Criteria::max_evaluations),
    /// [`max_gradient_evaluations`](Criteria::max_gradient_evaluations) or
    /// [`max_time`](Criteria::max_time)). `Some(n)` always applies.
    pub max_iterations: Option<usize>,
    /// Stop a minibatch run after this many epochs (passes of the sampler over the data); with no
    /// [`max_iterations`](Criteria::max_iterations) set, the epochs alone bound the run. Default:
    /// none. A full-batch run refuses it.
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
            max_iterations: None,
            max_epochs: None,
            max_evaluations: None,
            max_gradient_evaluations: None,
            max_time: None,
            divergence_factor: F::lit(1e12),
        }
    }
}

impl<F: Real> Criteria<F> {
    /// Whether a criterion judges the value of `f` (a target, or a change of `f`).
    pub(super) fn judges_values(&self) -> bool {
        self.target.is_some() || self.f_change.is_some() || self.relative_f_change.is_some()
    }

    /// The iteration budget of a run for which you set no budget at all: `10_000` steps.
    pub const DEFAULT_MAX_ITERATIONS: usize = 10_000;

    /// `true` if a budget of the user's own bounds a run (`sampled`: a minibatch run, where
    /// epochs count).
    fn has_budget(&self, sampled: bool) -> bool {
        self.max_iterations.is_some()
            || (sampled && self.max_epochs.is_some())
            || self.max_evaluations.is_some()
            || self.max_gradient_evaluations.is_some()
            || self.max_time.is_some()
    }

    /// `true` if the gradient tolerance is the default one (which a minibatch run without full
    /// checks goes without).
    fn default_stationarity(&self) -> bool {
        self.stationarity == Criteria::<F>::default().stationarity
    }

    /// Checks that every criterion can be tested in a run of this kind (`sampled`: a minibatch
    /// run, `full_checks`: one that computes the full loss and gradient at times); see
    /// [Minibatch runs](Criteria#minibatch-runs).
    ///
    /// # Errors
    /// [`Error::Incompatible`](crate::Error::Incompatible) naming the criterion and the fix.
    pub(super) fn check_testable(&self, sampled: bool, full_checks: bool) -> Result<()> {
        let refuse = |reason| Err(Error::Incompatible { reason });
        if !sampled {
            if self.max_epochs.is_some() {
                return refuse(
                    "max_epochs bounds minibatch runs (minimize_finite_sum), whose sampler counts \
                     passes over the data; bound a full-batch run with max_iterations",
                );
            }
            return Ok(());
        }
        if self.f_change.is_some() || self.relative_f_change.is_some() {
            return refuse(
                "f_change and relative_f_change compare the exact f of consecutive iterates, which \
                 a minibatch run never computes; remove them, and stop the run with max_epochs, \
                 x_change, or gradient_tolerance or target with full checks \
                 (Minibatch::full_check_every)",
            );
        }
        if full_checks {
            return Ok(());
        }
        if self.stationarity.is_some() && !self.default_stationarity() {
            return refuse(
                "a gradient tolerance needs the full gradient, which a minibatch run computes only \
                 at full checks: set Minibatch::full_check_every (Some(1) checks after every \
                 epoch, at the cost of one pass over the data), or remove the tolerance",
            );
        }
        if self.relative_stationarity.is_some() {
            return refuse(
                "a relative gradient tolerance needs the full gradient, which a minibatch run \
                 computes only at full checks: set Minibatch::full_check_every (Some(1) checks \
                 after every epoch, at the cost of one pass over the data), or remove the tolerance",
            );
        }
        if self.target.is_some() {
            return refuse(
                "a target value needs the full loss, which a minibatch run computes only at full \
                 checks: set Minibatch::full_check_every (Some(1) checks after every epoch, at the \
                 cost of one pass over the data), or remove the target",
            );
        }
        Ok(())
    }

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
    /// measure `s0` there fix the divergence level and the relative tolerance; `sampled` says
    /// whether epochs count (a minibatch run).
    pub(super) fn resolve(&self, f0: F, s0: F, start: Instant, sampled: bool) -> Stopping<F> {
        let off = F::nan();
        let budget = |b: Option<usize>| b.unwrap_or(usize::MAX);
        let max_iterations = match self.max_iterations {
            Some(n) => n,
            None if self.has_budget(sampled) => usize::MAX,
            None => Self::DEFAULT_MAX_ITERATIONS,
        };
        let stationarity = self.stationarity.unwrap_or(off);
        let relative_stationarity = self.relative_stationarity.map_or(off, |t| t * s0);
        Stopping {
            stationarity,
            // The larger of the two (the one set, if only one is: `max` ignores a NaN).
            either_stationarity: stationarity.max(relative_stationarity),
            target: self.target.unwrap_or(off),
            f_change: self.f_change.unwrap_or(off),
            relative_f_change: self.relative_f_change.unwrap_or(off),
            x_change: self.x_change.unwrap_or(off),
            max_iterations,
            max_epochs: budget(self.max_epochs),
            max_evaluations: budget(self.max_evaluations),
            max_gradient_evaluations: budget(self.max_gradient_evaluations),
            deadline: self.max_time.map(|t| (start, t)),
            other_budgets: self.max_epochs.is_some()
                || self.max_evaluations.is_some()
                || self.max_gradient_evaluations.is_some()
                || self.max_time.is_some(),
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
    /// The larger of the thresholds of the stationarity measure, the absolute one and the
    /// relative one (`tol · s(x0)`): the measure is at most one of them if it is at most this
    /// one, so that a run that meets neither tests once.
    either_stationarity: F,
    target: F,
    f_change: F,
    relative_f_change: F,
    x_change: F,
    max_iterations: usize,
    max_epochs: usize,
    max_evaluations: usize,
    max_gradient_evaluations: usize,
    deadline: Option<(Instant, Duration)>,
    /// `true` if a budget other than the iterations is set: without one, checking the budgets
    /// is one comparison.
    other_budgets: bool,
    /// `f(x0) + factor · max(1, |f(x0)|)`.
    divergence_level: F,
}

/// What the last step changed, for the change criteria.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
    /// The first convergence criterion that holds, if any. `measured` holds the values
    /// `(f, stationarity)` the criteria may trust (exact values, or a full check of a sampled
    /// run), when there are any; `change` what the last step changed, when it is tracked.
    #[inline]
    pub(super) fn check(
        &self,
        measured: Option<(F, F)>,
        change: Option<Change<F>>,
    ) -> Option<Termination> {
        if let Some((f, s)) = measured {
            if s <= self.either_stationarity {
                return Some(if s <= self.stationarity {
                    Termination::GradientNorm
                } else {
                    Termination::RelativeGradientNorm
                });
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
            }
        }
        // `x` is exact in every run, sampled or not.
        if let Some(c) = change
            && c.x <= self.x_change
        {
            return Some(Termination::StepChange);
        }
        None
    }

    /// `true` if `f` has grown beyond the divergence level.
    #[inline]
    pub(super) fn diverged(&self, f: F) -> bool {
        f > self.divergence_level
    }

    /// The first budget that has run out, if any.
    #[inline]
    pub(super) fn check_budgets(&self, budget: Budget) -> Option<Termination> {
        if budget.iteration >= self.max_iterations {
            return Some(Termination::MaxIterations);
        }
        if !self.other_budgets {
            return None;
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
