//! How the loop chooses the step size: a constant, a schedule, a line search, or the
//! backtracking of a proximal step.

use std::cmp::Ordering;

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::ProxBacktracking;
use super::oracle::Oracle;
use super::run::{State, view, view_mut};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};
use crate::linalg::dot;
use crate::line_search::{LineFunction, LineSearch};
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
    /// The backtracking of Beck and Teboulle on the smooth part of a proximal step (see
    /// [`ProxBacktracking`]).
    ProxBacktracking(ProxBacktracking<F>),
    /// Polyak's step size from the optimal value (see [`PolyakStep`]).
    Polyak(PolyakStep<F>),
}

/// Polyak's step size (Polyak, 1969; *Introduction to Optimization*, 1987, §5.3):
///
/// ```text
/// γ_k = min( (f(x_k) - f*) / |∇f(x_k)|²,  max_step )
/// ```
///
/// with the optimal value `f*` known, or a lower bound on it. For gradient descent it is the step
/// that minimises the bound `|x_{k+1} - x*|² <= |x_k - x*|² - 2γ (f(x_k) - f*) + γ² |∇f(x_k)|²`
/// of a convex `f`, so that every step brings `x` closer to every minimiser:
/// `|x_{k+1} - x*|² <= |x_k - x*|² - (f(x_k) - f*)² / |∇f(x_k)|²`; no step size or smoothness
/// constant is needed. With a lower bound `f_lb < f*` the steps are longer than Polyak's, and
/// the run settles where `f - f*` is of the order of `f* - f_lb`.
///
/// The step is `0` where the gradient is `0`. A value below the given minimum is an error: the
/// "minimum" was not a lower bound. Near a minimiser `f - f*` falls below the rounding error of
/// `f` before the gradient does (`f - f* ≈ |∇f|² / (2μ)`), after which the steps are noise: ask
/// for no tighter gradient tolerance than about `√(2μ ε |f*|)`.
///
/// Reference: B. T. Polyak, "Minimization of unsmooth functionals", *USSR Computational
/// Mathematics and Mathematical Physics* 9 (1969); E. Hazan and S. Kakade, "Revisiting the
/// Polyak step size", 2019.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PolyakStep<F> {
    /// The optimal value `f*`, or a lower bound on it.
    pub minimum: F,
    /// The largest step taken (`+∞`: no cap). Default `+∞`.
    pub max_step: F,
}

impl<F: Real> PolyakStep<F> {
    /// Polyak's step size with the optimal value (or a lower bound) `minimum`, uncapped.
    pub fn new(minimum: F) -> Self {
        PolyakStep {
            minimum,
            max_step: F::infinity(),
        }
    }

    /// Checks the settings: a finite minimum, a positive cap.
    fn validate(&self) -> Result<()> {
        check_that("minimum", self.minimum, "finite", self.minimum.is_finite())?;
        check_that(
            "max_step",
            self.max_step,
            "> 0 (+inf for no cap)",
            self.max_step > F::zero(),
        )
    }

    /// `γ_k` from `f(x_k)` and `|∇f(x_k)|`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming `minimum` when
    /// `f(x_k)` lies below it.
    #[inline]
    pub(super) fn step(&self, f: F, gradient_norm: F) -> Result<F> {
        let gap = f - self.minimum;
        if gap < F::zero() {
            return Err(crate::Error::InvalidParameter {
                name: "minimum",
                value: self.minimum.as_f64(),
                expected: "at most the optimal value: the run reached a lower f; give a lower \
                           bound on f*",
            });
        }
        if gradient_norm == F::zero() {
            return Ok(F::zero());
        }
        // (gap / |g|) / |g|: no overflow of |g|² for large gradients.
        Ok((gap / gradient_norm / gradient_norm).min(self.max_step))
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for StepSize<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepSize::RuleDefault => f.write_str("RuleDefault"),
            StepSize::Constant(c) => f.debug_tuple("Constant").field(c).finish(),
            StepSize::Schedule(_) => f.write_str("Schedule(..)"),
            StepSize::LineSearch(_) => f.write_str("LineSearch(..)"),
            StepSize::ProxBacktracking(b) => f.debug_tuple("ProxBacktracking").field(b).finish(),
            StepSize::Polyak(p) => f.debug_tuple("Polyak").field(p).finish(),
        }
    }
}

