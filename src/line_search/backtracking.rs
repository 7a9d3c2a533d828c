//! Armijo backtracking (sufficient decrease).

use super::{LineFunction, LineSearch, LineSearchStep};
use crate::Real;
use crate::error::{Domain, Result, check, check_count};

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
        check("initial_step", initial_step, Domain::Positive)?;
        check("shrink", shrink, Domain::OpenUnitInterval)?;
        check("c1", c1, Domain::OpenUnitInterval)?;
        check_count("max_trials", max_trials, 1)?;
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
