//! The sphere function.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{TestFunction, filled, wrong_length};
use crate::{Objective, Real};

/// The sphere `f(x) = Σ x_i²`: convex, `L = 2`, `μ = 2`, minimum `0` at the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sphere {
    n: usize,
}

impl Sphere {
    /// The sphere in `n` dimensions. Allocates nothing: the start and the minimiser are built
    /// on demand ([`TestFunction::start`] fails with a typed error for an `n` too large to
    /// allocate).
    pub fn new(n: usize) -> Self {
        Sphere { n }
    }
}

impl<F: Real> Objective<F> for Sphere {
    fn dim(&self) -> usize {
        self.n
    }
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if wrong_length(self.n, &x, None) {
            return F::nan();
        }
        x.fold(F::zero(), |s, &v| s + v * v)
    }
    fn gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) {
        if wrong_length(self.n, &x, Some(&mut grad)) {
            return;
        }
        Zip::from(grad).and(x).for_each(|g, &v| *g = v + v);
    }
    fn value_and_gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        if wrong_length(self.n, &x, Some(&mut grad)) {
            return F::nan();
        }
        let mut f = F::zero();
        Zip::from(grad).and(x).for_each(|g, &v| {
            *g = v + v;
            f += v * v;
        });
        f
    }
}

test_function!(Sphere, |self| {
    name: format!("sphere-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::zero())?]),
    minimum: 0.0,
    start: filled(self.n, F::one()),
    smoothness: Some(2.0),
    strong_convexity: Some(2.0),
    convex: true,
});
