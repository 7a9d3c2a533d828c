//! The Ackley function.

use std::f64::consts::{E, PI};

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::filled;
use crate::Real;

n_dimensional! {
    /// The Ackley function (Ackley, *A Connectionist Machine for Genetic Hillclimbing*, 1987; in
    /// `n` dimensions Bäck, *Evolutionary Algorithms in Theory and Practice*, 1996), with the usual
    /// `a = 20`, `b = 0.2`, `c = 2π`:
    ///
    /// ```text
    /// f(x) = -a exp(-b r) - exp(s) + a + e,    r = sqrt(Σ_i x_i² / n),   s = Σ_i cos(c x_i) / n
    /// ∂f/∂x_i = a b exp(-b r) x_i / (n r) + (c/n) sin(c x_i) exp(s)        (x ≠ 0)
    /// ```
    ///
    /// A nearly flat outer region riddled with local minima (from the cosine term) around a deep
    /// funnel; global minimum `0` at the origin. Like [`Rastrigin`](super::Rastrigin) it is built
    /// to defeat local methods: from a start away from the origin, gradient-based rules stop in a
    /// local minimum. Not convex, and not smooth at the origin: near `0` the first term behaves
    /// like the cone `a b |x| / √n`, so the gradient has no limit there. At `x = 0` exactly the
    /// gradient is defined as `0` (the 0/0 in `x_i / r` is taken as 0), which is the limit of the
    /// gradient's average over small spheres and lies in the Clarke subdifferential at the
    /// minimiser; so the minimiser is stationary. Away from the origin the gradient is exact. No
    /// start is standard (the usual domain is `[-32.768, 32.768]ⁿ`); gradus uses `(2.2, ..., 2.2)`.
    Ackley, "Ackley", n >= 1
}

const A: f64 = 20.0;
const B: f64 = 0.2;
const C: f64 = 2.0 * PI;

impl Ackley {
    /// `f(x)`, for `x` of `n` entries.
    fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
        let inv_n = F::one() / F::from_count(self.n);
        let c = F::lit(C);
        let (sq, cs) = x.fold((F::zero(), F::zero()), |(sq, cs), &t| {
            (sq + t * t, cs + (c * t).cos())
        });
        let r = (sq * inv_n).sqrt();
        let a = F::lit(A);
        -a * (-F::lit(B) * r).exp() - (cs * inv_n).exp() + a + F::lit(E)
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad<F: Real>(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        let inv_n = F::one() / F::from_count(self.n);
        let c = F::lit(C);
        let a = F::lit(A);
        let b = F::lit(B);
        let (sq, cs) = x.fold((F::zero(), F::zero()), |(sq, cs), &t| {
            (sq + t * t, cs + (c * t).cos())
        });
        let r = (sq * inv_n).sqrt();
        let e1 = (-b * r).exp();
        let e2 = (cs * inv_n).exp();
        // Coefficient of x_i in the first term; 0 at the origin, where x_i / r is 0/0.
        let radial = if r > F::zero() {
            a * b * e1 * inv_n / r
        } else {
            F::zero()
        };
        let wave = c * inv_n * e2;
        Zip::from(grad)
            .and(x)
            .for_each(|g, &t| *g = radial * t + wave * (c * t).sin());
        -a * e1 - e2 + a + F::lit(E)
    }
}

test_function!(Ackley, |self| {
    name: format!("ackley-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::zero())?]),
    minimum: F::zero(),
    start: filled(self.n, F::lit(2.2)),
    convex: false,
});
