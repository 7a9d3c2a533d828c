//! A benchmark harness: update rules raced on test functions on equal terms.
//!
//! A [`Contender`] is a name and a recipe that, given a problem, builds a configured
//! [`Minimizer`] (its update rule, step size or line search). [`run_race`] runs every contender
//! on every problem from the problem's standard start and from seeded random starts around it,
//! with the same stopping rule for all: success is reaching
//!
//! ```text
//! f(x) - f*  <=  tol · max(1, |f*|)
//! ```
//!
//! (an absolute tolerance for problems whose minimum is of order one or smaller, relative for
//! large minima), checked at every iteration through [`Criteria::target`], within a common budget
//! of gradient evaluations. [`performance_profile`] summarises the results as Dolan and Moré's
//! performance profiles.
//!
//! The harness works in `f64` on the problems of [`gradus::problems`] and uses only the crate's
//! public API. Its tests, in `harness/tests.rs`, run with `cargo test --example race` (and with
//! `cargo test`).
//!
//! Reference: E. D. Dolan and J. J. Moré, *Benchmarking optimization software with performance
//! profiles*, Mathematical Programming 91 (2002), 201–213.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ndarray::Array1;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use gradus::line_search::{Backtracking, StrongWolfe};
use gradus::minimize::PolyakStep;
use gradus::optim::LookaheadConfig;
use gradus::problems::{SuiteProblem, TestFunction};
use gradus::{
    AcceleratedGradient, AdaBelief, AdaGrad, Adadelta, Adafactor, Adam, Adamax, Adan, Adopt, Asgd,
    Averaged, Averaging, BarzilaiBorwein, Cocob, Criteria, DAdaptAdamW, DAdaptSgd, Dog, Dowg,
    Error, GradientDescent, Lbfgs, LineSearch, Lion, Lookahead, Minimizer, Momentum, Muon, NAdam,
    OptimisticGradientDescent, Optimizer, Prodigy, RAdam, Result, RmsProp, Rprop,
    ScheduleFreeAdamW, ScheduleFreeSgd, SignSgd, Signum, Sm3, Termination, Yogi,
};
use gradus::{Fromage, Lamb, Lars, NovoGrad};

#[cfg(test)]
mod tests;

/// A configured run of one update rule, ready for [`Minimizer::minimize`]; the race replaces its
/// criteria with the race's own.
pub type Runner = Minimizer<'static, f64, Box<dyn Optimizer<f64>>>;

/// The recipe of a contender: the runner for a problem, `Ok(None)` when the contender does not
/// apply to it (for instance a step `1/L` on a problem of unknown `L`).
type Recipe = Box<dyn Fn(&dyn TestFunction<f64>) -> Result<Option<Runner>> + Send + Sync>;

/// A runner for a rule with the given constant step size.
pub type WithLr = Arc<dyn Fn(f64) -> Result<Runner> + Send + Sync>;

/// A named way to minimise: an update rule with its hyperparameters and its step-size strategy.
pub struct Contender {
    name: String,
    recipe: Recipe,
    /// For a rule that runs with a step size: the rule's name without the step size, and its
    /// runner for any constant step size (see `tuning.rs`).
    tunable: Option<(String, WithLr)>,
    /// The rule learns its step size: it runs with the multiplier `1`, and the tuned race
    /// compares it with the tuned rules.
    learning_rate_free: bool,
}

