//! Constraints: convex sets with exact Euclidean projections, and the constraint functions of
//! general equality and inequality constraints.
//!
//! A [`Projection`] is a closed convex set `C` with its exact projection `P_C`; handing one to
//! [`Minimizer::projection`](crate::Minimizer::projection) turns any update rule into a projected
//! method. The sets, one per file:
//!
//! | set | definition |
//! |---|---|
//! | [`BoxSet`] | `{x : l <= x <= u}` (infinite bounds allowed) |
//! | [`NonNegative`] | `{x : x >= 0}` |
//! | [`L2Ball`] | `{x : |x - c|₂ <= r}` |
//! | [`LInfBall`] | `{x : |x - c|_∞ <= r}` |
//! | [`L1Ball`] | `{x : |x - c|₁ <= r}` |
//! | [`Simplex`] | `{x : x >= 0, Σ x_i = s}` |
//! | [`HalfSpace`] | `{x : a·x <= b}` |
//! | [`Hyperplane`] | `{x : a·x = b}` |
//! | [`Affine`] | `{x : A x = b}` |
//! | [`Product`] | `C_1 × C_2 × ...` on consecutive blocks of `x` |
//!
//! Constraints that are not simple sets — `h(x) = 0`, `g(x) <= 0` with `h`, `g` nonlinear — are
//! handled by [`AugmentedLagrangian`](crate::solvers::AugmentedLagrangian), an outer loop of
//! multiplier updates around the [`Minimizer`](crate::Minimizer); the constraint functions are
//! supplied through the [`Constraint`] trait.

use ndarray::{ArrayView1, ArrayViewMut1};

use crate::Real;
use crate::error::{Error, Result, check_len};

mod affine;
mod ball;
mod box_set;
mod constraint;
mod halfspace;
mod hyperplane;
mod l1_ball;
mod l2_ball;
mod linf_ball;
mod nonnegative;
mod product;
mod simplex;

pub use affine::Affine;
pub use ball::{Ball, BallNorm};
pub use box_set::BoxSet;
pub use constraint::{Constraint, FnConstraint};
pub use halfspace::HalfSpace;
pub use hyperplane::Hyperplane;
pub use l1_ball::{L1, L1Ball};
pub use l2_ball::{L2, L2Ball};
pub use linf_ball::{LInf, LInfBall};
pub use nonnegative::NonNegative;
pub use product::Product;
pub use simplex::Simplex;

/// A closed convex set `C ⊆ R^n` with its exact Euclidean projection
///
/// ```text
/// P_C(x) = argmin_{z ∈ C} |z - x|_2 .
/// ```
///
/// Because `C` is closed and convex the minimiser exists and is unique, and `P_C` is idempotent
/// (`P_C(P_C(x)) = P_C(x)`), non-expansive (`|P_C(x) - P_C(y)| <= |x - y|`), and characterised by
/// the obtuse-angle condition `<x - P_C(x), z - P_C(x)> <= 0` for every `z ∈ C`.
///
/// Any update rule becomes a projected method when the [`Minimizer`](crate::Minimizer) projects
/// each iterate (see [`Minimizer::projection`](crate::Minimizer::projection)). Projections work in
/// place and must not allocate: a set that needs scratch space keeps it, which is why
/// [`project`](Projection::project) takes `&mut self`.
pub trait Projection<F: Real> {
    /// Replaces `x` by `P_C(x)`. `x` must have [`dim`](Projection::dim) entries when the set
    /// has a fixed dimension; the [`Minimizer`](crate::Minimizer) checks this before a run, and
    /// [`try_project`](Projection::try_project) checks it for a call by hand.
    ///
    /// The sets of this module never turn a NaN entry into a finite point: a NaN stays in `x`,
    /// so that the loop stops with [`Termination::NonFinite`](crate::Termination::NonFinite)
    /// instead of going on from a point that was never computed.
    ///
    /// A set of fixed dimension given an `x` of another length fills it with NaN (it never
    /// panics); call [`try_project`](Projection::try_project) to get a typed error instead.
    fn project(&mut self, x: ArrayViewMut1<'_, F>);

    /// The dimension `n` of the space the set lives in, or `None` if it applies to any `n`
    /// (the non-negative orthant, a ball about the origin, ...).
    fn dim(&self) -> Option<usize>;

    /// `true` if `x` lies in the set up to `tolerance` (in the set's own measure of violation).
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool;

    /// [`project`](Projection::project) after checking that `x` has the set's dimension.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the set has a fixed dimension and `x` has another length.
    fn try_project(&mut self, x: ArrayViewMut1<'_, F>) -> Result<()> {
        if let Some(n) = self.dim() {
            check_len("x vs projection set dimension", n, x.len())?;
        }
        self.project(x);
        Ok(())
    }
}

/// Implements [`Projection`] for each pointer type given (written in terms of `P`) by
/// forwarding every method to the pointee.
macro_rules! forward_projection {
    ($($pointer:ty),+) => {$(
        impl<F: Real, P: Projection<F> + ?Sized> Projection<F> for $pointer {
            fn project(&mut self, x: ArrayViewMut1<'_, F>) {
                (**self).project(x)
            }
            fn dim(&self) -> Option<usize> {
                (**self).dim()
            }
            fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
                (**self).contains(x, tolerance)
            }
        }
    )+};
}

