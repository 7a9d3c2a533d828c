//! The report a run returns.

use crate::curvature::SecondOrderCertificate;
use std::time::Duration;

use ndarray::Array1;

use super::Termination;

/// Everything a user asks after a run.
///
/// In a resumed run ([`Minimizer::resume`](crate::Minimizer::resume)), the counts (iterations,
/// evaluations, epochs) run from the start of the run it continues; the time and the history
/// are those of the resumed part alone.
///
/// For a rule with an [evaluation point](crate::Optimizer::evaluation_point) (the schedule-free
/// rules, [`Averaged`](crate::Averaged)), `x`, `f` and `stationarity` are those of the evaluation
/// point, the averaged point with the guarantee, not of the iterate the rule took gradients at,
/// which is in [`last_iterate`](Report::last_iterate); the history, the best iterate and the
/// criteria are about the iterates (see
/// [`Minimizer`](crate::Minimizer#rules-with-an-evaluation-point-schedule-free)).
#[derive(Debug, Clone)]
pub struct Report<F> {
    /// The final iterate (the last one where `f` and its gradient were finite). The best one is
    /// in [`best`](Report::best).
    ///
    /// For a rule with an evaluation point (the schedule-free rules), that point at the final
    /// iterate `y`: `(y - (1 - β₁) z) / β₁`, from the rule's state. The iterate `y` itself stays
    /// in the [run state](crate::Minimizer::run_state) (and is reported instead when a value
    /// that is not finite or a state overflow stopped the run, in a run with a penalty, a set or
    /// an acceleration, and when `f` or its gradient is not finite at the evaluation point).
    pub x: Array1<F>,
    /// `f(x)`; with a penalty `h` ([`Minimizer::prox`](crate::Minimizer::prox)), `f(x) + h(x)`,
    /// the objective the run minimised (`h` alone is in [`penalty`](Report::penalty)). For a
    /// rule with an evaluation point, `f` evaluated there at the end of the run (for a minibatch
    /// run, the full sum there).
    pub f: F,
    /// The stationarity measure at `x`: `|∇f(x)|₂`, or the norm of the (proximal) gradient
    /// mapping for a run with a penalty or a set (see
    /// [`Criteria`](crate::Criteria#the-stationarity-measure)); for an accelerated run, the
    /// mapping at the last extrapolated point (see
    /// [`Minimizer::accelerate`](crate::Minimizer::accelerate)). For a minibatch run, the
    /// measure of the full sum. For a rule with an evaluation point, `|∇f|₂` there: the
    /// criteria judged the iterates, so it may be above a gradient tolerance the run met.
    pub stationarity: F,
    /// Number of steps taken.
    pub iterations: usize,
    /// Number of function evaluations. For a rule with an evaluation point in a full-batch run,
    /// the evaluation there at the end of the run is counted (one more than the iterates'; made
    /// after the budgets were checked, so it may exceed an evaluation budget by one), and so is
    /// the one at each iteration's evaluation point when a criterion judges `f` (see
    /// [`Minimizer`](crate::Minimizer#rules-with-an-evaluation-point-schedule-free)).
    pub function_evaluations: usize,
    /// Number of gradient evaluations (for a rule with an evaluation point in a full-batch run,
    /// with the one there at the end, as [`function_evaluations`](Report::function_evaluations)).
    pub gradient_evaluations: usize,
    /// Why the run stopped.
    pub termination: Termination,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Per-iteration records, when asked for with
    /// [`Minimizer::record_history`](crate::Minimizer::record_history) or
    /// [`Minimizer::record_iterates`](crate::Minimizer::record_iterates).
    pub history: Option<History<F>>,
    /// Epochs and per-example gradient counts of a minibatch run
    /// ([`Minimizer::minimize_finite_sum`](crate::Minimizer::minimize_finite_sum)).
    pub sampling: Option<SamplingReport>,
    /// The best iterate of the run: the one with the lowest validation loss when a validation
    /// loss is evaluated ([`Minimizer::validation`](crate::Minimizer::validation)); otherwise
    /// the one with the lowest `f` among the iterates where the loop knows `f` of the whole
    /// objective (every iterate of a full-batch run, the full checks of a minibatch run). `None`
    /// for a minibatch run with neither validation nor full checks, or when no judged value was
    /// below `+∞`. Ties keep the earlier iterate. For a rule with an evaluation point, an
    /// iterate where the rule took gradients, judged by `f` there, as the criteria judge them.
    pub best: Option<Best<F>>,
    /// `h(x)`, the penalty at the final iterate, for a run with a penalty or a set (`0` for a
    /// set, at its projections); `None` without one.
    pub penalty: Option<F>,
    /// The support of the final iterate, the indices of its non-zero entries in increasing
    /// order, for a run with a penalty or a set; `None` without one.
    pub support: Option<Vec<usize>>,
    /// The adaptive restarts of an accelerated run
    /// ([`Minimizer::accelerate`](crate::Minimizer::accelerate)); `None` for other runs.
    pub restarts: Option<usize>,
    /// The second-order certificate of the final iterate, for a run that asked for one
    /// ([`Minimizer::certify_second_order`](crate::Minimizer::certify_second_order)): minimum,
    /// saddle (with a direction of negative curvature) or neither, and its cost in gradient
    /// evaluations (not counted in the run's). `None` for other runs, and when the
    /// Hessian-vector products near the final iterate are not finite.
    pub second_order: Option<SecondOrderCertificate<F>>,
    /// Steps taken along a direction of negative curvature to leave a saddle point
    /// ([`Minimizer::escape_saddles`](crate::Minimizer::escape_saddles)); `0` for other runs.
    pub saddle_escapes: usize,
    /// The last iterate `x_k`, with `f(x_k)` and its stationarity measure, when the report's
    /// [`x`](Report::x) is a rule's [evaluation point](crate::Optimizer::evaluation_point) and
    /// not the iterate: the average of an [`Averaged`](crate::Averaged) rule or of a
    /// schedule-free rule, beside the iterate it was formed from. `None` when the report is at
    /// the last iterate itself (every other rule, and the cases listed under
    /// [`x`](Report::x)).
    ///
    /// In a full-batch run its `f` and stationarity are those the loop computed at `x_k` (no
    /// evaluation more); in a minibatch run, the full sum at `x_k` and its gradient, one pass
    /// over the data more (counted in [`sampling`](Report::sampling)).
    pub last_iterate: Option<LastIterate<F>>,
}

