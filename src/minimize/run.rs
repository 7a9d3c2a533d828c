//! One run of the loop, written as the named steps of an iteration:
//!
//! ```text
//! start:      x_0 = P_{dom h}(x0);  evaluate f(x_0) + h(x_0), ∇f(x_0);  s_0 = stationarity
//! iterate:    observe (record, observers) → check criteria and budgets
//!             → clip ∇f → choose the step size γ_k → step x_{k+1} = rule(x_k, ∇f(x_k), γ_k)
//!             → prox_{γ_k h} (a set's projection) → evaluate f(x_{k+1}) + h, ∇f(x_{k+1})
//!             → stationarity
//!             → accept, or undo a step into NaN/∞ → diverged? → measure (the changes the
//!             criteria compare; the epochs of sampled runs)
//! finish:     the report (for sampled runs, with the full sum at the final x)
//! ```
//!
//! The measure step also evaluates the validation loss when it is due, counts the patience of
//! early stopping, and judges the new iterate against the best one so far (see
//! [`tracking`](super::tracking)).
//!
//! A run starts afresh from `x0` ([`Start::Fresh`]), or goes on from the [`State`] where an
//! earlier run stopped ([`Start::Resume`]): then nothing is evaluated at the start, and the
//! iteration goes on exactly as if the earlier run had never stopped.
//!
//! Everything a run needs is validated once, before the first iteration: the lengths, the
//! starting point, the criteria, and a constant step size (a schedule's is checked as it is
//! used); the criteria are resolved into plain thresholds. Nothing is allocated per iteration
//! (unless a history is recorded), and everything the loop does on top of the rule's step and the
//! evaluation (the criteria, the undo copy, the finiteness and divergence checks) is inlined
//! into it.
//!
//! The proximal steps with a backtracking or an acceleration are in [`proximal`](super::proximal).

use std::time::Instant;

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::criteria::{Budget, Change, Stopping};
use super::oracle::Oracle;
use super::proximal::{AcceleratedStep, Momentum, composite, mapping_at_extrapolation};
use super::step_size::{line_search_step, scheduled};
use super::tracking::{BestBy, Tracking};
use super::{
    Best, Control, History, IterationState, LastIterate, Minimizer, Record, Report, StepSize,
    Termination,
};
use crate::Real;
use crate::error::{Domain, Error, Result, check, check_count, check_finite, check_len};
use crate::linalg::{copy, max_abs_diff, norm};
use crate::optim::Optimizer;
use crate::prox::Prox;

/// The state of a run: the current iterate, what the loop knows there, its buffers, and the best
/// iterate so far. Everything but the scratch buffer and the history goes on when a run is
/// resumed.
///
/// The buffers are plain contiguous vectors, seen through [`view`] and [`view_mut`] when a rule,
/// an objective or a set takes them: the loop's own work on them (copies, norms) runs on slices.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(deserialize = "F: serde::Deserialize<'de> + Real"))
)]
pub(super) struct State<F> {
    /// The current iterate `x_k`.
    pub(super) x: Vec<F>,
    /// The previous iterate `x_{k-1}`: kept to undo a step into NaN or infinity and for the
    /// `x`-change criterion; the origin of a line search.
    pub(super) x_prev: Vec<F>,
    /// `∇f(x_k)` (for a sampled run, the estimate the rule steps with).
    pub(super) g: Vec<F>,
    /// Scratch: the search direction of a line search, or `P(x - γg)` for the gradient mapping
    /// (empty when neither is used). Sized anew for each run.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(super) work: Vec<F>,
    /// `f(x_k) + h(x_k)` (for a sampled run, the minibatch estimate of `f`, plus `h`).
    pub(super) f: F,
    /// `h(x_k)`, the penalty of a composite objective (`0` without one, and for a set).
    #[cfg_attr(feature = "serde", serde(default = "zero"))]
    pub(super) h: F,
    /// `f(x_k)` alone, the smooth part (NaN in a state saved before it was kept: then
    /// `f - h`).
    #[cfg_attr(feature = "serde", serde(default = "nan"))]
    pub(super) smooth: F,
    /// FISTA's extrapolated point `y_k` of the last step (empty unless the run is
    /// accelerated). Sized anew for each run.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(super) y: Vec<F>,
    /// `∇f` at a trial point of a backtracking (empty unless the run backtracks without
    /// acceleration). Sized anew for each run.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(super) trial_gradient: Vec<F>,
    /// `true` when `g` is `∇f(y_k)`, the gradient at FISTA's extrapolated point, not at `x_k`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(super) gradient_at_y: bool,
    /// FISTA's momentum sequence.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(super) momentum: Momentum<F>,
    /// The stationarity measure at `x_k`, from `g`.
    pub(super) stationarity: F,
    /// `f` and the stationarity measure at `x_{k-1}`, to undo a step.
    pub(super) previous: (F, F),
    /// `k`, the number of steps taken.
    pub(super) iteration: usize,
    /// The step size of the step that led to `x_k` (`0` at the start).
    pub(super) step_size: F,
    /// `(f, stationarity)` the criteria may trust at `x_k`: the exact values, or a full check of
    /// a sampled run; `None` when there are none.
    measured: Option<(F, F)>,
    /// What the last step changed, when a criterion needs it.
    change: Option<Change<F>>,
    /// `f(x_0)` and the stationarity measure the criteria trust at `x_0`: they fix the divergence
    /// level and the relative tolerance of every run that goes on from this state.
    start: (F, F),
    /// The best iterate so far, and early stopping's count.
    pub(super) tracking: Tracking<F>,
    /// Line-search steps in a row that lowered neither `f` nor the stationarity measure.
    stalled_steps: usize,
    /// Steps taken to leave a saddle point (along a direction of negative curvature, or by a
    /// perturbation).
    #[cfg_attr(feature = "serde", serde(default))]
    pub(super) escapes: usize,
    /// `f` where the last perturbation was added (perturbed gradient descent).
    #[cfg_attr(feature = "serde", serde(default = "nan"))]
    pub(super) perturbed_at: F,
    /// The rule's evaluation point of `x_k` (schedule-free rules, full-batch runs without a
    /// prox or an acceleration; empty otherwise), whose `f` the criteria judge.
    #[cfg_attr(feature = "serde", serde(skip))]
    evaluation: Vec<F>,
    /// `f` at the evaluation point of `x_{k-1}`, for the change of `f` the criteria judge.
    #[cfg_attr(feature = "serde", serde(skip))]
    judged_prev: F,
    /// The records of the current run (each run starts its own).
    #[cfg_attr(feature = "serde", serde(skip))]
    history: Option<History<F>>,
    #[cfg_attr(feature = "serde", serde(skip))]
    record_iterates: bool,
}

