//! The learning-rate range test: a short run with a step size growing from tiny to large, whose
//! loss curve shows which step sizes learn and where training diverges.

use ndarray::ArrayView1;

use crate::error::{Domain, Error, Result, check, check_count, check_that};
use crate::minimize::{Control, Criteria, Minibatch, Minimizer, Report, Termination};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use crate::{FiniteSum, Real};

/// How the step size grows from `min_lr` to `max_lr` over the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spacing {
    /// Geometrically: `lr_k = min_lr (max_lr / min_lr)^(k / (steps - 1))`, the same number of
    /// steps in every decade. The usual choice (and the default), since good step sizes of
    /// different problems differ by orders of magnitude.
    #[default]
    Exponential,
    /// Arithmetically: `lr_k = min_lr + (max_lr - min_lr) k / (steps - 1)`, for a closer look at
    /// a range already known to within a decade.
    Linear,
}

/// Settings of the [`LrRangeTest`]; the defaults are PyTorch Lightning's `lr_find`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrRangeTestConfig<F> {
    /// The step size of the first step. Default `1e-8`.
    pub min_lr: F,
    /// The step size of the last step. Default `1`.
    pub max_lr: F,
    /// The number of steps (and of recorded losses, unless the test stops early). Default `100`.
    pub steps: usize,
    /// How the step size grows. Default [`Spacing::Exponential`].
    pub spacing: Spacing,
    /// The factor `β` of the exponential moving average that smooths the loss curve, in `[0, 1)`
    /// (`0`: no smoothing). Default `0.98`.
    pub smoothing: F,
    /// The test stops once the smoothed loss exceeds this multiple of the lowest smoothed loss
    /// so far (for a loss of any sign: once it rises above that lowest value `ℓ*` by more than
    /// `(threshold - 1) |ℓ*|`); `None` never stops it for that. Default `Some(4)`.
    pub divergence_threshold: Option<F>,
}

impl<F: Real> Default for LrRangeTestConfig<F> {
    fn default() -> Self {
        LrRangeTestConfig {
            min_lr: F::lit(1e-8),
            max_lr: F::one(),
            steps: 100,
            spacing: Spacing::Exponential,
            smoothing: F::lit(0.98),
            divergence_threshold: Some(F::lit(4.0)),
        }
    }
}

/// The learning-rate range test (Smith, 2017), as the "learning-rate finder" of fastai and
/// PyTorch Lightning.
///
/// The rule steps from `x0` with a step size growing from `min_lr` to `max_lr` (geometrically
/// by default), and the loss `f_k` at each of `steps` iterates is recorded with the step size
/// `γ_k` of the step taken from it. The curve is smoothed by an exponential moving average with
/// its bias corrected,
///
/// ```text
/// a_k = β a_{k-1} + (1 - β) f_k,   a_{-1} = 0,       ℓ_k = a_k / (1 - β^{k+1}),
/// ```
///
/// and the test stops early once `ℓ_k > threshold · min_{j<=k} ℓ_j` (the loss has blown up; see
/// [`divergence_threshold`](LrRangeTestConfig::divergence_threshold) for losses of any sign) or
/// the loss is no longer finite. The [suggested step size](RangeTestCurve::suggestion) is where
/// the smoothed loss falls fastest: the `γ_k` at the most negative slope of `ℓ` against the step
/// index (against `log γ` for geometric spacing), leaving out the first ten points and the last,
/// as Lightning does.
///
/// The test runs on the shared [`Minimizer`], warm-started from the rule's state as given (pass
/// a fresh rule for a test before training); neither the rule nor `x0` is changed, so that
/// training starts afterwards from where it stood. With a [`FiniteSum`], each step uses a
/// minibatch ([`run_finite_sum`](LrRangeTest::run_finite_sum)), and `f_k` is that minibatch's
/// loss, as in a training loop.
///
/// Reference: L. N. Smith, "Cyclical learning rates for training neural networks", WACV 2017.
///
/// ```
/// use gradus::Adam;
/// use gradus::problems::Rosenbrock;
/// use gradus::solvers::LrRangeTest;
/// use ndarray::array;
///
/// let test = LrRangeTest::<f64>::default();
/// let curve = test.run(&Adam::default(), &Rosenbrock::new(2), array![-1.2, 1.0].view())?;
/// assert!(curve.lrs.len() <= 100 && curve.lrs[0] == 1e-8);
/// let lr = curve.suggestion().expect("enough points");
/// assert!(lr > 1e-8 && lr < 1.0);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrRangeTest<F> {
    config: LrRangeTestConfig<F>,
}

