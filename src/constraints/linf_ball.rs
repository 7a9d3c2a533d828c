//! Max-norm balls `{x : |x - c|_∞ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::ball::{Ball, BallNorm};
use crate::Real;

/// The max-norm ball `C = {x ∈ R^n : |x_i - c_i| <= r for all i}`: a cube of side `2r`.
///
/// The set is the box `[c - r, c + r]`, so the projection clips each coordinate:
///
/// ```text
/// P_C(x)_i = c_i + min(max(x_i - c_i, -r), r)
/// ```
///
/// A ball about the origin ([`Ball::new`]) applies in any dimension.
///
/// ```
/// use gradus::constraints::{LInfBall, Projection};
/// use ndarray::array;
///
/// let mut x = array![3.0, -0.5, -7.0];
/// LInfBall::new(1.0)?.project(x.view_mut());
/// assert_eq!(x, array![1.0, -0.5, -1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type LInfBall<F> = Ball<F, LInf>;

/// The max norm `‖v‖_∞ = max_i |v_i|`, as the norm of [`LInfBall`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LInf;

impl BallNorm for LInf {
    fn distance<F: Real>(x: ArrayView1<'_, F>, center: Option<&Array1<F>>) -> F {
        // A NaN entry makes the distance NaN: such a point is in no ball.
        let far = |m: F, d: F| {
            if d.abs() > m || d.is_nan() {
                d.abs()
            } else {
                m
            }
        };
        match center {
            None => x.fold(F::zero(), |m, &v| far(m, v)),
            Some(c) => x.iter().zip(c).fold(F::zero(), |m, (&x, &c)| far(m, x - c)),
        }
    }

    fn project_outside<F: Real>(x: ArrayViewMut1<'_, F>, center: Option<&Array1<F>>, r: F) {
        // Only coordinates outside move, so the others are left exactly as they are.
        match center {
            None => Zip::from(x).for_each(|x| *x = x.max(-r).min(r)),
            Some(c) => Zip::from(x).and(c).for_each(|x, &c| {
                let d = *x - c;
                if d > r {
                    *x = c + r;
                } else if d < -r {
                    *x = c - r;
                }
            }),
        }
    }
}