/// How many line-search steps in a row may lower neither `f` nor the stationarity measure before
/// the run stops with [`Termination::LineSearchFailed`].
///
/// A line search accepts a step that leaves `f` unchanged only where the decrease it asks for is
/// below the rounding level of `f`. Near a minimiser the gradient still shrinks along such steps,
/// though not at every one (gradient descent and L-BFGS do not lower `|g|` monotonically); with
/// a gradient inconsistent with `f` (a sign error on a convex `f`, a flat `f` with a non-zero
/// gradient) it never does, and without this bound the run would creep along until its budget
/// ran out.
const STALL_LIMIT: usize = 10;

/// Where a run starts.
pub(super) enum Start<'x, F> {
    /// Afresh, from `x0`.
    Fresh(ArrayView1<'x, F>),
    /// From the state where an earlier run stopped (boxed: a state is much larger than a view).
    Resume(Box<State<F>>),
}

/// `0`, the default of `h` in a state saved before it was kept.
#[cfg(feature = "serde")]
fn zero<F: Real>() -> F {
    F::zero()
}

/// NaN, the default of the smooth part in a state saved before it was kept.
#[cfg(feature = "serde")]
fn nan<F: Real>() -> F {
    F::nan()
}

/// How a run records and what it needs besides the iterate.
#[derive(Clone, Copy)]
struct Needs {
    /// A scratch vector of `n` values (a prox, a line search or a backtracking).
    work: bool,
    /// FISTA's extrapolated point.
    y: bool,
    /// The gradient at a backtracking's trial point.
    trial_gradient: bool,
    history: bool,
    record_iterates: bool,
    /// A buffer for the rule's evaluation point, whose `f` the criteria judge.
    evaluation: bool,
    /// What the best iterate is judged by.
    best_by: Option<BestBy>,
}

impl<F: Real> State<F> {
    /// The state at `x0`, before any evaluation.
    fn new(x0: ArrayView1<'_, F>, needs: Needs) -> Self {
        let n = x0.len();
        State {
            x: x0.iter().copied().collect(),
            x_prev: vec![F::zero(); n],
            g: vec![F::zero(); n],
            work: vec![F::zero(); if needs.work { n } else { 0 }],
            f: F::zero(),
            h: F::zero(),
            smooth: F::zero(),
            y: vec![F::zero(); if needs.y { n } else { 0 }],
            trial_gradient: vec![F::zero(); if needs.trial_gradient { n } else { 0 }],
            gradient_at_y: false,
            momentum: Momentum::default(),
            stationarity: F::zero(),
            previous: (F::zero(), F::zero()),
            iteration: 0,
            step_size: F::zero(),
            measured: None,
            change: None,
            start: (F::zero(), F::zero()),
            tracking: Tracking::new(needs.best_by, n),
            stalled_steps: 0,
            escapes: 0,
            perturbed_at: F::nan(),
            evaluation: vec![F::zero(); if needs.evaluation { n } else { 0 }],
            judged_prev: F::zero(),
            history: (needs.history || needs.record_iterates).then(History::default),
            record_iterates: needs.record_iterates,
        }
    }

    /// Readies a state from an earlier run for the next one: a scratch buffer and a history as
    /// this run needs them, and the best iterate judged afresh if the run judges it by another
    /// measure than the earlier one.
    fn ready_for(&mut self, needs: Needs) {
        let n = self.x.len();
        self.work = vec![F::zero(); if needs.work { n } else { 0 }];
        self.y = vec![F::zero(); if needs.y { n } else { 0 }];
        if !needs.y {
            // A run without acceleration steps from x_k, with the gradient there.
            self.gradient_at_y = false;
        }
        self.trial_gradient = vec![F::zero(); if needs.trial_gradient { n } else { 0 }];
        self.evaluation = vec![F::zero(); if needs.evaluation { n } else { 0 }];
        self.judged_prev = self.f;
        self.history = (needs.history || needs.record_iterates).then(History::default);
        self.record_iterates = needs.record_iterates;
        if self.tracking.by != needs.best_by {
            self.tracking = Tracking::new(needs.best_by, n);
        }
    }

    /// Checks that the buffers of a state (perhaps deserialized) agree with each other and with
    /// the objective's dimension `dim`, so that a resumed run cannot index out of them.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming the buffer, or [`Error::Empty`] for a state of no
    /// variables.
    pub(super) fn check_consistent(&self, dim: usize) -> Result<()> {
        if self.x.is_empty() {
            return Err(Error::Empty {
                what: "the run state's iterate",
            });
        }
        check_len(
            "the run state's iterate vs objective.dim()",
            dim,
            self.x.len(),
        )?;
        check_len("the run state's previous iterate", dim, self.x_prev.len())?;
        check_len("the run state's gradient", dim, self.g.len())?;
        let best = if self.tracking.by.is_some() { dim } else { 0 };
        check_len(
            "the run state's best iterate",
            best,
            self.tracking.buffer.len(),
        )
    }

