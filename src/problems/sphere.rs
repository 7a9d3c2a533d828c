//! The sphere function.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::filled;
use crate::Real;

/// The sphere `f(x) = Σ x_i²`: convex, `L = 2`, `μ = 2`, minimum `0` at the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sphere {
    n: usize,
}

impl Sphere {
    /// The sphere in `n` dimensions. Allocates nothing: the start and the minimiser are built
    /// on demand ([`TestFunction::start`](super::TestFunction::start) fails with a typed error
    /// for an `n` too large to allocate).
    pub fn new(n: usize) -> Self {
        Sphere { n }
    }

    /// `f(x)`, for `x` of `n` entries.
    fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
        x.fold(F::zero(), |s, &v| s + v * v)
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad<F: Real>(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        let mut f = F::zero();
        Zip::from(grad).and(x).for_each(|g, &v| {
            *g = v + v;
            f += v * v;
        });
        f
    }
}

objective_from_formulas!(Sphere, |self| self.n);

test_function!(Sphere, |self| {
    name: format!("sphere-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::zero())?]),
    minimum: F::zero(),
    start: filled(self.n, F::one()),
    smoothness: Some(F::lit(2.0)),
    strong_convexity: Some(F::lit(2.0)),
    convex: true,
});
