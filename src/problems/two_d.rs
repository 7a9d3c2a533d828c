//! Classic two-dimensional test functions: Beale, Booth, Matyas, Himmelblau, three-hump camel.
//!
//! Surveys of these functions, with plots: Jamil & Yang, "A literature survey of benchmark
//! functions for global optimisation problems", *Int. J. Math. Model. Numer. Optim.* 4(2), 2013;
//! Surjanovic & Bingham, *Virtual Library of Simulation Experiments*, Simon Fraser University.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

use crate::Real;

/// Defines a two-dimensional test function `$t`: the unit struct, and
/// [`Objective`](crate::Objective) from `$t::eval(x, y) -> (f, ∂f/∂x, ∂f/∂y)`, an associated
/// function of an inherent `impl`.
macro_rules! two_dimensional {
    ($(#[$doc:meta])* $t:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $t;

        impl $t {
            /// `f(x)`, for `x` of 2 entries.
            fn f<F: Real>(&self, x: ArrayView1<'_, F>) -> F {
                Self::eval(x[0], x[1]).0
            }

            /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of 2 entries.
            fn f_and_grad<F: Real>(
                &self,
                x: ArrayView1<'_, F>,
                mut grad: ArrayViewMut1<'_, F>,
            ) -> F {
                let (f, gx, gy) = Self::eval(x[0], x[1]);
                grad[0] = gx;
                grad[1] = gy;
                f
            }
        }

        objective_from_formulas!($t, |self| 2);
    };
}

/// The point `(x, y)`, given in `f64`.
fn point<F: Real>(x: f64, y: f64) -> Array1<F> {
    array![F::lit(x), F::lit(y)]
}

two_dimensional! {
    /// The Beale function (Beale, 1958; Moré, Garbow & Hillstrom, 1981, problem 5):
    ///
    /// ```text
    /// f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²
    /// ```
    ///
    /// Non-convex, with flat regions and sharp ridges near the axes; global minimum `0` at
    /// `(3, 1/2)`. Standard start `(1, 1)` (Moré, Garbow & Hillstrom). The gradient is not globally
    /// Lipschitz (degree-8 polynomial), so there is no `L`.
    Beale
}

impl Beale {
    fn eval<F: Real>(x: F, y: F) -> (F, F, F) {
        let one = F::one();
        let two = F::lit(2.0);
        let y2 = y * y;
        let y3 = y2 * y;
        let t1 = F::lit(1.5) - x + x * y;
        let t2 = F::lit(2.25) - x + x * y2;
        let t3 = F::lit(2.625) - x + x * y3;
        let f = t1 * t1 + t2 * t2 + t3 * t3;
        let gx = two * (t1 * (y - one) + t2 * (y2 - one) + t3 * (y3 - one));
        let gy = two * x * (t1 + two * t2 * y + F::lit(3.0) * t3 * y2);
        (f, gx, gy)
    }
}

test_function!(Beale, |self| {
    name: "beale",
    minimizers: Ok(vec![point(3.0, 0.5)]),
    minimum: F::zero(),
    start: Ok(point(1.0, 1.0)),
    convex: false,
});

two_dimensional! {
    /// The Booth function:
    ///
    /// ```text
    /// f(x, y) = (x + 2y - 7)² + (2x + y - 5)²
    /// ∇f = (10x + 8y - 34, 8x + 10y - 38),   ∇²f = [[10, 8], [8, 10]]
    /// ```
    ///
    /// Despite its place among the non-convex classics it is a convex quadratic: its Hessian has
    /// eigenvalues `2` and `18`, so `μ = 2`, `L = 18`, `κ = 9`. Minimum `0` at `(1, 3)`. No start
    /// is standard; gradus uses the origin.
    Booth
}

impl Booth {
    fn eval<F: Real>(x: F, y: F) -> (F, F, F) {
        let two = F::lit(2.0);
        let r1 = x + two * y - F::lit(7.0);
        let r2 = two * x + y - F::lit(5.0);
        let f = r1 * r1 + r2 * r2;
        (f, two * r1 + F::lit(4.0) * r2, F::lit(4.0) * r1 + two * r2)
    }
}

test_function!(Booth, |self| {
    name: "booth",
    minimizers: Ok(vec![point(1.0, 3.0)]),
    minimum: F::zero(),
    start: Ok(point(0.0, 0.0)),
    smoothness: Some(F::lit(18.0)),
    strong_convexity: Some(F::lit(2.0)),
    convex: true,
});

two_dimensional! {
    /// The Matyas function:
    ///
    /// ```text
    /// f(x, y) = 0.26 (x² + y²) - 0.48 x y
    /// ∇f = (0.52x - 0.48y, 0.52y - 0.48x),   ∇²f = [[0.52, -0.48], [-0.48, 0.52]]
    /// ```
    ///
    /// A convex quadratic: the Hessian has eigenvalues `0.04` (along `(1, 1)`) and `1` (along
    /// `(1, -1)`), so `μ = 0.04`, `L = 1`, `κ = 25`: a shallow valley along the diagonal. Minimum
    /// `0` at the origin. No start is standard; gradus uses `(1, 2)`, which has a component along
    /// each eigenvector.
    Matyas
}

impl Matyas {
    fn eval<F: Real>(x: F, y: F) -> (F, F, F) {
        let a = F::lit(0.26);
        let c = F::lit(0.48);
        let f = a * (x * x + y * y) - c * x * y;
        let two_a = F::lit(0.52);
        (f, two_a * x - c * y, two_a * y - c * x)
    }
}

test_function!(Matyas, |self| {
    name: "matyas",
    minimizers: Ok(vec![point(0.0, 0.0)]),
    minimum: F::zero(),
    start: Ok(point(1.0, 2.0)),
    smoothness: Some(F::one()),
    strong_convexity: Some(F::lit(0.04)),
    convex: true,
});

two_dimensional! {
    /// Himmelblau's function (Himmelblau, *Applied Nonlinear Programming*, 1972):
    ///
    /// ```text
    /// f(x, y) = (x² + y - 11)² + (x + y² - 7)²
    /// ∇f = (4x (x² + y - 11) + 2 (x + y² - 7),  2 (x² + y - 11) + 4y (x + y² - 7))
    /// ```
    ///
    /// Non-convex, with four global minima of value `0`, the common roots of `x² + y = 11` and
    /// `x + y² = 7`: `(3, 2)` exactly, and three irrational ones,
    ///
    /// ```text
    /// (-2.805118086952744853...,  3.131312518250572965...)
    /// (-3.779310253377746891..., -3.283185991286169412...)
    /// ( 3.584428340330491744..., -1.848126526964403553...)
    /// ```
    ///
    /// (computed to 25 digits by Newton's method on the two equations and stored as the nearest
    /// `f64`, where they are stationary up to rounding), plus a local maximum near
    /// `(-0.2708, -0.9230)` and four saddle points. Which minimum a local method reaches depends on
    /// the start. No start is standard; gradus uses the origin.
    Himmelblau
}

impl Himmelblau {
    fn eval<F: Real>(x: F, y: F) -> (F, F, F) {
        let two = F::lit(2.0);
        let four = F::lit(4.0);
        let u = x * x + y - F::lit(11.0);
        let v = x + y * y - F::lit(7.0);
        (
            u * u + v * v,
            four * x * u + two * v,
            two * u + four * y * v,
        )
    }
}

test_function!(Himmelblau, |self| {
    name: "himmelblau",
    minimizers: Ok(vec![
        point(3.0, 2.0),
        point(-2.805_118_086_952_745, 3.131_312_518_250_573),
        point(-3.779_310_253_377_747, -3.283_185_991_286_169_6),
        point(3.584_428_340_330_491_7, -1.848_126_526_964_403_6),
    ]),
    minimum: F::zero(),
    start: Ok(point(0.0, 0.0)),
    convex: false,
});

two_dimensional! {
    /// The three-hump camel function:
    ///
    /// ```text
    /// f(x, y) = 2x² - 1.05x⁴ + x⁶/6 + xy + y²
    /// ∇f = (4x - 4.2x³ + x⁵ + y,  x + 2y)
    /// ```
    ///
    /// Non-convex, with three local minima: the global one, `0` at the origin, and two others of
    /// value about `0.2986` near `±(1.7476, -0.8738)`, separated from it by saddles. No start is
    /// standard; gradus uses `(2, -1)`, in the basin of a non-global local minimum, so that a local
    /// method does not find the global one from there.
    ThreeHumpCamel
}

impl ThreeHumpCamel {
    fn eval<F: Real>(x: F, y: F) -> (F, F, F) {
        let x2 = x * x;
        let x3 = x2 * x;
        let x4 = x2 * x2;
        let f = F::lit(2.0) * x2 - F::lit(1.05) * x4 + x4 * x2 / F::lit(6.0) + x * y + y * y;
        let gx = F::lit(4.0) * x - F::lit(4.2) * x3 + x4 * x + y;
        (f, gx, x + F::lit(2.0) * y)
    }
}

test_function!(ThreeHumpCamel, |self| {
    name: "three-hump-camel",
    minimizers: Ok(vec![point(0.0, 0.0)]),
    minimum: F::zero(),
    start: Ok(point(2.0, -1.0)),
    convex: false,
});
