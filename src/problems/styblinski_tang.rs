//! The Styblinski–Tang function.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::filled;
use crate::Real;

/// The coordinate of the global minimiser: the smallest root of `4t³ - 32t + 5 = 0`
/// (`-2.903534027771177095118918...`), rounded to `f64`.
const STYBLINSKI_TANG_ARGMIN: f64 = -2.903_534_027_771_177;

/// The minimum per coordinate, `(t⁴ - 16t² + 5t)/2` at that root
/// (`-39.16616570377141546389317...`), rounded to `f64`.
const STYBLINSKI_TANG_MIN_PER_DIM: f64 = -39.166_165_703_771_41;

n_dimensional! {
    /// The Styblinski–Tang function (Styblinski & Tang, "Experiments in nonconvex optimization:
    /// stochastic approximation with function smoothing and simulated annealing", *Neural Networks*
    /// 3(4), 1990), in `n` dimensions:
    ///
    /// ```text
    /// f(x) = ½ Σ_i (x_i⁴ - 16 x_i² + 5 x_i),    ∂f/∂x_i = 2 x_i³ - 16 x_i + 5/2
    /// ```
    ///
    /// Separable and non-convex: each coordinate has two local minima, at the roots
    /// `t₁ = -2.903534027771177...` and `t₂ = 2.746802770990837...` of `4t³ - 32t + 5`, so `f`
    /// has `2ⁿ` local minima. The global one is `x* = (t₁, ..., t₁)` with
    /// `f* = -39.16616570377141546... n`. The constants come from solving the cubic to 25 digits
    /// (they are stationary up to `f64` rounding). The usual domain is `[-5, 5]ⁿ`; no start is
    /// standard, gradus uses the origin, from which descent on each coordinate goes to `t₁`.
    StyblinskiTang, "Styblinski–Tang", n >= 1
}

impl StyblinskiTang {
    /// `f(x)`, for `x` of `n` entries.
    fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
        let half = F::lit(0.5);
        x.fold(F::zero(), |s, &t| {
            let t2 = t * t;
            s + half * (t2 * t2 - F::lit(16.0) * t2 + F::lit(5.0) * t)
        })
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad<F: Real>(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        let half = F::lit(0.5);
        let mut f = F::zero();
        Zip::from(grad).and(x).for_each(|g, &t| {
            let t2 = t * t;
            f += half * (t2 * t2 - F::lit(16.0) * t2 + F::lit(5.0) * t);
            *g = F::lit(2.0) * t2 * t - F::lit(16.0) * t + F::lit(2.5);
        });
        f
    }
}

test_function!(StyblinskiTang, |self| {
    name: format!("styblinski-tang-{}", self.n),
    minimizers: Ok(vec![filled(self.n, F::lit(STYBLINSKI_TANG_ARGMIN))?]),
    minimum: F::lit(STYBLINSKI_TANG_MIN_PER_DIM * self.n as f64),
    start: filled(self.n, F::zero()),
    convex: false,
});
