//! The augmented Lagrangian method for `min f(x)` subject to `h(x) = 0`, `g(x) <= 0`, `x ∈ C`.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use crate::constraints::{Constraint, Projection};
use crate::error::{
    Domain, Error, Result, check, check_count, check_finite, check_len, check_that,
};
use crate::linalg::max_abs;
use crate::linalg::norm;
use crate::minimize::{Minimizer, Termination};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::{Real, Report};

/// Settings of [`AugmentedLagrangian`], each with its default.
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
    /// [`InfeasibleStall`](ConstrainedTermination::InfeasibleStall): the violation has all but
    /// stopped decreasing and the penalty cannot grow. Must lie in `[required_decrease, 1]`.
    /// Default `0.99`.
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
    /// [`Error::InvalidParameter`] naming the first field outside its domain.
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
    /// An observer of the inner [`Minimizer`] asked to stop.
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

/// The augmented Lagrangian method (Powell–Hestenes–Rockafellar) for
///
/// ```text
/// min f(x)   subject to   h(x) = 0  (m_e equations),   g(x) <= 0  (m_i inequalities),   x ∈ C,
/// ```
///
/// with `f` an [`Objective`], `h` and `g` given by the [`Constraint`] trait (values and
/// `Jᵀv` products), and `C` an optional [`Projection`] set handled by projection in the inner
/// solves. This is the method of Nocedal and Wright, *Numerical Optimization* (2nd ed., §17.3–17.4)
/// in the safeguarded form of E. G. Birgin and J. M. Martínez, *Practical Augmented Lagrangian
/// Methods for Constrained Optimization* (SIAM, 2014), Algorithm 4.1.
///
/// Each outer iteration `k` minimises, over `x ∈ C`, the augmented Lagrangian
///
/// ```text
/// L_ρ(x; λ, μ) = f(x) + λᵀh(x) + ρ/2 |h(x)|² + 1/(2ρ) Σ_i ( max(0, μ_i + ρ g_i(x))² - μ_i² ),
/// ∇L_ρ        = ∇f(x) + J_h(x)ᵀ(λ + ρ h(x)) + J_g(x)ᵀ max(0, μ + ρ g(x)),
/// ```
///
/// with the inner [`Minimizer`] (any update rule, warm-started at the previous iterate) to the
/// gradient tolerance `ε_k`, which shrinks by `θ` at each outer iteration. Then
///
/// ```text
/// λ ← λ + ρ h(x_k),      μ ← max(0, μ + ρ g(x_k)),
/// V_k = max(|h(x_k)|_∞, |max(g(x_k), -μ/ρ)|_∞)          (infeasibility and complementarity)
/// ρ ← min(γ ρ, ρ_max)   if V_k > τ V_{k-1}      (otherwise ρ is kept).
/// ```
///
/// The updated multipliers make `∇L_ρ(x_k)` exactly the gradient of the Lagrangian
/// `∇f + J_hᵀλ + J_gᵀμ`, so an accurate inner solve gives KKT stationarity, and the multiplier
/// update drives feasibility without `ρ → ∞` (unlike a pure penalty method). The solve converges
/// when the violation, the KKT residual (the projected residual `|x - P_C(x - ∇ℓ)|` with a set)
/// and the complementarity `max |μ_i g_i|` are within tolerance. The next subproblem uses the
/// multipliers clipped to `[-bound, bound]` (`[0, bound]` for `μ`), Birgin and Martínez's
/// safeguard.
///
/// The inner [`Minimizer`] keeps its rule, step-size strategy, budgets and observers; the
/// method only sets its gradient tolerance before each inner solve. Give the set `C` to
/// [`projection`](AugmentedLagrangian::projection) (not to the inner `Minimizer`), so that the
/// KKT residual is measured with it. A projected inner solve needs a constant step size or a
/// schedule (the loop has no projected line search), and the curvature of `L_ρ` grows like
/// `ρ |∇h|²`, so choose `max_penalty` and the step together: a step below `2/L(ρ_max)` keeps every
/// inner solve stable. Its gradient-mapping norm bounds the projected KKT residual when the step
/// is at most 1.
///
/// # Example: a linear function on the unit circle
///
/// ```
/// use gradus::line_search::Backtracking;
/// use gradus::{AugmentedLagrangian, FnConstraint, FnObjective, GradientDescent, Minimizer};
/// use ndarray::array;
///
/// // min x + y  subject to  x² + y² - 1 = 0:  x* = -(1, 1)/√2, λ* = |c|/2 = 1/√2.
/// let f = FnObjective::new(2, |x| x[0] + x[1], |_x, mut g| g.fill(1.0));
/// let circle = FnConstraint::new(
///     2,
///     1,
///     |x| [x[0] * x[0] + x[1] * x[1] - 1.0],
///     |x, v, mut out| {
///         out[0] = 2.0 * v[0] * x[0];
///         out[1] = 2.0 * v[0] * x[1];
///     },
/// );
/// let inner = Minimizer::new(GradientDescent::default()).line_search(Backtracking::default());
/// let report = AugmentedLagrangian::new(inner)
///     .equalities(circle)
///     .minimize(&f, array![-1.0, 0.0].view())?;
/// assert!(report.converged());
/// let s = 0.5_f64.sqrt();
/// assert!((report.x[0] + s).abs() < 1e-5 && (report.x[1] + s).abs() < 1e-5);
/// assert!((report.equality_multipliers[0] - s).abs() < 1e-5);
/// # Ok::<(), gradus::Error>(())
/// ```
pub struct AugmentedLagrangian<'a, F: Real, O: Optimizer<F>> {
    config: AugmentedLagrangianConfig<F>,
    /// Always `Some` between calls; an `Option` only so that the by-value builder methods of the
    /// `Minimizer` can be applied to it through `&mut self`.
    inner: Option<Minimizer<'a, F, O>>,
    equalities: Option<Box<dyn Constraint<F> + 'a>>,
    inequalities: Option<Box<dyn Constraint<F> + 'a>>,
    /// The set `C`, shared with the inner `Minimizer`, which projects its iterates onto it.
    set: Option<Rc<RefCell<dyn Projection<F> + 'a>>>,
}

