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
        // `c + r (x - c)/d` with `d = |x - c|`. Where `x - c` or `|x - c|` overflows, or the
        // radius is so large (`2r` overflows) that `r (x - c)/d` may round past `MAX` on its way
        // to a finite point, the same point is computed at the scale `k = 1/2` (exact, a power
        // of two): `(k c + k r (x - c)/d) / k`, with `k (x - c)` of the same direction and a
        // finite length.
        let d = Self::distance(x.view(), center);
        let half = F::lit(0.5);
        if d.is_finite() && (r + r).is_finite() {
            let scale = r / d;
            // A factor `r/d` below the normal range keeps few bits or none: divide by `d` first.
            let tiny = scale < F::min_positive_value();
            let to_ball = |v: F| if tiny { v / d * r } else { v * scale };
            match center {
                None => x.mapv_inplace(to_ball),
                Some(c) => Zip::from(x)
                    .and(c)
                    .for_each(|x, &c| *x = c + to_ball(*x - c)),
            }
            return;
        }
        let k = match center {
            None => half,
            Some(_) => safe_scale(x.view(), center).min(half),
        };
        let dk = match center {
            None => norm_of(x.iter().map(|&v| v * k)),
            Some(c) => norm_of(x.iter().zip(c).map(|(&x, &c)| x * k - c * k)),
        };
        let rk = r * k;
        let scale = rk / dk;
        let tiny = scale < F::min_positive_value();
        let to_ball = |v: F| if tiny { v / dk * rk } else { v * scale };
        match center {
            None => x.mapv_inplace(|v| to_ball(v * k) / k),
            Some(c) => Zip::from(x)
                .and(c)
                .for_each(|x, &c| *x = (c * k + to_ball(*x * k - c * k)) / k),
        }
    }
}
