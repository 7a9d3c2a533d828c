//! The augmented Lagrangian of one outer iteration as an [`Objective`] the inner loop minimises,
//! and the constraint evaluations it shares with the outer loop.

use std::cell::RefCell;

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use crate::Real;
use crate::constraints::Constraint;
use crate::error::{Error, Result};
use crate::linalg::alloc::{too_large, try_from_elem};
use crate::objective::Objective;

/// The augmented Lagrangian `L_ρ(·; λ̄, μ̄)` of one outer iteration, as an [`Objective`].
///
/// [`Objective`] methods take `&self`, but evaluating `L_ρ` needs somewhere to put `h(x)`, `g(x)`
/// and the `Jᵀv` products. Those buffers are allocated once per solve and kept in a `RefCell`, so
/// that no inner iteration allocates; each evaluation borrows them for its own duration only
/// (evaluations never nest), so the borrow always succeeds. An error from a constraint function
/// cannot be returned through `Objective` either: it is kept in a second `RefCell`, the value
/// becomes NaN so that the inner run stops, and the solver returns the error.
pub(super) struct AugmentedObjective<'p, F: Real, Obj: ?Sized> {
    objective: &'p Obj,
    eq: Option<&'p dyn Constraint<F>>,
    ineq: Option<&'p dyn Constraint<F>>,
    /// `λ̄`, `μ̄` and `ρ` of the current subproblem (changed only between inner solves).
    pub(super) lambda: Array1<F>,
    pub(super) mu: Array1<F>,
    pub(super) rho: F,
    scratch: RefCell<Scratch<F>>,
    /// The first error of a constraint function met during an inner solve.
    pub(super) error: RefCell<Option<Error>>,
}

/// `len` zeros, or the error naming the count `name` when they cannot be allocated.
pub(super) fn zeros<F: Real>(name: &'static str, len: usize) -> Result<Array1<F>> {
    try_from_elem(len, F::zero()).ok_or_else(|| too_large(name, len))
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
    pub(super) fn new(
        objective: &'p Obj,
        eq: Option<&'p dyn Constraint<F>>,
        ineq: Option<&'p dyn Constraint<F>>,
        rho: F,
    ) -> Result<Self> {
        let me = eq.map_or(0, |h| h.count());
        let mi = ineq.map_or(0, |g| g.count());
        let n = objective.dim();
        Ok(AugmentedObjective {
            objective,
            eq,
            ineq,
            lambda: zeros("equality constraints' count()", me)?,
            mu: zeros("inequality constraints' count()", mi)?,
            rho,
            scratch: RefCell::new(Scratch {
                h: zeros("equality constraints' count()", me)?,
                g: zeros("inequality constraints' count()", mi)?,
                weight_h: zeros("equality constraints' count()", me)?,
                weight_g: zeros("inequality constraints' count()", mi)?,
                product: zeros("objective.dim()", n)?,
            }),
            error: RefCell::new(None),
        })
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

    fn value_with_scratch(&self, x: ArrayView1<'_, F>, scratch: ArrayViewMut1<'_, F>) -> F {
        let mut s = self.scratch.borrow_mut();
        self.objective.value_with_scratch(x, scratch) + self.penalty_terms(x, &mut s)
    }
}

/// Writes `h(x)` and `g(x)` into `h` and `g`.
pub(super) fn constraint_values<F: Real>(
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
pub(super) fn add_jacobian_transpose_product<F: Real>(
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
