//! The Rosenbrock function.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::{filled, from_fn};
use crate::Real;

n_dimensional! {
    /// The Rosenbrock function (Rosenbrock, 1960), in its chained `n`-dimensional form
    ///
    /// ```text
    /// f(x) = Σ_{i=1}^{n-1} [ 100 (x_{i+1} - x_i²)² + (1 - x_i)² ] ,
    /// ```
    ///
    /// non-convex, with a narrow curved valley; global minimum `0` at `(1, ..., 1)`. The standard
    /// start is `(-1.2, 1, -1.2, 1, ...)`. For `4 <= n <= 7` there is also a local minimum near
    /// `(-1, 1, ..., 1)`.
    Rosenbrock, "Rosenbrock", n >= 2
}

impl Rosenbrock {
    /// `f(x)`, for `x` of `n` entries.
    fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
        let hundred = F::lit(100.0);
        let mut f = F::zero();
        for i in 0..x.len().saturating_sub(1) {
            let a = x[i + 1] - x[i] * x[i];
            let b = F::one() - x[i];
            f += hundred * a * a + b * b;
        }
        f
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad<F: Real>(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        let hundred = F::lit(100.0);
        let two = F::lit(2.0);
        grad.fill(F::zero());
        let mut f = F::zero();
        for i in 0..x.len().saturating_sub(1) {
            let a = x[i + 1] - x[i] * x[i];
            let b = F::one() - x[i];
            f += hundred * a * a + b * b;
            grad[i] -= F::lit(400.0) * x[i] * a + two * b;
            grad[i + 1] += F::lit(200.0) * a;
        }
        f
    }
}

test_function!(Rosenbrock, |self| {
    name: format!("rosenbrock-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::one())?]),
    minimum: F::zero(),
    start: from_fn(self.n, |i| if i % 2 == 0 { F::lit(-1.2) } else { F::one() }),
    convex: false,
});