impl<'a, F: Real, O: Optimizer<F>> AugmentedLagrangian<'a, F, O> {
    /// The method with the default [`AugmentedLagrangianConfig`], solving its subproblems with
    /// `inner`, and no constraints yet.
    pub fn new(inner: Minimizer<'a, F, O>) -> Self {
        AugmentedLagrangian {
            config: AugmentedLagrangianConfig::default(),
            inner: Some(inner),
            equalities: None,
            inequalities: None,
            set: None,
        }
    }

    /// Replaces the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a setting outside its domain (see
    /// [`AugmentedLagrangianConfig::validate`]).
    pub fn with_config(mut self, config: AugmentedLagrangianConfig<F>) -> Result<Self> {
        config.validate()?;
        self.config = config;
        Ok(self)
    }

    /// The settings.
    pub fn config(&self) -> &AugmentedLagrangianConfig<F> {
        &self.config
    }

    /// Sets the equality constraints `h(x) = 0`.
    pub fn equalities(mut self, h: impl Constraint<F> + 'a) -> Self {
        self.equalities = Some(Box::new(h));
        self
    }

    /// Sets the inequality constraints `g(x) <= 0`.
    pub fn inequalities(mut self, g: impl Constraint<F> + 'a) -> Self {
        self.inequalities = Some(Box::new(g));
        self
    }

    /// Keeps every iterate in the set `C` by projection (the inner solves become projected
    /// methods), and measures the KKT residual in its projected form.
    pub fn projection(mut self, set: impl Projection<F> + 'a) -> Self {
        let shared: Rc<RefCell<dyn Projection<F> + 'a>> = Rc::new(RefCell::new(set));
        self.inner = self
            .inner
            .take()
            .map(|m| m.projection(SharedSet(Rc::clone(&shared))));
        self.set = Some(shared);
        self
    }

