//! The one shared iteration loop: [`Minimizer`].
//!
//! Every update rule runs through the same loop, which owns everything that is the same for all
//! of them: evaluation, the step-size strategy, the proximal map of a non-smooth penalty or the
//! projection onto a constraint set, observers, convergence criteria, budgets, and the report.
//! One iteration is
//!
//! ```text
//! observe(x_k) → converged or out of budget? → step size γ_k → x_{k+1} = rule(x_k, ∇f(x_k), γ_k)
//!             → x_{k+1} = prox_{γ_k h}(x_{k+1}) (if any) → evaluate f(x_{k+1}), ∇f(x_{k+1})
//!             → finite? diverged?
//! ```
//!
//! # Composite objectives: proximal methods
//!
//! With a penalty `h` ([`Minimizer::prox`], any [`Prox`]: the lasso's `λ|x|₁`, the elastic
//! net, group lasso, or the indicator of a set through [`Minimizer::projection`]) the loop
//! minimises `f + h`, and the step of every rule becomes a proximal step,
//! `x_{k+1} = prox_{γ_k h}(rule(x_k, ∇f(x_k), γ_k))`. With [`GradientDescent`](crate::GradientDescent)
//! this is the proximal gradient method (ISTA):
//!
//! ```text
//! x_{k+1} = prox_{γh}(x_k - γ ∇f(x_k))
//! ```
//!
//! with a constant step `γ <= 1/L`, or with the backtracking of Beck and Teboulle on the smooth
//! part ([`Minimizer::prox_backtracking`]); [`Minimizer::accelerate`] makes it FISTA, with the
//! adaptive restarts of O'Donoghue and Candès ([`Restart`]); over the minibatches of a finite
//! sum ([`Minimizer::minimize_finite_sum`]) it is proximal SGD, and with
//! [`Estimator::Svrg`] Prox-SVRG (Xiao & Zhang, 2014). The values the loop reports and judges
//! are those of `f + h`, the stationarity measure is the norm of the proximal gradient mapping,
//! and the report gives the support of the solution ([`Report::support`]).
//!
//! Once a run has started nothing is allocated (unless a history is recorded) and `x` is never
//! cloned: the loop keeps two preallocated iterate buffers, the current one and the previous one,
//! so that a step into NaN or infinity can be undone and the last finite iterate reported. A
//! rule's step overwrites `x` in place, so the previous iterate is copied into its buffer before
//! it (one copy of `n` values); a line search writes its trial points from scratch, so there the
//! two buffers are swapped instead. The best iterate is kept in a third buffer, allocated when
//! the run starts, into which an iterate is copied at most once per improvement (see
//! [`Report::best`]).
//!
//! # Training runs
//!
//! A minibatch run is bounded by its epochs ([`Minimizer::max_epochs`]); it can evaluate a
//! validation loss every epoch and stop early when that loss stops improving
//! ([`Minimizer::validation`], [`Minimizer::early_stopping`]), keeps the best iterate
//! ([`Report::best`]), shows observers the epoch and its mean loss ([`IterationState`]), and
//! goes on where it stopped ([`Minimizer::resume_finite_sum`], [`RunState`]):
//!
//! ```
//! use gradus::prelude::*;
//! use gradus::problems::{Dataset, LogisticRegression};
//! use ndarray::{Array1, s};
//!
//! // 400 examples to train on, 100 held out.
//! let data = Dataset::<f64>::classification(500, 5, 1)?;
//! let part = |rows: std::ops::Range<usize>| {
//!     let features = data.features.slice(s![rows.clone(), ..]).to_owned();
//!     LogisticRegression::new(Dataset::new(features, data.targets.slice(s![rows]).to_owned())?, 1e-3)
//! };
//! let (train, held_out) = (part(0..400)?, part(400..500)?);
//!
//! let mut m = Minimizer::new(Adam::default())
//!     .lr(0.05)
//!     .minibatch(Minibatch { batch_size: 40, seed: 7, ..Minibatch::default() })
//!     .max_epochs(5)
//!     .validation(1, |x| held_out.value(x)) // every epoch
//!     .early_stopping(3, 1e-4)
//!     .observer(|s| {
//!         if let (Some(epoch), Some(loss)) = (s.epoch, s.epoch_mean_loss) {
//!             assert!(epoch >= 1 && loss.is_finite());
//!         }
//!         Control::Continue
//!     });
//! let first = m.minimize_finite_sum(&train, Array1::zeros(5).view())?;
//! assert_eq!(first.termination, Termination::MaxEpochs);
//! // Up to 30 epochs, from where the first five stopped: the sampler, Adam's moments, the
//! // best iterate and the patience count go on. The validation loss stops improving first.
//! let more = m.max_epochs(30).resume_finite_sum(&train)?;
//! assert_eq!(more.termination, Termination::EarlyStopped);
//! assert!(more.sampling.unwrap().epochs < 30);
//! assert!(more.best.unwrap().value <= first.best.unwrap().value);
//! # Ok::<(), gradus::Error>(())
//! ```

