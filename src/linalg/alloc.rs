//! Allocation that reports failure instead of aborting.
//!
//! An array whose size comes from the user (a dimension, a number of examples, a number of
//! constraints) is reserved with [`Vec::try_reserve_exact`] before it is filled. A size whose
//! bytes do not fit in `isize`, or a product of sizes that overflows `usize`, or a request the
//! allocator refuses, then gives `None`, which the caller turns into a typed error naming the
//! user's count ([`too_large`]); `ndarray`'s constructors would panic ("capacity overflow",
//! "shape too large") or abort the process ("memory allocation failed").
//!
//! The values are produced in the order `ndarray`'s constructors produce them (row-major), so a
//! constructor that draws random numbers while filling an array draws the same sequence.

use ndarray::{Array1, Array2};

use crate::error::Error;

/// The [`Error::InvalidCount`] for the count `name` (of value `value`) that sizes arrays that
/// cannot be allocated.
#[cold]
pub(crate) fn too_large(name: &'static str, value: usize) -> Error {
    Error::InvalidCount {
        name,
        value,
        expected: "small enough for the arrays it sizes to be allocated (reduce it)",
    }
}

/// An empty vector with room for `len` values, or `None` if they cannot be allocated.
pub(crate) fn try_with_capacity<T>(len: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    Some(v)
}

/// `Array1::from_shape_fn(len, f)`, or `None` if `len` values cannot be allocated.
pub(crate) fn try_from_fn<T>(len: usize, mut f: impl FnMut(usize) -> T) -> Option<Array1<T>> {
    let mut v = try_with_capacity(len)?;
    v.extend((0..len).map(&mut f));
    Some(Array1::from(v))
}

/// `Array1::from_elem(len, value)`, or `None` if `len` values cannot be allocated.
pub(crate) fn try_from_elem<T: Clone>(len: usize, value: T) -> Option<Array1<T>> {
    let mut v = try_with_capacity(len)?;
    v.resize(len, value);
    Some(Array1::from(v))
}

/// `Array2::from_shape_fn((rows, cols), f)` (values produced in row-major order), or `None` if
/// `rows x cols` overflows or that many values cannot be allocated.
pub(crate) fn try_from_fn2<T>(
    (rows, cols): (usize, usize),
    mut f: impl FnMut((usize, usize)) -> T,
) -> Option<Array2<T>> {
    let mut v = try_with_capacity(rows.checked_mul(cols)?)?;
    for i in 0..rows {
        v.extend((0..cols).map(|j| f((i, j))));
    }
    // The length is `rows x cols` and fits in `isize` (the reservation succeeded).
    Array2::from_shape_vec((rows, cols), v).ok()
}

/// `a.mapv(f)`, or `None` if a copy of `a`'s shape cannot be allocated.
pub(crate) fn try_map2<A: Copy, B>(a: &Array2<A>, mut f: impl FnMut(A) -> B) -> Option<Array2<B>> {
    try_from_fn2(a.dim(), |ij| f(a[ij]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_that_cannot_be_allocated_are_none() {
        assert!(try_with_capacity::<f64>(usize::MAX).is_none());
        assert!(try_with_capacity::<f64>(usize::MAX / 8 + 1).is_none());
        assert!(try_from_elem(usize::MAX, 0.0_f32).is_none());
        assert!(try_from_fn(usize::MAX, |_| 0u8).is_none());
        assert!(try_from_fn2((usize::MAX, 2), |_| 0.0_f64).is_none());
        assert!(try_from_fn2((1 << 33, 1 << 33), |_| 0.0_f64).is_none());
        // An address space can hold 2^47 bytes at most on the machines Rust supports.
        assert!(try_from_elem(1usize << 50, 0.0_f64).is_none());
    }

    #[test]
    fn arrays_are_filled_as_ndarray_fills_them() {
        let mut k = 0;
        let a = try_from_fn2((3, 4), |_| {
            k += 1;
            k
        })
        .unwrap();
        let mut k = 0;
        let b = Array2::from_shape_simple_fn((3, 4), || {
            k += 1;
            k
        });
        assert_eq!(a, b);
        assert_eq!(try_map2(&a, |v| 2 * v).unwrap(), a.mapv(|v| 2 * v));
        assert_eq!(
            try_from_fn(5, |i| i * i).unwrap(),
            Array1::from_shape_fn(5, |i| i * i)
        );
        assert_eq!(try_from_elem(4, 1.5).unwrap(), Array1::from_elem(4, 1.5));
        assert_eq!(try_from_fn2((0, 7), |_| 0).unwrap().dim(), (0, 7));
    }
}