    /// The inner minimiser.
    pub fn inner(&self) -> Option<&Minimizer<'a, F, O>> {
        self.inner.as_ref()
    }

    /// Solves the problem from `x0` (projected onto `C` first, if a set is given).
    ///
    /// Stopping on a budget, at an infeasible-looking stall or after a failed inner solve is
    /// reported in [`ConstrainedReport::termination`], not as an error.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::DimensionMismatch`] or [`Error::NonFinite`] for an empty,
    /// wrongly sized or non-finite `x0`; [`Error::DimensionMismatch`] if a constraint has another
    /// number of variables, or its function returns the wrong number of values;
    /// [`Error::NonFinite`] if a constraint value at the (projected) `x0` is NaN or infinite;
    /// any error of the inner [`Minimizer::minimize`] (an invalid step size, a line search
    /// combined with a projection, ...).
    pub fn minimize<Obj: Objective<F> + ?Sized>(
        &mut self,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<ConstrainedReport<F>> {
        let start = Instant::now();
        let cfg = self.config;
        cfg.validate()?;
        if x0.is_empty() {
            return Err(Error::Empty { what: "x0" });
        }
        let n = x0.len();
        check_len("x0 vs objective.dim()", objective.dim(), n)?;
        check_finite("x0", x0)?;
        let eq = self.equalities.as_deref();
        let ineq = self.inequalities.as_deref();
        if let Some(h) = eq {
            check_len("x0 vs equality constraints' dim()", h.dim(), n)?;
        }
        if let Some(g) = ineq {
            check_len("x0 vs inequality constraints' dim()", g.dim(), n)?;
        }
        if let Some(set) = &self.set
            && let Some(d) = set.borrow().dim()
        {
            check_len("x0 vs projection set dimension", d, n)?;
        }
        let me = eq.map_or(0, |h| h.count());
        let mi = ineq.map_or(0, |g| g.count());

        // Buffers of the outer loop, allocated once per solve.
        let mut x = x0.to_owned();
        self.project(x.view_mut());
        let mut h = Array1::zeros(me);
        let mut g = Array1::zeros(mi);
        let mut lambda = Array1::zeros(me);
        let mut mu = Array1::zeros(mi);
        let mut grad = Array1::zeros(n);
        let mut work = Array1::zeros(n);
        constraint_values(eq, ineq, x.view(), h.view_mut(), g.view_mut())?;
        check_finite("equality constraint values h(x0)", h.view())?;
        check_finite("inequality constraint values g(x0)", g.view())?;

        let mut aug = AugmentedObjective::new(objective, eq, ineq, cfg.initial_penalty);
        let mut eps = cfg.initial_inner_tolerance;
        let eps_floor = cfg.optimality_tolerance * F::lit(0.5);
        let mut previous_v = F::infinity();
        let mut totals = (0usize, 0usize, 0usize);
        let mut outer = 0usize;

        let (termination, last_inner) = loop {
            outer += 1;
            let Some(inner) = self.inner.take() else {
                return Err(Error::Incompatible {
                    reason: "the inner Minimizer was lost by an earlier interrupted solve; \
                             build the AugmentedLagrangian again",
                });
            };
            let inner = self
                .inner
                .insert(inner.gradient_tolerance(eps.max(eps_floor)));
            let run: Report<F> = inner.minimize(&aug, x.view())?;
            if let Some(e) = aug.error.borrow_mut().take() {
                return Err(e);
            }
            totals.0 += run.iterations;
            totals.1 += run.function_evaluations;
            totals.2 += run.gradient_evaluations;
            x.assign(&run.x);
            let rho = aug.rho;

            match run.termination {
                Termination::NonFinite | Termination::Diverged => {
                    lambda.assign(&aug.lambda);
                    mu.assign(&aug.mu);
                    break (
                        ConstrainedTermination::InnerFailure(run.termination),
                        run.termination,
                    );
                }
                Termination::StoppedByObserver => {
                    lambda.assign(&aug.lambda);
                    mu.assign(&aug.mu);
                    break (ConstrainedTermination::StoppedByObserver, run.termination);
                }
                _ => {}
            }

            // Multiplier update and the infeasibility measure V_k.
            constraint_values(eq, ineq, x.view(), h.view_mut(), g.view_mut())?;
            let mut v = max_abs(h.view());
            Zip::from(&mut lambda)
                .and(&aug.lambda)
                .and(&h)
                .for_each(|l, &lb, &hi| *l = lb + rho * hi);
            Zip::from(&mut mu)
                .and(&aug.mu)
                .and(&g)
                .for_each(|m, &mb, &gi| {
                    let t = mb + rho * gi;
                    *m = if t < F::zero() { F::zero() } else { t };
                    v = v.max(gi.max(-mb / rho).abs());
                });

            let violation = max_violation(h.view(), g.view());
            let complementarity = max_complementarity(mu.view(), g.view());
            let kkt = self.kkt_residual(
                objective,
                eq,
                ineq,
                (x.view(), lambda.view(), mu.view()),
                grad.view_mut(),
                work.view_mut(),
            );
            if violation <= cfg.feasibility_tolerance
                && kkt <= cfg.optimality_tolerance
                && complementarity <= cfg.complementarity_tolerance
            {
                break (ConstrainedTermination::Converged, run.termination);
            }
            if outer >= cfg.max_outer_iterations {
                break (ConstrainedTermination::MaxOuterIterations, run.termination);
            }
            if v > cfg.required_decrease * previous_v {
                if rho >= cfg.max_penalty {
                    if v > cfg.stall_ratio * previous_v && violation > cfg.feasibility_tolerance {
                        break (ConstrainedTermination::InfeasibleStall, run.termination);
                    }
                } else {
                    aug.rho = (rho * cfg.penalty_growth).min(cfg.max_penalty);
                }
            }
            previous_v = v;

            // Safeguarded multipliers for the next subproblem.
            let bound = cfg.multiplier_bound;
            Zip::from(&mut aug.lambda)
                .and(&lambda)
                .for_each(|lb, &l| *lb = l.max(-bound).min(bound));
            Zip::from(&mut aug.mu)
                .and(&mu)
                .for_each(|mb, &m| *mb = m.min(bound));
            eps = (eps * cfg.inner_tolerance_decrease).max(eps_floor);
        };

        // Final measures at x with the reported multipliers (already computed on convergence,
        // recomputed here so that every exit reports the same quantities).
        constraint_values(eq, ineq, x.view(), h.view_mut(), g.view_mut())?;
        let f = objective.value_and_gradient(x.view(), grad.view_mut());
        let kkt = self.kkt_residual(
            objective,
            eq,
            ineq,
            (x.view(), lambda.view(), mu.view()),
            grad.view_mut(),
            work.view_mut(),
        );
        Ok(ConstrainedReport {
            f,
            max_violation: max_violation(h.view(), g.view()),
            complementarity: max_complementarity(mu.view(), g.view()),
            kkt_residual: kkt,
            x,
            equality_multipliers: lambda,
            inequality_multipliers: mu,
            penalty: aug.rho,
            outer_iterations: outer,
            inner_iterations: totals.0,
            function_evaluations: totals.1,
            gradient_evaluations: totals.2,
            termination,
            last_inner_termination: last_inner,
            elapsed: start.elapsed(),
        })
    }

    /// Projects `x` onto `C`, if a set is given.
    fn project(&self, x: ArrayViewMut1<'_, F>) {
        if let Some(set) = &self.set {
            SharedSet(Rc::clone(set)).project(x);
        }
    }

    /// `|∇ℓ|₂` or `|x - P_C(x - ∇ℓ)|₂` with `∇ℓ = ∇f + J_hᵀλ + J_gᵀμ`, using `grad` and `work`.
    fn kkt_residual<Obj: Objective<F> + ?Sized>(
        &self,
        objective: &Obj,
        eq: Option<&(dyn Constraint<F> + 'a)>,
        ineq: Option<&(dyn Constraint<F> + 'a)>,
        (x, lambda, mu): (ArrayView1<'_, F>, ArrayView1<'_, F>, ArrayView1<'_, F>),
        mut grad: ArrayViewMut1<'_, F>,
        mut work: ArrayViewMut1<'_, F>,
    ) -> F {
        objective.gradient(x, grad.view_mut());
        add_jacobian_transpose_product(eq, x, lambda, grad.view_mut(), work.view_mut());
        add_jacobian_transpose_product(ineq, x, mu, grad.view_mut(), work.view_mut());
        if self.set.is_none() {
            return norm(grad.view());
        }
        Zip::from(&mut work)
            .and(x)
            .and(&grad)
            .for_each(|w, &xi, &gi| *w = xi - gi);
        self.project(work.view_mut());
        Zip::from(&mut work).and(x).for_each(|w, &xi| *w = xi - *w);
        norm(work.view())
    }
}

impl<F: Real, O: Optimizer<F>> fmt::Debug for AugmentedLagrangian<'_, F, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AugmentedLagrangian")
            .field("config", &self.config)
            .field("equalities", &self.equalities.as_ref().map(|h| h.count()))
            .field(
                "inequalities",
                &self.inequalities.as_ref().map(|g| g.count()),
            )
            .field("projection", &self.set.is_some())
            .finish_non_exhaustive()
    }
}

/// A handle on the set `C` shared between the method and its inner `Minimizer`.
struct SharedSet<'a, F>(Rc<RefCell<dyn Projection<F> + 'a>>);