mod criteria;
mod observer;
mod oracle;
mod proximal;
mod report;
mod run;
mod run_state;
mod saddle;
mod step_size;
mod stochastic;
mod termination;
mod tracking;

use std::time::Duration;

use ndarray::ArrayView1;

pub use criteria::Criteria;
pub use observer::{Control, IterationState, Observer, Progress};
pub use proximal::{ProxBacktracking, Restart};
pub use report::{Best, History, LastIterate, Record, Report, SamplingReport};
pub use run_state::RunState;
pub use saddle::{EscapeMethod, SaddleEscape};
pub use step_size::{PolyakStep, StepSize};
pub use stochastic::{Estimator, Minibatch, Sampling};
pub use termination::Termination;

use crate::Real;
use crate::clip::Clip;
use crate::constraints::Projection;
use crate::curvature::{CurvatureConfig, certify};
use crate::error::{Error, Result};
use crate::finite_sum::FiniteSum;
use crate::line_search::LineSearch;
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::prox::{Indicator, Prox};
use crate::schedule::Schedule;
use oracle::{Evaluations, Full, Oracle};
use run::Start;
use run_state::nothing_to_resume;
use stochastic::{Sampled, SamplerState};

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
///
/// # Rules with an evaluation point (schedule-free)
///
/// The schedule-free rules ([`ScheduleFreeSgd`](crate::ScheduleFreeSgd),
/// [`ScheduleFreeAdamW`](crate::ScheduleFreeAdamW)) take gradients at a point `y` and have their
/// guarantee at another, the average `x` of their base sequence, which they write from `y` and
/// their state ([`Optimizer::evaluation_point`]). [`Asgd`](crate::Asgd) has such a point too, its
/// running average of the iterates (PyTorch's `ax`), and goes through the same steps. The loop
/// holds `y`:
///
/// - **Every iteration** evaluates `f(y)` and `∇f(y)` (a minibatch estimate in a minibatch run),
///   as for any rule. The stationarity criteria, the divergence check, observers
///   ([`IterationState`]), the history ([`Record`]) and the best iterate ([`Report::best`]) see
///   the gradient points `y_k`.
/// - **The criteria on `f`** (a [target](Minimizer::target), a change of `f`) judge `f` at the
///   evaluation point `x_k`, the point the report returns: in a full-batch run without a
///   penalty, a set or an acceleration, each iteration then evaluates `f(x_k)` once more (a
///   function evaluation, no gradient, counted), into a buffer allocated once per run. Without
///   such a criterion nothing is evaluated there before the end.
/// - **At the end of the run** the loop writes the evaluation point `x` of the final `y`, and
///   evaluates `f` and `∇f` there once: the report's [`x`](Report::x), [`f`](Report::f) and
///   [`stationarity`](Report::stationarity) are those of `x`. In a full-batch run that is one
///   function and one gradient evaluation more, counted in the report (and in the counts a
///   resumed run goes on with); in a minibatch run, the full sum at `x` takes the place of the
///   full sum at `y`. The [run state](Minimizer::run_state) keeps `y`, which a resumed run goes
///   on from.
/// - **The last iterate** `y`, with `f(y)` and its stationarity measure, is in
///   [`Report::last_iterate`] beside it (in a minibatch run, the full sum at `y`: one pass over
///   the data more).
/// - **Otherwise** the report is that of the last iterate `y`, as for any rule: when a value
///   that is not finite or a state overflow stopped the run (the last finite iterate), when
///   `f` or its gradient is not finite at `x`, and in runs with a penalty, a set or an
///   acceleration, where the loop moves `y` by more than the rule's step and the rule's average
///   does not follow.
///
/// Iterate averaging ([`Averaged`](crate::Averaged): Polyak-Ruppert, EMA, SWA around any rule)
/// is such a rule, whose evaluation point is the running average of the iterates: the loop's
/// averaging option is `Minimizer::new(Averaged::new(rule, averaging)?)`.
///
/// Whether the rule has an evaluation point is asked once per run: other rules pay nothing, and
/// the iterations allocate nothing either way.
///
/// ```
/// use gradus::prelude::*;
/// use gradus::problems::Quadratic;
/// use ndarray::Array1;
///
/// let q = Quadratic::<f64>::log_spaced(10, 0.1, 1.0)?;
/// let mut m = Minimizer::new(ScheduleFreeSgd::default()).lr(0.5).max_iterations(500);
/// let report = m.minimize(&q, Array1::zeros(10).view())?;
/// // The report is at the evaluation point of the last iterate, which the run state keeps.
/// let y = m.run_state().unwrap().x();
/// let mut x = Array1::zeros(10);
/// assert!(m.optimizer().evaluation_point(y, x.view_mut())?);
/// assert_eq!(report.x, x);
/// assert_eq!(report.f, q.value(x.view()));
/// assert_eq!(report.function_evaluations, report.iterations + 2); // x_0, the y_k, and x
/// # Ok::<(), gradus::Error>(())
/// ```
pub struct Minimizer<'a, F: Real, O: Optimizer<F>> {
    optimizer: O,
    step_size: StepSize<'a, F>,
    criteria: Criteria<F>,
    observers: Vec<Box<dyn Observer<F> + 'a>>,
    /// The penalty `h` of a composite objective `f + h` (a set's indicator for a projection).
    prox: Option<Box<dyn Prox<F> + 'a>>,
    /// FISTA's extrapolation, and its restart rule.
    acceleration: Option<Restart>,
    record_history: bool,
    record_iterates: bool,
    clip: Option<Clip<F>>,
    minibatch: Minibatch,
    validation: Option<Validation<'a, F>>,
    early_stopping: Option<EarlyStopping<F>>,
    warm_start: bool,
    /// The settings of the second-order certificate of the final iterate, when asked for.
    second_order: Option<CurvatureConfig<F>>,
    /// Whether and how to leave saddle points where the gradient criterion is met.
    saddle_escape: Option<SaddleEscape<F>>,
    /// The state of the last run, for [`Minimizer::resume`].
    run_state: Option<RunState<F>>,
}

