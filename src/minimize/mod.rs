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
//! so that a step into NaN or infinity can be undone and the last finite iterate reported. A
//! rule's step overwrites `x` in place, so the previous iterate is copied into its buffer before
//! it (one copy of `n` values); a line search writes its trial points from scratch, so there the
//! two buffers are swapped instead.

mod criteria;
mod observer;
mod oracle;
mod report;
mod run;
mod step_size;
mod stochastic;
mod termination;

use std::time::Duration;

use ndarray::ArrayView1;

pub use criteria::Criteria;
pub use observer::{Control, IterationState, Observer, Progress};
pub use report::{History, Record, Report, SamplingReport};
pub use step_size::StepSize;
pub use stochastic::{Estimator, Minibatch, Sampling};
pub use termination::Termination;

use crate::Real;
use crate::clip::Clip;
use crate::constraints::Projection;
use crate::error::{Error, Result};
use crate::finite_sum::FiniteSum;
use crate::line_search::LineSearch;
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use oracle::{Evaluations, Full, Oracle};
use stochastic::Sampled;

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
///
/// Every setting has its own builder method, which changes that setting only: criteria and
/// budgets compose in any order.
///
/// ```
/// use std::time::Duration;
/// use gradus::{GradientDescent, Minimizer, Termination, problems::Sphere};
/// use ndarray::array;
///
/// // f = |x|², GD with step 1/4 halves x: f_k = 4^-k changes by 3 · 4^-k per step.
/// let report = Minimizer::new(GradientDescent::default())
///     .lr(0.25)
///     .f_change(3.0 / 64.0)
///     .max_time(Duration::from_secs(60))
///     .max_iterations(100)
///     .record_history(true)
///     .minimize(&Sphere::new(1), array![1.0_f64].view())
///     .unwrap();
/// assert_eq!(report.termination, Termination::FunctionChange);
/// assert_eq!(report.iterations, 3);
/// assert_eq!(report.history.unwrap().records.len(), 4);
/// ```
pub struct Minimizer<'a, F: Real, O: Optimizer<F>> {
    optimizer: O,
    step_size: StepSize<'a, F>,
    criteria: Criteria<F>,
    observers: Vec<Box<dyn Observer<F> + 'a>>,
    projection: Option<Box<dyn Projection<F> + 'a>>,
    record_history: bool,
    record_iterates: bool,
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
            record_history: false,
            record_iterates: false,
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

    /// Takes step sizes from `schedule` (each checked as it is used).
    pub fn schedule(self, schedule: impl Schedule<F> + 'a) -> Self {
        self.step_size(StepSize::Schedule(Box::new(schedule)))
    }

    /// Chooses step sizes by `line_search` along the rule's search direction.
    pub fn line_search(self, line_search: impl LineSearch<F> + 'a) -> Self {
        self.step_size(StepSize::LineSearch(Box::new(line_search)))
    }

    /// The criteria and budgets in force.
    pub fn criteria(&self) -> &Criteria<F> {
        &self.criteria
    }

    /// The criteria and budgets, mutably (to change them between runs).
    pub fn criteria_mut(&mut self) -> &mut Criteria<F> {
        &mut self.criteria
    }

    /// Replaces *all* criteria and budgets with `criteria`, those set before by the
    /// single-criterion methods ([`gradient_tolerance`](Minimizer::gradient_tolerance),
    /// [`max_iterations`](Minimizer::max_iterations), ...) included: a field left at its default
    /// in `criteria` (say `..Criteria::default()`) sets the default again. Call it first and the
    /// single-criterion methods after it, which change one field each.
    ///
    /// ```
    /// use gradus::{Criteria, GradientDescent, Minimizer};
    ///
    /// let m = Minimizer::new(GradientDescent::<f64>::default())
    ///     .max_iterations(50)
    ///     .with_criteria(Criteria { stationarity: None, ..Criteria::default() })
    ///     .target(1e-8);
    /// assert_eq!(m.criteria().max_iterations, 10_000); // replaced by the default
    /// assert_eq!((m.criteria().stationarity, m.criteria().target), (None, Some(1e-8)));
    /// ```
    pub fn with_criteria(mut self, criteria: Criteria<F>) -> Self {
        self.criteria = criteria;
        self
    }

    /// Sets one stopping criterion: the body shared by the builder methods below.
    fn criterion(mut self, set: impl FnOnce(&mut Criteria<F>)) -> Self {
        set(&mut self.criteria);
        self
    }

    /// Stops when the stationarity measure (the gradient norm, or the norm of the gradient
    /// mapping when projecting; see [`Criteria`](Criteria#the-stationarity-measure)) is at most
    /// `tolerance`: [`Criteria::stationarity`].
    pub fn gradient_tolerance(self, tolerance: F) -> Self {
        self.criterion(|c| c.stationarity = Some(tolerance))
    }

    /// Stops when the stationarity measure is at most `fraction` times its value at the start:
    /// [`Criteria::relative_stationarity`].
    pub fn relative_gradient_tolerance(self, fraction: F) -> Self {
        self.criterion(|c| c.relative_stationarity = Some(fraction))
    }

    /// Stops when a step changes `f` by at most `tolerance`: [`Criteria::f_change`].
    pub fn f_change(self, tolerance: F) -> Self {
        self.criterion(|c| c.f_change = Some(tolerance))
    }

    /// Stops when a step changes `f` by at most `tolerance · max(|f_k|, |f_{k-1}|)`:
    /// [`Criteria::relative_f_change`].
    pub fn relative_f_change(self, tolerance: F) -> Self {
        self.criterion(|c| c.relative_f_change = Some(tolerance))
    }

    /// Stops when a step moves `x` by at most `tolerance` in the max-norm:
    /// [`Criteria::x_change`].
    pub fn x_change(self, tolerance: F) -> Self {
        self.criterion(|c| c.x_change = Some(tolerance))
    }

    /// Stops when `f(x) <= target`: [`Criteria::target`].
    pub fn target(self, target: F) -> Self {
        self.criterion(|c| c.target = Some(target))
    }

    /// Stops after `max_iterations` steps: [`Criteria::max_iterations`].
    pub fn max_iterations(self, max_iterations: usize) -> Self {
        self.criterion(|c| c.max_iterations = max_iterations)
    }

    /// Stops once `max_evaluations` function evaluations have been made:
    /// [`Criteria::max_evaluations`].
    pub fn max_evaluations(self, max_evaluations: usize) -> Self {
        self.criterion(|c| c.max_evaluations = Some(max_evaluations))
    }

    /// Stops once `max_gradient_evaluations` gradient evaluations have been made:
    /// [`Criteria::max_gradient_evaluations`].
    pub fn max_gradient_evaluations(self, max_gradient_evaluations: usize) -> Self {
        self.criterion(|c| c.max_gradient_evaluations = Some(max_gradient_evaluations))
    }

    /// Stops once `max_time` of wall time has passed: [`Criteria::max_time`].
    pub fn max_time(self, max_time: Duration) -> Self {
        self.criterion(|c| c.max_time = Some(max_time))
    }

    /// Stops a minibatch run after `epochs` passes over the data: [`Criteria::max_epochs`].
    ///
    /// The iteration budget applies as well (10 000 steps unless set): an epoch of `N` examples
    /// in batches of `B` is `⌈N/B⌉` steps, so raise [`max_iterations`](Minimizer::max_iterations)
    /// for long runs.
    pub fn max_epochs(self, epochs: usize) -> Self {
        self.criterion(|c| c.max_epochs = Some(epochs))
    }

    /// Stops as diverged when `f(x) - f(x0) > factor · max(1, |f(x0)|)`:
    /// [`Criteria::divergence_factor`].
    pub fn divergence_factor(self, factor: F) -> Self {
        self.criterion(|c| c.divergence_factor = factor)
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
    /// iteration in [`Report::history`] (off by default). Recording allocates as the history
    /// grows.
    ///
    /// Independent of [`record_iterates`](Minimizer::record_iterates): a history is kept when
    /// either is on, and the records hold the iterates when `record_iterates` is on.
    pub fn record_history(mut self, on: bool) -> Self {
        self.record_history = on;
        self
    }

    /// Records the iterates `x_k` in the history too (for trajectories), which costs `n` values
    /// per iteration (off by default). On, it keeps a history even without
    /// [`record_history`](Minimizer::record_history); off, it drops the iterates only, and the
    /// history stays as `record_history` sets it.
    pub fn record_iterates(mut self, on: bool) -> Self {
        self.record_iterates = on;
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
    /// [`Error::InvalidParameter`] for a bad step size (checked once for a constant one, at every
    /// iteration for a schedule's) or criterion; [`Error::Incompatible`] for a line search with a
    /// rule that has no search direction, or with a projection.
    pub fn minimize<Obj: Objective<F> + ?Sized>(
        &mut self,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<Report<F>> {
        self.run(&mut Full::new(objective), x0)
    }

    /// Runs the loop on minibatches of the finite sum `problem`, as set by
    /// [`minibatch`](Minimizer::minibatch) (default: batches of 32 drawn by shuffling once per
    /// epoch, seed 0).
    ///
    /// Every rule becomes its stochastic version: it steps on minibatch gradients (or on SVRG's
    /// variance-reduced estimates). Criteria on the stationarity measure and the target value are
    /// checked only against the full loss and gradient, computed every
    /// [`Minibatch::full_check_every`] epochs when that is set; the change criteria do not apply to
    /// stochastic runs. The budgets apply as usual, with [`Criteria::max_epochs`] besides. The
    /// report's `f` and stationarity measure are those of the full sum at the final `x` (one extra
    /// pass); [`Report::sampling`] gives epochs and per-example gradient counts.
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
}