impl<F: Real> Projection<F> for SharedSet<'_, F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        // The set is only borrowed for the length of one projection and projections do not
        // nest, so the borrow cannot fail; if it ever did, a NaN stops the run instead of a
        // panic.
        match self.0.try_borrow_mut() {
            Ok(mut set) => set.project(x),
            Err(_) => x.fill(F::nan()),
        }
    }
    fn dim(&self) -> Option<usize> {
        self.0.try_borrow().ok().and_then(|s| s.dim())
    }
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        self.0.try_borrow().is_ok_and(|s| s.contains(x, tolerance))
    }
}

/// The augmented Lagrangian `L_ρ(·; λ̄, μ̄)` of one outer iteration, as an [`Objective`].
///
/// [`Objective`] methods take `&self`, but evaluating `L_ρ` needs somewhere to put `h(x)`, `g(x)`
/// and the `Jᵀv` products. Those buffers are allocated once per solve and kept in a `RefCell`, so
/// that no inner iteration allocates; each evaluation borrows them for its own duration only
/// (evaluations never nest), so the borrow always succeeds. An error from a constraint function
/// cannot be returned through `Objective` either: it is kept in a second `RefCell`, the value
/// becomes NaN so that the inner run stops, and the solver returns the error.
struct AugmentedObjective<'p, F: Real, Obj: ?Sized> {
    objective: &'p Obj,
    eq: Option<&'p dyn Constraint<F>>,
    ineq: Option<&'p dyn Constraint<F>>,
    /// `λ̄`, `μ̄` and `ρ` of the current subproblem (changed only between inner solves).
    lambda: Array1<F>,
    mu: Array1<F>,
    rho: F,
    scratch: RefCell<Scratch<F>>,
    error: RefCell<Option<Error>>,
}