    /// Sets `f(x_k)` (the smooth part) and `h(x_k)`, and their sum.
    #[inline]
    pub(super) fn set_values(&mut self, smooth: F, h: F) {
        self.smooth = smooth;
        self.h = h;
        self.f = composite(smooth, h);
    }

    /// `f(x_k)` alone.
    #[inline]
    pub(super) fn smooth_value(&self) -> F {
        if self.smooth.is_nan() && !self.f.is_nan() {
            self.f - self.h
        } else {
            self.smooth
        }
    }

    /// `true` if `f` and the stationarity measure (so every entry of `g`) are finite.
    #[inline]
    fn is_finite(&self) -> bool {
        // As `is_finite` (a NaN fails both comparisons); the measure is `>= 0` or NaN.
        self.f.abs() <= F::max_value() && self.stationarity <= F::max_value()
    }

    /// Keeps `x_k`, `f` and the stationarity measure before a rule steps `x` in place.
    #[inline]
    pub(super) fn keep_for_undo(&mut self) {
        copy_short(&mut self.x_prev, &self.x);
        self.previous = (self.f, self.stationarity);
    }

    /// Keeps `x_k` by swapping buffers, for a step that writes `x_{k+1}` from scratch (a line
    /// search): `x_prev` then holds `x_k`, and `x` is free.
    #[inline]
    pub(super) fn keep_for_undo_by_swap(&mut self) {
        std::mem::swap(&mut self.x, &mut self.x_prev);
        self.previous = (self.f, self.stationarity);
    }

    /// Accepts the step just taken (`k ← k + 1`) if `f` and the gradient are finite at the new
    /// point; otherwise goes back to the iterate before it, with its `f` and stationarity
    /// measure, and returns `false`.
    #[inline]
    fn accept_or_undo(&mut self) -> bool {
        if self.is_finite() {
            self.iteration += 1;
            true
        } else {
            std::mem::swap(&mut self.x, &mut self.x_prev);
            (self.f, self.stationarity) = self.previous;
            false
        }
    }

    /// Counts the line-search step just accepted as progress or not; `true` once
    /// [`STALL_LIMIT`] steps in a row have lowered neither `f` nor the stationarity measure.
    #[inline]
    fn stalled(&mut self) -> bool {
        let (f, stationarity) = self.previous;
        if self.f < f || self.stationarity < stationarity {
            self.stalled_steps = 0;
            return false;
        }
        self.stalled_steps += 1;
        self.stalled_steps >= STALL_LIMIT
    }

    /// Counts a step that left a saddle point (`f` and `g` evaluated at the new `x`) as an
    /// iteration, with the values the criteria may trust.
    pub(super) fn escaped(&mut self) {
        self.escapes += 1;
        self.iteration += 1;
        self.measured = Some((self.f, self.stationarity));
        self.change = None;
    }

    /// Where the run stands, for the budgets.
    #[inline]
    fn budget<Or: Oracle<F>>(&self, oracle: &Or) -> Budget {
        let (function_evaluations, gradient_evaluations) = oracle.counts();
        Budget {
            iteration: self.iteration,
            epoch: oracle.epoch(),
            function_evaluations,
            gradient_evaluations,
        }
    }
}

