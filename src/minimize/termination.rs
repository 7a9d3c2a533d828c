//! Why a run stopped.

use std::fmt;

/// The reason a run stopped. Converging and exhausting a budget are both normal outcomes;
/// [`is_converged`](Termination::is_converged) tells them apart.
///
/// ```
/// use gradus::Termination;
/// assert_eq!(
///     Termination::GradientNorm.to_string(),
///     "converged: stationarity measure below tolerance"
/// );
/// assert!(!Termination::MaxIterations.is_converged());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Termination {
    /// The stationarity measure fell to the absolute tolerance
    /// ([`Criteria::stationarity`](crate::Criteria::stationarity)): the gradient norm, or the
    /// norm of the gradient mapping in a projected run.
    GradientNorm,
    /// The stationarity measure fell to the given fraction of its initial value
    /// ([`Criteria::relative_stationarity`](crate::Criteria::relative_stationarity)).
    RelativeGradientNorm,
    /// A step changed `f` by no more than the absolute tolerance.
    FunctionChange,
    /// A step changed `f` by no more than the relative tolerance.
    RelativeFunctionChange,
    /// A step moved `x` by no more than the tolerance.
    StepChange,
    /// `f` reached the target value.
    TargetReached,
    /// The iteration budget ran out.
    MaxIterations,
    /// The epoch budget of a minibatch run ran out.
    MaxEpochs,
    /// The evaluation budget ran out.
    MaxEvaluations,
    /// The time budget ran out.
    MaxTime,
    /// The objective returned a NaN or infinite value or gradient; the report keeps the last
    /// iterate where both were finite.
    NonFinite,
    /// `f` grew beyond the divergence threshold.
    Diverged,
    /// Early stopping: the validation loss did not improve on its reference by more than
    /// `min_delta` in `patience` evaluations in a row
    /// ([`Minimizer::early_stopping`](crate::Minimizer::early_stopping)). Not a convergence of
    /// the minimisation (`f` may still be falling): [`is_converged`](Termination::is_converged)
    /// is `false`, and the iterate to keep is usually [`Report::best`](crate::Report::best).
    EarlyStopped,
    /// An observer asked the run to stop.
    StoppedByObserver,
    /// The line search found no step that lowers `f`, or ten steps in a row lowered neither `f`
    /// nor the stationarity measure (a step that lowers `f` only below its rounding level is
    /// accepted while the gradient still shrinks). There are three causes:
    /// - `f` is at the rounding level of its values: the iterate is as good as the precision of
    ///   `f` allows, and a tighter tolerance cannot be met;
    /// - `f` is badly scaled for the search's first trial step (a unit step along `-∇f` moves
    ///   `x` by less than its rounding, or no halving of it is short enough);
    /// - the gradient is inconsistent with `f` (a sign error, a missing term), so that the
    ///   direction it gives is not a descent direction: [`check_gradient`](crate::check_gradient)
    ///   finds it.
    ///
    /// The report keeps the last iterate; with [`Backtracking`](crate::line_search::Backtracking)
    /// and [`StrongWolfe`](crate::line_search::StrongWolfe), which accept no increase, `f` is
    /// no higher there than at any iterate before.
    LineSearchFailed,
    /// The update rule's state overflowed
    /// ([`Error::NonFiniteState`](crate::Error::NonFiniteState)): the square of a gradient
    /// component beyond about `√MAX` (`1.3e154` in `f64`, `1.8e19` in `f32`) made its
    /// second-moment estimate infinite, which would have frozen that coordinate. The step is
    /// undone: the report keeps the iterate before it. Rescale the objective or clip the
    /// gradients ([`Minimizer::clip`](crate::Minimizer::clip)).
    StateOverflow,
}

impl Termination {
    /// `true` for the convergence criteria (gradient, function change, step change, target);
    /// `false` for the budgets, early stopping, an observer's stop and the failures.
    pub fn is_converged(&self) -> bool {
        matches!(
            self,
            Termination::GradientNorm
                | Termination::RelativeGradientNorm
                | Termination::FunctionChange
                | Termination::RelativeFunctionChange
                | Termination::StepChange
                | Termination::TargetReached
        )
    }

    /// A short label for tables (`"gradient"`, `"max-iter"`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Termination::GradientNorm => "gradient",
            Termination::RelativeGradientNorm => "rel-gradient",
            Termination::FunctionChange => "f-change",
            Termination::RelativeFunctionChange => "rel-f-change",
            Termination::StepChange => "x-change",
            Termination::TargetReached => "target",
            Termination::MaxIterations => "max-iter",
            Termination::MaxEpochs => "max-epochs",
            Termination::MaxEvaluations => "max-evals",
            Termination::MaxTime => "max-time",
            Termination::NonFinite => "non-finite",
            Termination::Diverged => "diverged",
            Termination::EarlyStopped => "early-stop",
            Termination::StoppedByObserver => "observer",
            Termination::LineSearchFailed => "line-search",
            Termination::StateOverflow => "state-overflow",
        }
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Termination::GradientNorm => "converged: stationarity measure below tolerance",
            Termination::RelativeGradientNorm => {
                "converged: stationarity measure below the relative tolerance"
            }
            Termination::FunctionChange => "converged: change in f below tolerance",
            Termination::RelativeFunctionChange => {
                "converged: relative change in f below tolerance"
            }
            Termination::StepChange => "converged: change in x below tolerance",
            Termination::TargetReached => "converged: target value of f reached",
            Termination::MaxIterations => "stopped: iteration budget exhausted",
            Termination::MaxEpochs => "stopped: epoch budget exhausted",
            Termination::MaxEvaluations => "stopped: evaluation budget exhausted",
            Termination::MaxTime => "stopped: time budget exhausted",
            Termination::NonFinite => {
                "stopped: non-finite value or gradient met; last finite iterate kept"
            }
            Termination::Diverged => "stopped: f diverged",
            Termination::EarlyStopped => {
                "stopped early: the validation loss stopped improving (patience exhausted)"
            }
            Termination::StoppedByObserver => "stopped by an observer",
            Termination::LineSearchFailed => {
                "stopped: the line search found no decrease of f (at its rounding level, or a \
                 gradient inconsistent with f: check it with check_gradient)"
            }
            Termination::StateOverflow => {
                "stopped: a squared gradient overflowed the rule's state; the step was undone"
            }
        };
        f.write_str(text)
    }
}