/// Evaluation buffers of [`AugmentedObjective`].
struct Scratch<F> {
    h: Array1<F>,
    g: Array1<F>,
    /// `λ̄ + ρh` and `max(0, μ̄ + ρg)`.
    weight_h: Array1<F>,
    weight_g: Array1<F>,
    /// One `Jᵀv` product.
    product: Array1<F>,
}

impl<'p, F: Real, Obj: Objective<F> + ?Sized> AugmentedObjective<'p, F, Obj> {
    fn new(
        objective: &'p Obj,
        eq: Option<&'p dyn Constraint<F>>,
        ineq: Option<&'p dyn Constraint<F>>,
        rho: F,
    ) -> Self {
        let me = eq.map_or(0, |h| h.count());
        let mi = ineq.map_or(0, |g| g.count());
        AugmentedObjective {
            objective,
            eq,
            ineq,
            lambda: Array1::zeros(me),
            mu: Array1::zeros(mi),
            rho,
            scratch: RefCell::new(Scratch {
                h: Array1::zeros(me),
                g: Array1::zeros(mi),
                weight_h: Array1::zeros(me),
                weight_g: Array1::zeros(mi),
                product: Array1::zeros(objective.dim()),
            }),
            error: RefCell::new(None),
        }
    }

    /// Evaluates `h`, `g` into the scratch buffers and returns the penalty part of `L_ρ`,
    /// `λ̄ᵀh + ρ/2 |h|² + 1/(2ρ) Σ (max(0, μ̄ + ρg)² - μ̄²)`, leaving the weights
    /// `λ̄ + ρh` and `max(0, μ̄ + ρg)` in the scratch. NaN if a constraint function failed.
    fn penalty_terms(&self, x: ArrayView1<'_, F>, s: &mut Scratch<F>) -> F {
        if let Err(e) = constraint_values(self.eq, self.ineq, x, s.h.view_mut(), s.g.view_mut()) {
            self.error.borrow_mut().get_or_insert(e);
            return F::nan();
        }
        let rho = self.rho;
        let half = F::lit(0.5);
        let mut sum = F::zero();
        Zip::from(&mut s.weight_h)
            .and(&self.lambda)
            .and(&s.h)
            .for_each(|w, &l, &h| {
                *w = l + rho * h;
                sum += l * h + half * rho * h * h;
            });
        Zip::from(&mut s.weight_g)
            .and(&self.mu)
            .and(&s.g)
            .for_each(|w, &m, &g| {
                let t = m + rho * g;
                // `max(0, t)` written so that a NaN constraint value stays NaN.
                *w = if t < F::zero() { F::zero() } else { t };
                sum += half * (*w * *w - m * m) / rho;
            });
        sum
    }