impl<F: Real> StepSize<'_, F> {
    /// The base step size `γ` of a run: the constant step size, the first step of a
    /// backtracking, or the rule's `lr` for the other strategies. It is the `γ` of the gradient
    /// mapping, and the step of every iteration when it is fixed, so it is checked here, once
    /// per run (with the backtracking's factor).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if it is negative or not
    /// finite (for a backtracking: not positive, or a factor outside `(0, 1)`).
    pub(super) fn base(&self, rule_lr: F) -> Result<F> {
        let lr = match self {
            StepSize::Constant(c) => *c,
            StepSize::ProxBacktracking(b) => {
                b.validate()?;
                b.initial
            }
            StepSize::Polyak(p) => {
                p.validate()?;
                rule_lr
            }
            _ => rule_lr,
        };
        check("lr", lr, Domain::NonNegative)?;
        Ok(lr)
    }

    /// Forgets what the schedule or the line search learned in an earlier run.
    pub(super) fn reset(&mut self) {
        match self {
            StepSize::Schedule(s) => s.reset(),
            StepSize::LineSearch(l) => l.reset(),
            StepSize::RuleDefault
            | StepSize::Constant(_)
            | StepSize::ProxBacktracking(_)
            | StepSize::Polyak(_) => {}
        }
    }
}

/// The step size of a schedule at `t` (the iteration or the epoch), after it has observed `f`
/// when it steps per iteration.
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if the schedule gives a negative or
/// non-finite step size.
#[inline]
pub(super) fn scheduled<F: Real>(
    schedule: &mut (dyn Schedule<F> + '_),
    t: usize,
    f: F,
    per_epoch: bool,
) -> Result<F> {
    if !per_epoch {
        schedule.observe(f);
    }
    let lr = schedule.step_size(t);
    check("lr", lr, Domain::NonNegative)?;
    Ok(lr)
}

/// One step by line search along the rule's direction `d` (steepest descent `-g` if the rule's is
/// not a descent direction): `x_{k+1} = x_k + α d` with the `α` the search accepts, `f` and `g`
/// evaluated there. Returns `false`, with `x` left at `x_k`, when the search accepts no step.
///
/// The current iterate becomes the origin of the line by a swap of buffers, not a copy: the
/// search writes its trial points into the other buffer.
///
/// # Errors
/// Any error of the rule's [`search_direction`](Optimizer::search_direction).
pub(super) fn line_search_step<F: Real, Or: Oracle<F>, O: Optimizer<F>>(
    search: &mut (dyn LineSearch<F> + '_),
    optimizer: &mut O,
    oracle: &mut Or,
    s: &mut State<F>,
) -> Result<bool> {
    optimizer.search_direction(view(&s.x), view(&s.g), view_mut(&mut s.work))?;
    let mut slope = dot(view(&s.g), view(&s.work));
    // `slope` may be NaN: only a negative slope is a descent direction.
    if slope.partial_cmp(&F::zero()) != Some(Ordering::Less) {
        // Not a descent direction: fall back to steepest descent and let the rule start its
        // model afresh.
        optimizer.reset();
        for (d, &gi) in s.work.iter_mut().zip(&s.g) {
            *d = -gi;
        }
        slope = dot(view(&s.g), view(&s.work));
    }
    s.keep_for_undo_by_swap();
    let mut line = Line {
        oracle,
        origin: view(&s.x_prev),
        direction: view(&s.work),
        x: view_mut(&mut s.x),
        g: view_mut(&mut s.g),
        at: None,
        wrote_gradient: false,
    };
    let accepted = if slope < F::zero() {
        search.search(&mut line, s.f, slope)
    } else {
        None
    };
    match accepted {
        Some(step) => {
            s.f = line.finish(step.alpha, step.value);
            s.step_size = step.alpha;
            Ok(true)
        }
        None => {
            let gradient_moved = line.wrote_gradient;
            std::mem::swap(&mut s.x, &mut s.x_prev);
            if gradient_moved {
                // The trials overwrote `g`: a run resumed from here must step from `∇f(x_k)`.
                oracle.gradient(view(&s.x), view_mut(&mut s.g));
            }
            Ok(false)
        }
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
    /// Whether a trial wrote its gradient into `g`.
    wrote_gradient: bool,
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
        self.wrote_gradient = true;
        let value = self
            .oracle
            .value_and_gradient(self.x.view(), self.g.view_mut());
        (value, dot(self.g.view(), self.direction))
    }
}
