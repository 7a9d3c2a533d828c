//! Constraints: convex sets with exact Euclidean projections.

use ndarray::{ArrayView1, ArrayViewMut1};

use crate::Real;

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
    /// has a fixed dimension; the [`Minimizer`](crate::Minimizer) checks this before a run.
    fn project(&mut self, x: ArrayViewMut1<'_, F>);

    /// The dimension `n` of the space the set lives in, or `None` if it applies to any `n`
    /// (the non-negative orthant, a ball about the origin, ...).
    fn dim(&self) -> Option<usize>;

    /// `true` if `x` lies in the set up to `tolerance` (in the set's own measure of violation).
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool;
}

impl<F: Real, P: Projection<F> + ?Sized> Projection<F> for Box<P> {
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
