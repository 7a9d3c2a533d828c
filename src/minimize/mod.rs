//! The one shared iteration loop: [`Minimizer`].
//!
//! Every update rule runs through the same loop, which owns everything that is the same for all
//! of them: evaluation, the step-size strategy, projection onto a constraint set, observers,
//! convergence criteria, budgets, and the report. One iteration is
//!
//! ```text
//! observe(x_k) → converged or out of budget? → step size γ_k → x_{k+1} = rule(x_k, ∇f(x_k), γ_k)
//!             → project onto C (if any) → evaluate f(x_{k+1}), ∇f(x_{k+1}) → finite? diverged?
//! ```
//!
//! Once a run has started nothing is allocated (unless a history is recorded) and `x` is never
//! cloned: the loop keeps two preallocated iterate buffers, the current one and the previous one,
//! so that a step into NaN or infinity can be undone and the last finite iterate reported.

mod criteria;
mod observer;
mod report;
mod stochastic;
mod termination;

use std::time::Instant;

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

pub use criteria::Criteria;
pub use observer::{Control, IterationState, Observer, Progress};
pub use report::{History, Record, Report, SamplingReport};
pub use stochastic::{Estimator, Minibatch, Sampling};
pub use termination::Termination;

use crate::Real;
use crate::clip::Clip;
use crate::constraints::Projection;
use crate::error::{Domain, Error, Result, check, check_finite, check_len};
use crate::finite_sum::FiniteSum;
use crate::linalg::{copy, dot, max_abs_diff, norm};
use crate::line_search::{LineFunction, LineSearch};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use stochastic::Sampled;