impl fmt::Debug for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contender")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Contender {
    /// A contender from any recipe: given a problem, a configured runner, or `Ok(None)` if the
    /// contender does not apply to that problem.
    pub fn new(
        name: impl Into<String>,
        recipe: impl Fn(&dyn TestFunction<f64>) -> Result<Option<Runner>> + Send + Sync + 'static,
    ) -> Self {
        Contender {
            name: name.into(),
            recipe: Box::new(recipe),
            tunable: None,
            learning_rate_free: false,
        }
    }

    /// The rule made by `rule`, which learns its own step size, run with the loop's step size
    /// `1` (the multiplier of the learnt step, as optax's `learning_rate`) on every problem, and
    /// never tuned. Named `name`.
    pub fn learning_rate_free<O, M>(name: &str, rule: M) -> Self
    where
        O: Optimizer<f64> + 'static,
        M: Fn() -> Result<O> + Send + Sync + 'static,
    {
        let mut contender = Contender::new(name, move |_| {
            Ok(Some(Minimizer::new(boxed(rule()?)).lr(1.0)))
        });
        contender.learning_rate_free = true;
        contender
    }

    /// Whether the contender is a rule that learns its step size (see
    /// [`learning_rate_free`](Contender::learning_rate_free)).
    pub fn is_learning_rate_free(&self) -> bool {
        self.learning_rate_free
    }

    /// The contender, marked as the rule named `family` that runs with any constant step size
    /// through `rule`.
    fn tunable<O, M>(mut self, family: &str, rule: M) -> Self
    where
        O: Optimizer<f64> + 'static,
        M: Fn() -> Result<O> + Send + Sync + 'static,
    {
        let with_lr: WithLr = Arc::new(move |lr| Ok(Minimizer::new(boxed(rule()?)).lr(lr)));
        self.tunable = Some((family.to_owned(), with_lr));
        self
    }

    /// The rule `family` made by `rule` with the constant step size `lr` on every problem,
    /// named `"<family> lr=<lr>"`.
    pub fn constant<O, M>(family: &str, lr: f64, rule: M) -> Self
    where
        O: Optimizer<f64> + 'static,
        M: Fn() -> Result<O> + Clone + Send + Sync + 'static,
    {
        let make = rule.clone();
        let shown = if lr >= 0.1 {
            format!("{lr}")
        } else {
            format!("{lr:e}")
        };
        Contender::new(format!("{family} lr={shown}"), move |_| {
            Ok(Some(Minimizer::new(boxed(make()?)).lr(lr)))
        })
        .tunable(family, rule)
    }

    /// The rule made by `rule` with the constant step size `factor / L` on every problem whose
    /// smoothness constant `L` is known ([`TestFunction::smoothness`]), and not run on the
    /// others. For gradient descent on an `L`-smooth function, `1/L` is the step of the classic
    /// guarantee `f(x_k) - f* <= L |x_0 - x*|² / (2k)` (Nesterov, *Lectures on Convex
    /// Optimization*, 2018, Cor. 2.1.2).
    ///
    /// Named `"<family> 1/L"`.
    pub fn inverse_smoothness<O, M>(family: &str, factor: f64, rule: M) -> Self
    where
        O: Optimizer<f64> + 'static,
        M: Fn() -> Result<O> + Clone + Send + Sync + 'static,
    {
        let make = rule.clone();
        Contender::new(format!("{family} 1/L"), move |problem| {
            match problem.smoothness() {
                Some(l) if l.is_finite() && l > 0.0 => {
                    Ok(Some(Minimizer::new(boxed(make()?)).lr(factor / l)))
                }
                _ => Ok(None),
            }
        })
        .tunable(family, rule)
    }

    /// The rule made by `rule`, with step sizes chosen by the line search made by `search`
    /// along the rule's search direction, on every problem.
    pub fn line_search<O, M, L, S>(name: impl Into<String>, rule: M, search: S) -> Self
    where
        O: Optimizer<f64> + 'static,
        M: Fn() -> Result<O> + Send + Sync + 'static,
        L: LineSearch<f64> + 'static,
        S: Fn() -> Result<L> + Send + Sync + 'static,
    {
        Contender::new(name, move |_| {
            Ok(Some(Minimizer::new(boxed(rule()?)).line_search(search()?)))
        })
    }

    /// The contender's name, for tables and plots.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's name and its runner for any constant step size, for a rule that runs with a
    /// step size (`None` for a line search).
    pub fn tunable_rule(&self) -> Option<(&str, &WithLr)> {
        self.tunable
            .as_ref()
            .map(|(family, f)| (family.as_str(), f))
    }

    /// The configured runner for `problem`, or `None` if the contender does not apply to it.
    ///
    /// # Errors
    /// Whatever the recipe returns: typically an invalid hyperparameter.
    pub fn runner(&self, problem: &dyn TestFunction<f64>) -> Result<Option<Runner>> {
        (self.recipe)(problem)
    }
}

fn boxed<O: Optimizer<f64> + 'static>(rule: O) -> Box<dyn Optimizer<f64>> {
    Box::new(rule)
}

