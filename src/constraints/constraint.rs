//! Constraint functions `c: R^n -> R^m` for the augmented Lagrangian method.

use ndarray::{ArrayView1, ArrayViewMut1};

use crate::Real;
use crate::error::{Result, check_len};

/// A vector of `m` differentiable constraint functions `c(x) = (c_1(x), ..., c_m(x))` of `n`
/// variables: the equalities `h(x) = 0` or the inequalities `g(x) <= 0` of a problem solved by
/// [`AugmentedLagrangian`](crate::solvers::AugmentedLagrangian).
///
/// An implementor supplies the values and the product of the transposed Jacobian with a vector,
///
/// ```text
/// J(x)ᵀ v = Σ_i v_i ∇c_i(x)      (J(x)_{ij} = ∂c_i/∂x_j),
/// ```
///
/// which is all the method needs (the gradient of the augmented Lagrangian is
/// `∇f + J_hᵀ(λ + ρh) + J_gᵀ max(0, μ + ρg)`) and which costs no more than one gradient even
/// when `m` is large. Both write into buffers owned by the caller, so an evaluation allocates
/// nothing. [`FnConstraint`] builds one from two closures.
pub trait Constraint<F: Real> {
    /// Number of variables `n`.
    fn dim(&self) -> usize;

    /// Number of constraint functions `m`.
    fn count(&self) -> usize;

    /// Writes `c(x)` into `values` (length [`count`](Constraint::count)).
    ///
    /// # Preconditions
    /// `x` has [`dim`](Constraint::dim) entries and `values` has [`count`](Constraint::count)
    /// entries: the solver checks `x0` against `dim` and allocates `values` itself.
    ///
    /// # Errors
    /// An implementation may fail, for example [`FnConstraint`] when its closure returns the
    /// wrong number of values; the solver then stops and returns the error.
    fn values(&self, x: ArrayView1<'_, F>, values: ArrayViewMut1<'_, F>) -> Result<()>;

    /// Writes `J(x)ᵀ v` into `out` (length [`dim`](Constraint::dim)), for `v` of length
    /// [`count`](Constraint::count).
    ///
    /// # Preconditions
    /// `x` and `out` have [`dim`](Constraint::dim) entries and `v` has
    /// [`count`](Constraint::count), as the solver guarantees. [`FnConstraint`] hands the views
    /// to its closure as they are.
    fn jacobian_transpose_product(
        &self,
        x: ArrayView1<'_, F>,
        v: ArrayView1<'_, F>,
        out: ArrayViewMut1<'_, F>,
    );
}

/// Implements [`Constraint`] for each pointer type given (written in terms of `C`) by
/// forwarding every method to the pointee.
macro_rules! forward_constraint {
    ($($pointer:ty),+) => {$(
        impl<F: Real, C: Constraint<F> + ?Sized> Constraint<F> for $pointer {
            fn dim(&self) -> usize {
                (**self).dim()
            }
            fn count(&self) -> usize {
                (**self).count()
            }
            fn values(&self, x: ArrayView1<'_, F>, values: ArrayViewMut1<'_, F>) -> Result<()> {
                (**self).values(x, values)
            }
            fn jacobian_transpose_product(
                &self,
                x: ArrayView1<'_, F>,
                v: ArrayView1<'_, F>,
                out: ArrayViewMut1<'_, F>,
            ) {
                (**self).jacobian_transpose_product(x, v, out)
            }
        }
    )+};
}

// A constraint can be lent or boxed.
forward_constraint!(&C, Box<C>);

/// A [`Constraint`] made of two closures: one returning the values `c(x)` as anything that
/// views as a slice (a fixed-size array `[F; m]` allocates nothing), one writing `J(x)ᵀ v`.
///
/// ```
/// use gradus::constraints::{Constraint, FnConstraint};
/// use ndarray::{array, Array1};
///
/// // h(x) = |x|² - 1 (the unit circle): ∇h = 2x, so J(x)ᵀ v = 2 v₀ x.
/// let circle = FnConstraint::new(
///     2,
///     1,
///     |x| [x[0] * x[0] + x[1] * x[1] - 1.0],
///     |x, v, mut out| {
///         out[0] = 2.0 * v[0] * x[0];
///         out[1] = 2.0 * v[0] * x[1];
///     },
/// );
/// let mut h = Array1::zeros(1);
/// circle.values(array![3.0, 4.0].view(), h.view_mut())?;
/// assert_eq!(h[0], 24.0);
/// # Ok::<(), gradus::Error>(())
/// ```
pub struct FnConstraint<V, J> {
    dim: usize,
    count: usize,
    values: V,
    jacobian_transpose_product: J,
}

impl<V, J> FnConstraint<V, J> {
    /// `count` constraints of `dim` variables, with values `values(x)` and
    /// `jacobian_transpose_product(x, v, out)` writing `J(x)ᵀ v` into `out`.
    pub fn new<F, R>(dim: usize, count: usize, values: V, jacobian_transpose_product: J) -> Self
    where
        F: Real,
        R: AsRef<[F]>,
        V: Fn(ArrayView1<'_, F>) -> R,
        J: Fn(ArrayView1<'_, F>, ArrayView1<'_, F>, ArrayViewMut1<'_, F>),
    {
        FnConstraint {
            dim,
            count,
            values,
            jacobian_transpose_product,
        }
    }
}

impl<V, J> std::fmt::Debug for FnConstraint<V, J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnConstraint")
            .field("dim", &self.dim)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<F, R, V, J> Constraint<F> for FnConstraint<V, J>
where
    F: Real,
    R: AsRef<[F]>,
    V: Fn(ArrayView1<'_, F>) -> R,
    J: Fn(ArrayView1<'_, F>, ArrayView1<'_, F>, ArrayViewMut1<'_, F>),
{
    fn dim(&self) -> usize {
        self.dim
    }

    fn count(&self) -> usize {
        self.count
    }

    /// # Errors
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) if the closure returns a
    /// number of values other than the declared `count`, or `values` has another length.
    fn values(&self, x: ArrayView1<'_, F>, mut values: ArrayViewMut1<'_, F>) -> Result<()> {
        let returned = (self.values)(x);
        let returned = returned.as_ref();
        check_len(
            "values returned by the constraint closure vs its declared count",
            self.count,
            returned.len(),
        )?;
        check_len("constraint value buffer", self.count, values.len())?;
        for (out, &v) in values.iter_mut().zip(returned) {
            *out = v;
        }
        Ok(())
    }

    fn jacobian_transpose_product(
        &self,
        x: ArrayView1<'_, F>,
        v: ArrayView1<'_, F>,
        out: ArrayViewMut1<'_, F>,
    ) {
        (self.jacobian_transpose_product)(x, v, out)
    }
}