/// How the loop chooses the step size `γ_k` of each iteration.
pub enum StepSize<'a, F> {
    /// The rule's own `lr` ([`Optimizer::default_lr`]) at every iteration.
    RuleDefault,
    /// The same step size at every iteration.
    Constant(F),
    /// `γ_k = schedule.step_size(k)`, after the schedule has observed `f(x_k)`.
    Schedule(Box<dyn Schedule<F> + 'a>),
    /// A line search along the rule's [search direction](Optimizer::search_direction).
    LineSearch(Box<dyn LineSearch<F> + 'a>),
}

impl<F: std::fmt::Debug> std::fmt::Debug for StepSize<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepSize::RuleDefault => f.write_str("RuleDefault"),
            StepSize::Constant(c) => f.debug_tuple("Constant").field(c).finish(),
            StepSize::Schedule(_) => f.write_str("Schedule(..)"),
            StepSize::LineSearch(_) => f.write_str("LineSearch(..)"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recording {
    Off,
    Values,
    Iterates,
}

/// The shared minimisation loop: drives any [`Optimizer`] on any [`Objective`].
///
/// ```
/// use gradus::{Adam, Minimizer, Termination, problems::Rosenbrock};
/// use ndarray::array;
///
/// let report = Minimizer::new(Adam::default())
///     .lr(0.02)
///     .gradient_tolerance(1e-6)
///     .max_iterations(50_000)
///     .minimize(&Rosenbrock::new(2), array![-1.2_f64, 1.0].view())
///     .unwrap();
/// assert_eq!(report.termination, Termination::GradientNorm);
/// assert!((report.x[0] - 1.0).abs() < 1e-4 && (report.x[1] - 1.0).abs() < 1e-4);
/// ```
pub struct Minimizer<'a, F: Real, O: Optimizer<F>> {
    optimizer: O,
    step_size: StepSize<'a, F>,
    criteria: Criteria<F>,
    observers: Vec<Box<dyn Observer<F> + 'a>>,
    projection: Option<Box<dyn Projection<F> + 'a>>,
    recording: Recording,
    clip: Option<Clip<F>>,
    minibatch: Minibatch,
}

impl<'a, F: Real, O: Optimizer<F>> Minimizer<'a, F, O> {
    /// A loop driving `optimizer` with its own step size and the default [`Criteria`].
    pub fn new(optimizer: O) -> Self {
        Minimizer {
            optimizer,
            step_size: StepSize::RuleDefault,
            criteria: Criteria::default(),
            observers: Vec::new(),
            projection: None,
            recording: Recording::Off,
            clip: None,
            minibatch: Minibatch::default(),
        }
    }

    /// Sets the step-size strategy.
    pub fn step_size(mut self, step_size: StepSize<'a, F>) -> Self {
        self.step_size = step_size;
        self
    }

    /// Uses the constant step size `lr` (checked when the run starts).
    pub fn lr(self, lr: F) -> Self {
        self.step_size(StepSize::Constant(lr))
    }

    /// Takes step sizes from `schedule`.
    pub fn schedule(self, schedule: impl Schedule<F> + 'a) -> Self {
        self.step_size(StepSize::Schedule(Box::new(schedule)))
    }

    /// Chooses step sizes by `line_search` along the rule's search direction.
    pub fn line_search(self, line_search: impl LineSearch<F> + 'a) -> Self {
        self.step_size(StepSize::LineSearch(Box::new(line_search)))
    }

    /// Replaces all convergence criteria and budgets.
    pub fn criteria(mut self, criteria: Criteria<F>) -> Self {
        self.criteria = criteria;
        self
    }

    /// The criteria in force.
    pub fn criteria_ref(&self) -> &Criteria<F> {
        &self.criteria
    }

    /// Stops when the stationarity measure is at most `tolerance`.
    pub fn gradient_tolerance(mut self, tolerance: F) -> Self {
        self.criteria.gradient_norm = Some(tolerance);
        self
    }

    /// Stops after `max_iterations` steps.
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.criteria.max_iterations = max_iterations;
        self
    }

    /// Stops once `max_evaluations` function evaluations have been made.
    pub fn max_evaluations(mut self, max_evaluations: usize) -> Self {
        self.criteria.max_evaluations = Some(max_evaluations);
        self
    }

    /// Stops when `f(x) <= target`.
    pub fn target(mut self, target: F) -> Self {
        self.criteria.target = Some(target);
        self
    }

    /// Adds an observer, called at every iteration in the order added.
    pub fn observer(mut self, observer: impl Observer<F> + 'a) -> Self {
        self.observers.push(Box::new(observer));
        self
    }

    /// Prints progress to standard error every `every` iterations.
    pub fn progress(self, every: usize) -> Self {
        self.observer(Progress::every(every))
    }

    /// Records `f`, the stationarity measure, the step size and the evaluation counts of every
    /// iteration in [`Report::history`]. Recording allocates as the history grows.
    pub fn record_history(mut self, on: bool) -> Self {
        self.recording = if on {
            Recording::Values
        } else {
            Recording::Off
        };
        self
    }

    /// Records the iterates `x_k` too (for trajectories), which costs `n` values per iteration.
    pub fn record_iterates(mut self, on: bool) -> Self {
        self.recording = if on {
            Recording::Iterates
        } else {
            Recording::Off
        };
        self
    }

    /// Projects the starting point and every iterate onto `set`: any rule becomes a projected
    /// method, and the stationarity measure becomes the gradient-mapping norm
    /// `|x - P(x - γ∇f(x))| / γ`, with `γ` the run's base step size (the constant step size, or
    /// the rule's `lr` when a schedule sets the step).
    pub fn projection(mut self, set: impl Projection<F> + 'a) -> Self {
        self.projection = Some(Box::new(set));
        self
    }

    /// Clips every gradient before the step (by global norm or by value), with any rule.
    pub fn clip(mut self, clip: Clip<F>) -> Self {
        self.clip = Some(clip);
        self
    }

    /// Sets how [`minimize_finite_sum`](Minimizer::minimize_finite_sum) draws minibatches.
    pub fn minibatch(mut self, minibatch: Minibatch) -> Self {
        self.minibatch = minibatch;
        self
    }

    /// Stops a minibatch run after `epochs` passes over the data.
    ///
    /// The iteration budget applies as well (10 000 steps unless set): an epoch of `N` examples
    /// in batches of `B` is `⌈N/B⌉` steps, so raise [`max_iterations`](Minimizer::max_iterations)
    /// for long runs.
    pub fn max_epochs(mut self, epochs: usize) -> Self {
        self.criteria.max_epochs = Some(epochs);
        self
    }

    /// The update rule.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The update rule, mutably (to change it between runs).
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// Gives the update rule back, with the state of the last run.
    pub fn into_optimizer(self) -> O {
        self.optimizer
    }

    /// Runs the loop from `x0` until a criterion holds or a budget runs out.
    ///
    /// The rule, the schedule and the line search are reset at the start, so a `Minimizer` can
    /// be run many times. Stopping on a budget, a non-finite value or divergence is reported in
    /// [`Report::termination`], not as an error.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty `x0`; [`Error::DimensionMismatch`] if `x0`, the objective and
    /// the projection set disagree on the dimension; [`Error::NonFinite`] for a non-finite `x0`;
    /// [`Error::InvalidParameter`] for a bad step size or criterion; [`Error::Incompatible`] for a
    /// line search with a rule that has no search direction, or with a projection.
    pub fn minimize<Obj: Objective<F> + ?Sized>(
        &mut self,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<Report<F>> {
        let mut oracle = Full {
            objective,
            evals: Evaluations::default(),
        };
        self.run(&mut oracle, x0)
    }

    /// Runs the loop on minibatches of the finite sum `problem`, as set by
    /// [`minibatch`](Minimizer::minibatch) (default: batches of 32 drawn by shuffling once per
    /// epoch, seed 0).
    ///
    /// Every rule becomes its stochastic version: it steps on minibatch gradients (or on SVRG's
    /// variance-reduced estimates). Criteria on the gradient norm and the target value are checked
    /// only against the full loss and gradient, computed every
    /// [`Minibatch::full_check_every`] epochs when that is set; the change criteria do not apply to
    /// stochastic runs. The budgets apply as usual, with [`Criteria::max_epochs`] besides. The
    /// report's `f` and gradient norm are those of the full sum at the final `x` (one extra pass);
    /// [`Report::sampling`] gives epochs and per-example gradient counts.
    ///
    /// # Errors
    /// As [`minimize`](Minimizer::minimize), and [`Error::InvalidParameter`] for a batch size of
    /// 0 or larger than the number of examples, [`Error::Empty`] for a sum of no examples,
    /// [`Error::Incompatible`] for a line search.
    pub fn minimize_finite_sum<P: FiniteSum<F> + ?Sized>(
        &mut self,
        problem: &P,
        x0: ArrayView1<'_, F>,
    ) -> Result<Report<F>> {
        if matches!(self.step_size, StepSize::LineSearch(_)) {
            return Err(Error::Incompatible {
                reason: "a line search needs exact function values; use a constant step size \
                         or a schedule for minibatch runs",
            });
        }
        let mut oracle = Sampled::new(problem, &self.minibatch)?;
        self.run(&mut oracle, x0)
    }

    /// The loop itself, for exact and sampled evaluations alike.
    fn run<Or: Oracle<F>>(&mut self, oracle: &mut Or, x0: ArrayView1<'_, F>) -> Result<Report<F>> {
        let start = Instant::now();
        let base_lr = self.validate(oracle.dim(), x0)?;
        let n = x0.len();

        self.optimizer.reset();
        match &mut self.step_size {
            StepSize::Schedule(s) => s.reset(),
            StepSize::LineSearch(l) => l.reset(),
            _ => {}
        }
        let per_epoch = oracle.is_sampled() && self.minibatch.schedule_per_epoch;

        let mut x = x0.to_owned();
        let mut x_prev = Array1::zeros(n);
        let mut g = Array1::zeros(n);
        // Scratch: the search direction of a line search, or P(x - γg) for the gradient mapping.
        let mut work = Array1::zeros(if self.needs_work_buffer() { n } else { 0 });
        if let Some(p) = self.projection.as_mut() {
            p.project(x.view_mut());
        }
        let mut history = match self.recording {
            Recording::Off => None,
            _ => Some(History::default()),
        };

        let mut f = oracle.value_and_gradient(x.view(), g.view_mut());
        let mut stat = self.stationarity(x.view(), g.view(), work.view_mut(), base_lr);
        // Values the convergence criteria may trust: exact ones, or a full check of a sampled run.
        let mut measured = if !oracle.is_sampled() {
            Some((f, stat))
        } else if oracle.full_check_due(true) {
            Some(self.full_measure(&mut *oracle, x.view(), work.view_mut(), base_lr))
        } else {
            None
        };
        let stat0 = measured.map_or(stat, |m| m.1);
        let f0 = f;
        let divergence_level = f0 + self.criteria.divergence_factor * F::one().max(f0.abs());

        let tracks_change = self.tracks_change();
        let mut iteration = 0usize;
        let mut last_step = F::zero();
        let mut last_change: Option<(F, F, F)> = None; // (|Δf|, f_prev, |Δx|_∞)

        let termination = if !(f.is_finite() && stat.is_finite()) {
            Termination::NonFinite
        } else {
            loop {
                // Observe the current iterate.
                let (fe, ge) = oracle.counts();
                if let Some(h) = history.as_mut() {
                    h.records.push(Record {
                        iteration,
                        f,
                        stationarity: stat,
                        step_size: last_step,
                        function_evaluations: fe,
                        gradient_evaluations: ge,
                        x: (self.recording == Recording::Iterates).then(|| x.to_owned()),
                    });
                }
                if !self.observers.is_empty() {
                    let state = IterationState {
                        iteration,
                        f,
                        stationarity: stat,
                        step_size: last_step,
                        x: x.view(),
                        gradient: g.view(),
                        function_evaluations: fe,
                        gradient_evaluations: ge,
                    };
                    let mut stop = false;
                    for observer in &mut self.observers {
                        stop |= observer.observe(&state) == Control::Stop;
                    }
                    if stop {
                        break Termination::StoppedByObserver;
                    }
                }
                let budget = Budget {
                    iteration,
                    epoch: oracle.epoch(),
                    function_evaluations: fe,
                    gradient_evaluations: ge,
                };
                if let Some(reason) = self.check(budget, measured, stat0, last_change, start) {
                    break reason;
                }

                // Step.
                if let Some(clip) = &self.clip {
                    clip.apply(g.view_mut())?;
                }
                copy(x_prev.view_mut(), x.view());
                let f_prev = f;
                match &mut self.step_size {
                    StepSize::LineSearch(search) => {
                        self.optimizer
                            .search_direction(x.view(), g.view(), work.view_mut())?;
                        let mut slope = dot(g.view(), work.view());
                        // `slope` may be NaN: only a negative slope is a descent direction.
                        if slope.partial_cmp(&F::zero()) != Some(std::cmp::Ordering::Less) {
                            // Not a descent direction: fall back to steepest descent and let the
                            // rule start its model afresh.
                            self.optimizer.reset();
                            Zip::from(&mut work).and(&g).for_each(|d, &gi| *d = -gi);
                            slope = dot(g.view(), work.view());
                        }
                        let mut line = Line {
                            oracle: &mut *oracle,
                            origin: x_prev.view(),
                            direction: work.view(),
                            x: x.view_mut(),
                            g: g.view_mut(),
                            at: None,
                        };
                        let accepted = if slope < F::zero() {
                            search.search(&mut line, f, slope)
                        } else {
                            None
                        };
                        match accepted {
                            Some(step) => {
                                f = line.finish(step.alpha, step.value);
                                last_step = step.alpha;
                            }
                            None => {
                                copy(x.view_mut(), x_prev.view());
                                break Termination::LineSearchFailed;
                            }
                        }
                    }
                    other => {
                        let t = if per_epoch { oracle.epoch() } else { iteration };
                        let lr = match other {
                            StepSize::RuleDefault => self.optimizer.default_lr(),
                            StepSize::Constant(c) => *c,
                            StepSize::Schedule(s) => {
                                if !per_epoch {
                                    s.observe(f);
                                }
                                s.step_size(t)
                            }
                            StepSize::LineSearch(_) => unreachable!("handled above"),
                        };
                        self.optimizer.step(x.view_mut(), g.view(), lr)?;
                        if let Some(p) = self.projection.as_mut() {
                            p.project(x.view_mut());
                        }
                        f = oracle.value_and_gradient(x.view(), g.view_mut());
                        last_step = lr;
                    }
                }
                iteration += 1;
                let stat_prev = stat;
                stat = self.stationarity(x.view(), g.view(), work.view_mut(), base_lr);

                if !(f.is_finite() && stat.is_finite()) {
                    std::mem::swap(&mut x, &mut x_prev);
                    f = f_prev;
                    stat = stat_prev;
                    iteration -= 1;
                    break Termination::NonFinite;
                }
                if f > divergence_level {
                    break Termination::Diverged;
                }
                if oracle.is_sampled() {
                    measured = None;
                    if let Some(mean_loss) = oracle.end_of_epoch() {
                        if oracle.full_check_due(false) {
                            measured = Some(self.full_measure(
                                &mut *oracle,
                                x.view(),
                                work.view_mut(),
                                base_lr,
                            ));
                        }
                        if per_epoch && let StepSize::Schedule(s) = &mut self.step_size {
                            s.observe(measured.map_or(mean_loss, |m| m.0));
                        }
                    }
                } else {
                    measured = Some((f, stat));
                    if tracks_change {
                        let dx = if self.criteria.x_change.is_some() {
                            max_abs_diff(x.view(), x_prev.view())
                        } else {
                            F::zero()
                        };
                        last_change = Some(((f - f_prev).abs(), f_prev, dx));
                    }
                }
            }
        };

        if oracle.is_sampled() && termination != Termination::NonFinite {
            // Report the full sum at the final iterate, not the last minibatch's estimate.
            (f, stat) = self.full_measure(&mut *oracle, x.view(), work.view_mut(), base_lr);
        }
        let (function_evaluations, gradient_evaluations) = oracle.counts();
        Ok(Report {
            x,
            f,
            gradient_norm: stat,
            iterations: iteration,
            function_evaluations,
            gradient_evaluations,
            termination,
            elapsed: start.elapsed(),
            history,
            sampling: oracle.sampling_report(),
        })
    }

    /// Checks the inputs and settings of a run; returns the run's base step size.
    fn validate(&self, dim: usize, x0: ArrayView1<'_, F>) -> Result<F> {
        if x0.is_empty() {
            return Err(Error::Empty { what: "x0" });
        }
        check_len("x0 vs objective.dim()", dim, x0.len())?;
        check_finite("x0", x0)?;
        if let Some(p) = &self.projection
            && let Some(d) = p.dim()
        {
            check_len("x0 vs projection set dimension", d, x0.len())?;
        }
        self.criteria.validate()?;
        if let Some(clip) = &self.clip {
            clip.validate()?;
        }
        let base_lr = match &self.step_size {
            StepSize::Constant(c) => *c,
            _ => self.optimizer.default_lr(),
        };
        check("lr", base_lr, Domain::NonNegative)?;
        if let StepSize::LineSearch(_) = self.step_size {
            if !self.optimizer.has_search_direction() {
                return Err(Error::Incompatible {
                    reason: "a line search needs a rule with a search direction \
                             (GradientDescent, L-BFGS, ...); use a constant step size or a \
                             schedule with this rule",
                });
            }
            if self.projection.is_some() {
                return Err(Error::Incompatible {
                    reason: "a line search cannot be combined with a projection; use a \
                             constant step size or a schedule for projected methods",
                });
            }
        }
        Ok(base_lr)
    }

    fn needs_work_buffer(&self) -> bool {
        self.projection.is_some() || matches!(self.step_size, StepSize::LineSearch(_))
    }

    fn tracks_change(&self) -> bool {
        let c = &self.criteria;
        c.f_change.is_some() || c.relative_f_change.is_some() || c.x_change.is_some()
    }

    /// The full loss and stationarity measure of a sampled run at `x` (one pass over the data).
    fn full_measure<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        x: ArrayView1<'_, F>,
        work: ArrayViewMut1<'_, F>,
        base_lr: F,
    ) -> (F, F) {
        let f = oracle.full_evaluation(x);
        let stat = self.stationarity(x, oracle.full_gradient(), work, base_lr);
        (f, stat)
    }

    /// The stationarity measure: `|g|`, or `|x - P(x - γ g)| / γ` when projecting.
    #[inline]
    fn stationarity(
        &mut self,
        x: ArrayView1<'_, F>,
        g: ArrayView1<'_, F>,
        mut work: ArrayViewMut1<'_, F>,
        base_lr: F,
    ) -> F {
        match self.projection.as_mut() {
            None => norm(g),
            Some(p) => {
                let gamma = if base_lr > F::zero() {
                    base_lr
                } else {
                    F::one()
                };
                Zip::from(&mut work)
                    .and(x)
                    .and(g)
                    .for_each(|w, &xi, &gi| *w = xi - gamma * gi);
                p.project(work.view_mut());
                let mut sum = F::zero();
                Zip::from(&work).and(x).for_each(|&w, &xi| {
                    let d = xi - w;
                    sum += d * d;
                });
                sum.sqrt() / gamma
            }
        }
    }

    /// The first criterion or budget that holds at the current iterate, if any. `measured` holds
    /// the values `(f, stationarity)` the criteria may trust, when there are any.
    #[inline]
    fn check(
        &self,
        budget: Budget,
        measured: Option<(F, F)>,
        stat0: F,
        last_change: Option<(F, F, F)>,
        start: Instant,
    ) -> Option<Termination> {
        let c = &self.criteria;
        if let Some((f, stat)) = measured {
            if c.gradient_norm.is_some_and(|t| stat <= t) {
                return Some(Termination::GradientNorm);
            }
            if c.relative_gradient_norm.is_some_and(|t| stat <= t * stat0) {
                return Some(Termination::RelativeGradientNorm);
            }
            if c.target.is_some_and(|t| f <= t) {
                return Some(Termination::TargetReached);
            }
            if let Some((df, f_prev, dx)) = last_change {
                if c.f_change.is_some_and(|t| df <= t) {
                    return Some(Termination::FunctionChange);
                }
                if c.relative_f_change
                    .is_some_and(|t| df <= t * f.abs().max(f_prev.abs()))
                {
                    return Some(Termination::RelativeFunctionChange);
                }
                if c.x_change.is_some_and(|t| dx <= t) {
                    return Some(Termination::StepChange);
                }
            }
        }
        if budget.iteration >= c.max_iterations {
            return Some(Termination::MaxIterations);
        }
        if c.max_epochs.is_some_and(|m| budget.epoch >= m) {
            return Some(Termination::MaxEpochs);
        }
        if c.max_evaluations
            .is_some_and(|m| budget.function_evaluations >= m)
            || c.max_gradient_evaluations
                .is_some_and(|m| budget.gradient_evaluations >= m)
        {
            return Some(Termination::MaxEvaluations);
        }
        if c.max_time.is_some_and(|t| start.elapsed() >= t) {
            return Some(Termination::MaxTime);
        }
        None
    }
}

