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
mod termination;

use std::time::Instant;

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

pub use criteria::Criteria;
pub use observer::{Control, IterationState, Observer, Progress};
pub use report::{History, Record, Report};
pub use termination::Termination;

use crate::Real;
use crate::constraints::Projection;
use crate::error::{Error, Result, check_finite, check_len, check_param};
use crate::line_search::{LineFunction, LineSearch};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::schedule::Schedule;

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
///     .minimize(&Rosenbrock::new(2), array![-1.2, 1.0].view())
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
        let start = Instant::now();
        let base_lr = self.validate(objective.dim(), x0)?;
        let n = x0.len();

        self.optimizer.reset();
        match &mut self.step_size {
            StepSize::Schedule(s) => s.reset(),
            StepSize::LineSearch(l) => l.reset(),
            _ => {}
        }

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

        let mut evals = Evaluations::default();
        let mut f = evals.value_and_gradient(objective, x.view(), g.view_mut());
        let mut stat = self.stationarity(x.view(), g.view(), work.view_mut(), base_lr);
        let f0 = f;
        let stat0 = stat;
        let divergence_level = f0 + self.criteria.divergence_factor * F::one().max(f0.abs());

        let mut iteration = 0usize;
        let mut last_step = F::zero();
        let mut last_change: Option<(F, F, F)> = None; // (|Δf|, f_prev, |Δx|_∞)

        let termination = if !(f.is_finite() && stat.is_finite()) {
            Termination::NonFinite
        } else {
            loop {
                // Observe the current iterate.
                let state = IterationState {
                    iteration,
                    f,
                    stationarity: stat,
                    step_size: last_step,
                    x: x.view(),
                    gradient: g.view(),
                    function_evaluations: evals.function,
                    gradient_evaluations: evals.gradient,
                };
                if let Some(h) = history.as_mut() {
                    h.records.push(Record {
                        iteration,
                        f,
                        stationarity: stat,
                        step_size: last_step,
                        function_evaluations: evals.function,
                        gradient_evaluations: evals.gradient,
                        x: (self.recording == Recording::Iterates).then(|| x.to_owned()),
                    });
                }
                let mut stop = false;
                for observer in &mut self.observers {
                    stop |= observer.observe(&state) == Control::Stop;
                }
                if stop {
                    break Termination::StoppedByObserver;
                }
                if let Some(reason) =
                    self.check(iteration, f, stat, stat0, last_change, &evals, start)
                {
                    break reason;
                }

                // Step.
                x_prev.assign(&x);
                let f_prev = f;
                match &mut self.step_size {
                    StepSize::LineSearch(search) => {
                        self.optimizer
                            .search_direction(x.view(), g.view(), work.view_mut())?;
                        let mut slope = dot(g.view(), work.view());
                        if !(slope < F::zero()) {
                            // Not a descent direction: fall back to steepest descent and let the
                            // rule start its model afresh.
                            self.optimizer.reset();
                            Zip::from(&mut work).and(&g).for_each(|d, &gi| *d = -gi);
                            slope = dot(g.view(), work.view());
                        }
                        let mut line = Line {
                            objective,
                            origin: x_prev.view(),
                            direction: work.view(),
                            x: x.view_mut(),
                            g: g.view_mut(),
                            evals: &mut evals,
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
                                x.assign(&x_prev);
                                break Termination::LineSearchFailed;
                            }
                        }
                    }
                    other => {
                        let lr = match other {
                            StepSize::RuleDefault => self.optimizer.default_lr(),
                            StepSize::Constant(c) => *c,
                            StepSize::Schedule(s) => {
                                s.observe(f);
                                s.step_size(iteration)
                            }
                            StepSize::LineSearch(_) => unreachable!("handled above"),
                        };
                        self.optimizer.step(x.view_mut(), g.view(), lr)?;
                        if let Some(p) = self.projection.as_mut() {
                            p.project(x.view_mut());
                        }
                        f = evals.value_and_gradient(objective, x.view(), g.view_mut());
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
                if self.tracks_change() {
                    let dx = if self.criteria.x_change.is_some() {
                        max_abs_diff(x.view(), x_prev.view())
                    } else {
                        F::zero()
                    };
                    last_change = Some(((f - f_prev).abs(), f_prev, dx));
                }
            }
        };

        Ok(Report {
            x,
            f,
            gradient_norm: stat,
            iterations: iteration,
            function_evaluations: evals.function,
            gradient_evaluations: evals.gradient,
            termination,
            elapsed: start.elapsed(),
            history,
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
        let base_lr = match &self.step_size {
            StepSize::Constant(c) => *c,
            _ => self.optimizer.default_lr(),
        };
        check_param("lr", base_lr, "finite and >= 0", |v| {
            v.is_finite() && v >= F::zero()
        })?;
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

    /// The stationarity measure: `|g|`, or `|x - P(x - γ g)| / γ` when projecting.
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

    /// The first criterion or budget that holds at the current iterate, if any.
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        iteration: usize,
        f: F,
        stat: F,
        stat0: F,
        last_change: Option<(F, F, F)>,
        evals: &Evaluations,
        start: Instant,
    ) -> Option<Termination> {
        let c = &self.criteria;
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
        if iteration >= c.max_iterations {
            return Some(Termination::MaxIterations);
        }
        if c.max_evaluations.is_some_and(|m| evals.function >= m) {
            return Some(Termination::MaxEvaluations);
        }
        if c.max_time.is_some_and(|t| start.elapsed() >= t) {
            return Some(Termination::MaxTime);
        }
        None
    }
}

/// Evaluation counters of a run.
#[derive(Debug, Default)]
struct Evaluations {
    function: usize,
    gradient: usize,
}

impl Evaluations {
    fn value_and_gradient<F: Real, Obj: Objective<F> + ?Sized>(
        &mut self,
        objective: &Obj,
        x: ArrayView1<'_, F>,
        g: ArrayViewMut1<'_, F>,
    ) -> F {
        self.function += 1;
        self.gradient += 1;
        objective.value_and_gradient(x, g)
    }
}

/// `φ(α) = f(origin + α d)` for a line search, writing the trial point into the loop's `x`.
struct Line<'l, 'b, F: Real, Obj: ?Sized> {
    objective: &'l Obj,
    origin: ArrayView1<'b, F>,
    direction: ArrayView1<'b, F>,
    x: ArrayViewMut1<'b, F>,
    g: ArrayViewMut1<'b, F>,
    evals: &'l mut Evaluations,
    /// The `α` that `x` holds, and whether `g` holds the gradient there.
    at: Option<(F, bool)>,
}

impl<F: Real, Obj: Objective<F> + ?Sized> Line<'_, '_, F, Obj> {
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
                self.evals.gradient += 1;
                self.objective.gradient(self.x.view(), self.g.view_mut());
                value
            }
            _ => self.value_and_slope(alpha).0,
        }
    }
}

