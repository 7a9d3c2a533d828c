//! Convex quadratics with a chosen spectrum.

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Zip};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::data::gaussian_matrix;
use super::{TestFunction, filled, wrong_length};
use crate::error::{
    Domain, Error, Result, check, check_entries, check_finite, check_len, check_that,
};
use crate::linalg::alloc::{too_large, try_from_fn, try_from_fn2};
use crate::linalg::{mat_vec_into, orthonormalize_columns};
use crate::{Objective, Real};

/// A strongly convex quadratic with a chosen spectrum:
///
/// ```text
/// f(x) = ½ xᵀ A x - bᵀ x,    ∇f(x) = A x - b,    A = Q diag(λ_1, ..., λ_n) Qᵀ
/// x* = A⁻¹ b,    f* = -½ bᵀ x* = -½ x*ᵀ A x*
/// ```
///
/// with eigenvalues `λ_i > 0` and `Q` either the identity (a diagonal quadratic) or a seeded
/// random rotation ([`rotated`](Quadratic::rotated)). The constants are exact: `L = max λ_i`,
/// `μ = min λ_i`, condition number `κ = L/μ`. This is the model problem on which the convergence
/// rates of first-order methods are stated (Nesterov, *Lectures on Convex Optimization*, 2018,
/// §2.1): gradient descent with step `1/L` contracts `f - f*` by `(1 - 1/κ)` per step, and
/// accelerated methods by `(1 - 1/√κ)`.
///
/// The minimiser is `x* = (1, ..., 1)` unless set otherwise ([`with_minimizer`],
/// [`with_linear_term`]); `b = A x*` is derived from it. The standard start is the origin, where
/// `f = 0`. The gradient allocates nothing: for a rotated quadratic it is one dense product `A x`
/// written into the gradient buffer, for a diagonal one `λ_i x_i - b_i`.
///
/// [`with_minimizer`]: Quadratic::with_minimizer
/// [`with_linear_term`]: Quadratic::with_linear_term
///
/// ```
/// use gradus::problems::{Quadratic, TestFunction};
///
/// // Eigenvalues log-spaced in [1e-3, 1], rotated by a random orthogonal matrix.
/// let q = Quadratic::<f64>::with_condition_number(50, 1e3)?.rotated(7)?;
/// assert_eq!(q.smoothness(), Some(1.0));
/// assert!((q.strong_convexity().unwrap() - 1e-3).abs() < 1e-18);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Quadratic<F> {
    /// Eigenvalues in the order given (log-spaced ones are increasing).
    eigenvalues: Array1<F>,
    /// The rotation `Q` (in `f64`), when there is one.
    rotation: Option<Array2<f64>>,
    /// The dense `A = Q Λ Qᵀ`, when there is a rotation.
    matrix: Option<Array2<F>>,
    b: Array1<F>,
    x_star: Array1<F>,
    f_star: F,
    seed: Option<u64>,
}

impl<F: Real> Quadratic<F> {
    /// The diagonal quadratic `f(x) = Σ_i (λ_i x_i² / 2 - b_i x_i)` with the given eigenvalues,
    /// minimised at `(1, ..., 1)`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no eigenvalues; [`Error::InvalidParameter`] for an eigenvalue that
    /// is not a finite number `> 0`.
    pub fn diagonal(eigenvalues: Array1<F>) -> Result<Self> {
        if eigenvalues.is_empty() {
            return Err(Error::Empty {
                what: "eigenvalues",
            });
        }
        check_entries("eigenvalues", eigenvalues.iter().copied(), Domain::Positive)?;
        let n = eigenvalues.len();
        let mut q = Quadratic {
            eigenvalues,
            rotation: None,
            matrix: None,
            b: Array1::zeros(0),
            x_star: Array1::zeros(0),
            f_star: F::zero(),
            seed: None,
        };
        q.set_minimizer(filled(n, F::one())?)?;
        Ok(q)
    }

    /// A diagonal quadratic in `n` variables with eigenvalues log-spaced from `mu` to `l`:
    /// `λ_i = μ (L/μ)^{(i-1)/(n-1)}`, `i = 1..n` (just `μ` when `n = 1`).
    ///
    /// # Errors
    /// [`Error::Empty`] if `n = 0`; [`Error::InvalidParameter`] unless
    /// `0 < mu <= l < ∞`; [`Error::InvalidCount`] naming `n` when vectors of `n` entries cannot
    /// be allocated.
    pub fn log_spaced(n: usize, mu: F, l: F) -> Result<Self> {
        if n == 0 {
            return Err(Error::Empty {
                what: "quadratic (n = 0 variables)",
            });
        }
        check("mu", mu, Domain::Positive)?;
        check_that("l", l, "finite and >= mu", l.is_finite() && l >= mu)?;
        let (mu64, l64) = (mu.as_f64(), l.as_f64());
        let eigenvalues = try_from_fn(n, |i| {
            if i == 0 {
                mu
            } else if i == n - 1 {
                l
            } else {
                // Rounded to `F`, kept in [μ, L] (a value between two finite positive numbers of
                // `F` rounds to a number between them).
                F::lit(mu64 * (l64 / mu64).powf(i as f64 / (n - 1) as f64))
                    .max(mu)
                    .min(l)
            }
        })
        .ok_or_else(|| too_large("n", n))?;
        Self::diagonal(eigenvalues)
    }