/// The standard field of the race, each rule with its documented default hyperparameters.
///
/// Adding a rule to the race is one entry in this list.
///
/// - `GD 1/L`: gradient descent with the step `1/L`, on the problems of known `L`.
/// - `GD Armijo`: gradient descent with Armijo backtracking ([`Backtracking::default`]:
///   first trial 1, halving, `c1 = 1e-4`).
/// - `GD lr=1e-3`: gradient descent with PyTorch's default `lr = 1e-3`.
/// - `GD Polyak`: gradient descent with Polyak's step size from the problem's known minimum.
/// - `Rprop`, `ASGD` (judged at its average), `GD EMA 1/L` (gradient descent with an
///   exponential moving average of its iterates, decay 0.9, judged there; a uniform average
///   would converge as `O(1/k)` only, where gradient descent's iterates converge linearly), `ADOPT`, `SF-SGD` and `SF-AdamW`
///   (schedule-free, judged at their evaluation point), Lion, SignSGD, Signum, Yogi, AdaBelief
///   and Adan run with a constant step size like the other adaptive rules; so do the rules that
///   see a tensor's shape, on the race's one vector: Adafactor (its unfactored second moment,
///   `lr` the largest relative step), Muon (which gives a vector to AdamW: the contender is
///   AdamW at PyTorch's defaults) and SM3 (an accumulator per coordinate); optimistic gradient
///   descent with `1/(2L)`, within its stability bound `γL < 2/3`; Adam inside Lookahead
///   (`k = 5`, `α = 0.5`, judged at the slow weights).
/// - The layer-wise rules LAMB, LARS (`γ = 1` with its trust coefficient `1e-3`), NovoGrad
///   and Fromage run with a constant step size: the vector is one layer, whose steps are a
///   fraction of `‖x‖` (a normalised gradient for NovoGrad), so they end within about that
///   fraction of the minimiser.
/// - The rules that learn their step size (DoG, DoWG, Prodigy, D-Adaptation AdamW and SGD,
///   COCOB) run with their defaults and the multiplier `1`, untuned.
pub fn contenders() -> Vec<Contender> {
    vec![
        Contender::inverse_smoothness("GD", 1.0, || Ok(GradientDescent::default())),
        Contender::line_search(
            "GD Armijo",
            || Ok(GradientDescent::default()),
            || Ok(Backtracking::default()),
        ),
        Contender::constant("GD", 1e-3, || Ok(GradientDescent::default())),
        Contender::inverse_smoothness("Heavy ball", 1.0, || Momentum::heavy_ball(1.0, 0.9)),
        Contender::inverse_smoothness("Nesterov", 1.0, || Momentum::nesterov(1.0, 0.9)),
        Contender::inverse_smoothness("AGD", 1.0, || Ok(AcceleratedGradient::default())),
        Contender::constant("RMSProp", 1e-3, || Ok(RmsProp::default())),
        Contender::constant("Adam", 1e-2, || Ok(Adam::default())),
        Contender::constant("AMSGrad", 1e-2, || Adam::amsgrad(1e-2)),
        Contender::constant("AdaGrad", 0.5, || Ok(AdaGrad::default())),
        Contender::constant("Adamax", 2e-2, || Ok(Adamax::default())),
        Contender::constant("NAdam", 1e-2, || Ok(NAdam::default())),
        Contender::constant("RAdam", 1e-2, || Ok(RAdam::default())),
        Contender::constant("Adadelta", 1.0, || Ok(Adadelta::default())),
        Contender::constant("Barzilai-Borwein", 1e-3, || Ok(BarzilaiBorwein::default())),
        Contender::new("GD Polyak", |problem| {
            let polyak = PolyakStep::new(problem.minimum());
            Ok(Some(
                Minimizer::new(boxed(GradientDescent::default())).polyak(polyak),
            ))
        }),
        Contender::constant("Rprop", 1e-2, || Ok(Rprop::default())),
        Contender::constant("ASGD", 1e-2, || Ok(Asgd::default())),
        Contender::inverse_smoothness("GD EMA", 1.0, || {
            Averaged::new(GradientDescent::default(), Averaging::Ema { decay: 0.9 })
        }),
        Contender::constant("Adam Lookahead", 1e-2, || {
            Lookahead::new(Adam::default(), LookaheadConfig::default())
        }),
        Contender::constant("ADOPT", 1e-2, || Ok(Adopt::default())),
        Contender::constant("Lion", 1e-3, || Ok(Lion::default())),
        Contender::constant("SignSGD", 1e-3, || Ok(SignSgd::default())),
        Contender::constant("Signum", 1e-3, || Ok(Signum::default())),
        Contender::constant("Yogi", 1e-2, || Ok(Yogi::default())),
        Contender::constant("AdaBelief", 1e-2, || Ok(AdaBelief::default())),
        Contender::constant("Adan", 1e-2, || Ok(Adan::default())),
        Contender::constant("Adafactor", 1e-2, || Ok(Adafactor::default())),
        Contender::constant("Muon (AdamW)", 1e-2, || Ok(Muon::default())),
        Contender::constant("SM3", 1e-1, || Ok(Sm3::default())),
        Contender::constant("LAMB", 1e-2, || Ok(Lamb::default())),
        Contender::constant("LARS", 1.0, || Ok(Lars::default())),
        Contender::constant("NovoGrad", 1e-2, || Ok(NovoGrad::default())),
        Contender::constant("Fromage", 1e-2, || Ok(Fromage::default())),
        Contender::inverse_smoothness("Optimistic GD", 0.5, || {
            Ok(OptimisticGradientDescent::default())
        }),
        Contender::constant("SF-SGD", 1e-1, || Ok(ScheduleFreeSgd::default())),
        Contender::constant("SF-AdamW", 1e-2, || Ok(ScheduleFreeAdamW::default())),
        Contender::learning_rate_free("DoG", || Ok(Dog::default())),
        Contender::learning_rate_free("DoWG", || Ok(Dowg::default())),
        Contender::learning_rate_free("Prodigy", || Ok(Prodigy::default())),
        Contender::learning_rate_free("D-Adapt AdamW", || Ok(DAdaptAdamW::default())),
        Contender::learning_rate_free("D-Adapt SGD", || Ok(DAdaptSgd::default())),
        Contender::learning_rate_free("COCOB", || Ok(Cocob::default())),
        Contender::line_search(
            "L-BFGS Wolfe",
            || Ok(Lbfgs::default()),
            || Ok(StrongWolfe::default()),
        ),
    ]
}