/// A validation loss `x ↦ loss(x)`.
type ValidationLoss<'a, F> = Box<dyn FnMut(ArrayView1<'_, F>) -> F + 'a>;

/// A validation loss and how often it is evaluated.
struct Validation<'a, F> {
    /// Iterations of a full-batch run, epochs of a minibatch run.
    every: usize,
    loss: ValidationLoss<'a, F>,
}

/// The settings of early stopping.
struct EarlyStopping<F> {
    patience: usize,
    min_delta: F,
}

impl<'a, F: Real, O: Optimizer<F>> Minimizer<'a, F, O> {
    /// A loop driving `optimizer` with its own step size and the default [`Criteria`].
    pub fn new(optimizer: O) -> Self {
        Minimizer {
            optimizer,
            step_size: StepSize::RuleDefault,
            criteria: Criteria::default(),
            observers: Vec::new(),
            prox: None,
            acceleration: None,
            record_history: false,
            record_iterates: false,
            clip: None,
            minibatch: Minibatch::default(),
            validation: None,
            early_stopping: None,
            second_order: None,
            saddle_escape: None,
            warm_start: false,
            run_state: None,
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
    /// assert_eq!(m.criteria().max_iterations, None); // replaced by the default
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
    ///
    /// Without it, a run that no other budget bounds stops after
    /// [`Criteria::DEFAULT_MAX_ITERATIONS`] steps; one with an epoch, evaluation or time budget
    /// runs until that budget is spent. In a resumed run, the steps are counted from the start
    /// of the run it continues.
    pub fn max_iterations(self, max_iterations: usize) -> Self {
        self.criterion(|c| c.max_iterations = Some(max_iterations))
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
    /// The epochs alone bound the run (an epoch of `N` examples in batches of `B` is `⌈N/B⌉`
    /// steps), unless [`max_iterations`](Minimizer::max_iterations) is set too, in which case the
    /// first budget spent stops it. A full-batch run ([`minimize`](Minimizer::minimize)) has no
    /// epochs and refuses an epoch budget. In a resumed run, the epochs are counted from the
    /// start of the run it continues.
    pub fn max_epochs(self, epochs: usize) -> Self {
        self.criterion(|c| c.max_epochs = Some(epochs))
    }

    /// Stops as diverged when `f(x) - f(x0) > factor · max(1, |f(x0)|)`:
    /// [`Criteria::divergence_factor`].
    pub fn divergence_factor(self, factor: F) -> Self {
        self.criterion(|c| c.divergence_factor = factor)
    }

    /// Adds a closure as an observer, called at every iteration (in the order observers were
    /// added) with the [`IterationState`]; it needs no type annotation:
    /// `.observer(|s| { println!("{} {}", s.iteration, s.f); Control::Continue })`.
    pub fn observer(self, observer: impl FnMut(&IterationState<'_, F>) -> Control + 'a) -> Self {
        self.observe_with(observer)
    }

    /// Adds an observer of any type implementing [`Observer`] (as [`Progress`] does), called at
    /// every iteration in the order observers were added.
    pub fn observe_with(mut self, observer: impl Observer<F> + 'a) -> Self {
        self.observers.push(Box::new(observer));
        self
    }

    /// Prints progress to standard error every `every` iterations.
    pub fn progress(self, every: usize) -> Self {
        self.observe_with(Progress::every(every))
    }

    /// Evaluates `loss(x)`, a loss on held-out data, at the starting point and then every
    /// `every` iterations of a full-batch run, or every `every` epochs of a minibatch run (a
    /// full-batch iteration is one pass over the data, as an epoch is): at the iterate reached
    /// when that many have been completed (`every` is checked when the run starts: at least 1).
    ///
    /// The validation loss chooses the best iterate ([`Report::best`]), is shown to observers
    /// ([`IterationState::validation_loss`]) and drives [early
    /// stopping](Minimizer::early_stopping). A NaN loss is never an improvement.
    pub fn validation(
        mut self,
        every: usize,
        loss: impl FnMut(ArrayView1<'_, F>) -> F + 'a,
    ) -> Self {
        self.validation = Some(Validation {
            every,
            loss: Box::new(loss),
        });
        self
    }

    /// Stops the run with [`Termination::EarlyStopped`] once the validation loss has gone
    /// `patience` evaluations in a row without improving on its reference by more than
    /// `min_delta`, as Keras' `EarlyStopping(patience, min_delta)` and PyTorch Lightning's do.
    ///
    /// The reference is the last validation loss that improved on the reference before it
    /// (`+∞` at first): a loss `v` improves when `v < reference - min_delta`, and then becomes
    /// the reference. The check is made with the convergence criteria, at every iteration, so
    /// the run stops at the iterate of the `patience`-th evaluation without improvement. The
    /// best iterate ([`Report::best`]) is the one with the lowest validation loss, improvement
    /// by `min_delta` or not.
    ///
    /// Needs a [`validation`](Minimizer::validation) loss; `patience` must be at least 1 and
    /// `min_delta` finite and `>= 0` (all checked when the run starts).
    pub fn early_stopping(mut self, patience: usize, min_delta: F) -> Self {
        self.early_stopping = Some(EarlyStopping {
            patience,
            min_delta,
        });
        self
    }

    /// Lets [`minimize`](Minimizer::minimize) and
    /// [`minimize_finite_sum`](Minimizer::minimize_finite_sum) keep the rule's state (moments,
    /// step count, L-BFGS pairs) instead of resetting it: a new run from a new `x0`, warm-started
    /// with what the rule learned before (off by default). The schedule and the line search are
    /// still reset, since they follow the new run's iterations. To go on with the same run
    /// instead, use [`resume`](Minimizer::resume).
    pub fn warm_start(mut self, on: bool) -> Self {
        self.warm_start = on;
        self
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
    ///
    /// A projection is the prox of the set's indicator: this is
    /// [`prox`](Minimizer::prox)`(`[`Indicator`]`(set))`, and replaces a penalty set before.
    pub fn projection(self, set: impl Projection<F> + 'a) -> Self {
        self.prox(Indicator(set))
    }

    /// Minimises the composite objective `f + h` with the penalty `h` (replacing a penalty or a
    /// projection set before): every step of the rule is followed by the proximal map,
    ///
    /// ```text
    /// x_{k+1} = prox_{γ_k h}( rule(x_k, ∇f(x_k), γ_k) ) ,
    /// ```
    ///
    /// so that [`GradientDescent`](crate::GradientDescent) is the proximal gradient method
    /// (ISTA; Beck & Teboulle, 2009): for convex `f` with an `L`-Lipschitz gradient and
    /// `γ <= 1/L`, `F(x_k) - F* <= |x_0 - x*|² / (2γk)` with `F = f + h`. The starting point is
    /// moved into the domain of `h` ([`Prox::enter_domain`]: projected onto a set, clipped at 0
    /// for [`NonNegativeL1`](crate::prox::NonNegativeL1), unchanged for a penalty finite
    /// everywhere).
    ///
    /// The loop then works with `F = f + h`: the report's and the records' `f`, the target, the
    /// `f`-change criteria, divergence and the best iterate are those of `F` (the report keeps
    /// `h` apart in [`Report::penalty`], and the support in [`Report::support`]), and the
    /// stationarity measure is the norm of the proximal gradient mapping
    ///
    /// ```text
    /// G_γ(x) = (x - prox_{γh}(x - γ∇f(x))) / γ ,
    /// ```
    ///
    /// which is `0` exactly at the minimisers of `F` (`γ` as for
    /// [`projection`](Minimizer::projection); for [`prox_backtracking`](Minimizer::prox_backtracking)
    /// the step the backtracking has reached). For rules whose step is not `x - γ∇f` (momentum,
    /// Adam, ...) the prox is applied with the loop's `γ_k` all the same, a heuristic.
    ///
    /// ```
    /// use gradus::prelude::*;
    /// use gradus::problems::{Dataset, LeastSquares, TestFunction};
    /// use gradus::prox::{L1Norm, duality_gap};
    /// use ndarray::Array1;
    ///
    /// // The lasso: 1/(2N) |Xw - y|² + λ|w|₁, solved by ISTA to a duality gap below 1e-10.
    /// let data = Dataset::<f64>::linear_regression(100, 8, 10.0, 0.5, 1)?;
    /// let f = LeastSquares::new(data.clone())?;
    /// let report = Minimizer::new(GradientDescent::default())
    ///     .lr(1.0 / f.smoothness().unwrap())
    ///     .prox(L1Norm::new(0.3)?)
    ///     .gradient_tolerance(1e-11)
    ///     .max_iterations(100_000)
    ///     .minimize(&f, Array1::zeros(8).view())?;
    /// assert!(report.converged());
    /// assert!(duality_gap(&data, 0.3, 0.0, report.x.view())?.gap < 1e-10);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn prox(mut self, h: impl Prox<F> + 'a) -> Self {
        self.set_prox(h);
        self
    }

    /// Replaces the penalty (or projection set) of the next runs by `h`, in place: what a
    /// [regularization path](crate::solvers::regularization_path) does between the values of `λ`.
    pub fn set_prox(&mut self, h: impl Prox<F> + 'a) {
        self.prox = Some(Box::new(h));
    }

    /// Removes the penalty or projection set: the next runs minimise `f` alone.
    pub fn clear_prox(&mut self) {
        self.prox = None;
    }

    /// Accelerates the loop's proximal step by Nesterov's extrapolation, as FISTA (Beck &
    /// Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear inverse
    /// problems", SIAM J. Imaging Sciences 2, 2009), with the adaptive `restart` of O'Donoghue
    /// and Candès (2015):
    ///
    /// ```text
    /// t_1 = 1,  y_1 = x_0
    /// x_k     = prox_{γh}( rule(y_k, ∇f(y_k), γ) )        (GradientDescent: y_k - γ∇f(y_k))
    /// t_{k+1} = (1 + √(1 + 4 t_k²)) / 2
    /// y_{k+1} = x_k + ((t_k - 1) / t_{k+1}) (x_k - x_{k-1})
    /// ```
    ///
    /// For convex `f` with an `L`-Lipschitz gradient and `γ <= 1/L`,
    /// `F(x_k) - F* <= 2 |x_0 - x*|² / (γ (k + 1)²)`: `O(1/k²)` where ISTA has `O(1/k)`.
    /// A restart sets `t_{k+1} = 1`, so that the next step has no momentum ([`Restart`]).
    ///
    /// The loop's iterate is `x_k`, the sparse point the bounds are about; the gradient is
    /// evaluated at `y_k` (one gradient per iteration, as in FISTA), and `F(x_k)` is evaluated
    /// for the report and the criteria (one value more). The stationarity measure is then the
    /// proximal gradient mapping at `y_k`, `|y_k - x_{k+1}| / γ`, which FISTA's iteration
    /// computes for free and which is `0` exactly when `y_k` minimises `F`; observers see
    /// `∇f(y_k)` as the gradient. Works with a constant step, a schedule, or
    /// [`prox_backtracking`](Minimizer::prox_backtracking) (FISTA with backtracking), in
    /// full-batch runs; not with a line search, gradient clipping or minibatches (refused when
    /// the run starts).
    ///
    /// ```
    /// use gradus::prelude::*;
    /// use gradus::minimize::Restart;
    /// use gradus::problems::{Dataset, LeastSquares, TestFunction};
    /// use gradus::prox::L1Norm;
    /// use ndarray::Array1;
    ///
    /// let data = Dataset::<f64>::linear_regression(200, 20, 1e3, 0.1, 2)?;
    /// let f = LeastSquares::new(data)?;
    /// let lr = 1.0 / f.smoothness().unwrap();
    /// let mut run = |m: Minimizer<'_, f64, GradientDescent<f64>>| {
    ///     m.lr(lr).prox(L1Norm::new(1e-3).unwrap()).gradient_tolerance(1e-8)
    ///         .max_iterations(200_000).minimize(&f, Array1::zeros(20).view()).unwrap()
    /// };
    /// let ista = run(Minimizer::new(GradientDescent::default()));
    /// let fista = run(Minimizer::new(GradientDescent::default()).accelerate(Restart::Gradient));
    /// assert!(ista.converged() && fista.converged());
    /// assert!(fista.iterations * 5 < ista.iterations);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn accelerate(mut self, restart: Restart) -> Self {
        self.acceleration = Some(restart);
        self
    }

    /// Certifies the final iterate of every full-batch run ([`minimize`](Minimizer::minimize),
    /// [`resume`](Minimizer::resume)) by its curvature: the report's
    /// [`second_order`](Report::second_order) then says whether the loop stopped at a strict
    /// minimum, at a saddle point (with a direction of negative curvature to leave it along) or
    /// at neither, at the cost of one gradient and one Hessian-vector product per Lanczos step
    /// (see [`curvature::certify`](crate::curvature::certify)).
    ///
    /// ```
    /// use gradus::curvature::{CurvatureConfig, PointKind};
    /// use gradus::prelude::*;
    /// use ndarray::{ArrayView1, ArrayViewMut1, array};
    ///
    /// // f(x, y) = x² - y² + y⁴/4 from a start on the line y = 0: gradient descent converges to
    /// // the saddle at the origin, and the certificate says so.
    /// let f = FnObjective::new(
    ///     2,
    ///     |v: ArrayView1<f64>| v[0] * v[0] - v[1] * v[1] + v[1].powi(4) / 4.0,
    ///     |v: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
    ///         g[0] = 2.0 * v[0];
    ///         g[1] = -2.0 * v[1] + v[1].powi(3);
    ///     },
    /// );
    /// let report = Minimizer::new(GradientDescent::default())
    ///     .lr(0.1)
    ///     .gradient_tolerance(1e-8)
    ///     .certify_second_order(CurvatureConfig::default())
    ///     .minimize(&f, array![1.0, 0.0].view())?;
    /// assert!(report.converged());
    /// let certificate = report.second_order.unwrap();
    /// assert!(matches!(certificate.kind, PointKind::Saddle { .. }));
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn certify_second_order(mut self, config: CurvatureConfig<F>) -> Self {
        self.second_order = Some(config);
        self
    }

    /// Leaves saddle points: where the gradient criterion would stop the run, the point is
    /// certified by its curvature ([`curvature::certify`](crate::curvature::certify)); at a
    /// saddle the run steps along the direction of negative curvature, to the first length that
    /// lowers `f` (see [`SaddleEscape`]), and goes on; at a minimum, or a point the certificate
    /// cannot decide, it stops as it would have. At most `max_escapes` escapes per run; each
    /// counts as an iteration, and the certificate's gradient evaluations are counted in the
    /// run's. For full-batch runs without a projection, a penalty or acceleration.
    ///
    /// ```
    /// use gradus::minimize::SaddleEscape;
    /// use gradus::prelude::*;
    /// use ndarray::{ArrayView1, ArrayViewMut1, array};
    ///
    /// // f(x, y) = x² - y² + y⁴/4: from (1, 0) gradient descent stays on y = 0 and stops at the
    /// // saddle (0, 0); escaping, it goes on to a minimum (0, ±√2).
    /// let f = FnObjective::new(
    ///     2,
    ///     |v: ArrayView1<f64>| v[0] * v[0] - v[1] * v[1] + v[1].powi(4) / 4.0,
    ///     |v: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
    ///         g[0] = 2.0 * v[0];
    ///         g[1] = -2.0 * v[1] + v[1].powi(3);
    ///     },
    /// );
    /// let report = Minimizer::new(GradientDescent::default())
    ///     .lr(0.1)
    ///     .gradient_tolerance(1e-8)
    ///     .escape_saddles(SaddleEscape::default())
    ///     .minimize(&f, array![1.0, 0.0].view())?;
    /// assert_eq!(report.saddle_escapes, 1);
    /// assert!((report.x[1].abs() - 2f64.sqrt()).abs() < 1e-6);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn escape_saddles(mut self, escape: SaddleEscape<F>) -> Self {
        self.saddle_escape = Some(escape);
        self
    }

    /// Adds the second-order certificate to the report of a full-batch run that asked for one.
    fn with_certificate<Obj: Objective<F> + ?Sized>(
        &self,
        objective: &Obj,
        result: Result<Report<F>>,
    ) -> Result<Report<F>> {
        let mut report = result?;
        if let Some(config) = &self.second_order {
            report.second_order = certify(objective, report.x.view(), config).ok();
        }
        Ok(report)
    }

    /// Chooses the step of every iteration by the backtracking of Beck and Teboulle (2009) on
    /// the smooth part: see [`ProxBacktracking`]. Needs a rule with a search direction
    /// ([`GradientDescent`](crate::GradientDescent): ISTA, or FISTA with
    /// [`accelerate`](Minimizer::accelerate)) and exact values (full-batch runs).
    pub fn prox_backtracking(self, backtracking: ProxBacktracking<F>) -> Self {
        self.step_size(StepSize::ProxBacktracking(backtracking))
    }

    /// Chooses the step of every iteration by Polyak's rule from the optimal value (or a lower
    /// bound on it): see [`PolyakStep`]. For full-batch runs without a projection, a penalty or
    /// acceleration.
    ///
    /// ```
    /// use gradus::prelude::*;
    /// use gradus::minimize::PolyakStep;
    /// use gradus::problems::{Quadratic, TestFunction};
    /// use ndarray::Array1;
    ///
    /// // A quadratic of condition number 100, with its minimum known but not its L.
    /// let q = Quadratic::<f64>::log_spaced(20, 1.0, 100.0)?;
    /// let report = Minimizer::new(GradientDescent::default())
    ///     .polyak(PolyakStep::new(q.minimum()))
    ///     .gradient_tolerance(1e-8)
    ///     .max_iterations(10_000)
    ///     .minimize(&q, Array1::from_elem(20, 1.0).view())?;
    /// assert!(report.converged());
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn polyak(self, polyak: PolyakStep<F>) -> Self {
        self.step_size(StepSize::Polyak(polyak))
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

    /// The state where the last run stopped (see [`RunState`]), if there was a run.
    pub fn run_state(&self) -> Option<&RunState<F>> {
        self.run_state.as_ref()
    }

    /// Takes the state of the last run out of the `Minimizer` (to keep or save it; the
    /// `Minimizer` then has none to resume).
    pub fn take_run_state(&mut self) -> Option<RunState<F>> {
        self.run_state.take()
    }

    /// Puts in a state to [`resume`](Minimizer::resume) from, in place of the last run's (a
    /// state taken from this or another `Minimizer`, or loaded from disk). Whether it fits the
    /// objective and the settings is checked when the run resumes.
    pub fn set_run_state(&mut self, state: RunState<F>) {
        self.run_state = Some(state);
    }

    /// Runs the loop from `x0` until a criterion holds or a budget runs out.
    ///
    /// The rule (unless [`warm_start`](Minimizer::warm_start) is on), the schedule and the line
    /// search are reset at the start, so a `Minimizer` can be run many times; to go on from where
    /// the last run stopped, use [`resume`](Minimizer::resume). Stopping on a budget, a
    /// non-finite value or divergence is reported in [`Report::termination`], not as an error.
    /// The state where the run stopped is kept for [`resume`](Minimizer::resume) (see
    /// [`run_state`](Minimizer::run_state)).
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty `x0`; [`Error::DimensionMismatch`] if `x0`, the objective and
    /// the projection set disagree on the dimension; [`Error::NonFinite`] for a non-finite `x0`;
    /// [`Error::InvalidParameter`] for a bad step size (checked once for a constant one, at every
    /// iteration for a schedule's) or criterion; [`Error::Incompatible`] for a line search or a
    /// [backtracking](Minimizer::prox_backtracking) with a rule that has no search direction, a
    /// line search with a projection or a penalty, an [acceleration](Minimizer::accelerate) with
    /// a line search or gradient clipping, for an epoch budget, and for early stopping without a
    /// validation loss; [`Error::InvalidCount`] for a validation
    /// period or a patience of 0. An error met during the run (a schedule's step size out of
    /// its domain) keeps the state where it stopped, to resume from.
    pub fn minimize<Obj: Objective<F> + ?Sized>(
        &mut self,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<Report<F>> {
        let mut oracle = Full::new(objective, Evaluations::default(), self.values_alone());
        let (state, result) = self.run(&mut oracle, Start::Fresh(x0));
        self.keep_full(state, oracle.evals);
        self.with_certificate(objective, result)
    }

    /// Goes on with the last run (or the state put in by
    /// [`set_run_state`](Minimizer::set_run_state)) on `objective`, from where it stopped: the
    /// rule, the schedule and the line search are not reset, nothing is evaluated anew, and the
    /// iteration and evaluation counts go on, so that a run of `N` iterations resumed up to
    /// `N + M` gives the same bits as one run of `N + M`. The criteria and budgets are those
    /// set now, counted from the start of the first run (raise
    /// [`max_iterations`](Minimizer::max_iterations) to go further); a relative tolerance and
    /// the divergence level stay relative to the first run's starting point.
    ///
    /// Settings may change between the runs (a lower step size after a divergence, a tighter
    /// tolerance); if the best iterate is judged by another measure than before (a validation
    /// loss added), it is judged afresh from here.
    ///
    /// # Errors
    /// [`Error::Incompatible`] if there is no state to resume or it is a minibatch run's;
    /// [`Error::DimensionMismatch`] if the state does not have `objective.dim()` variables (or
    /// its buffers disagree); the errors of the settings, as for
    /// [`minimize`](Minimizer::minimize). A refused resume keeps the state.
    pub fn resume<Obj: Objective<F> + ?Sized>(&mut self, objective: &Obj) -> Result<Report<F>> {
        let kept = self.run_state.as_ref().ok_or_else(nothing_to_resume)?;
        kept.check_kind(false)?;
        let Some(RunState {
            state, evaluations, ..
        }) = self.run_state.take()
        else {
            return Err(nothing_to_resume());
        };
        let mut oracle = Full::new(objective, evaluations, self.values_alone());
        let (state, result) = self.run(&mut oracle, Start::Resume(Box::new(state)));
        self.keep_full(state, oracle.evals);
        self.with_certificate(objective, result)
    }

    /// `true` if the run evaluates `f` without its gradient (a line search, the backtracking of
    /// a proximal step, FISTA's values at `x_k`).
    fn values_alone(&self) -> bool {
        self.acceleration.is_some()
            || matches!(
                self.step_size,
                StepSize::LineSearch(_) | StepSize::ProxBacktracking(_)
            )
    }

    /// Keeps the state of a full-batch run, when there is one.
    fn keep_full(&mut self, state: Option<run::State<F>>, evaluations: Evaluations) {
        if let Some(state) = state {
            self.run_state = Some(RunState {
                state,
                evaluations,
                sampler: None,
            });
        }
    }

    /// Runs the loop on minibatches of the finite sum `problem`, as set by
    /// [`minibatch`](Minimizer::minibatch) (default: batches of 32 drawn by shuffling once per
    /// epoch, seed 0).
    ///
    /// Every rule becomes its stochastic version: it steps on minibatch gradients (or on SVRG's
    /// or SAGA's variance-reduced estimates). Criteria on the stationarity measure and the target
    /// value are checked only against the full loss and gradient, computed every
    /// [`Minibatch::full_check_every`] epochs, and refused without full checks; the `f`-change
    /// criteria are refused (see [`Criteria`](Criteria#minibatch-runs)). The budgets apply as
    /// usual, with [`Criteria::max_epochs`] besides, which alone bounds the run. The report's `f`
    /// and stationarity measure are those of the full sum at the final `x` (one extra pass);
    /// [`Report::sampling`] gives epochs and per-example gradient counts.
    ///
    /// With a [penalty](Minimizer::prox) this is proximal SGD, `x ← prox_{γh}(x - γ ∇f_B(x))`, and
    /// with [`Estimator::Svrg`] Prox-SVRG (Xiao & Zhang, "A proximal stochastic gradient method
    /// with progressive variance reduction", SIAM J. Optim. 24, 2014), which converges
    /// linearly for strongly convex `f` with a constant step (their analysis takes the snapshot
    /// as the mean of the inner iterates; the loop takes the last one, their practical
    /// variant).
    ///
    /// # Errors
    /// As [`minimize`](Minimizer::minimize), and [`Error::InvalidParameter`] for a batch size of
    /// 0 or larger than the number of examples, [`Error::Empty`] for a sum of no examples,
    /// [`Error::Incompatible`] for a line search, a backtracking or an acceleration, and for a
    /// criterion that the run cannot test.
    pub fn minimize_finite_sum<P: FiniteSum<F> + ?Sized>(
        &mut self,
        problem: &P,
        x0: ArrayView1<'_, F>,
    ) -> Result<Report<F>> {
        self.refuse_line_search()?;
        let sampler = SamplerState::new(problem, &self.minibatch)?;
        self.run_sampled(problem, sampler, Start::Fresh(x0))
    }

    /// Goes on with the last minibatch run (or the state put in by
    /// [`set_run_state`](Minimizer::set_run_state)) over `problem`, from where it stopped, as
    /// [`resume`](Minimizer::resume) does for a full-batch run: the sampler goes on with its
    /// generator, its permutation and its place in the epoch, SVRG with its snapshot and SAGA
    /// with its table, so that `N` iterations resumed up to `N + M` give the same bits as one
    /// run of `N + M`. The epoch budget counts from the first run's start.
    ///
    /// # Errors
    /// As [`resume`](Minimizer::resume) and
    /// [`minimize_finite_sum`](Minimizer::minimize_finite_sum); and
    /// [`Error::DimensionMismatch`] for a finite sum with another number of examples,
    /// [`Error::InvalidParameter`] for another batch size, [`Error::Incompatible`] for another
    /// sampling or estimator than the state's (see [`Minibatch`]). A refused resume keeps the
    /// state.
    pub fn resume_finite_sum<P: FiniteSum<F> + ?Sized>(
        &mut self,
        problem: &P,
    ) -> Result<Report<F>> {
        self.refuse_line_search()?;
        let kept = self.run_state.as_ref().ok_or_else(nothing_to_resume)?;
        kept.check_kind(true)?;
        if let Some(sampler) = &kept.sampler {
            sampler.check_fits(problem, &self.minibatch)?;
        }
        let Some(RunState {
            state,
            sampler: Some(sampler),
            ..
        }) = self.run_state.take()
        else {
            return Err(nothing_to_resume());
        };
        self.run_sampled(problem, sampler, Start::Resume(Box::new(state)))
    }

    /// A minibatch run with `sampler`; keeps its state.
    fn run_sampled<P: FiniteSum<F> + ?Sized>(
        &mut self,
        problem: &P,
        sampler: SamplerState<F>,
        start: Start<'_, F>,
    ) -> Result<Report<F>> {
        let mut oracle = Sampled::new(problem, sampler, &self.minibatch);
        let (state, result) = self.run(&mut oracle, start);
        if let Some(state) = state {
            self.run_state = Some(RunState {
                state,
                evaluations: Evaluations::default(),
                sampler: Some(oracle.state),
            });
        }
        result
    }

    /// The error of a line search, a backtracking or an acceleration in a minibatch run.
    fn refuse_line_search(&self) -> Result<()> {
        if matches!(
            self.step_size,
            StepSize::LineSearch(_) | StepSize::ProxBacktracking(_)
        ) {
            return Err(Error::Incompatible {
                reason: "a line search needs exact function values; use a constant step size \
                         or a schedule for minibatch runs",
            });
        }
        if self.acceleration.is_some() {
            return Err(Error::Incompatible {
                reason: "accelerate (FISTA) runs on exact gradients; remove it for minibatch \
                         runs, or use an estimator with a constant step (Prox-SVRG)",
            });
        }
        Ok(())
    }
}