/// Where a run stands, for the budgets.
#[derive(Debug, Clone, Copy)]
struct Budget {
    iteration: usize,
    epoch: usize,
    function_evaluations: usize,
    gradient_evaluations: usize,
}

/// Evaluation counters of a run.
#[derive(Debug, Default, Clone, Copy)]
struct Evaluations {
    function: usize,
    gradient: usize,
}

/// What the loop evaluates: the full objective ([`Full`]) or minibatches of a finite sum
/// ([`Sampled`]). The loop is the same for both.
trait Oracle<F: Real> {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// `f` and `∇f` at `x` (for a sampled oracle: on the next minibatch).
    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) -> F;
    /// `f` at `x` (used by line searches, which only exact oracles allow).
    fn value(&mut self, x: ArrayView1<'_, F>) -> F;
    /// `∇f` at `x`.
    fn gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>);
    /// (function evaluations, gradient evaluations) so far.
    fn counts(&self) -> (usize, usize);
    /// `true` if values are minibatch estimates.
    fn is_sampled(&self) -> bool {
        false
    }
    /// Completed epochs.
    fn epoch(&self) -> usize {
        0
    }
    /// After an evaluation: the mean minibatch loss of the epoch that just ended, if one did.
    fn end_of_epoch(&mut self) -> Option<F> {
        None
    }
    /// `true` if a full check of a sampled run is due now (`at_start`: at the starting point).
    fn full_check_due(&self, at_start: bool) -> bool {
        let _ = at_start;
        false
    }
    /// The full `f` at `x`, leaving the full gradient in [`full_gradient`](Oracle::full_gradient).
    fn full_evaluation(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
    /// The full gradient computed by the last [`full_evaluation`](Oracle::full_evaluation).
    fn full_gradient(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&[])
    }
    /// Sampling statistics for the report.
    fn sampling_report(&self) -> Option<SamplingReport> {
        None
    }
}