/// The rules of the race: what counts as success, the budget, the starts.
#[derive(Debug, Clone, PartialEq)]
pub struct RaceConfig {
    /// Success is `f(x) - f* <= tolerance · max(1, |f*|)`. Default `1e-6`.
    pub tolerance: f64,
    /// The budget of every run, in gradient evaluations (a line search's trials count); the
    /// number of iterations is capped by the same number. Default `10_000`.
    pub max_gradient_evaluations: usize,
    /// Runs also stop (unsuccessfully, unless the target is met) at a point where the gradient
    /// norm is at most this: a stationary point that is not a global minimiser. Default `1e-10`.
    pub stationarity: f64,
    /// Random starts besides the standard one. Default `4`.
    pub random_starts: usize,
    /// A random start is the standard start `x0` plus a perturbation drawn uniformly in
    /// `[-r, r]` per coordinate, `r = perturbation · max(1, |x0|_∞)`; the width `2r` must be
    /// a finite number. Default `0.5`.
    pub perturbation: f64,
    /// Seed of the random starts. The starts of a problem depend only on the seed and the
    /// problem's name, so every contender gets the same starts. Default `0`.
    pub seed: u64,
    /// Record the run from the standard start: `f - f*` at every iteration
    /// ([`RaceResult::curve`]), and for 2-D problems the iterates ([`RaceResult::path`]).
    /// Default `false`.
    pub record: bool,
}

impl Default for RaceConfig {
    fn default() -> Self {
        RaceConfig {
            tolerance: 1e-6,
            max_gradient_evaluations: 10_000,
            stationarity: 1e-10,
            random_starts: 4,
            perturbation: 0.5,
            seed: 0,
            record: false,
        }
    }
}

impl RaceConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field for a tolerance, stationarity or
    /// perturbation that is negative or not finite, or a perturbation above `f64::MAX / 2`
    /// (the interval `[-r, r]` it is drawn from would be infinitely wide);
    /// [`Error::InvalidCount`] for a budget of zero.
    pub fn validate(&self) -> Result<()> {
        non_negative("tolerance", self.tolerance)?;
        non_negative("stationarity", self.stationarity)?;
        non_negative("perturbation", self.perturbation)?;
        if !(2.0 * self.perturbation).is_finite() {
            return Err(perturbation_too_large(self.perturbation));
        }
        if self.max_gradient_evaluations == 0 {
            return Err(Error::InvalidCount {
                name: "max_gradient_evaluations",
                value: 0,
                expected: "at least 1",
            });
        }
        Ok(())
    }

    /// The success threshold on `f - f*` for a problem of minimum `minimum`.
    pub fn threshold(&self, minimum: f64) -> f64 {
        self.tolerance * minimum.abs().max(1.0)
    }
}

