//! Affine subspaces `{x : A x = b}`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, Zip};

use super::{Projection, invalid_set};
use crate::Real;
use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::{dot, sum_within};

/// The affine subspace `C = {x ∈ R^n : A x = b}` for a full-row-rank `A ∈ R^{m×n}` (`m <= n`),
/// meant for a few equality constraints.
///
/// The projection removes the component of `x` that violates the equations, along the rows of
/// `A`:
///
/// ```text
/// P_C(x) = x - Aᵀ (A Aᵀ)⁻¹ (A x - b) .
/// ```
///
/// The set is stored with unit rows, `â_i = a_i/|a_i|` and `b̂_i = b_i/|a_i|` (the same set), so
/// that rows of any magnitude, and of magnitudes far apart, give the same accuracy. The Cholesky
/// factor `L Lᵀ = Â Âᵀ` is computed once, when the set is built (which is where a rank-deficient
/// `A` is caught), so a projection costs two products with `Â` and two triangular solves,
/// `O(mn + m²)`, in scratch vectors kept in the set. The formula is applied twice — the second
/// pass is one step of iterative refinement on the residual left by rounding — so the result
/// satisfies `A x = b` to working precision for a well-conditioned `A`. A point whose correction
/// overflows (entries or offsets `|b_i|/|a_i|` near the largest float) is projected after an
/// exact scaling by a power of two.
///
/// ```
/// use gradus::constraints::{Affine, Projection};
/// use ndarray::array;
///
/// // x + y + z = 3 and x - y = 0: the line through (1, 1, 1) along (1, 1, -2).
/// let a = array![[1.0, 1.0, 1.0], [1.0, -1.0, 0.0]];
/// let mut set = Affine::new(a.view(), array![3.0, 0.0].view())?;
/// let mut x = array![0.0_f64, 0.0, 0.0];
/// set.project(x.view_mut());
/// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-14));
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Affine<F> {
    a: Array2<F>,
    b: Array1<F>,
    /// The unit rows `â_i = a_i/|a_i|`.
    unit: Array2<F>,
    /// The offsets `b̂_i = b_i/|a_i|` that go with the unit rows.
    offset: Array1<F>,
    /// Lower Cholesky factor `L` of `Â Âᵀ`.
    chol: Array2<F>,
    /// Scratch of length `m`: the residual, then the solution of the normal equations.
    work: Array1<F>,
    /// Scratch of length `n`: the point being projected, kept for a second, rescaled attempt.
    point: Array1<F>,
}