impl<F: Real, O: Optimizer<F>> Minimizer<'_, F, O> {
    /// The loop itself, for exact and sampled evaluations, fresh and resumed runs alike.
    ///
    /// Returns the state where the run stopped (when there is one: a fresh run refused before it
    /// started has none; a resumed run always gives its state back, unchanged if it was refused)
    /// and the report or the error.
    pub(super) fn run<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        start: Start<'_, F>,
    ) -> (Option<State<F>>, Result<Report<F>>) {
        let clock = Instant::now();
        let sampled = oracle.is_sampled();
        let accelerated = self.acceleration.is_some();
        let backtracking = matches!(self.step_size, StepSize::ProxBacktracking(_));
        let needs = Needs {
            work: self.needs_work_buffer(),
            y: accelerated,
            trial_gradient: backtracking && !accelerated,
            history: self.record_history,
            record_iterates: self.record_iterates,
            evaluation: !sampled
                && !accelerated
                && self.prox.is_none()
                && self.criteria.judges_values()
                && self.optimizer.has_evaluation_point(),
            best_by: self.best_by(sampled),
        };
        let (mut s, gamma) = match start {
            Start::Fresh(x0) => {
                let gamma = match self.prepare_fresh(oracle.dim(), x0, sampled) {
                    Ok(gamma) => gamma,
                    Err(e) => return (None, Err(e)),
                };
                let mut s = State::new(x0, needs);
                self.begin(oracle, &mut s, gamma);
                (s, gamma)
            }
            Start::Resume(s) => {
                let mut s = *s;
                let checked = s
                    .check_consistent(oracle.dim())
                    .and_then(|()| self.prepare(s.x.len(), sampled));
                match checked {
                    Ok(gamma) => {
                        s.ready_for(needs);
                        (s, gamma)
                    }
                    Err(e) => return (Some(s), Err(e)),
                }
            }
        };
        let termination = if s.is_finite() {
            let stopping = self.criteria.resolve(s.start.0, s.start.1, clock, sampled);
            let iterated = if self.is_plain(oracle, &s) {
                self.iterate::<_, true>(oracle, &mut s, &stopping, gamma)
            } else {
                self.iterate::<_, false>(oracle, &mut s, &stopping, gamma)
            };
            match iterated {
                Ok(termination) => termination,
                Err(e) => return (Some(s), Err(e)),
            }
        } else {
            Termination::NonFinite
        };
        let report = self.finish(oracle, &mut s, termination, clock, gamma);
        (Some(s), Ok(report))
    }

    /// Checks the starting point and the settings of a fresh run, and resets the rule (unless
    /// warm-starting), the schedule and the line search; returns the run's base step size `γ`.
    fn prepare_fresh(&mut self, dim: usize, x0: ArrayView1<'_, F>, sampled: bool) -> Result<F> {
        if x0.is_empty() {
            return Err(Error::Empty { what: "x0" });
        }
        check_len("x0 vs objective.dim()", dim, x0.len())?;
        check_finite("x0", x0)?;
        let gamma = self.prepare(x0.len(), sampled)?;
        if !self.warm_start {
            self.optimizer.reset();
        }
        self.step_size.reset();
        Ok(gamma)
    }

    /// Checks the settings of a run on `n` variables (`sampled`: a minibatch run); returns the
    /// run's base step size `γ`.
    fn prepare(&mut self, n: usize, sampled: bool) -> Result<F> {
        if let Some(p) = &self.prox
            && let Some(d) = p.dim()
        {
            check_len("x0 vs projection set dimension", d, n)?;
        }
        self.criteria.validate()?;
        self.criteria
            .check_testable(sampled, self.minibatch.full_check_every.is_some())?;
        if let Some(clip) = &self.clip {
            clip.validate()?;
        }
        self.check_validation()?;
        let gamma = self.step_size.base(self.optimizer.default_lr())?;
        if let StepSize::LineSearch(_) = self.step_size {
            if !self.optimizer.has_search_direction() {
                return Err(Error::Incompatible {
                    reason: "a line search needs a rule with a search direction \
                             (GradientDescent, L-BFGS, ...); use a constant step size or a \
                             schedule with this rule",
                });
            }
            if self.prox.is_some() {
                return Err(Error::Incompatible {
                    reason: "a line search cannot be combined with a projection or a penalty; \
                             use a constant step size, a schedule, or prox_backtracking (the \
                             backtracking of proximal methods)",
                });
            }
        }
        if let Some(escape) = &self.saddle_escape {
            escape.validate()?;
            if self.prox.is_some() || sampled || self.acceleration.is_some() {
                return Err(Error::Incompatible {
                    reason: "escaping saddles needs exact values and gradients of a smooth run \
                             (no projection or penalty, no minibatches, no acceleration)",
                });
            }
        }
        if let StepSize::Polyak(_) = self.step_size
            && (self.prox.is_some() || sampled || self.acceleration.is_some())
        {
            return Err(Error::Incompatible {
                reason: "Polyak's step size needs exact values and gradients of a smooth run \
                         (no projection or penalty, no minibatches, no acceleration); use a \
                         constant step size or a schedule there",
            });
        }
        if let StepSize::ProxBacktracking(_) = self.step_size
            && !self.optimizer.has_search_direction()
        {
            return Err(Error::Incompatible {
                reason: "prox_backtracking steps along the rule's search direction; use \
                         GradientDescent (ISTA, or FISTA with accelerate)",
            });
        }
        if self.acceleration.is_some() {
            if let StepSize::LineSearch(_) = self.step_size {
                return Err(Error::Incompatible {
                    reason: "accelerate (FISTA) chooses its points itself; use a constant step \
                             size, a schedule or prox_backtracking instead of a line search",
                });
            }
            if self.clip.is_some() {
                return Err(Error::Incompatible {
                    reason: "accelerate (FISTA) evaluates its gradient inside the step, where \
                             clipping does not apply; remove clip or accelerate",
                });
            }
        }
        Ok(gamma)
    }

    /// Checks the validation and early-stopping settings.
    fn check_validation(&self) -> Result<()> {
        if let Some(v) = &self.validation {
            check_count("validation every", v.every, 1)?;
        }
        if let Some(e) = &self.early_stopping {
            if self.validation.is_none() {
                return Err(Error::Incompatible {
                    reason: "early stopping watches a validation loss: set one with \
                             Minimizer::validation, or remove early_stopping",
                });
            }
            check_count("patience", e.patience, 1)?;
            crate::error::check("min_delta", e.min_delta, crate::error::Domain::NonNegative)?;
        }
        Ok(())
    }

    /// What a run judges its best iterate by: the validation loss when there is one, else `f`
    /// where the loop knows it (every iterate of a full-batch run, the full checks of a
    /// minibatch run); nothing for a minibatch run with neither.
    fn best_by(&self, sampled: bool) -> Option<BestBy> {
        if self.validation.is_some() {
            Some(BestBy::Validation)
        } else if !sampled || self.minibatch.full_check_every.is_some() {
            Some(BestBy::Loss)
        } else {
            None
        }
    }

    /// The start of a fresh run: moves `x_0` into the domain of the penalty (projects it onto a
    /// set), evaluates, measures and validates it, and takes it as the best iterate so far.
    fn begin<Or: Oracle<F>>(&mut self, oracle: &mut Or, s: &mut State<F>, gamma: F) {
        s.h = match self.prox.as_mut() {
            Some(p) => p.enter_domain(view_mut(&mut s.x)),
            None => F::zero(),
        };
        evaluate(oracle, s);
        s.judged_prev = s.f;
        s.stationarity = self.stationarity(s, gamma);
        s.measured = if !oracle.is_sampled() {
            Some((s.f, s.stationarity))
        } else if oracle.full_check_due(true) {
            Some(self.full_measure(oracle, s, gamma))
        } else {
            None
        };
        s.start = (s.f, s.measured.map_or(s.stationarity, |m| m.1));
        if s.is_finite() {
            let validation = self.validation.is_some().then(|| self.validate(s));
            let candidate = s.tracking.candidate(validation, s.measured.map(|m| m.0));
            s.tracking.at_start(candidate, s.iteration);
        }
    }

    /// `true` for a plain run: exact values and gradients, a constant step size (or the rule's
    /// own), and nothing else to do per iteration (no observer or history, no clipping, no
    /// penalty or set, no acceleration, no validation, no criterion on the change of a step, no
    /// evaluation point to judge). [`iterate`](Self::iterate) is compiled once for such runs,
    /// with the tests of all these left out, and once for every other run.
    fn is_plain<Or: Oracle<F>>(&self, oracle: &Or, s: &State<F>) -> bool {
        !oracle.is_sampled()
            && matches!(
                self.step_size,
                StepSize::RuleDefault | StepSize::Constant(_)
            )
            && s.history.is_none()
            && self.observers.is_empty()
            && self.clip.is_none()
            && self.prox.is_none()
            && self.acceleration.is_none()
            && !s.gradient_at_y
            && self.validation.is_none()
            && self.early_stopping.is_none()
            && !self.criteria.tracks_change()
            && s.evaluation.is_empty()
            && s.tracking.by == Some(BestBy::Loss)
    }

    /// Iterates from a finite iterate until a criterion, early stopping, a budget, an observer,
    /// a non-finite value or divergence stops the run. `PLAIN` says the run is plain (see
    /// [`is_plain`](Self::is_plain)): what such a run does not use is then not tested for.
    #[inline]
    fn iterate<Or: Oracle<F>, const PLAIN: bool>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        stopping: &Stopping<F>,
        gamma: F,
    ) -> Result<Termination> {
        let per_epoch = oracle.is_sampled() && self.minibatch.schedule_per_epoch;
        let searching = matches!(self.step_size, StepSize::LineSearch(_));
        let tracks_change = self.criteria.tracks_change();
        let observed = s.history.is_some() || !self.observers.is_empty();
        let patience = self
            .early_stopping
            .as_ref()
            .map_or(usize::MAX, |e| e.patience);
        loop {
            if !PLAIN && observed && self.observe(oracle, s) == Control::Stop {
                return Ok(Termination::StoppedByObserver);
            }
            // No change criterion in a plain run.
            let change = if PLAIN { None } else { s.change };
            if let Some(reason) = stopping.check(s.measured, change) {
                let stationary = matches!(
                    reason,
                    Termination::GradientNorm | Termination::RelativeGradientNorm
                );
                if stationary
                    && let Some(escape) = self.saddle_escape
                    && self.escape_saddle(oracle, s, &escape)?
                {
                    continue;
                }
                return Ok(reason);
            }
            if !PLAIN && s.tracking.wait >= patience {
                return Ok(Termination::EarlyStopped);
            }
            if let Some(reason) = stopping.check_budgets(s.budget(oracle)) {
                return Ok(reason);
            }
            if !PLAIN {
                self.clip_gradient(s)?;
            }
            // A plain run steps with its base step size, and has no penalty or set.
            let stopped = if PLAIN {
                self.rule_step(oracle, s, gamma, true)?
            } else {
                self.step(oracle, s, per_epoch)?
            };
            if let Some(reason) = stopped {
                return Ok(reason);
            }
            s.stationarity = if PLAIN {
                gradient_norm(&s.g)
            } else {
                self.stationarity(s, gamma)
            };
            if !s.accept_or_undo() {
                // A resumed accelerated run goes on from x_k without momentum.
                s.momentum.t = F::one();
                return Ok(Termination::NonFinite);
            }
            if !PLAIN && searching && s.stalled() {
                return Ok(Termination::LineSearchFailed);
            }
            if stopping.diverged(s.f) {
                return Ok(Termination::Diverged);
            }
            if PLAIN {
                // As `measure` for a plain run: `f` and `|g|` are exact, nothing else to
                // measure, and the best iterate is judged by `f`.
                s.measured = Some((s.f, s.stationarity));
                s.tracking.after_step(Some(s.f), s.iteration, &s.x_prev);
            } else {
                self.measure(oracle, s, gamma, per_epoch, tracks_change);
            }
        }
    }

    /// Records the current iterate and shows it to every observer (all of them, in order, even
    /// when one asks to stop).
    #[inline]
    fn observe<Or: Oracle<F>>(&mut self, oracle: &Or, s: &mut State<F>) -> Control {
        let (function_evaluations, gradient_evaluations) = oracle.counts();
        if let Some(h) = s.history.as_mut() {
            h.records.push(Record {
                iteration: s.iteration,
                f: s.f,
                stationarity: s.stationarity,
                step_size: s.step_size,
                function_evaluations,
                gradient_evaluations,
                x: s.record_iterates.then(|| Array1::from(s.x.clone())),
            });
        }
        let state = IterationState {
            iteration: s.iteration,
            epoch: oracle.is_sampled().then(|| oracle.epoch()),
            f: s.f,
            epoch_mean_loss: oracle.epoch_mean_loss(),
            validation_loss: s.tracking.validation_loss,
            stationarity: s.stationarity,
            step_size: s.step_size,
            x: view(&s.x),
            gradient: view(&s.g),
            function_evaluations,
            gradient_evaluations,
        };
        let mut control = Control::Continue;
        for observer in &mut self.observers {
            if observer.observe(&state) == Control::Stop {
                control = Control::Stop;
            }
        }
        control
    }

    /// Clips the gradient before the step, when clipping is set (its threshold was validated
    /// when the run started, so this cannot fail).
    #[inline]
    fn clip_gradient(&self, s: &mut State<F>) -> Result<()> {
        match &self.clip {
            Some(clip) => clip.apply(view_mut(&mut s.g)),
            None => Ok(()),
        }
    }

    /// The step from `x_k` to `x_{k+1}`, with `f` and `g` evaluated there: the step size, the
    /// rule's step, the prox (a set's projection); or a line search along the rule's direction;
    /// or a proximal step with backtracking or acceleration (see
    /// [`proximal`](super::proximal)). Returns why the run stops, with `x` left at `x_k`, if a
    /// line search or a backtracking accepted no step or the rule's state overflowed. The step
    /// is not yet accepted: see [`State::accept_or_undo`].
    #[inline]
    fn step<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        per_epoch: bool,
    ) -> Result<Option<Termination>> {
        let lr = match &mut self.step_size {
            StepSize::LineSearch(search) => {
                let moved = line_search_step(search.as_mut(), &mut self.optimizer, oracle, s)?;
                return Ok((!moved).then_some(Termination::LineSearchFailed));
            }
            StepSize::ProxBacktracking(backtracking) => {
                let backtracking = *backtracking;
                return match self.acceleration {
                    Some(restart) => self.accelerated_step(
                        oracle,
                        s,
                        restart,
                        AcceleratedStep::Backtracking(backtracking),
                    ),
                    None => self
                        .backtracking_step(oracle, s, backtracking)
                        .map(|moved| (!moved).then_some(Termination::LineSearchFailed)),
                };
            }
            // Both checked once, when the run started.
            StepSize::RuleDefault => self.optimizer.default_lr(),
            StepSize::Constant(lr) => *lr,
            // `stationarity` is `|∇f(x_k)|` here: a Polyak run has no prox (checked).
            StepSize::Polyak(polyak) => {
                let lr = polyak.step(s.f, s.stationarity)?;
                check("lr", lr, Domain::NonNegative)?;
                lr
            }
            StepSize::Schedule(schedule) => {
                let t = if per_epoch {
                    oracle.epoch()
                } else {
                    s.iteration
                };
                scheduled(schedule.as_mut(), t, s.f, per_epoch)?
            }
        };
        if let Some(restart) = self.acceleration {
            return self.accelerated_step(oracle, s, restart, AcceleratedStep::Rule(lr));
        }
        self.rule_step(oracle, s, lr, false)
    }

    /// The rule's step from `x_k` with step size `lr` (checked), then the prox and the
    /// evaluation at the new point; `plain`: a run without a penalty or a set.
    #[inline(always)]
    fn rule_step<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        lr: F,
        plain: bool,
    ) -> Result<Option<Termination>> {
        s.keep_for_undo();
        // Every step size above is checked: a constant one when the run started, the others
        // as they are chosen.
        match self
            .optimizer
            .step_with_checked_lr(view_mut(&mut s.x), view(&s.g), lr)
        {
            // The rule has moved `x` when it finds its state overflowed: back to `x_k`.
            Err(Error::NonFiniteState { .. }) => {
                std::mem::swap(&mut s.x, &mut s.x_prev);
                return Ok(Some(Termination::StateOverflow));
            }
            other => other?,
        }
        if plain {
            // `h = 0`: `f` is the smooth part alone.
            let smooth = oracle.value_and_gradient(view(&s.x), view_mut(&mut s.g));
            (s.h, s.smooth, s.f) = (F::zero(), smooth, smooth);
        } else {
            s.h = self.apply_prox(view_mut(&mut s.x), lr);
            evaluate(oracle, s);
        }
        s.step_size = lr;
        Ok(None)
    }

    /// The stationarity measure at `x_k` from `g`: `|g|`, or the norm of the proximal gradient
    /// mapping `|x - prox_{γh}(x - γ g)| / γ` with a penalty or a set; after an accelerated
    /// step, the mapping at the extrapolated point, `|y_k - x_{k+1}| / γ_k`. `γ` is the run's
    /// base step, or the step a backtracking has reached.
    #[inline(always)]
    pub(super) fn stationarity(&mut self, s: &mut State<F>, gamma: F) -> F {
        // The common case, inlined into the loop: no penalty, no set, no extrapolation.
        if self.prox.is_none() && !s.gradient_at_y {
            return gradient_norm(&s.g);
        }
        self.stationarity_with_prox(s, gamma)
    }

    /// [`stationarity`](Self::stationarity) with a penalty, a set or an extrapolated point.
    #[inline(never)]
    fn stationarity_with_prox(&mut self, s: &mut State<F>, gamma: F) -> F {
        if s.gradient_at_y {
            return mapping_at_extrapolation(&s.y, &s.x, s.step_size);
        }
        let gamma = match self.step_size {
            StepSize::ProxBacktracking(_) if s.step_size > F::zero() => s.step_size,
            _ => gamma,
        };
        self.stationarity_at(&s.x, view(&s.g), &mut s.work, gamma)
    }

    /// The stationarity measure at `x` from the gradient `g` there: `|g|`, or the norm of the
    /// proximal gradient mapping `|x - prox_{γh}(x - γ g)| / γ` with a penalty or a set (the
    /// projection `P(x - γ g)` for a set; `work` then receives the prox).
    #[inline]
    fn stationarity_at(&mut self, x: &[F], g: ArrayView1<'_, F>, work: &mut [F], gamma: F) -> F {
        match (self.prox.as_mut(), g.as_slice()) {
            (None, Some(g)) => gradient_norm(g),
            (None, None) => norm(g),
            (Some(p), _) => gradient_mapping_norm(p.as_mut(), view(x), g, view_mut(work), gamma),
        }
    }

    /// After an accepted step: the values the criteria may trust and what the step changed (an
    /// exact run), or the end of an epoch with its full check and per-epoch schedule (a sampled
    /// run); then the validation loss when it is due, and the new iterate judged against the
    /// best one.
    #[inline]
    fn measure<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        gamma: F,
        per_epoch: bool,
        tracks_change: bool,
    ) {
        let mut validate = false;
        if !oracle.is_sampled() {
            let (f, f_prev) = if s.evaluation.is_empty() {
                (s.f, s.previous.0)
            } else {
                let f = self.value_at_evaluation_point(oracle, s);
                (f, std::mem::replace(&mut s.judged_prev, f))
            };
            s.measured = Some((f, s.stationarity));
            if tracks_change {
                let x = if self.criteria.x_change.is_some() {
                    max_abs_diff(view(&s.x), view(&s.x_prev))
                } else {
                    F::zero()
                };
                s.change = Some(Change {
                    f: (f - f_prev).abs(),
                    f_prev,
                    x,
                });
            }
            if let Some(v) = &self.validation {
                validate = s.iteration.is_multiple_of(v.every);
            }
        } else {
            s.measured = None;
            if tracks_change {
                // Only `x_change` can be set in a sampled run (the others are refused).
                s.change = Some(Change {
                    f: F::nan(),
                    f_prev: F::nan(),
                    x: max_abs_diff(view(&s.x), view(&s.x_prev)),
                });
            }
            if let Some(mean_loss) = oracle.end_of_epoch() {
                if oracle.full_check_due(false) {
                    s.measured = Some(self.full_measure(oracle, s, gamma));
                }
                if per_epoch && let StepSize::Schedule(schedule) = &mut self.step_size {
                    schedule.observe(s.measured.map_or(mean_loss, |m| m.0));
                }
                if let Some(v) = &self.validation {
                    validate = oracle.epoch().is_multiple_of(v.every);
                }
            }
        }
        let validation = validate.then(|| self.validate(s));
        // The best iterate is a point the loop holds, judged by its own `f` (not by `f` at a
        // rule's evaluation point).
        let judged = if s.evaluation.is_empty() {
            s.measured.map(|m| m.0)
        } else {
            Some(s.f)
        };
        let candidate = s.tracking.candidate(validation, judged);
        s.tracking.after_step(candidate, s.iteration, &s.x_prev);
    }

    /// `f` at the rule's evaluation point of `x_k`, written into `s.evaluation` (one function
    /// evaluation); `f(x_k)` itself where the rule has none yet (before its first step).
    fn value_at_evaluation_point<Or: Oracle<F>>(&mut self, oracle: &mut Or, s: &mut State<F>) -> F {
        match self
            .optimizer
            .evaluation_point(view(&s.x), view_mut(&mut s.evaluation))
        {
            Ok(true) => oracle.value(view(&s.evaluation)),
            _ => s.f,
        }
    }

    /// The validation loss at `x_k`, counted by early stopping.
    fn validate(&mut self, s: &mut State<F>) -> F {
        let Some(validation) = self.validation.as_mut() else {
            return F::nan();
        };
        let v = (validation.loss)(view(&s.x));
        let min_delta = self
            .early_stopping
            .as_ref()
            .map_or(F::zero(), |e| e.min_delta);
        s.tracking.validated(v, min_delta);
        v
    }

    /// The full loss and stationarity measure of a sampled run at `x` (one pass over the data).
    fn full_measure<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        gamma: F,
    ) -> (F, F) {
        let f = composite(oracle.full_evaluation(view(&s.x)), s.h);
        let stationarity = self.stationarity_at(&s.x, oracle.full_gradient(), &mut s.work, gamma);
        (f, stationarity)
    }

    /// The report of a run that stopped for `termination`. The state is left as it is, so that
    /// a resumed run goes on from it.
    fn finish<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        termination: Termination,
        start: Instant,
        gamma: F,
    ) -> Report<F> {
        let mut last_iterate = None;
        let (x, f, stationarity) = match self.at_evaluation_point(oracle, s, termination) {
            Some(at_point) => {
                let (f, stationarity) = if oracle.is_sampled() {
                    self.full_measure(oracle, s, gamma)
                } else {
                    (s.f, s.stationarity)
                };
                last_iterate = Some(LastIterate {
                    x: Array1::from(s.x.clone()),
                    f,
                    stationarity,
                });
                at_point
            }
            None => {
                let (f, stationarity) =
                    if oracle.is_sampled() && termination != Termination::NonFinite {
                        // Report the full sum at the final iterate, not the last minibatch's
                        // estimate.
                        self.full_measure(oracle, s, gamma)
                    } else {
                        (s.f, s.stationarity)
                    };
                (Array1::from(s.x.clone()), f, stationarity)
            }
        };
        let (function_evaluations, gradient_evaluations) = oracle.counts();
        let best = s.tracking.best(&s.x).map(|x| Best {
            x: x.to_owned(),
            value: s.tracking.value,
            iteration: s.tracking.iteration,
        });
        Report {
            x,
            f,
            stationarity,
            iterations: s.iteration,
            function_evaluations,
            gradient_evaluations,
            termination,
            elapsed: start.elapsed(),
            history: s.history.take(),
            sampling: oracle.sampling_report(),
            best,
            penalty: self.prox.is_some().then_some(s.h),
            support: self
                .prox
                .is_some()
                .then(|| crate::prox::support(view(&s.x))),
            restarts: self.acceleration.is_some().then_some(s.momentum.restarts),
            second_order: None,
            saddle_escapes: s.escapes,
            last_iterate,
        }
    }

    /// For a rule with an evaluation point (the schedule-free rules: see
    /// [`Optimizer::evaluation_point`]), the report's point, `f` and stationarity measure: the
    /// evaluation point of the final iterate, `f` and `|∇f|` there (for a sampled run, the full
    /// sum's, in place of the full evaluation at the iterate), in a new array for the report and,
    /// for an exact run, a gradient buffer allocated once here. The evaluation is counted in the
    /// run's.
    ///
    /// `None`, to report the iterate as for any other rule: for a rule without one (checked once
    /// per run, here), before its first step, in a run with a penalty, a set or an acceleration
    /// (whose iterate the rule's averaged point does not follow), when a value that is not
    /// finite or a state overflow stopped the run (the last finite iterate is reported), and
    /// when `f` or its gradient is not finite at the evaluation point.
    fn at_evaluation_point<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &State<F>,
        termination: Termination,
    ) -> Option<(Array1<F>, F, F)> {
        if !self.optimizer.has_evaluation_point()
            || self.prox.is_some()
            || self.acceleration.is_some()
            || matches!(
                termination,
                Termination::NonFinite | Termination::StateOverflow
            )
        {
            return None;
        }
        let mut x = Array1::zeros(s.x.len());
        if !matches!(
            self.optimizer.evaluation_point(view(&s.x), x.view_mut()),
            Ok(true)
        ) {
            return None;
        }
        let (f, stationarity) = if oracle.is_sampled() {
            let f = oracle.full_evaluation(x.view());
            (f, norm(oracle.full_gradient()))
        } else {
            let mut g = vec![F::zero(); x.len()];
            let f = oracle.value_and_gradient(x.view(), view_mut(&mut g));
            (f, gradient_norm(&g))
        };
        // As `is_finite` (a NaN fails both comparisons).
        (f.abs() <= F::max_value() && stationarity <= F::max_value()).then_some((
            x,
            f,
            stationarity,
        ))
    }

    fn needs_work_buffer(&self) -> bool {
        self.prox.is_some()
            || matches!(
                self.step_size,
                StepSize::LineSearch(_) | StepSize::ProxBacktracking(_)
            )
    }
}

