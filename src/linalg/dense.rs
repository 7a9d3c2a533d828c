//! Small dense linear algebra: the few kernels the crate needs on `n x n` matrices of modest
//! size (Cholesky factorisation and solves, symmetric eigenvalues, orthogonalisation, an
//! allocation-free matrix-vector product).
//!
//! Everything here is written for clarity and for matrices up to a few hundred rows; none of it
//! is on a per-iteration hot path except [`mat_vec_into`], which allocates nothing.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, Zip};

use crate::Real;

/// `y <- A x` for a dense `m x n` matrix `A`, written into `y` without allocating.
///
/// Each entry is the dot product of a row of `A` with `x`.
pub(crate) fn mat_vec_into<F: Real>(
    a: ArrayView2<'_, F>,
    x: ArrayView1<'_, F>,
    mut y: ArrayViewMut1<'_, F>,
) {
    Zip::from(&mut y)
        .and(a.rows())
        .for_each(|yi, row| *yi = row.dot(&x));
}

/// Cholesky factorisation `A = L Lᵀ` of a symmetric positive definite matrix, in place.
///
/// On success the lower triangle of `a` holds `L` and the strict upper triangle is set to zero.
/// Only the lower triangle of the input is read. Returns `Err(j)` with the index of the first
/// pivot `d_j` that is not safely positive, `d_j <= 16 n ε a_jj`: the matrix is then singular or
/// indefinite to working precision (condition number beyond about `1/(16 n ε)`), and `a` is left
/// partly overwritten.
pub(crate) fn cholesky_in_place<F: Real>(a: &mut Array2<F>) -> Result<(), usize> {
    let n = a.nrows();
    let threshold = F::lit(16.0) * F::from_count(n) * F::epsilon();
    for j in 0..n {
        let ajj = a[[j, j]];
        let mut d = ajj;
        for k in 0..j {
            d -= a[[j, k]] * a[[j, k]];
        }
        if d.is_nan() || d <= threshold * ajj.abs() || d <= F::zero() {
            return Err(j);
        }
        let d = d.sqrt();
        a[[j, j]] = d;
        for i in (j + 1)..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = s / d;
        }
        for k in (j + 1)..n {
            a[[j, k]] = F::zero();
        }
    }
    Ok(())
}

/// Solves `L Lᵀ x = b` in place (`b` becomes `x`), given the Cholesky factor `L` from
/// [`cholesky_in_place`].
pub(crate) fn cholesky_solve<F: Real>(l: &Array2<F>, mut b: ArrayViewMut1<'_, F>) {
    let n = l.nrows();
    // Forward substitution: L z = b.
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[[i, k]] * b[k];
        }
        b[i] = s / l[[i, i]];
    }
    // Back substitution: Lᵀ x = z.
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= l[[k, i]] * b[k];
        }
        b[i] = s / l[[i, i]];
    }
}

/// Solves the symmetric positive definite system `A x = b` by Cholesky, followed by one step of
/// iterative refinement (`r = b - A x`, `x += A⁻¹ r`), which recovers most of the accuracy lost
/// to rounding when `A` is ill-conditioned. Returns `None` if `A` is not numerically positive
/// definite.
pub(crate) fn solve_spd<F: Real>(a: &Array2<F>, b: ArrayView1<'_, F>) -> Option<Array1<F>> {
    let mut l = a.clone();
    cholesky_in_place(&mut l).ok()?;
    let mut x = b.to_owned();
    cholesky_solve(&l, x.view_mut());
    let mut r = Array1::zeros(b.len());
    mat_vec_into(a.view(), x.view(), r.view_mut());
    Zip::from(&mut r).and(b).for_each(|ri, &bi| *ri = bi - *ri);
    cholesky_solve(&l, r.view_mut());
    x += &r;
    Some(x)
}