impl<F: Real> Affine<F> {
    /// The subspace `{x : A x = b}`.
    ///
    /// # Errors
    /// [`Error::Empty`] for `A` with no rows or columns; [`Error::DimensionMismatch`] if `b` does
    /// not have one entry per row of `A`; [`Error::NonFinite`] for a non-finite entry of `A` or
    /// `b`; [`Error::InvalidSet`] if the rows of `A` are linearly dependent to working precision
    /// (a Cholesky pivot of `A Aᵀ` at most `100 n ε` times its diagonal entry), which includes
    /// `m > n` and a zero row, or if a row's plane lies beyond the largest float
    /// (`|b_i| / |a_i|` overflows: no finite point satisfies it).
    pub fn new(a: ArrayView2<'_, F>, b: ArrayView1<'_, F>) -> Result<Self> {
        let (m, n) = a.dim();
        if m == 0 || n == 0 {
            return Err(Error::Empty {
                what: "constraint matrix A",
            });
        }
        check_len("b vs rows of A", m, b.len())?;
        for (i, row) in a.rows().into_iter().enumerate() {
            if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    what: "constraint matrix A (flattened row by row)",
                    index: i * n + j,
                    value: row[j].as_f64(),
                });
            }
        }
        check_finite("b", b)?;
        // Unit rows: `a_i/|a_i|`, through `a_i/m_i` (`m_i` the largest magnitude) where `|a_i|`
        // leaves the normal range. A zero row stays zero (and is caught below).
        let mut unit = Array2::<F>::zeros((m, n));
        let mut offset = Array1::<F>::zeros(m);
        let mut row_norms = Array1::<F>::zeros(m);
        for (i, row) in a.rows().into_iter().enumerate() {
            let norm = crate::linalg::norm(row);
            row_norms[i] = norm;
            if norm == F::zero() {
                offset[i] = b[i];
                continue;
            }
            let (m_i, unit_norm) = if norm >= F::min_positive_value() && norm.is_finite() {
                (F::one(), norm)
            } else {
                let m_i = crate::linalg::max_abs(row);
                (m_i, crate::linalg::norm_of(row.iter().map(|&v| v / m_i)))
            };
            Zip::from(unit.row_mut(i))
                .and(row)
                .for_each(|u, &v| *u = v / m_i / unit_norm);
            offset[i] = b[i] / m_i / unit_norm;
        }
        // Gram matrix G = Â Âᵀ (unit diagonal) and its Cholesky factor, column by column.
        let mut chol = Array2::<F>::zeros((m, m));
        let tol = F::lit(100.0) * F::from_count(n) * F::epsilon();
        for j in 0..m {
            let gjj = dot(unit.row(j), unit.row(j));
            let mut d = gjj;
            for k in 0..j {
                d -= chol[[j, k]] * chol[[j, k]];
            }
            if d.is_nan() || d <= tol * gjj {
                return Err(dependent_row(
                    unit.view(),
                    offset.view(),
                    &chol,
                    j,
                    b[j],
                    row_norms[j],
                ));
            }
            let ljj = d.sqrt();
            chol[[j, j]] = ljj;
            for i in j + 1..m {
                let mut s = dot(unit.row(i), unit.row(j));
                for k in 0..j {
                    s -= chol[[i, k]] * chol[[j, k]];
                }
                chol[[i, j]] = s / ljj;
            }
        }
        // The plane of row i lies at distance |b_i|/|a_i| from the origin: beyond the largest
        // float, the set holds no finite point.
        if let Some(i) = offset.iter().position(|v| !v.is_finite()) {
            return Err(invalid_set(
                "Affine",
                format!(
                    "|row {i} of A| = {:e} is so small beside b[{i}] = {:e} that the plane lies \
                     beyond the largest float, and the set holds no finite point; scale the row \
                     and b[{i}] by the same factor",
                    row_norms[i].as_f64(),
                    b[i].as_f64()
                ),
            ));
        }
        Ok(Affine {
            a: a.to_owned(),
            b: b.to_owned(),
            unit,
            offset,
            chol,
            work: Array1::zeros(m),
            point: Array1::zeros(n),
        })
    }

    /// The matrix `A`.
    pub fn matrix(&self) -> ArrayView2<'_, F> {
        self.a.view()
    }

    /// The right-hand side `b`.
    pub fn rhs(&self) -> ArrayView1<'_, F> {
        self.b.view()
    }

    /// One pass of `x ← x - Aᵀ (L Lᵀ)⁻¹ (A x - b)`.
    fn correct(&mut self, mut x: ArrayViewMut1<'_, F>, scale: F) {
        let m = self.offset.len();
        let w = &mut self.work;
        for (i, row) in self.unit.rows().into_iter().enumerate() {
            w[i] = dot(row, x.view()) - self.offset[i] / scale;
        }
        // L y = r, forward.
        for i in 0..m {
            let mut s = w[i];
            for k in 0..i {
                s -= self.chol[[i, k]] * w[k];
            }
            w[i] = s / self.chol[[i, i]];
        }
        // Lᵀ z = y, backward.
        for i in (0..m).rev() {
            let mut s = w[i];
            for k in i + 1..m {
                s -= self.chol[[k, i]] * w[k];
            }
            w[i] = s / self.chol[[i, i]];
        }
        for (i, row) in self.unit.rows().into_iter().enumerate() {
            let z = w[i];
            Zip::from(&mut x).and(row).for_each(|x, &a| *x -= z * a);
        }
    }
}

