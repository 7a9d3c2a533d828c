//! The augmented Lagrangian method for `min f(x)` subject to `h(x) = 0`, `g(x) <= 0`, `x ∈ C`.
//!
//! - `mod.rs`: the method itself, [`AugmentedLagrangian`]: its builder and the outer loop
//!   (inner solve, multiplier update, penalty update, convergence test);
//! - `config.rs`: its settings, [`AugmentedLagrangianConfig`];
//! - `report.rs`: what a solve returns, [`ConstrainedReport`] and [`ConstrainedTermination`], and
//!   the measures it reports;
//! - `objective.rs`: the augmented Lagrangian `L_ρ` of one outer iteration, as the
//!   [`Objective`] the inner [`Minimizer`] minimises.

mod config;
mod objective;
mod report;

pub use config::AugmentedLagrangianConfig;
pub use report::{ConstrainedReport, ConstrainedTermination};

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use crate::constraints::{Constraint, Projection};
use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::{max_abs, norm};
use crate::minimize::{Minimizer, Termination};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::{Real, Report};
use objective::{AugmentedObjective, add_jacobian_transpose_product, constraint_values, zeros};
use report::{Measures, max_complementarity, max_violation};

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
    /// [`Error::InvalidCount`] naming a constraint's [`count`](Constraint::count) too large for
    /// its vectors to be allocated; any error of the inner [`Minimizer::minimize`] (an invalid step size, a line search
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
        // The constraint counts come from the user's constraints: a count too large to allocate
        // is an error, not an abort.
        let mut it = Iterate {
            x,
            h: zeros("equality constraints' count()", me)?,
            g: zeros("inequality constraints' count()", mi)?,
            lambda: zeros("equality constraints' count()", me)?,
            mu: zeros("inequality constraints' count()", mi)?,
        };
        let mut grad = Array1::zeros(n);
        let mut work = Array1::zeros(n);
        constraint_values(eq, ineq, it.x.view(), it.h.view_mut(), it.g.view_mut())?;
        check_finite("equality constraint values h(x0)", it.h.view())?;
        check_finite("inequality constraint values g(x0)", it.g.view())?;

        let mut aug = AugmentedObjective::new(objective, eq, ineq, cfg.initial_penalty)?;
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
            let run: Report<F> = inner.minimize(&aug, it.x.view())?;
            if let Some(e) = aug.error.borrow_mut().take() {
                return Err(e);
            }
            totals.0 += run.iterations;
            totals.1 += run.function_evaluations;
            totals.2 += run.gradient_evaluations;
            it.x.assign(&run.x);
            let rho = aug.rho;

            match run.termination {
                Termination::NonFinite | Termination::Diverged => {
                    it.lambda.assign(&aug.lambda);
                    it.mu.assign(&aug.mu);
                    break (
                        ConstrainedTermination::InnerFailure(run.termination),
                        run.termination,
                    );
                }
                Termination::StoppedByObserver => {
                    it.lambda.assign(&aug.lambda);
                    it.mu.assign(&aug.mu);
                    break (ConstrainedTermination::StoppedByObserver, run.termination);
                }
                _ => {}
            }

            // Multiplier update and the infeasibility measure V_k.
            constraint_values(eq, ineq, it.x.view(), it.h.view_mut(), it.g.view_mut())?;
            let mut v = max_abs(it.h.view());
            Zip::from(&mut it.lambda)
                .and(&aug.lambda)
                .and(&it.h)
                .for_each(|l, &lb, &hi| *l = lb + rho * hi);
            Zip::from(&mut it.mu)
                .and(&aug.mu)
                .and(&it.g)
                .for_each(|m, &mb, &gi| {
                    let t = mb + rho * gi;
                    *m = if t < F::zero() { F::zero() } else { t };
                    v = v.max(gi.max(-mb / rho).abs());
                });

            let m = self.measures(objective, eq, ineq, &it, &mut grad, &mut work);
            if m.violation <= cfg.feasibility_tolerance
                && m.kkt_residual <= cfg.optimality_tolerance
                && m.complementarity <= cfg.complementarity_tolerance
            {
                break (ConstrainedTermination::Converged, run.termination);
            }
            if outer >= cfg.max_outer_iterations {
                break (ConstrainedTermination::MaxOuterIterations, run.termination);
            }
            if v > cfg.required_decrease * previous_v {
                if rho >= cfg.max_penalty {
                    if v > cfg.stall_ratio * previous_v && m.violation > cfg.feasibility_tolerance {
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
                .and(&it.lambda)
                .for_each(|lb, &l| *lb = l.max(-bound).min(bound));
            Zip::from(&mut aug.mu)
                .and(&it.mu)
                .for_each(|mb, &m| *mb = m.min(bound));
            eps = (eps * cfg.inner_tolerance_decrease).max(eps_floor);
        };

        // Final measures at x with the reported multipliers (already computed on convergence,
        // recomputed here so that every exit reports the same quantities).
        constraint_values(eq, ineq, it.x.view(), it.h.view_mut(), it.g.view_mut())?;
        let f = objective.value_and_gradient(it.x.view(), grad.view_mut());
        let m = self.measures(objective, eq, ineq, &it, &mut grad, &mut work);
        Ok(ConstrainedReport {
            f,
            max_violation: m.violation,
            complementarity: m.complementarity,
            kkt_residual: m.kkt_residual,
            x: it.x,
            equality_multipliers: it.lambda,
            inequality_multipliers: it.mu,
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

    /// The [`Measures`] of the iterate `it` (whose constraint values are those at its `x`), using
    /// `grad` and `work`.
    fn measures<Obj: Objective<F> + ?Sized>(
        &self,
        objective: &Obj,
        eq: Option<&(dyn Constraint<F> + 'a)>,
        ineq: Option<&(dyn Constraint<F> + 'a)>,
        it: &Iterate<F>,
        grad: &mut Array1<F>,
        work: &mut Array1<F>,
    ) -> Measures<F> {
        Measures {
            violation: max_violation(it.h.view(), it.g.view()),
            complementarity: max_complementarity(it.mu.view(), it.g.view()),
            kkt_residual: self.kkt_residual(
                objective,
                eq,
                ineq,
                (it.x.view(), it.lambda.view(), it.mu.view()),
                grad.view_mut(),
                work.view_mut(),
            ),
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

/// The outer iterate: the point `x`, its constraint values `h(x)` and `g(x)`, and the
/// multipliers `λ` and `μ`.
struct Iterate<F> {
    x: Array1<F>,
    h: Array1<F>,
    g: Array1<F>,
    lambda: Array1<F>,
    mu: Array1<F>,
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
