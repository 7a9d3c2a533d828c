//! The settings of the augmented Lagrangian method, each with its default, validated once.

use crate::Real;
use crate::error::{Domain, Result, check, check_count, check_that};

/// Settings of [`AugmentedLagrangian`](super::AugmentedLagrangian), each with its default.
///
/// The names follow Birgin and Martínez (2014), Algorithm 4.1: `ρ` is the penalty, `γ` its growth
/// factor, `τ` the fraction by which the infeasibility must fall to keep `ρ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentedLagrangianConfig<F> {
    /// The first penalty `ρ_1`. Default `10`.
    pub initial_penalty: F,
    /// `γ > 1`: the penalty is multiplied by `γ` after an outer iteration that did not reduce the
    /// infeasibility enough. Default `10`.
    pub penalty_growth: F,
    /// `τ ∈ (0, 1)`: the penalty is kept when the infeasibility measure fell to at most `τ` times
    /// its previous value. Default `0.5`.
    pub required_decrease: F,
    /// The largest penalty `ρ_max`. Default `1e8`.
    pub max_penalty: F,
    /// At `ρ_max`, an outer iteration that leaves the infeasibility measure above `stall_ratio`
    /// times its previous value while a constraint is still violated beyond
    /// `feasibility_tolerance` ends the solve as
    /// [`InfeasibleStall`](super::ConstrainedTermination::InfeasibleStall): the violation has
    /// all but stopped decreasing and the penalty cannot grow. Must lie in
    /// `[required_decrease, 1]`. Default `0.99`.
    pub stall_ratio: F,
    /// The inner gradient tolerance `ε_1` of the first outer iteration. Default `1e-2`.
    pub initial_inner_tolerance: F,
    /// The factor `θ ∈ (0, 1]` by which the inner tolerance shrinks at each outer iteration,
    /// `ε_{k+1} = max(θ ε_k, optimality_tolerance / 2)`. Default `0.1`.
    pub inner_tolerance_decrease: F,
    /// Converged requires the largest constraint violation `max(|h|_∞, |max(g, 0)|_∞)` to be at
    /// most this. Default `1e-6` (`√ε ≈ 3.5e-4` for `f32`).
    pub feasibility_tolerance: F,
    /// Converged requires the KKT stationarity residual to be at most this. Default as
    /// `feasibility_tolerance`.
    pub optimality_tolerance: F,
    /// Converged requires the complementarity `max_i |μ_i g_i(x)|` to be at most this. Default as
    /// `feasibility_tolerance`.
    pub complementarity_tolerance: F,
    /// The outer iteration budget. Default `100`.
    pub max_outer_iterations: usize,
    /// Safeguard: the multipliers used in the next subproblem are clipped to
    /// `λ̄ ∈ [-bound, bound]`, `μ̄ ∈ [0, bound]`. Default `1e20`.
    pub multiplier_bound: F,
}

impl<F: Real> Default for AugmentedLagrangianConfig<F> {
    fn default() -> Self {
        let tol = F::lit(1e-6).max(F::epsilon().sqrt());
        AugmentedLagrangianConfig {
            initial_penalty: F::lit(10.0),
            penalty_growth: F::lit(10.0),
            required_decrease: F::lit(0.5),
            max_penalty: F::lit(1e8),
            stall_ratio: F::lit(0.99),
            initial_inner_tolerance: F::lit(1e-2),
            inner_tolerance_decrease: F::lit(0.1),
            feasibility_tolerance: tol,
            optimality_tolerance: tol,
            complementarity_tolerance: tol,
            max_outer_iterations: 100,
            multiplier_bound: F::lit(1e20),
        }
    }
}

impl<F: Real> AugmentedLagrangianConfig<F> {
    /// Checks every setting against its domain.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first field outside
    /// its domain.
    pub fn validate(&self) -> Result<()> {
        check("initial_penalty", self.initial_penalty, Domain::Positive)?;
        check_that(
            "penalty_growth",
            self.penalty_growth,
            "finite and > 1",
            self.penalty_growth.is_finite() && self.penalty_growth > F::one(),
        )?;
        check(
            "required_decrease",
            self.required_decrease,
            Domain::OpenUnitInterval,
        )?;
        check_that(
            "max_penalty",
            self.max_penalty,
            "finite and >= initial_penalty",
            self.max_penalty.is_finite() && self.max_penalty >= self.initial_penalty,
        )?;
        check_that(
            "stall_ratio",
            self.stall_ratio,
            "in [required_decrease, 1]",
            self.stall_ratio >= self.required_decrease && self.stall_ratio <= F::one(),
        )?;
        check(
            "initial_inner_tolerance",
            self.initial_inner_tolerance,
            Domain::Positive,
        )?;
        check(
            "inner_tolerance_decrease",
            self.inner_tolerance_decrease,
            Domain::DecayFactor,
        )?;
        check(
            "feasibility_tolerance",
            self.feasibility_tolerance,
            Domain::Positive,
        )?;
        check(
            "optimality_tolerance",
            self.optimality_tolerance,
            Domain::Positive,
        )?;
        check(
            "complementarity_tolerance",
            self.complementarity_tolerance,
            Domain::Positive,
        )?;
        check_count("max_outer_iterations", self.max_outer_iterations, 1)?;
        check("multiplier_bound", self.multiplier_bound, Domain::Positive)
    }
}