// A set can be boxed, or lent mutably (projecting may use the set's scratch space).
forward_projection!(Box<P>, &mut P);

/// An [`Error::InvalidSet`] for `set` with the given reason.
fn invalid_set(set: &'static str, reason: String) -> Error {
    Error::InvalidSet { set, reason }
}

/// Checks an optional center: non-empty and finite.
fn check_center<F: Real>(what: &'static str, center: ArrayView1<'_, F>) -> Result<()> {
    if center.is_empty() {
        return Err(Error::Empty { what });
    }
    crate::error::check_finite(what, center)
}

/// Normalises a normal vector `a` and offset `b` to `(a/|a|, b/|a|)`, checking both.
fn unit_normal<F: Real>(
    set: &'static str,
    a: ArrayView1<'_, F>,
    b: F,
) -> Result<(ndarray::Array1<F>, F)> {
    if a.is_empty() {
        return Err(Error::Empty {
            what: "normal vector a",
        });
    }
    crate::error::check_finite("normal vector a", a)?;
    crate::error::check("b", b, crate::error::Domain::Finite)?;
    let norm = crate::linalg::norm(a);
    if norm == F::zero() {
        return Err(invalid_set(
            set,
            "the normal vector a is zero, so the set is empty or all of R^n; \
             give a vector with at least one non-zero entry"
                .to_string(),
        ));
    }
    // `|a|` below the normal range keeps few bits, and above the largest float is infinite:
    // there `a/m` is normalised instead, `m` the largest magnitude of `a`, whose norm lies in
    // `[1, √n]`. Elsewhere `a/|a|` as it is.
    let scaled = !(norm >= F::min_positive_value() && norm.is_finite());
    let (m, unit) = if scaled {
        let m = crate::linalg::max_abs(a);
        (m, crate::linalg::norm(a.mapv(|v| v / m).view()))
    } else {
        (F::one(), norm)
    };
    let offset = if scaled { b / m / unit } else { b / norm };
    if !offset.is_finite() {
        return Err(invalid_set(
            set,
            format!(
                "|a| = {:e} is so small beside b = {:e} that the boundary a·x = b lies beyond the \
                 largest float; scale a and b by the same factor",
                norm.as_f64(),
                b.as_f64()
            ),
        ));
    }
    if scaled {
        Ok((a.mapv(|v| v / m / unit), offset))
    } else {
        Ok((a.mapv(|v| v / norm), offset))
    }
}

/// Fills `x` with NaN and returns `true` when its length differs from the set's dimension.
///
/// [`Projection::project`] cannot return an error, and a wrong length must not panic: a NaN is
/// what the [`Minimizer`](crate::Minimizer) reports as a non-finite step, and what a caller
/// projecting by hand sees at once. [`Projection::try_project`] returns a typed error instead.
pub(crate) fn reject_wrong_length<F: Real>(
    dim: Option<usize>,
    x: &mut ArrayViewMut1<'_, F>,
) -> bool {
    match dim {
        Some(n) if n != x.len() => {
            x.fill(F::nan());
            true
        }
        _ => false,
    }
}