    /// A diagonal quadratic in `n` variables with condition number `κ = condition_number`:
    /// eigenvalues log-spaced in `[1/κ, 1]`, so `L = 1` and `μ = 1/κ`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `n = 0`; [`Error::InvalidParameter`] unless `condition_number` is a
    /// finite number `>= 1`; [`Error::InvalidCount`] naming `n` when vectors of `n` entries
    /// cannot be allocated.
    pub fn with_condition_number(n: usize, condition_number: F) -> Result<Self> {
        check("condition_number", condition_number, Domain::AtLeastOne)?;
        Self::log_spaced(n, F::one() / condition_number, F::one())
    }

    /// The same spectrum and minimiser, with `A = Q Λ Qᵀ` for a random orthogonal `Q`: the
    /// orthogonal factor of the QR factorisation of an `n x n` matrix of independent standard
    /// Gaussians drawn from xoshiro256++ seeded with `seed` (uniform on the orthogonal group;
    /// Mezzadri, 2007). The same seed gives the same `A`. `A` is computed in `f64` and rounded
    /// to `F`; `b = A x*` is then recomputed so that `x*` stays the exact minimiser of the
    /// stored problem up to rounding.
    ///
    /// # Errors
    /// [`Error::InvalidCount`] naming `n` when the dense `n x n` matrices (`Q`, and `A` in
    /// `f64` and in `F`) cannot be allocated.
    pub fn rotated(mut self, seed: u64) -> Result<Self> {
        let n = self.eigenvalues.len();
        let oversize = || too_large("n", n);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut q = gaussian_matrix(&mut rng, n, n).ok_or_else(oversize)?;
        orthonormalize_columns(&mut q);
        let lam: Vec<f64> = self.eigenvalues.iter().map(|l| l.as_f64()).collect();
        let a = try_from_fn2((n, n), |(i, j)| {
            (0..n).fold(0.0, |s, k| s + q[[i, k]] * lam[k] * q[[j, k]])
        })
        .ok_or_else(oversize)?;
        // A_ij and A_ji multiply the same factors in another order, which may round apart:
        // copy the upper triangle so that the stored A is exactly symmetric.
        let a = try_from_fn2((n, n), |(i, j)| {
            F::lit(if i <= j { a[[i, j]] } else { a[[j, i]] })
        })
        .ok_or_else(oversize)?;
        self.matrix = Some(a);
        self.rotation = Some(q);
        self.seed = Some(seed);
        let x_star = self.x_star.clone();
        self.set_minimizer(x_star)?;
        Ok(self)
    }

    /// The same matrix `A`, with `b = A x_star`, so that the minimiser is `x_star`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `x_star` does not have `n` entries, [`Error::NonFinite`]
    /// for a non-finite entry.
    pub fn with_minimizer(mut self, x_star: Array1<F>) -> Result<Self> {
        check_len("x_star vs quadratic dimension", self.dim(), x_star.len())?;
        check_finite("x_star", x_star.view())?;
        self.set_minimizer(x_star)?;
        Ok(self)
    }

    /// The same matrix `A`, with the linear term `b`; the minimiser becomes
    /// `x* = A⁻¹ b = Q Λ⁻¹ Qᵀ b`, computed in `f64` from the eigendecomposition.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `b` does not have `n` entries, [`Error::NonFinite`] for
    /// a non-finite entry.
    pub fn with_linear_term(mut self, b: Array1<F>) -> Result<Self> {
        check_len("b vs quadratic dimension", self.dim(), b.len())?;
        check_finite("b", b.view())?;
        let b64: Array1<f64> = b.mapv(|v| v.as_f64());
        let lam: Array1<f64> = self.eigenvalues.mapv(|v| v.as_f64());
        let x = match &self.rotation {
            None => &b64 / &lam,
            Some(q) => {
                let c = &q.t().dot(&b64) / &lam;
                q.dot(&c)
            }
        };
        self.f_star = F::lit(-0.5 * b64.dot(&x));
        self.x_star = x.mapv(F::lit);
        self.b = b;
        Ok(self)
    }

