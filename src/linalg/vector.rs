//! Vector operations on ndarray views and slices, allocation-free.
//!
//! Sums are taken left to right (or, for [`dot_slices`], in four lanes added in a fixed order),
//! so every result depends on its inputs alone, never on threads or on the machine.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use crate::Real;

/// `a · b`, summed left to right.
pub(crate) fn dot<F: Real>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>) -> F {
    match (a.as_slice(), b.as_slice()) {
        (Some(a), Some(b)) => a.iter().zip(b).fold(F::zero(), |s, (&x, &y)| s + x * y),
        _ => {
            let mut sum = F::zero();
            Zip::from(a).and(b).for_each(|&x, &y| sum += x * y);
            sum
        }
    }
}

/// `|v|₂`, computed without overflow or underflow trouble for finite entries; NaN or infinite
/// if an entry is.
#[inline]
pub(crate) fn norm<F: Real>(v: ArrayView1<'_, F>) -> F {
    match v.as_slice() {
        Some(s) => norm_of(s.iter().copied()),
        None => norm_of(v.iter().copied()),
    }
}

/// The Euclidean norm of the values `entries` yields (which it may yield twice), computed as
/// `√(Σ v²)` and, only when that sum overflows or falls below the normal range, rescaled by the
/// largest magnitude: `s · √(Σ (v/s)²)`, so that finite entries neither overflow nor vanish.
/// NaN if an entry is NaN, infinite if one is.
#[inline]
pub(crate) fn norm_of<F: Real>(entries: impl Iterator<Item = F> + Clone) -> F {
    let sum = entries.clone().fold(F::zero(), |s, x| s + x * x);
    if sum.is_finite() && sum >= F::min_positive_value() {
        return sum.sqrt();
    }
    let scale = entries.clone().fold(F::zero(), |m, x| {
        if x.abs() > m || x.is_nan() {
            x.abs()
        } else {
            m
        }
    });
    if !scale.is_finite() || scale == F::zero() {
        return scale;
    }
    let scaled = entries.fold(F::zero(), |s, x| {
        let y = x / scale;
        s + y * y
    });
    scale * scaled.sqrt()
}

/// `|Σ_i t_i - target| <= tolerance` for the finite terms `t_i` that `terms` yields (which it may
/// yield twice), also when the sum overflows on the way although the residual does not.
///
/// The terms are first added as they are; only when that overflows are they added again scaled
/// by the power of two `σ` that brings the largest of them (and `target`) to at most 1, and
/// compared as `|Σ σ t_i - σ target| <= σ tolerance`. Scaling by a power of two is exact but for
/// terms that fall below the normal range, which are negligible next to the largest.
pub(crate) fn sum_within<F: Real>(
    terms: impl Iterator<Item = F> + Clone,
    target: F,
    tolerance: F,
) -> bool {
    let residual = terms.clone().fold(F::zero(), |s, t| s + t) - target;
    if residual.is_finite() {
        return residual.abs() <= tolerance;
    }
    let largest = terms.clone().fold(target.abs(), |m, t| {
        if t.is_nan() || t.abs() > m {
            t.abs()
        } else {
            m
        }
    });
    if !largest.is_finite() {
        return false;
    }
    // At most about 1024 halvings (f64), and only on this path, for sums near the largest float.
    let half = F::lit(0.5);
    let mut scale = F::one();
    while largest * scale > F::one() {
        scale *= half;
    }
    let residual = terms.fold(F::zero(), |s, t| s + t * scale) - target * scale;
    residual.abs() <= tolerance * scale
}

/// `max_i |v_i|` (`0` for an empty vector; NaN if an entry is NaN).
pub(crate) fn max_abs<F: Real>(v: ArrayView1<'_, F>) -> F {
    v.fold(F::zero(), |m, &x| {
        if x.is_nan() || x.abs() > m {
            x.abs()
        } else {
            m
        }
    })
}

/// `max_i |a_i - b_i|`.
pub(crate) fn max_abs_diff<F: Real>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>) -> F {
    let mut m = F::zero();
    Zip::from(a)
        .and(b)
        .for_each(|&x, &y| m = m.max((x - y).abs()));
    m
}

/// `dst ← src` for vectors of equal length, through slices when both are contiguous.
#[inline]
pub(crate) fn copy<F: Real>(mut dst: ArrayViewMut1<'_, F>, src: ArrayView1<'_, F>) {
    match (dst.as_slice_mut(), src.as_slice()) {
        (Some(d), Some(s)) => d.copy_from_slice(s),
        _ => dst.assign(&src),
    }
}

/// `aᵀb` over two slices of equal length, with four running sums (so the compiler can keep them
/// in SIMD lanes) added in a fixed order: the result depends on the slices alone.
#[inline(always)]
pub(crate) fn dot_slices<F: Real>(a: &[F], b: &[F]) -> F {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [F::zero(); 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let mut tail = F::zero();
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// `y += c x` over two slices of equal length.
#[inline(always)]
pub(crate) fn axpy_slices<F: Real>(c: F, x: &[F], y: &mut [F]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += c * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array, s};

    #[test]
    fn norm_of_huge_and_tiny_entries_is_exact_to_rounding() {
        // 3-4-5 triangles scaled to the edges of the range: the plain sum of squares overflows
        // (or underflows to 0), the rescaled one does not.
        for scale in [1e300_f64, 1e-300, 1.0] {
            let v = array![3.0 * scale, 4.0 * scale];
            let got = norm(v.view());
            assert!(
                (got - 5.0 * scale).abs() <= 4.0 * f64::EPSILON * 5.0 * scale,
                "{got:e}"
            );
        }
        assert!(norm(array![f64::NAN, 1.0].view()).is_nan());
        assert_eq!(norm(array![f64::INFINITY, 1.0].view()), f64::INFINITY);
    }

    #[test]
    fn strided_and_contiguous_views_give_the_same_bits() {
        let wide = Array1::from_shape_fn(20, |i| (i as f64).sin());
        let strided = wide.slice(s![..;2]);
        let packed = strided.to_owned();
        assert_eq!(norm(strided).to_bits(), norm(packed.view()).to_bits());
        assert_eq!(
            dot(strided, strided).to_bits(),
            dot(packed.view(), packed.view()).to_bits()
        );
    }

    #[test]
    fn dot_slices_is_the_dot_product() {
        let a: Vec<f64> = (0..11).map(f64::from).collect();
        // Σ i² for i < 11 = 385, exact in floating point.
        assert_eq!(dot_slices(&a, &a), 385.0);
        let mut y = vec![1.0; 11];
        axpy_slices(2.0, &a, &mut y);
        assert_eq!(y[10], 21.0);
    }

    #[test]
    fn max_abs_sees_nan_and_signs() {
        assert_eq!(max_abs(array![-3.0, 2.0].view()), 3.0);
        assert!(max_abs(array![1.0, f64::NAN, 5.0].view()).is_nan());
        assert_eq!(
            max_abs_diff(array![1.0, -2.0].view(), array![0.5, 1.0].view()),
            3.0
        );
    }
}
