//! Linear algebra below everything else of the crate: vector operations (dot products, norms
//! that cannot overflow, copies) in [`vector`], small dense factorisations in [`dense`], and
//! allocation of arrays sized by the user that fails with an error instead of aborting in
//! [`alloc`].
//!
//! This module imports nothing of the crate but [`Real`](crate::Real) and the error type, so
//! every other module (rules, the loop, sets, clipping, problems) can use it without making an
//! import circle.

pub(crate) mod alloc;
pub(crate) mod dense;
pub(crate) mod vector;

pub(crate) use dense::{
    cholesky_in_place, cholesky_solve, mat_vec_into, orthonormalize_columns, solve_spd,
    symmetric_eigenvalues,
};
pub(crate) use vector::{
    axpy_slices, copy, dot, dot_slices, max_abs, max_abs_diff, norm, norm_of, sum_within,
};