    /// Sets `x*` and derives `b = A x*` and `f* = -½ bᵀ x*`.
    fn set_minimizer(&mut self, x_star: Array1<F>) -> Result<()> {
        let mut b = filled(x_star.len(), F::zero())?;
        self.apply(x_star.view(), b.view_mut());
        self.f_star = F::lit(
            -0.5 * b
                .iter()
                .zip(&x_star)
                .fold(0.0, |s, (bi, xi)| s + bi.as_f64() * xi.as_f64()),
        );
        self.b = b;
        self.x_star = x_star;
        Ok(())
    }

    /// `out <- A x`, without allocating.
    fn apply(&self, x: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        match &self.matrix {
            Some(a) => mat_vec_into(a.view(), x, out),
            None => Zip::from(out)
                .and(x)
                .and(&self.eigenvalues)
                .for_each(|o, &xi, &l| *o = l * xi),
        }
    }

    /// The eigenvalues `λ_i` of `A`, in the order given (increasing for the log-spaced
    /// constructors).
    pub fn eigenvalues(&self) -> ArrayView1<'_, F> {
        self.eigenvalues.view()
    }

    /// The matrix `A` as a dense `n x n` array (built on each call).
    ///
    /// # Errors
    /// [`Error::InvalidCount`] naming `n` when an `n x n` array cannot be allocated.
    pub fn matrix(&self) -> Result<Array2<F>> {
        let n = self.dim();
        try_from_fn2((n, n), |(i, j)| match &self.matrix {
            Some(a) => a[[i, j]],
            None if i == j => self.eigenvalues[i],
            None => F::zero(),
        })
        .ok_or_else(|| too_large("n", n))
    }

    /// The linear term `b`.
    pub fn linear_term(&self) -> ArrayView1<'_, F> {
        self.b.view()
    }

    /// The condition number `κ = max λ_i / min λ_i`.
    pub fn condition_number(&self) -> F {
        self.max_eigenvalue() / self.min_eigenvalue()
    }

    fn max_eigenvalue(&self) -> F {
        self.eigenvalues.fold(F::zero(), |m, &l| m.max(l))
    }

    fn min_eigenvalue(&self) -> F {
        self.eigenvalues.fold(F::infinity(), |m, &l| m.min(l))
    }
}

impl<F: Real> Objective<F> for Quadratic<F> {
    fn dim(&self) -> usize {
        self.eigenvalues.len()
    }

    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if wrong_length(self.dim(), &x, None) {
            return F::nan();
        }
        let half = F::lit(0.5);
        match &self.matrix {
            Some(a) => Zip::from(a.rows())
                .and(x)
                .and(&self.b)
                .fold(F::zero(), |s, row, &xi, &bi| {
                    s + xi * (half * row.dot(&x) - bi)
                }),
            None => Zip::from(x)
                .and(&self.eigenvalues)
                .and(&self.b)
                .fold(F::zero(), |s, &xi, &l, &bi| s + xi * (half * l * xi - bi)),
        }
    }

    fn gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) {
        if wrong_length(self.dim(), &x, Some(&mut grad)) {
            return;
        }
        self.apply(x, grad.view_mut());
        grad -= &self.b;
    }

    fn value_and_gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        if wrong_length(self.dim(), &x, Some(&mut grad)) {
            return F::nan();
        }
        self.apply(x, grad.view_mut());
        let half = F::lit(0.5);
        let mut f = F::zero();
        Zip::from(&mut grad)
            .and(x)
            .and(&self.b)
            .for_each(|g, &xi, &bi| {
                f += xi * (half * *g - bi);
                *g -= bi;
            });
        f
    }
}

impl<F: Real> TestFunction<F> for Quadratic<F> {
    fn name(&self) -> String {
        let kappa = self.condition_number().as_f64();
        match self.seed {
            Some(seed) => format!("quadratic-{}-kappa{kappa:.0e}-rot{seed}", self.dim()),
            None => format!("quadratic-{}-kappa{kappa:.0e}", self.dim()),
        }
    }
    fn minimizers(&self) -> Result<Vec<Array1<F>>> {
        let x = &self.x_star;
        Ok(vec![
            try_from_fn(x.len(), |i| x[i]).ok_or_else(|| too_large("n", x.len()))?,
        ])
    }
    fn minimum(&self) -> F {
        self.f_star
    }
    fn start(&self) -> Result<Array1<F>> {
        filled(self.dim(), F::zero())
    }
    fn smoothness(&self) -> Option<F> {
        Some(self.max_eigenvalue())
    }
    fn strong_convexity(&self) -> Option<F> {
        Some(self.min_eigenvalue())
    }
    fn is_convex(&self) -> bool {
        true
    }
}
