//! Line searches: step-size strategies that choose `α` along a search direction.
//!
//! A line search is a step-size strategy of the [`Minimizer`](crate::Minimizer), not of a rule.
//! At each iteration the loop asks the rule for a search direction `d` (see
//! [`Optimizer::search_direction`](crate::Optimizer::search_direction)), hands the line search
//! the one-dimensional function `φ(α) = f(x + α d)`, and moves to the accepted point.

use crate::Real;
use crate::error::{Result, check_param};

/// The restriction `φ(α) = f(x + α d)` of the objective to a line, as the loop provides it.
///
/// Each call evaluates the objective at `x + α d` (and counts as an evaluation of the run).
pub trait LineFunction<F: Real> {
    /// `φ(α)`.
    fn value(&mut self, alpha: F) -> F;

    /// `φ(α)` and its derivative `φ'(α) = ∇f(x + α d) · d`.
    fn value_and_slope(&mut self, alpha: F) -> (F, F);
}

/// The step a line search accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSearchStep<F> {
    /// The accepted step `α > 0`.
    pub alpha: F,
    /// `φ(α)`, the objective at the accepted point.
    pub value: F,
}

/// A line search: given `φ`, `φ(0)` and `φ'(0) < 0`, finds an acceptable step `α > 0`.
pub trait LineSearch<F: Real> {
    /// Searches along the line. `slope0 = φ'(0)` is negative (the loop guarantees a descent
    /// direction). Returns `None` when no acceptable step was found within the search's own
    /// budget; the loop then stops with
    /// [`Termination::LineSearchFailed`](crate::Termination::LineSearchFailed).
    fn search(
        &mut self,
        phi: &mut dyn LineFunction<F>,
        value0: F,
        slope0: F,
    ) -> Option<LineSearchStep<F>>;

    /// Forgets any state kept between searches.
    fn reset(&mut self) {}
}

impl<F: Real, L: LineSearch<F> + ?Sized> LineSearch<F> for Box<L> {
    fn search(
        &mut self,
        phi: &mut dyn LineFunction<F>,
        value0: F,
        slope0: F,
    ) -> Option<LineSearchStep<F>> {
        (**self).search(phi, value0, slope0)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// Backtracking line search with the Armijo (sufficient decrease) condition
/// (Armijo, 1966; Nocedal and Wright, *Numerical Optimization*, Algorithm 3.1).
///
/// Starting from `α = initial_step`, the step is multiplied by `shrink` until
///
/// ```text
/// f(x + α d) <= f(x) + c1 α ∇f(x)·d .
/// ```
///
/// A trial point where `f` is NaN or infinite counts as insufficient decrease, so a step that
/// overshoots into a region where `f` is undefined is shortened rather than accepted. Only
/// function values are evaluated during the search; the loop computes the gradient once, at the
/// accepted point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtracking<F> {
    initial_step: F,
    shrink: F,
    c1: F,
    max_trials: usize,
}

impl<F: Real> Default for Backtracking<F> {
    /// `initial_step = 1`, `shrink = 1/2`, `c1 = 1e-4`, `max_trials = 60`.
    fn default() -> Self {
        Backtracking {
            initial_step: F::one(),
            shrink: F::lit(0.5),
            c1: F::lit(1e-4),
            max_trials: 60,
        }
    }
}

impl<F: Real> Backtracking<F> {
    /// A backtracking search with the given first trial step, shrink factor in `(0, 1)`,
    /// sufficient-decrease constant `c1` in `(0, 1)` and maximum number of trials.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when a value is outside its
    /// domain (`initial_step` must be finite and positive, `max_trials` at least 1).
    pub fn new(initial_step: F, shrink: F, c1: F, max_trials: usize) -> Result<Self> {
        check_param("initial_step", initial_step, "finite and > 0", |v| {
            v.is_finite() && v > F::zero()
        })?;
        check_param("shrink", shrink, "in (0, 1)", |v| {
            v > F::zero() && v < F::one()
        })?;
        check_param("c1", c1, "in (0, 1)", |v| v > F::zero() && v < F::one())?;
        check_param("max_trials", F::from_count(max_trials), ">= 1", |v| {
            v >= F::one()
        })?;
        Ok(Backtracking {
            initial_step,
            shrink,
            c1,
            max_trials,
        })
    }
}

impl<F: Real> LineSearch<F> for Backtracking<F> {
    fn search(
        &mut self,
        phi: &mut dyn LineFunction<F>,
        value0: F,
        slope0: F,
    ) -> Option<LineSearchStep<F>> {
        let mut alpha = self.initial_step;
        for _ in 0..self.max_trials {
            let value = phi.value(alpha);
            if value <= value0 + self.c1 * alpha * slope0 {
                return Some(LineSearchStep { alpha, value });
            }
            alpha *= self.shrink;
        }
        None
    }
}
