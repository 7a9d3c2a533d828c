//! Clipping the gradients of a whole parameter set: by their global norm, or by value.

use ndarray::ArrayViewMutD;

use crate::Real;
use crate::error::{Domain, Result, check};

/// Scales every gradient of `grads` by one factor so that their global norm (the Euclidean norm
/// of all their entries together) is `max_norm`, if it exceeds it; returns the global norm
/// before clipping, as `torch.nn.utils.clip_grad_norm_` does.
///
/// The norm is that of the concatenated entries, computed as
/// [`clip_by_global_norm`](crate::clip::clip_by_global_norm) computes it for one vector (safe
/// against overflow and underflow), so a set of one tensor gives the same bits as the vector.
/// The scaling is exact (`max_norm / norm`, where PyTorch divides by `norm + 1e-6`); gradients
/// within the threshold are left bit for bit. A NaN or infinite entry makes the norm NaN or
/// infinite: the gradients are then left as they are, and the norm returned says so.
///
/// ```
/// use gradus::params::clip_grad_norm;
/// use ndarray::{array, Array2};
///
/// let (mut a, mut b) = (array![3.0], Array2::from_elem((1, 1), 4.0));
/// let norm = clip_grad_norm(&mut [a.view_mut().into_dyn(), b.view_mut().into_dyn()], 2.5)?;
/// assert_eq!((norm, a[0], b[[0, 0]]), (5.0, 1.5, 2.0));
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `max_norm` is finite and
/// positive; the gradients are then left as they are.
pub fn clip_grad_norm<F: Real>(grads: &mut [ArrayViewMutD<'_, F>], max_norm: F) -> Result<F> {
    check("max_norm", max_norm, Domain::Positive)?;
    let norm = global_norm(grads);
    if norm > max_norm {
        let scale = max_norm / norm;
        for g in grads.iter_mut() {
            g.mapv_inplace(|v| v * scale);
        }
    }
    Ok(norm)
}

/// Clamps every entry of every gradient of `grads` to `[-value, value]` (NaN entries are left
/// as they are), as `torch.nn.utils.clip_grad_value_` does.
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `value` is finite and
/// positive (a negative bound would swap signs); the gradients are then left as they are.
pub fn clip_grad_value<F: Real>(grads: &mut [ArrayViewMutD<'_, F>], value: F) -> Result<()> {
    check("value", value, Domain::Positive)?;
    for g in grads.iter_mut() {
        g.mapv_inplace(|v| crate::clip::clamp(v, value));
    }
    Ok(())
}

/// The Euclidean norm of all entries of `grads` together: `√(Σ v²)`, rescaled by the largest
/// magnitude only when that sum overflows or falls below the normal range (the arithmetic of
/// the crate's vector norm, over the concatenation).
fn global_norm<F: Real>(grads: &[ArrayViewMutD<'_, F>]) -> F {
    let sum = fold(grads, |s, v| s + v * v);
    if sum.is_finite() && sum >= F::min_positive_value() {
        return sum.sqrt();
    }
    let scale = fold(grads, |m, v| {
        if v.abs() > m || v.is_nan() {
            v.abs()
        } else {
            m
        }
    });
    if !scale.is_finite() || scale == F::zero() {
        return scale;
    }
    let scaled = fold(grads, |s, v| {
        let y = v / scale;
        s + y * y
    });
    scale * scaled.sqrt()
}

/// `op` folded over every entry of every gradient, from `0`, tensor by tensor (each in memory
/// order when contiguous, in logical order otherwise).
#[inline]
fn fold<F: Real>(grads: &[ArrayViewMutD<'_, F>], op: impl Fn(F, F) -> F + Copy) -> F {
    grads
        .iter()
        .fold(F::zero(), |acc, g| match g.as_slice_memory_order() {
            Some(s) => s.iter().fold(acc, |a, &v| op(a, v)),
            None => g.iter().fold(acc, |a, &v| op(a, v)),
        })
}