impl<F: Real> Projection<F> for Affine<F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        self.point.assign(&x);
        self.correct(x.view_mut(), F::one());
        self.correct(x.view_mut(), F::one());
        if x.iter().all(|v| v.is_finite()) || !self.point.iter().all(|v| v.is_finite()) {
            return;
        }
        // A finite point whose correction overflowed (a point or offsets `b_i / |a_i|` near the
        // largest float): project `y = x/s` onto `{A y = b/s}` and scale back, with `s` the power
        // of two (so that dividing and multiplying are exact) at or above the larger of `|x|_∞`
        // and the offsets. Then `|y|_∞ <= 1` and `|b_i/s| <= |a_i|`, so the residual and the
        // correction stay within range.
        let offsets = crate::linalg::max_abs(self.offset.view());
        let big = crate::linalg::max_abs(self.point.view()).max(offsets);
        if big == F::zero() {
            return;
        }
        let two = F::lit(2.0);
        let mut s = two.powf(big.log2().ceil());
        if !s.is_finite() {
            // The largest power of two: `log2(F::MAX)` rounds up to the exponent of overflow.
            s = two.powf(F::max_value().log2().floor() - F::one());
        }
        Zip::from(&mut x)
            .and(&self.point)
            .for_each(|x, &p| *x = p / s);
        self.correct(x.view_mut(), s);
        self.correct(x.view_mut(), s);
        x.mapv_inplace(|v| v * s);
    }

    fn dim(&self) -> Option<usize> {
        Some(self.a.ncols())
    }

    /// `|â_i·x - b̂_i| = |a_i·x - b_i| / |a_i|₂ <= tolerance` for every row `a_i`: `x` is within
    /// `tolerance` of each hyperplane `a_i·x = b_i`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        x.len() == self.a.ncols()
            && self
                .unit
                .rows()
                .into_iter()
                .zip(&self.offset)
                .all(|(row, &b)| sum_within(row.iter().zip(&x).map(|(&a, &v)| a * v), b, tolerance))
    }
}

/// The error for row `j` of `A`, a linear combination `a_j = Σ_{k<j} c_k a_k` of the rows
/// before it (to working precision), given the Cholesky factor of their Gram matrix in the
/// leading `j x j` block of `chol`. The equations agree when `b_j = Σ c_k b_k`: row `j` is then
/// redundant; otherwise they contradict each other and the set is empty. `a` and `b` are the
/// unit rows and their offsets; the message gives `b_j` as the user wrote it (`b_j_given`) and
/// the combination in the same units (times `|a_j|`, `norm_j`).
fn dependent_row<F: Real>(
    a: ArrayView2<'_, F>,
    b: ArrayView1<'_, F>,
    chol: &Array2<F>,
    j: usize,
    b_j_given: F,
    norm_j: F,
) -> Error {
    // c solves (A_{<j} A_{<j}ᵀ) c = A_{<j} a_j: forward then back substitution with L.
    let mut c: Vec<F> = (0..j).map(|k| dot(a.row(k), a.row(j))).collect();
    for i in 0..j {
        let s = (0..i).fold(c[i], |s, k| s - chol[[i, k]] * c[k]);
        c[i] = s / chol[[i, i]];
    }
    for i in (0..j).rev() {
        let s = (i + 1..j).fold(c[i], |s, k| s - chol[[k, i]] * c[k]);
        c[i] = s / chol[[i, i]];
    }
    let combination = (0..j).fold(F::zero(), |s, k| s + c[k] * b[k]);
    let size = (0..j).fold(b[j].abs(), |s, k| s + (c[k] * b[k]).abs());
    let agree = (b[j] - combination).abs() <= F::lit(1e3) * F::epsilon() * size;
    let rows = if j == 0 {
        "row 0 of A is zero".to_string()
    } else {
        format!("row {j} of A is a linear combination of the rows before it")
    };
    let reason = if agree {
        format!(
            "{rows}, and b[{j}] = {} agrees with it: the equation is redundant; remove it so that \
             A has full row rank",
            b_j_given.as_f64()
        )
    } else {
        format!(
            "{rows}, but b[{j}] = {} contradicts the same combination of the other entries of b \
             ({}): no point satisfies every equation, the set is empty; check A and b",
            b_j_given.as_f64(),
            (combination * norm_j).as_f64()
        )
    };
    invalid_set("Affine", reason)
}
