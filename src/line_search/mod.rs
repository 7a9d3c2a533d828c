//! Line searches: step-size strategies that choose `α` along a search direction.
//!
//! A line search is a step-size strategy of the [`Minimizer`](crate::Minimizer), not of a rule.
//! At each iteration the loop asks the rule for a search direction `d` (see
//! [`Optimizer::search_direction`](crate::Optimizer::search_direction)), hands the line search
//! the one-dimensional function `φ(α) = f(x + α d)`, and moves to the accepted point.
//!
//! Every search implements the one trait [`LineSearch`], over the [`LineFunction`] the loop
//! provides; each lives in its own file:
//!
//! - [`Backtracking`]: Armijo's sufficient decrease, by halving (values only);
//! - [`StrongWolfe`]: sufficient decrease and the strong curvature condition, by bracketing and
//!   cubic interpolation (the search for quasi-Newton rules);
//! - [`ExactQuadratic`]: the exact minimiser along the line of a quadratic objective.

mod backtracking;
mod exact_quadratic;
mod strong_wolfe;

pub use backtracking::Backtracking;
pub use exact_quadratic::ExactQuadratic;
pub use strong_wolfe::{StrongWolfe, StrongWolfeConfig};

use crate::Real;

/// The restriction `φ(α) = f(x + α d)` of the objective to a line, as the loop provides it.
///
/// Each call evaluates the objective at `x + α d` (and counts as an evaluation of the run).
///
/// The searches of this module call it only at finite `α > 0`. An implementation must accept
/// any `α` without panicking: a point where `f` is not defined or not finite gives a NaN or
/// infinite value, which the searches treat as no decrease.
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
    /// Searches along the line. Returns `None` when no acceptable step was found within the
    /// search's own budget; the loop then stops with
    /// [`Termination::LineSearchFailed`](crate::Termination::LineSearchFailed).
    ///
    /// # Preconditions
    /// `value0 = φ(0)` is finite and `slope0 = φ'(0)` is finite and negative: `d` is a descent
    /// direction. The [`Minimizer`](crate::Minimizer) checks this before every search. Called
    /// by hand with other values, the searches of this module still never panic and end within
    /// their budget of evaluations (`max_trials`, `max_evaluations`, or two evaluations for
    /// [`ExactQuadratic`]); what they return is then not meaningful (a step accepted by a test
    /// that a non-negative slope makes vacuous), so check the preconditions first.
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