/// `f(x)` and `g = ∇f(x)` (or their minibatch estimates) at the current iterate, with the
/// penalty `h(x)` kept in the state: `s.f = f(x) + h(x)`.
#[inline]
fn evaluate<F: Real, Or: Oracle<F>>(oracle: &mut Or, s: &mut State<F>) {
    let smooth = oracle.value_and_gradient(view(&s.x), view_mut(&mut s.g));
    s.set_values(smooth, s.h);
}

/// `|g|₂`, as [`norm`] computes it, with the common case (a sum of squares that neither
/// overflows nor falls below the normal range) inlined into the loop.
#[inline(always)]
fn gradient_norm<F: Real>(g: &[F]) -> F {
    let sum = g.iter().fold(F::zero(), |s, &v| s + v * v);
    // Finite and normal (a NaN fails both comparisons).
    if sum >= F::min_positive_value() && sum <= F::max_value() {
        sum.sqrt()
    } else {
        norm(view(g))
    }
}

/// `dst ← src` for slices of equal length: up to four values copied in the loop itself, more
/// by [`copy`] (a call of the C library's `memcpy`, which costs more than a copy of a few
/// values).
#[inline(always)]
fn copy_short<F: Real>(dst: &mut [F], src: &[F]) {
    // Tested one length after the other: a test and a branch each, where a match on the
    // lengths compiles to a jump through a table.
    if let ([d0, d1], [s0, s1]) = (&mut *dst, src) {
        (*d0, *d1) = (*s0, *s1);
    } else if let ([d], [s]) = (&mut *dst, src) {
        *d = *s;
    } else if let ([d0, d1, d2], [s0, s1, s2]) = (&mut *dst, src) {
        (*d0, *d1, *d2) = (*s0, *s1, *s2);
    } else if let ([d0, d1, d2, d3], [s0, s1, s2, s3]) = (&mut *dst, src) {
        (*d0, *d1, *d2, *d3) = (*s0, *s1, *s2, *s3);
    } else {
        copy(view_mut(dst), view(src));
    }
}