/// One run of the race: a contender on a problem from one start.
#[derive(Debug, Clone, PartialEq)]
pub struct RaceResult {
    /// The problem's name.
    pub problem: String,
    /// The contender's name.
    pub contender: String,
    /// The start: 0 for the standard start, `1..` for the random ones.
    pub start: usize,
    /// `f - f*` reached the threshold ([`RaceConfig::threshold`]).
    pub success: bool,
    /// Iterations made.
    pub iterations: usize,
    /// Gradient evaluations made, the initial one included.
    pub gradient_evaluations: usize,
    /// Function evaluations made, the initial one included.
    pub function_evaluations: usize,
    /// The final `f - f*`.
    pub gap: f64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Why the run stopped; [`Termination::MaxEvaluations`] means the gradient budget ran out.
    pub termination: Termination,
    /// With [`RaceConfig::record`], from the standard start: `(iteration, f - f*)` of every
    /// iteration.
    pub curve: Option<Vec<(usize, f64)>>,
    /// With [`RaceConfig::record`], from the standard start of a 2-D problem: the iterates.
    pub path: Option<Vec<[f64; 2]>>,
}

impl RaceResult {
    /// A short reason for tables: the termination's label, or `"budget"` when the gradient
    /// budget ran out.
    pub fn reason(&self) -> &'static str {
        match self.termination {
            Termination::MaxEvaluations | Termination::MaxIterations => "budget",
            t => t.label(),
        }
    }
}

/// The starting points of `problem`: its standard start, then `config.random_starts` seeded
/// perturbations of it (see [`RaceConfig::perturbation`]).
///
/// # Errors
/// The error of the problem's [`start`](TestFunction::start) (a dimension too large to
/// allocate); [`Error::InvalidParameter`] naming `perturbation` when the width `2r` of the
/// interval drawn from is not a finite number for this start.
pub fn starts(problem: &dyn TestFunction<f64>, config: &RaceConfig) -> Result<Vec<Array1<f64>>> {
    let x0 = problem.start()?;
    let radius = config.perturbation * x0.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
    if !(2.0 * radius).is_finite() {
        return Err(perturbation_too_large(config.perturbation));
    }
    // FNV-1a of the name: the starts do not depend on which other problems are raced.
    let name_hash = problem
        .name()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ name_hash);
    let mut all = vec![x0.clone()];
    for _ in 0..config.random_starts {
        let x = if radius > 0.0 {
            x0.mapv(|v| v + rng.random_range(-radius..=radius))
        } else {
            x0.clone()
        };
        all.push(x);
    }
    Ok(all)
}

/// The error for a perturbation whose interval `[-r, r]` is infinitely wide.
fn perturbation_too_large(perturbation: f64) -> Error {
    Error::InvalidParameter {
        name: "perturbation",
        value: perturbation,
        expected: "small enough that the width 2 · perturbation · max(1, |x0|_inf) of the \
                   interval of random starts is finite",
    }
}

/// Runs every contender on every problem from every start (see [`starts`]) and returns one
/// [`RaceResult`] per run, in the order problem, start, contender. A contender that does not
/// apply to a problem has no result there.
///
/// # Errors
/// [`Error::InvalidParameter`] for a bad configuration; any error of a contender's recipe or of
/// its run (for instance an invalid hyperparameter).
pub fn run_race(
    problems: &[SuiteProblem],
    contenders: &[Contender],
    config: &RaceConfig,
) -> Result<Vec<RaceResult>> {
    config.validate()?;
    let mut results = Vec::new();
    for problem in problems {
        let problem: &dyn TestFunction<f64> = problem.as_ref();
        let minimum = problem.minimum();
        let target = minimum + config.threshold(minimum);
        for (start, x0) in starts(problem, config)?.iter().enumerate() {
            for contender in contenders {
                let Some(runner) = contender.runner(problem)? else {
                    continue;
                };
                let record = config.record && start == 0;
                let runner = runner.with_criteria(Criteria {
                    stationarity: Some(config.stationarity),
                    target: Some(target),
                    max_iterations: Some(config.max_gradient_evaluations),
                    max_gradient_evaluations: Some(config.max_gradient_evaluations),
                    ..Criteria::default()
                });
                let mut runner = if record && problem.dim() == 2 {
                    runner.record_iterates(true)
                } else {
                    runner.record_history(record)
                };
                let report = runner.minimize(problem, x0.view())?;
                let gap = report.f - minimum;
                let curve = report.history.as_ref().map(|h| {
                    h.records
                        .iter()
                        .map(|r| (r.iteration, r.f - minimum))
                        .collect()
                });
                let path = report.history.as_ref().and_then(|h| {
                    h.records
                        .iter()
                        .map(|r| r.x.as_ref().map(|x| [x[0], x[1]]))
                        .collect()
                });
                results.push(RaceResult {
                    problem: problem.name(),
                    contender: contender.name().to_owned(),
                    start,
                    success: gap <= config.threshold(minimum),
                    iterations: report.iterations,
                    gradient_evaluations: report.gradient_evaluations,
                    function_evaluations: report.function_evaluations,
                    gap,
                    elapsed: report.elapsed,
                    termination: report.termination,
                    curve,
                    path,
                });
            }
        }
    }
    Ok(results)
}