impl<F: Real> Default for LrRangeTest<F> {
    /// The test with Lightning's settings ([`LrRangeTestConfig::default`]).
    fn default() -> Self {
        LrRangeTest {
            config: LrRangeTestConfig::default(),
        }
    }
}

/// The loss curve of an [`LrRangeTest`].
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTestCurve<F> {
    /// The step size `γ_k` of each step taken.
    pub lrs: Vec<F>,
    /// The loss `f_k` at the iterate each step started from (a minibatch loss for a finite sum).
    pub losses: Vec<F>,
    /// The smoothed losses `ℓ_k`.
    pub smoothed: Vec<F>,
    /// `true` if the test stopped early: the smoothed loss passed the divergence threshold, or
    /// the loss or its gradient stopped being finite.
    pub diverged: bool,
    /// Evaluations of `f` (of minibatches, for a finite sum), as the loop counts them.
    pub function_evaluations: usize,
    /// Evaluations of the gradient.
    pub gradient_evaluations: usize,
}

impl<F: Real> RangeTestCurve<F> {
    /// The number of points before and after the range the suggestion looks at, as in
    /// Lightning: the first points reflect the start more than the step size.
    pub const SKIP: (usize, usize) = (10, 1);

    /// The suggested step size: the `γ_k` where the smoothed loss falls fastest, by the slope of
    /// `ℓ` against the step index (central differences, one-sided at the ends) over the points
    /// but the first ten and the last. `None` when fewer than three points remain (a test that
    /// diverged at once: lower `min_lr`) or the loss does not fall anywhere in that range.
    pub fn suggestion(&self) -> Option<F> {
        let (begin, end) = Self::SKIP;
        let n = self.smoothed.len();
        if n < begin + end + 3 {
            return None;
        }
        let window = &self.smoothed[begin..n - end];
        let slope = |i: usize| -> F {
            let last = window.len() - 1;
            match i {
                0 => window[1] - window[0],
                i if i == last => window[last] - window[last - 1],
                i => (window[i + 1] - window[i - 1]) * F::lit(0.5),
            }
        };
        let (steepest, slope) = (0..window.len())
            .map(|i| (i, slope(i)))
            .filter(|(_, s)| s.is_finite())
            .min_by(|a, b| a.1.partial_cmp(&b.1).expect("finite slopes"))?;
        (slope < F::zero()).then(|| self.lrs[begin + steepest])
    }

    /// The step size at the lowest smoothed loss, a tenth of which is fastai's older rule of
    /// thumb for a step size (`None` for an empty curve). The moving average lags behind the
    /// raw losses, so this point comes after the lowest raw loss, often past the step sizes that
    /// still converge: hence the tenth.
    pub fn lr_at_minimum(&self) -> Option<F> {
        let best = (0..self.smoothed.len())
            .filter(|&i| self.smoothed[i].is_finite())
            .min_by(|&a, &b| {
                self.smoothed[a]
                    .partial_cmp(&self.smoothed[b])
                    .expect("finite losses")
            })?;
        Some(self.lrs[best])
    }
}

impl<F: Real> LrRangeTest<F> {
    /// The test with the given settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `min_lr` is finite and positive, `max_lr` finite and
    /// above `min_lr`, `smoothing` in `[0, 1)` and the divergence threshold finite and above 1;
    /// [`Error::InvalidCount`] for fewer than 2 steps.
    pub fn new(config: LrRangeTestConfig<F>) -> Result<Self> {
        check("min_lr", config.min_lr, Domain::Positive)?;
        check_that(
            "max_lr",
            config.max_lr,
            "finite and > min_lr",
            config.max_lr.is_finite() && config.max_lr > config.min_lr,
        )?;
        check_count("steps", config.steps, 2)?;
        check("smoothing", config.smoothing, Domain::UnitInterval)?;
        if let Some(threshold) = config.divergence_threshold {
            check_that(
                "divergence_threshold",
                threshold,
                "finite and > 1",
                threshold.is_finite() && threshold > F::one(),
            )?;
        }
        Ok(LrRangeTest { config })
    }

    /// The settings.
    pub fn config(&self) -> &LrRangeTestConfig<F> {
        &self.config
    }

    /// The step size of step `k` (from 0).
    pub fn lr(&self, k: usize) -> F {
        let c = &self.config;
        let fraction = F::from_count(k.min(c.steps - 1)) / F::from_count(c.steps - 1);
        match c.spacing {
            Spacing::Exponential => c.min_lr * (c.max_lr / c.min_lr).powf(fraction),
            Spacing::Linear => c.min_lr + (c.max_lr - c.min_lr) * fraction,
        }
    }