/// `v` as an ndarray view, for a rule, an objective or a set.
#[inline(always)]
pub(super) fn view<F>(v: &[F]) -> ArrayView1<'_, F> {
    ArrayView1::from(v)
}

/// `v` as a mutable ndarray view.
#[inline(always)]
pub(super) fn view_mut<F>(v: &mut [F]) -> ArrayViewMut1<'_, F> {
    ArrayViewMut1::from(v)
}

/// The norm of the proximal gradient mapping `|x - prox_{γh}(x - γ g)| / γ` (`γ = 1` if
/// `gamma` is `0`), computing `prox_{γh}(x - γ g)` in `work` (for a set, `P(x - γ g)`).
fn gradient_mapping_norm<F: Real>(
    h: &mut (dyn Prox<F> + '_),
    x: ArrayView1<'_, F>,
    g: ArrayView1<'_, F>,
    mut work: ArrayViewMut1<'_, F>,
    gamma: F,
) -> F {
    let gamma = if gamma > F::zero() { gamma } else { F::one() };
    Zip::from(&mut work)
        .and(x)
        .and(g)
        .for_each(|w, &xi, &gi| *w = xi - gamma * gi);
    h.prox(work.view_mut(), gamma);
    let mut sum = F::zero();
    Zip::from(&work).and(x).for_each(|&w, &xi| {
        let d = xi - w;
        sum += d * d;
    });
    sum.sqrt() / gamma
}