/// The exact oracle: the objective itself.
struct Full<'o, Obj: ?Sized> {
    objective: &'o Obj,
    evals: Evaluations,
}

impl<F: Real, Obj: Objective<F> + ?Sized> Oracle<F> for Full<'_, Obj> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }
    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) -> F {
        self.evals.function += 1;
        self.evals.gradient += 1;
        self.objective.value_and_gradient(x, g)
    }
    fn value(&mut self, x: ArrayView1<'_, F>) -> F {
        self.evals.function += 1;
        self.objective.value(x)
    }
    fn gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) {
        self.evals.gradient += 1;
        self.objective.gradient(x, g)
    }
    fn counts(&self) -> (usize, usize) {
        (self.evals.function, self.evals.gradient)
    }
}

/// `φ(α) = f(origin + α d)` for a line search, writing the trial point into the loop's `x`.
struct Line<'l, 'b, F: Real, Or> {
    oracle: &'l mut Or,
    origin: ArrayView1<'b, F>,
    direction: ArrayView1<'b, F>,
    x: ArrayViewMut1<'b, F>,
    g: ArrayViewMut1<'b, F>,
    /// The `α` that `x` holds, and whether `g` holds the gradient there.
    at: Option<(F, bool)>,
}

impl<F: Real, Or: Oracle<F>> Line<'_, '_, F, Or> {
    fn move_to(&mut self, alpha: F) {
        Zip::from(&mut self.x)
            .and(&self.origin)
            .and(&self.direction)
            .for_each(|x, &o, &d| *x = o + alpha * d);
    }

    /// Leaves `x` at `origin + α d` with the gradient there in `g`; returns `f` there.
    fn finish(&mut self, alpha: F, value: F) -> F {
        match self.at {
            Some((a, true)) if a == alpha => value,
            Some((a, false)) if a == alpha => {
                self.oracle.gradient(self.x.view(), self.g.view_mut());
                value
            }
            _ => self.value_and_slope(alpha).0,
        }
    }
}

impl<F: Real, Or: Oracle<F>> LineFunction<F> for Line<'_, '_, F, Or> {
    fn value(&mut self, alpha: F) -> F {
        self.move_to(alpha);
        self.at = Some((alpha, false));
        self.oracle.value(self.x.view())
    }

    fn value_and_slope(&mut self, alpha: F) -> (F, F) {
        self.move_to(alpha);
        self.at = Some((alpha, true));
        let value = self
            .oracle
            .value_and_gradient(self.x.view(), self.g.view_mut());
        (value, dot(self.g.view(), self.direction))
    }
}
