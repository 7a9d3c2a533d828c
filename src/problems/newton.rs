//! A damped Newton solver in `f64`, used to certify the minimisers of the test problems that
//! have no closed form.

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1};

use super::Certificate;
use crate::linalg::{cholesky_in_place, cholesky_solve};

/// Gradient norm at which the solve stops: the minimiser is then certified to this accuracy.
pub(crate) const CERTIFICATE_TOLERANCE: f64 = 1e-12;

const MAX_ITERATIONS: usize = 200;

/// Levenberg shifts tried per step: `10^-12` to `10^30` times the diagonal scale.
const MAX_SHIFTS: usize = 43;

/// Minimises a smooth (or piecewise twice differentiable) convex function from `x0` by Newton's
/// method with a Levenberg shift and a backtracking (Armijo) line search.
///
/// `value(x)` returns `f(x)`; `derivatives(x, g, h)` returns `f(x)`, writes `∇f(x)` into `g` and
/// the Hessian (or a generalised Hessian) into `h`. Each step solves `(H + τ I) p = -g` by a
/// dense Cholesky factorisation, with `τ = 0` unless `H` is not numerically positive definite,
/// and takes the largest `t ∈ {1, 1/2, 1/4, ...}` with `f(x + t p) <= f(x) + 1e-4 t gᵀp`. Once
/// the predicted decrease `-gᵀp` is below the rounding level of `f`, the full step is taken
/// without the test, since `f` can no longer tell descent from noise while the gradient can.
///
/// It stops when `|∇f| <= 1e-12`, after 200 iterations, when a step no longer reduces the
/// gradient norm, or when no shift up to `10^30` times the Hessian's diagonal scale makes the
/// system definite (a Hessian with infinite or NaN entries, as very large data give); it returns
/// the iterate of smallest gradient norm seen, whose [`Certificate::gradient_norm`] then says how
/// far from certified it is.
pub(crate) fn minimize<V, D>(x0: Array1<f64>, value: V, derivatives: D) -> Certificate
where
    V: Fn(ArrayView1<'_, f64>) -> f64,
    D: Fn(ArrayView1<'_, f64>, ArrayViewMut1<'_, f64>, &mut Array2<f64>) -> f64,
{
    let n = x0.len();
    let mut x = x0;
    let mut g = Array1::zeros(n);
    let mut h = Array2::zeros((n, n));
    let mut f = derivatives(x.view(), g.view_mut(), &mut h);
    let mut gnorm = g.dot(&g).sqrt();
    let mut best = Certificate {
        minimizer: x.clone(),
        minimum: f,
        gradient_norm: gnorm,
        iterations: 0,
    };
    let mut p = Array1::zeros(n);
    let mut trial = Array1::zeros(n);
    for iteration in 1..=MAX_ITERATIONS {
        if gnorm.is_nan() || gnorm <= CERTIFICATE_TOLERANCE {
            break;
        }
        // Newton direction with the smallest Levenberg shift that makes the system definite.
        let scale = (0..n).fold(1.0_f64, |m, i| m.max(h[[i, i]].abs()));
        if !scale.is_finite() || h.iter().any(|v| !v.is_finite()) {
            break;
        }
        let mut shift = 0.0;
        let mut solved = false;
        for _ in 0..MAX_SHIFTS {
            let mut l = h.clone();
            for i in 0..n {
                l[[i, i]] += shift;
            }
            if cholesky_in_place(&mut l).is_ok() {
                p.assign(&g);
                p.mapv_inplace(|v| -v);
                cholesky_solve(&l, p.view_mut());
                solved = true;
                break;
            }
            shift = if shift == 0.0 {
                1e-12 * scale
            } else {
                10.0 * shift
            };
        }
        if !solved {
            break;
        }
        let slope = g.dot(&p);
        if slope.is_nan() || slope >= 0.0 {
            break;
        }
        let tiny = -slope <= 1e-13 * f.abs().max(1.0);
        let mut t = 1.0;
        loop {
            trial.assign(&x);
            trial.scaled_add(t, &p);
            if tiny || value(trial.view()) <= f + 1e-4 * t * slope {
                break;
            }
            t *= 0.5;
            if t < 1e-20 {
                break;
            }
        }
        if t < 1e-20 {
            break;
        }
        x.assign(&trial);
        f = derivatives(x.view(), g.view_mut(), &mut h);
        gnorm = g.dot(&g).sqrt();
        if gnorm < best.gradient_norm {
            best = Certificate {
                minimizer: x.clone(),
                minimum: f,
                gradient_norm: gnorm,
                iterations: iteration,
            };
        } else if tiny {
            // In the rounding regime a step that does not shrink the gradient is pure noise.
            break;
        }
    }
    best
}