/// Eigenvalues of a symmetric matrix by the cyclic Jacobi method, in increasing order.
///
/// Each sweep applies a plane rotation to every off-diagonal pair `(p, q)` that zeroes
/// `a_pq`; the off-diagonal mass decreases quadratically once it is small, and the eigenvalues
/// come out with an error of a few ulps of the largest one (Golub & Van Loan, *Matrix
/// Computations*, §8.5). Only the lower triangle of `a` is read.
pub(crate) fn symmetric_eigenvalues<F: Real>(a: ArrayView2<'_, F>) -> Array1<F> {
    let n = a.nrows();
    let mut m = Array2::from_shape_fn((n, n), |(i, j)| if i >= j { a[[i, j]] } else { a[[j, i]] });
    for _sweep in 0..100 {
        let off: F = (0..n)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| m[[i, j]] * m[[i, j]])
            .sum();
        let diag: F = (0..n).map(|i| m[[i, i]] * m[[i, i]]).sum();
        if off <= F::epsilon() * F::epsilon() * diag || off == F::zero() {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = m[[p, q]];
                if apq == F::zero() {
                    continue;
                }
                // Rotation angle: cot 2θ = (a_qq - a_pp) / (2 a_pq), t = tan θ.
                let theta = (m[[q, q]] - m[[p, p]]) / (apq + apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + F::one()).sqrt());
                let c = F::one() / (t * t + F::one()).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[[k, p]];
                    let mkq = m[[k, q]];
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[[p, k]];
                    let mqk = m[[q, k]];
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
            }
        }
    }
    let mut values: Vec<F> = (0..n).map(|i| m[[i, i]]).collect();
    values.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    Array1::from(values)
}

/// Replaces the columns of the square matrix `a` by an orthonormal basis of their span, by
/// modified Gram–Schmidt applied twice ("twice is enough": Giraud, Langou & Rozložník, 2005).
///
/// This is the `Q` of the QR factorisation `a = Q R` with a positive diagonal in `R`, so for a
/// matrix of independent standard Gaussians `Q` is distributed uniformly (Haar) on the orthogonal
/// group (Mezzadri, 2007). Columns that are numerically dependent are left as they come out;
/// Gaussian matrices have independent columns with probability one.
pub(crate) fn orthonormalize_columns<F: Real>(a: &mut Array2<F>) {
    let n = a.ncols();
    for j in 0..n {
        for _pass in 0..2 {
            for k in 0..j {
                let (left, mut right) = a.view_mut().split_at(ndarray::Axis(1), j);
                let qk = left.column(k);
                let mut v = right.column_mut(0);
                let r = qk.dot(&v);
                v.scaled_add(-r, &qk);
            }
        }
        let mut v = a.column_mut(j);
        let norm = v.dot(&v).sqrt();
        if norm > F::zero() {
            v /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_of_hand_factored_matrix() {
        // [[4, 2], [2, 5]] = L Lᵀ with L = [[2, 0], [1, 2]].
        let mut a = array![[4.0, 2.0], [2.0, 5.0]];
        cholesky_in_place(&mut a).unwrap();
        assert_eq!(a, array![[2.0, 0.0], [1.0, 2.0]]);
        // A (11/8, 5/4) = (8, 9); every intermediate is exact in binary.
        let mut b = array![8.0, 9.0];
        cholesky_solve(&a, b.view_mut());
        assert_eq!(b, array![1.375, 1.25]);
    }

    #[test]
    fn cholesky_rejects_indefinite_matrix_at_its_pivot() {
        let mut a = array![[1.0, 2.0], [2.0, 1.0]];
        assert_eq!(cholesky_in_place(&mut a), Err(1));
    }

    #[test]
    fn jacobi_eigenvalues_of_known_matrix() {
        // Eigenvalues of [[2, 1, 0], [1, 2, 1], [0, 1, 2]] are 2 - √2, 2, 2 + √2.
        let a = array![[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]];
        let e = symmetric_eigenvalues(a.view());
        let s = 2f64.sqrt();
        for (got, want) in e.iter().zip([2.0 - s, 2.0, 2.0 + s]) {
            assert!((got - want).abs() < 1e-14, "{got} vs {want}");
        }
    }

    #[test]
    fn gram_schmidt_gives_orthonormal_columns() {
        let mut a = array![[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
        orthonormalize_columns(&mut a);
        let qtq = a.t().dot(&a);
        for i in 0..3 {
            for j in 0..3 {
                let want: f64 = if i == j { 1.0 } else { 0.0 };
                assert!((qtq[[i, j]] - want).abs() < 1e-15);
            }
        }
    }
}