    /// Adds `J_hᵀ(λ̄ + ρh) + J_gᵀ max(0, μ̄ + ρg)` (weights from [`penalty_terms`]) to `grad`.
    fn add_penalty_gradient(
        &self,
        x: ArrayView1<'_, F>,
        s: &mut Scratch<F>,
        mut grad: ArrayViewMut1<'_, F>,
    ) {
        let Scratch {
            weight_h,
            weight_g,
            product,
            ..
        } = s;
        add_jacobian_transpose_product(
            self.eq,
            x,
            weight_h.view(),
            grad.view_mut(),
            product.view_mut(),
        );
        add_jacobian_transpose_product(self.ineq, x, weight_g.view(), grad, product.view_mut());
    }
}

impl<F: Real, Obj: Objective<F> + ?Sized> Objective<F> for AugmentedObjective<'_, F, Obj> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let mut s = self.scratch.borrow_mut();
        self.objective.value(x) + self.penalty_terms(x, &mut s)
    }

    fn gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) {
        let mut s = self.scratch.borrow_mut();
        self.objective.gradient(x, grad.view_mut());
        if self.penalty_terms(x, &mut s).is_nan() && self.error.borrow().is_some() {
            grad.fill(F::nan());
            return;
        }
        self.add_penalty_gradient(x, &mut s, grad);
    }

    fn value_and_gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        let mut s = self.scratch.borrow_mut();
        let f = self.objective.value_and_gradient(x, grad.view_mut());
        let p = self.penalty_terms(x, &mut s);
        if p.is_nan() && self.error.borrow().is_some() {
            grad.fill(F::nan());
            return F::nan();
        }
        self.add_penalty_gradient(x, &mut s, grad);
        f + p
    }
}

/// Writes `h(x)` and `g(x)` into `h` and `g`.
fn constraint_values<F: Real>(
    eq: Option<&dyn Constraint<F>>,
    ineq: Option<&dyn Constraint<F>>,
    x: ArrayView1<'_, F>,
    h: ArrayViewMut1<'_, F>,
    g: ArrayViewMut1<'_, F>,
) -> Result<()> {
    if let Some(c) = eq {
        c.values(x, h)?;
    }
    if let Some(c) = ineq {
        c.values(x, g)?;
    }
    Ok(())
}

/// `grad += J(x)ᵀ v`, with `product` as scratch (nothing to do without constraints).
fn add_jacobian_transpose_product<F: Real>(
    c: Option<&dyn Constraint<F>>,
    x: ArrayView1<'_, F>,
    v: ArrayView1<'_, F>,
    grad: ArrayViewMut1<'_, F>,
    mut product: ArrayViewMut1<'_, F>,
) {
    if let Some(c) = c {
        c.jacobian_transpose_product(x, v, product.view_mut());
        Zip::from(grad).and(&product).for_each(|g, &p| *g += p);
    }
}

/// `max(|h|_∞, |max(g, 0)|_∞)`.
fn max_violation<F: Real>(h: ArrayView1<'_, F>, g: ArrayView1<'_, F>) -> F {
    let mut m = max_abs(h);
    for &gi in g {
        if gi.is_nan() || gi > m {
            m = gi;
        }
    }
    m
}

/// `max_i |μ_i g_i|`.
fn max_complementarity<F: Real>(mu: ArrayView1<'_, F>, g: ArrayView1<'_, F>) -> F {
    let mut m = F::zero();
    Zip::from(mu).and(g).for_each(|&mi, &gi| {
        let p = (mi * gi).abs();
        if p.is_nan() || p > m {
            m = p;
        }
    });
    m
}