    /// Runs the test of `rule` on `objective` from `x0`.
    ///
    /// # Errors
    /// The errors of [`Minimizer::minimize`] for `x0` (wrong length, not finite) and of the
    /// rule's steps.
    pub fn run<O, Obj>(
        &self,
        rule: &O,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<RangeTestCurve<F>>
    where
        O: Optimizer<F> + Clone,
        Obj: Objective<F> + ?Sized,
    {
        self.drive(rule, None, |m| m.minimize(objective, x0))
    }

    /// Runs the test of `rule` on the finite sum `sum` from `x0`, one minibatch per step as
    /// `minibatch` says (its size, sampling and seed; its full checks are turned off, and its
    /// estimator must be plain minibatch gradients).
    ///
    /// # Errors
    /// As [`run`](LrRangeTest::run), and those of [`Minimizer::minimize_finite_sum`] for the
    /// minibatch settings.
    pub fn run_finite_sum<O, P>(
        &self,
        rule: &O,
        sum: &P,
        x0: ArrayView1<'_, F>,
        minibatch: Minibatch,
    ) -> Result<RangeTestCurve<F>>
    where
        O: Optimizer<F> + Clone,
        P: FiniteSum<F> + ?Sized,
    {
        let minibatch = Minibatch {
            full_check_every: None,
            ..minibatch
        };
        self.drive(rule, Some(minibatch), |m| m.minimize_finite_sum(sum, x0))
    }

    /// Builds the loop (growing step size, no convergence criterion, `steps` iterations), runs
    /// it with `run`, and collects the curve.
    fn drive<O: Optimizer<F> + Clone>(
        &self,
        rule: &O,
        minibatch: Option<Minibatch>,
        run: impl FnOnce(&mut Minimizer<'_, F, O>) -> Result<Report<F>>,
    ) -> Result<RangeTestCurve<F>> {
        let c = self.config;
        let mut curve = RangeTestCurve {
            lrs: Vec::with_capacity(c.steps),
            losses: Vec::with_capacity(c.steps),
            smoothed: Vec::with_capacity(c.steps),
            diverged: false,
            function_evaluations: 0,
            gradient_evaluations: 0,
        };
        let (mut average, mut decay, mut lowest) = (F::zero(), F::one(), F::infinity());
        let mut blew_up = false;
        let report = {
            let observe = |s: &crate::IterationState<'_, F>| {
                let k = curve.lrs.len();
                average = c.smoothing * average + (F::one() - c.smoothing) * s.f;
                decay *= c.smoothing;
                let smoothed = average / (F::one() - decay);
                curve.lrs.push(self.lr(k));
                curve.losses.push(s.f);
                curve.smoothed.push(smoothed);
                lowest = lowest.min(smoothed);
                let exceeded = c
                    .divergence_threshold
                    .is_some_and(|t| smoothed - lowest > (t - F::one()) * lowest.abs());
                if k + 1 >= c.steps || !smoothed.is_finite() || (k > 0 && exceeded) {
                    blew_up = k + 1 < c.steps;
                    return Control::Stop;
                }
                Control::Continue
            };
            let mut m = Minimizer::new(rule.clone())
                .schedule(Growing { test: *self })
                .with_criteria(Criteria {
                    stationarity: None,
                    max_iterations: Some(c.steps),
                    ..Criteria::default()
                })
                .warm_start(true)
                .observer(observe);
            if let Some(minibatch) = minibatch {
                m = m.minibatch(minibatch);
            }
            run(&mut m)?
        };
        curve.diverged = blew_up
            || matches!(
                report.termination,
                Termination::NonFinite | Termination::Diverged
            );
        curve.function_evaluations = report.function_evaluations;
        curve.gradient_evaluations = report.gradient_evaluations;
        if curve.lrs.is_empty() {
            return Err(Error::Incompatible {
                reason: "the range test recorded no loss (the loss at x0 is not finite)",
            });
        }
        Ok(curve)
    }
}

/// The step sizes of a range test as a [`Schedule`] of the loop.
#[derive(Debug, Clone, Copy)]
struct Growing<F> {
    test: LrRangeTest<F>,
}

impl<F: Real> Schedule<F> for Growing<F> {
    fn step_size(&mut self, t: usize) -> F {
        self.test.lr(t)
    }
}
