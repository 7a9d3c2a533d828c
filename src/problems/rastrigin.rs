//! The Rastrigin function.

use std::f64::consts::PI;

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::filled;
use crate::Real;

n_dimensional! {
    /// The Rastrigin function (Rastrigin, 1974; in `n` dimensions Mühlenbein, Schomisch & Born,
    /// "The parallel genetic algorithm as function optimizer", *Parallel Computing* 17, 1991):
    ///
    /// ```text
    /// f(x) = 10 n + Σ_i (x_i² - 10 cos(2π x_i)),    ∂f/∂x_i = 2 x_i + 20π sin(2π x_i)
    /// ```
    ///
    /// A parabola with a cosine ripple: a regular lattice of local minima, one near each integer
    /// point, `11ⁿ` of them in the usual domain `[-5.12, 5.12]ⁿ`. Global minimum `0` at the origin.
    /// It is built to defeat local methods: gradient-based rules stop in the local minimum whose
    /// basin holds the start, and reaching the origin takes a global strategy (restarts, annealing,
    /// evolution). The gradient is Lipschitz with `L = 2 + 40π²` (the largest second derivative);
    /// `f` is not convex. No start is standard; gradus uses `(2.2, ..., 2.2)`, in the basin of the
    /// local minimum near `(1.99, ..., 1.99)`.
    Rastrigin, "Rastrigin", n >= 1
}

impl Rastrigin {
    /// `f(x)`, for `x` of `n` entries.
    fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
        let ten = F::lit(10.0);
        let w = F::lit(2.0 * PI);
        x.fold(ten * F::from_count(self.n), |s, &t| {
            s + t * t - ten * (w * t).cos()
        })
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad<F: Real>(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        let ten = F::lit(10.0);
        let w = F::lit(2.0 * PI);
        let amp = F::lit(20.0 * PI);
        let mut f = ten * F::from_count(self.n);
        Zip::from(grad).and(x).for_each(|g, &t| {
            let (s, c) = (w * t).sin_cos();
            f += t * t - ten * c;
            *g = t + t + amp * s;
        });
        f
    }
}

test_function!(Rastrigin, |self| {
    name: format!("rastrigin-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::zero())?]),
    minimum: F::zero(),
    start: filled(self.n, F::lit(2.2)),
    smoothness: Some(F::lit(2.0 + 40.0 * PI * PI)),
    convex: false,
});
