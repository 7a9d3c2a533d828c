//! Gradient clipping, by global norm and by value.
//!
//! Usable by hand on any gradient, and by the loop with any rule through
//! [`Minimizer::clip`](crate::Minimizer::clip), which clips each gradient before the step.

use ndarray::ArrayViewMut1;

use crate::Real;
use crate::error::{Domain, Result, check};
use crate::linalg::{max_abs, norm};

/// A gradient-clipping rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clip<F> {
    /// Rescale `g` to norm `c` when `|g|₂ > c`: `g ← g · c / |g|₂` (Pascanu et al., 2013).
    GlobalNorm(F),
    /// Clamp every component to `[-c, c]`.
    Value(F),
}

impl<F: Real> Clip<F> {
    /// Checks that the threshold is finite and positive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the threshold.
    pub fn validate(&self) -> Result<()> {
        let (name, c) = match *self {
            Clip::GlobalNorm(c) => ("clip max_norm", c),
            Clip::Value(c) => ("clip value", c),
        };
        check(name, c, Domain::Positive)
    }

    /// Clips `g` in place.
    ///
    /// # Errors
    /// As [`validate`](Clip::validate), before `g` is touched.
    pub fn apply(&self, g: ArrayViewMut1<'_, F>) -> Result<()> {
        match *self {
            Clip::GlobalNorm(c) => clip_by_global_norm(g, c).map(drop),
            Clip::Value(c) => clip_by_value(g, c),
        }
    }
}

/// Scales `g` to norm `max_norm` if its Euclidean norm exceeds it; returns the norm before
/// clipping. Gradients within the threshold are left bit-for-bit unchanged.
///
/// Unlike `torch.nn.utils.clip_grad_norm_`, which divides by `|g| + 1e-6`, the scaling here is
/// exact: the clipped gradient has norm `max_norm` to rounding, at every magnitude (a gradient
/// whose norm overflows, or a factor `max_norm/|g|` below the normal range, is scaled by its
/// largest entry first). The returned norm is infinite when `|g|` exceeds the largest float.
///
/// ```
/// use gradus::clip::clip_by_global_norm;
/// use ndarray::array;
///
/// let mut g = array![3.0, 4.0];
/// assert_eq!(clip_by_global_norm(g.view_mut(), 2.5)?, 5.0);
/// assert_eq!(g, array![1.5, 2.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `max_norm` is finite and
/// positive (a negative one would reverse the gradient); `g` is then left as it is.
pub fn clip_by_global_norm<F: Real>(mut g: ArrayViewMut1<'_, F>, max_norm: F) -> Result<F> {
    check("max_norm", max_norm, Domain::Positive)?;
    let n = norm(g.view());
    if n > max_norm {
        let scale = max_norm / n;
        let largest = max_abs(g.view());
        if (scale >= F::min_positive_value() && n.is_finite()) || !largest.is_finite() {
            g.mapv_inplace(|v| v * scale);
        } else {
            // The factor `c/|g|` falls below the normal range (a tiny threshold, a huge
            // gradient), where it keeps few bits or none, or `|g|` itself overflows: scale by
            // the largest entry first. `u = g/m` has entries in [-1, 1] and `1 <= |u| <= √n`,
            // so `(u_i/|u|) c` neither overflows nor vanishes.
            let unit = g
                .iter()
                .fold(F::zero(), |s, &v| s + (v / largest) * (v / largest))
                .sqrt();
            g.mapv_inplace(|v| v / largest / unit * max_norm);
        }
    }
    Ok(n)
}

/// Clamps every component of `g` to `[-value, value]` (NaN components are left as they are).
///
/// ```
/// use gradus::clip::clip_by_value;
/// use ndarray::array;
///
/// let mut g = array![3.0, -0.5, -4.0];
/// clip_by_value(g.view_mut(), 1.0)?;
/// assert_eq!(g, array![1.0, -0.5, -1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `value` is finite and
/// positive (a negative bound would swap signs); `g` is then left as it is.
pub fn clip_by_value<F: Real>(mut g: ArrayViewMut1<'_, F>, value: F) -> Result<()> {
    check("value", value, Domain::Positive)?;
    g.mapv_inplace(|v| clamp(v, value));
    Ok(())
}

/// `v` clamped to `[-value, value]`; a NaN `v` stays NaN.
#[inline]
pub(crate) fn clamp<F: Real>(v: F, value: F) -> F {
    if v > value {
        value
    } else if v < -value {
        -value
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn clipping_by_norm_keeps_small_gradients_and_rescales_large_ones_exactly(
            g in proptest::collection::vec(-1e3..1e3f64, 1..20),
            max_norm in 1e-3..1e3f64,
        ) {
            let original = Array1::from(g);
            let norm0 = original.dot(&original).sqrt();
            let mut clipped = original.clone();
            let reported = clip_by_global_norm(clipped.view_mut(), max_norm).unwrap();
            prop_assert!((reported - norm0).abs() <= 1e-12 * norm0);
            if norm0 <= max_norm {
                // Untouched, to the bit.
                prop_assert_eq!(&clipped, &original);
            } else {
                // The same direction, scaled to the threshold.
                let norm1 = clipped.dot(&clipped).sqrt();
                prop_assert!((norm1 - max_norm).abs() <= 1e-12 * max_norm);
                for (c, o) in clipped.iter().zip(original.iter()) {
                    prop_assert!((c - o * (max_norm / norm0)).abs() <= 1e-12 * o.abs().max(1e-300));
                }
            }
        }

        #[test]
        fn clipping_by_value_clamps_each_component(
            g in proptest::collection::vec(-1e3..1e3f64, 1..20),
            c in 1e-3..1e3f64,
        ) {
            let original = Array1::from(g);
            let mut clipped = original.clone();
            clip_by_value(clipped.view_mut(), c).unwrap();
            for (x, o) in clipped.iter().zip(original.iter()) {
                prop_assert_eq!(*x, o.clamp(-c, c));
            }
        }
    }

    #[test]
    fn invalid_thresholds_are_errors() {
        assert!(Clip::GlobalNorm(0.0_f64).validate().is_err());
        assert!(Clip::Value(f64::NAN).validate().is_err());
        assert!(Clip::Value(-1.0_f64).validate().is_err());
        assert!(Clip::GlobalNorm(1.0_f64).validate().is_ok());
    }

    #[test]
    fn bad_thresholds_by_hand_are_errors_and_leave_the_gradient_alone() {
        // A negative threshold would have turned g into -g/|g| (by norm) or swapped signs (by
        // value).
        let g = array![3.0_f64, -4.0];
        for bad in [-1.0, 0.0, f64::NAN, f64::INFINITY] {
            let mut h = g.clone();
            assert!(clip_by_global_norm(h.view_mut(), bad).is_err(), "{bad}");
            assert!(clip_by_value(h.view_mut(), bad).is_err(), "{bad}");
            assert!(Clip::GlobalNorm(bad).apply(h.view_mut()).is_err(), "{bad}");
            assert!(Clip::Value(bad).apply(h.view_mut()).is_err(), "{bad}");
            assert_eq!(h, g);
        }
        let mut h = g.clone();
        Clip::GlobalNorm(1.0).apply(h.view_mut()).unwrap();
        assert!(
            (h[0] - 0.6).abs() <= 1e-15 && (h[1] + 0.8).abs() <= 1e-15,
            "{h}"
        );
    }
}