/// The last iterate of a run whose report is at an evaluation point ([`Report::last_iterate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LastIterate<F> {
    /// The iterate `x_k` the rule took its last gradient at (and moved to), which the
    /// [run state](crate::Minimizer::run_state) keeps for a resumed run.
    pub x: Array1<F>,
    /// `f(x_k)` (with a minibatch run, the full sum).
    pub f: F,
    /// The stationarity measure `|∇f(x_k)|₂` (with a minibatch run, of the full sum).
    pub stationarity: F,
}

/// The best iterate of a run ([`Report::best`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Best<F> {
    /// The iterate.
    pub x: Array1<F>,
    /// Its validation loss, or its `f` when the run has no validation loss.
    pub value: F,
    /// The iteration where it was reached.
    pub iteration: usize,
}

/// What a minibatch run cost, in passes over the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplingReport {
    /// Number of examples `N`.
    pub examples: usize,
    /// Completed epochs (passes of the sampler over `N` examples).
    pub epochs: usize,
    /// Per-example gradients evaluated, all included (minibatches, SVRG's snapshot passes, full
    /// checks and the final full evaluation). Divide by `examples` for the cost in units of `N`.
    pub example_gradients: usize,
}

impl<F> Report<F> {
    /// `true` if the run stopped on a convergence criterion.
    pub fn converged(&self) -> bool {
        self.termination.is_converged()
    }
}

/// One iteration of a recorded history: what the loop knows at an iterate (for a rule with an
/// [evaluation point](crate::Optimizer::evaluation_point), the point where the rule took the
/// gradient, not its evaluation point).
#[derive(Debug, Clone, PartialEq)]
pub struct Record<F> {
    /// Steps taken before this record.
    pub iteration: usize,
    /// `f` at the iterate.
    pub f: F,
    /// The stationarity measure at the iterate (see
    /// [`Criteria`](crate::Criteria#the-stationarity-measure)).
    pub stationarity: F,
    /// Step size of the step that led here (`0` at the start).
    pub step_size: F,
    /// Function evaluations so far.
    pub function_evaluations: usize,
    /// Gradient evaluations so far.
    pub gradient_evaluations: usize,
    /// The iterate itself, when recorded with
    /// [`Minimizer::record_iterates`](crate::Minimizer::record_iterates).
    pub x: Option<Array1<F>>,
}

/// The history of a run: one [`Record`] per iteration, the starting point included.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History<F> {
    /// The records, in order.
    pub records: Vec<Record<F>>,
}

impl<F: Copy> History<F> {
    /// The values `f(x_k)`, in order.
    pub fn values(&self) -> impl Iterator<Item = F> + '_ {
        self.records.iter().map(|r| r.f)
    }
}