impl<F: Real, Obj: Objective<F> + ?Sized> LineFunction<F> for Line<'_, '_, F, Obj> {
    fn value(&mut self, alpha: F) -> F {
        self.move_to(alpha);
        self.at = Some((alpha, false));
        self.evals.function += 1;
        self.objective.value(self.x.view())
    }

    fn value_and_slope(&mut self, alpha: F) -> (F, F) {
        self.move_to(alpha);
        self.at = Some((alpha, true));
        let value = self
            .evals
            .value_and_gradient(self.objective, self.x.view(), self.g.view_mut());
        (value, dot(self.g.view(), self.direction))
    }
}

/// `a · b`.
pub(crate) fn dot<F: Real>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>) -> F {
    let mut sum = F::zero();
    Zip::from(a).and(b).for_each(|&x, &y| sum += x * y);
    sum
}

/// `|v|₂`, computed without overflow for finite entries; NaN or infinite if an entry is.
pub(crate) fn norm<F: Real>(v: ArrayView1<'_, F>) -> F {
    let sum = v.fold(F::zero(), |s, &x| s + x * x);
    if sum.is_finite() {
        return sum.sqrt();
    }
    // Overflow of the squares, or a non-finite entry: rescale by the largest magnitude.
    let scale = v.fold(F::zero(), |m, &x| {
        if x.abs() > m || x.is_nan() {
            x.abs()
        } else {
            m
        }
    });
    if !scale.is_finite() || scale.is_nan() {
        return scale;
    }
    let scaled = v.fold(F::zero(), |s, &x| {
        let y = x / scale;
        s + y * y
    });
    scale * scaled.sqrt()
}

/// `max_i |a_i - b_i|`.
fn max_abs_diff<F: Real>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>) -> F {
    let mut m = F::zero();
    Zip::from(a)
        .and(b)
        .for_each(|&x, &y| m = m.max((x - y).abs()));
    m
}