/// Dolan–Moré performance profiles: for each contender `s` and factor `τ`, the fraction
/// `ρ_s(τ)` of instances it solved within `τ` times the cost of the best contender there.
#[derive(Debug, Clone, PartialEq)]
pub struct PerformanceProfile {
    /// The contenders, in the order they first appear in the results.
    pub contenders: Vec<String>,
    /// The factors `τ`.
    pub taus: Vec<f64>,
    /// `fractions[s][t] = ρ_s(taus[t])`.
    pub fractions: Vec<Vec<f64>>,
    /// The number of instances, (problem, start) pairs.
    pub instances: usize,
}

/// The performance profiles of `results` at the factors `taus`, on the cost
/// `c_{p,s}` = gradient evaluations of contender `s` on instance `p` (a (problem, start) pair),
/// infinite when the run failed or the contender did not run on `p`:
///
/// ```text
/// r_{p,s} = c_{p,s} / min_s' c_{p,s'},    ρ_s(τ) = |{p : r_{p,s} <= τ}| / (number of instances)
/// ```
///
/// A failure never counts as solved, even at `τ = ∞`, so `ρ_s(∞)` is the fraction of instances
/// `s` solved and `ρ_s(1)` the fraction where it was (one of) the cheapest. `ρ_s` is
/// non-decreasing in `τ`.
pub fn performance_profile(results: &[RaceResult], taus: &[f64]) -> PerformanceProfile {
    let mut contenders: Vec<String> = Vec::new();
    for r in results {
        if !contenders.contains(&r.contender) {
            contenders.push(r.contender.clone());
        }
    }
    // Cost of each contender on each instance.
    let mut costs: BTreeMap<(&str, usize), Vec<f64>> = BTreeMap::new();
    for r in results {
        let s = contenders
            .iter()
            .position(|c| *c == r.contender)
            .unwrap_or_default();
        let row = costs
            .entry((r.problem.as_str(), r.start))
            .or_insert_with(|| vec![f64::INFINITY; contenders.len()]);
        if r.success {
            row[s] = row[s].min(r.gradient_evaluations as f64);
        }
    }
    let instances = costs.len();
    let mut fractions = vec![vec![0.0; taus.len()]; contenders.len()];
    if instances > 0 {
        for row in costs.values() {
            let best = row.iter().copied().fold(f64::INFINITY, f64::min);
            for (s, &c) in row.iter().enumerate() {
                if !c.is_finite() {
                    continue;
                }
                let ratio = if best > 0.0 { c / best } else { 1.0 };
                for (t, &tau) in taus.iter().enumerate() {
                    if ratio <= tau {
                        fractions[s][t] += 1.0;
                    }
                }
            }
        }
        for f in fractions.iter_mut().flatten() {
            *f /= instances as f64;
        }
    }
    PerformanceProfile {
        contenders,
        taus: taus.to_vec(),
        fractions,
        instances,
    }
}

impl fmt::Display for PerformanceProfile {
    /// A table: one row per contender, one column per `τ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .contenders
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(9);
        write!(f, "{:<width$}", "rule \\ tau")?;
        for tau in &self.taus {
            let label = if tau.is_finite() {
                format!("{tau}")
            } else {
                "inf".to_owned()
            };
            write!(f, " {label:>6}")?;
        }
        writeln!(f)?;
        for (name, row) in self.contenders.iter().zip(&self.fractions) {
            write!(f, "{name:<width$}")?;
            for v in row {
                write!(f, " {v:>6.3}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// [`Error::InvalidParameter`] unless `value` is finite and `>= 0`, in the words of the crate's
/// own checks.
fn non_negative(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: "finite and >= 0",
        })
    }
}
