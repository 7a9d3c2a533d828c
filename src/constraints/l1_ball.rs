//! L1 balls `{x : |x - c|₁ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::ball::{Ball, BallNorm, safe_scale};
use super::simplex::SimplexThreshold;
use crate::Real;

/// The L1 ball `C = {x ∈ R^n : Σ_i |x_i - c_i| <= r}` (the cross-polytope), used for sparse
/// models (the constrained form of the lasso).
///
/// A point inside is left alone; a point outside is soft-thresholded:
///
/// ```text
/// P_C(x)_i = c_i + sign(x_i - c_i) max(|x_i - c_i| - τ, 0),
///            where τ > 0 solves  Σ_i max(|x_i - c_i| - τ, 0) = r .
/// ```
///
/// That is the projection of `|x - c|` onto the scaled simplex `Δ_r` with the signs put back
/// (Duchi, Shalev-Shwartz, Singer and Chandra, "Efficient projections onto the l1-ball for
/// learning in high dimensions", ICML 2008). The threshold is found by Michelot's algorithm on
/// the magnitudes, with passes over `x` and no scratch memory: see [`Simplex`](super::Simplex).
/// A ball about the origin ([`Ball::new`]) applies in any dimension.
///
/// ```
/// use gradus::constraints::{L1Ball, Projection};
/// use ndarray::array;
///
/// // |x|₁ = 4 > 1, and τ = 2 solves max(3 - τ, 0) + max(1 - τ, 0) = 1.
/// let mut x = array![3.0, -1.0];
/// L1Ball::new(1.0)?.project(x.view_mut());
/// assert_eq!(x, array![1.0, 0.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type L1Ball<F> = Ball<F, L1>;

/// The L1 norm `‖v‖₁ = Σ_i |v_i|`, as the norm of [`L1Ball`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1;

impl BallNorm for L1 {
    fn distance<F: Real>(x: ArrayView1<'_, F>, center: Option<&Array1<F>>) -> F {
        match center {
            None => x.fold(F::zero(), |s, v| s + v.abs()),
            Some(c) => {
                let mut s = F::zero();
                Zip::from(x).and(c).for_each(|&x, &c| s += (x - c).abs());
                s
            }
        }
    }

    fn project_outside<F: Real>(mut x: ArrayViewMut1<'_, F>, center: Option<&Array1<F>>, r: F) {
        match center {
            None => {
                let Some(t) = SimplexThreshold::find(|| x.iter().map(|v| v.abs()), r) else {
                    return;
                };
                x.mapv_inplace(|v| t.excess(v.abs()).copysign(v));
            }
            Some(c) => {
                // Where `x - c` overflows, project `(x - c)/2` onto the ball of radius `r/2`
                // and double the result: the same point, computed without infinities.
                let k = safe_scale(x.view(), center);
                let diff = |x: F, c: F| x * k - c * k;
                let Some(t) = SimplexThreshold::find(
                    || x.iter().zip(c).map(|(&x, &c)| diff(x, c).abs()),
                    r * k,
                ) else {
                    return;
                };
                Zip::from(x).and(c).for_each(|x, &c| {
                    let d = diff(*x, c);
                    *x = c + t.excess(d.abs()).copysign(d) / k;
                });
            }
        }
    }
}
