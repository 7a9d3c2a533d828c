//! Penalties scaled by one weight `λ`, the families along which a
//! [regularization path](crate::solvers::regularization_path) runs.

use ndarray::ArrayView1;

use super::Prox;
use crate::Real;

/// A penalty family `h_λ = λ h_1` scaled by one weight `λ`, for
/// [regularization paths](crate::solvers::regularization_path).
pub trait Penalty<F: Real>: Prox<F> + Clone {
    /// The weight `λ` of this penalty.
    fn lambda(&self) -> F;

    /// The same penalty (weights, groups, mixing) with the weight `lambda`, which the caller
    /// has checked to be finite and `>= 0`.
    fn with_lambda(&self, lambda: F) -> Self;

    /// The smallest `λ` for which `0 ∈ g + ∂h_λ(0)`: the dual norm `‖g‖_*` of `h_1` at the
    /// gradient `g = ∇f(x̂)` of the path's starting point (`+∞` if no `λ` makes it optimal;
    /// unpenalised coordinates are not counted, see [`lambda_max`](crate::solvers::lambda_max)).
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F;
}

/// `max_i |g_i|`, NaN if an entry is.
pub(super) fn max_abs<F: Real>(g: impl Iterator<Item = F>) -> F {
    g.fold(F::zero(), |m, v| {
        if v.abs() > m || v.is_nan() {
            v.abs()
        } else {
            m
        }
    })
}
