//! Euclidean balls `{x : |x - c|₂ <= r}`.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::ball::{Ball, BallNorm, safe_scale};
use crate::Real;
use crate::linalg::{norm, norm_of};

/// The Euclidean ball `C = {x ∈ R^n : |x - c|₂ <= r}`.
///
/// A point outside is pulled radially onto the sphere:
///
/// ```text
/// P_C(x) = c + r (x - c) / max(r, |x - c|₂)
/// ```
///
/// A ball about the origin ([`Ball::new`]) applies in any dimension; a ball with a center
/// ([`Ball::centered`]) has the center's dimension. The distance is computed with rescaling, so
/// it does not overflow for large finite entries.
///
/// ```
/// use gradus::constraints::{L2Ball, Projection};
/// use ndarray::array;
///
/// let mut x = array![3.0_f64, 4.0];
/// L2Ball::new(1.0)?.project(x.view_mut());
/// assert!((x[0] - 0.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type L2Ball<F> = Ball<F, L2>;

/// The Euclidean norm `‖v‖₂ = (Σ_i v_i²)^½`, as the norm of [`L2Ball`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2;

impl BallNorm for L2 {
    fn distance<F: Real>(x: ArrayView1<'_, F>, center: Option<&Array1<F>>) -> F {
        match center {
            None => norm(x),
            Some(c) => norm_of(x.iter().zip(c).map(|(&x, &c)| x - c)),
        }
    }

    fn project_outside<F: Real>(mut x: ArrayViewMut1<'_, F>, center: Option<&Array1<F>>, r: F) {
        let d = Self::distance(x.view(), center);
        if d.is_finite() {
            let scale = r / d;
            match center {
                None => x.mapv_inplace(|v| v * scale),
                Some(c) => Zip::from(x)
                    .and(c)
                    .for_each(|x, &c| *x = c + (*x - c) * scale),
            }
            return;
        }
        // `|x - c|` (or `x - c` itself) overflows: `(x - c)/2` has the same direction and a
        // finite length.
        let half = F::lit(0.5);
        match center {
            None => {
                let scale = r / norm_of(x.iter().map(|&v| v * half));
                x.mapv_inplace(|v| (v * half) * scale);
            }
            Some(c) => {
                let k = safe_scale(x.view(), center).min(half);
                let scale = r / norm_of(x.iter().zip(c).map(|(&x, &c)| x * k - c * k));
                Zip::from(x)
                    .and(c)
                    .for_each(|x, &c| *x = c + (*x * k - c * k) * scale);
            }
        }
    }
}
