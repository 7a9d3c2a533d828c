//! What an augmented Lagrangian solve reports: why it stopped, the solution, the multipliers and
//! the KKT measures.

use std::fmt;
use std::time::Duration;

use ndarray::{Array1, ArrayView1, Zip};

use crate::Real;
use crate::linalg::max_abs;
use crate::minimize::Termination;

/// Why an augmented Lagrangian solve stopped.
///
/// ```
/// use gradus::solvers::ConstrainedTermination;
/// assert_eq!(
///     ConstrainedTermination::MaxOuterIterations.to_string(),
///     "stopped: outer iteration budget exhausted"
/// );
/// assert!(ConstrainedTermination::Converged.is_converged());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConstrainedTermination {
    /// The violation, the KKT residual and the complementarity are all within tolerance.
    Converged,
    /// The outer iteration budget ran out.
    MaxOuterIterations,
    /// At the largest penalty the infeasibility all but stopped decreasing while a constraint
    /// was still violated beyond tolerance: the constraints look infeasible (or the inner solver
    /// cannot reach the accuracy needed).
    InfeasibleStall,
    /// An inner solve met a NaN or infinite value, or diverged (the inner run's own reason is
    /// attached); the report keeps its last finite iterate.
    InnerFailure(Termination),
    /// An observer of the inner [`Minimizer`](crate::Minimizer) asked to stop.
    StoppedByObserver,
}

impl ConstrainedTermination {
    /// `true` for [`Converged`](ConstrainedTermination::Converged).
    pub fn is_converged(&self) -> bool {
        matches!(self, ConstrainedTermination::Converged)
    }
}

impl fmt::Display for ConstrainedTermination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstrainedTermination::Converged => {
                f.write_str("converged: feasible, stationary and complementary within tolerance")
            }
            ConstrainedTermination::MaxOuterIterations => {
                f.write_str("stopped: outer iteration budget exhausted")
            }
            ConstrainedTermination::InfeasibleStall => f.write_str(
                "stopped: the constraint violation stopped decreasing at the largest penalty; \
                 the constraints look infeasible",
            ),
            ConstrainedTermination::InnerFailure(inner) => {
                write!(f, "stopped: the inner solve failed ({inner})")
            }
            ConstrainedTermination::StoppedByObserver => {
                f.write_str("stopped by an observer of the inner solve")
            }
        }
    }
}

/// Everything a user asks after an augmented Lagrangian solve.
#[derive(Debug, Clone)]
pub struct ConstrainedReport<F> {
    /// The final iterate.
    pub x: Array1<F>,
    /// The objective `f(x)` (not the augmented Lagrangian).
    pub f: F,
    /// Multipliers `λ` of the equality constraints `h(x) = 0`, one per constraint.
    pub equality_multipliers: Array1<F>,
    /// Multipliers `μ >= 0` of the inequality constraints `g(x) <= 0`, one per constraint; zero
    /// for a constraint inactive at the solution.
    pub inequality_multipliers: Array1<F>,
    /// The largest constraint violation `max(|h(x)|_∞, |max(g(x), 0)|_∞)` (`0` without
    /// constraints). Membership in the set `C` is enforced by projection and is not counted.
    pub max_violation: F,
    /// The KKT stationarity residual `|∇f(x) + J_h(x)ᵀλ + J_g(x)ᵀμ|₂`, or, with a set `C`, its
    /// projected form `|x - P_C(x - (∇f(x) + J_hᵀλ + J_gᵀμ))|₂`.
    pub kkt_residual: F,
    /// The complementarity `max_i |μ_i g_i(x)|` (`0` without inequalities).
    pub complementarity: F,
    /// The penalty `ρ` of the last outer iteration.
    pub penalty: F,
    /// Number of outer iterations (inner solves).
    pub outer_iterations: usize,
    /// Total number of inner iterations over all inner solves.
    pub inner_iterations: usize,
    /// Total number of evaluations of the augmented Lagrangian by the inner solves (each one
    /// evaluates `f` and the constraints once).
    pub function_evaluations: usize,
    /// Total number of gradient evaluations by the inner solves.
    pub gradient_evaluations: usize,
    /// Why the solve stopped.
    pub termination: ConstrainedTermination,
    /// Why the last inner solve stopped.
    pub last_inner_termination: Termination,
    /// Wall time of the solve.
    pub elapsed: Duration,
}

impl<F> ConstrainedReport<F> {
    /// `true` if the solve converged.
    pub fn converged(&self) -> bool {
        self.termination.is_converged()
    }
}

/// What the convergence test checks and a report gives about an iterate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measures<F> {
    /// [`ConstrainedReport::max_violation`].
    pub(super) violation: F,
    /// [`ConstrainedReport::complementarity`].
    pub(super) complementarity: F,
    /// [`ConstrainedReport::kkt_residual`].
    pub(super) kkt_residual: F,
}

/// `max(|h|_∞, |max(g, 0)|_∞)`.
pub(super) fn max_violation<F: Real>(h: ArrayView1<'_, F>, g: ArrayView1<'_, F>) -> F {
    let mut m = max_abs(h);
    for &gi in g {
        if gi.is_nan() || gi > m {
            m = gi;
        }
    }
    m
}

/// `max_i |μ_i g_i|`.
pub(super) fn max_complementarity<F: Real>(mu: ArrayView1<'_, F>, g: ArrayView1<'_, F>) -> F {
    let mut m = F::zero();
    Zip::from(mu).and(g).for_each(|&mi, &gi| {
        let p = (mi * gi).abs();
        if p.is_nan() || p > m {
            m = p;
        }
    });
    m
}
