//! The log-sum-exp function of affine forms.

use std::sync::OnceLock;

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Zip};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::data::{gaussian_matrix, gaussian_vector};
use super::{Certificate, filled, newton, rounded};
use crate::error::{Domain, Error, Result, check, check_len};
use crate::linalg::alloc::{too_large, try_from_elem, try_from_fn2, try_map2};
use crate::{Objective, Real};

/// The log-sum-exp of `m` affine forms, with an optional L2 penalty:
///
/// ```text
/// f(x)  = log Σ_{i=1}^m exp(a_iᵀ x + b_i) + (λ/2) |x|²
/// ∇f(x) = Σ_i p_i a_i + λ x,    p_i = exp(a_iᵀx + b_i) / Σ_k exp(a_kᵀx + b_k)
/// ∇²f(x) = Aᵀ (diag p - p pᵀ) A + λ I
/// ```
///
/// a smooth convex approximation of `max_i (a_iᵀ x + b_i)` (Boyd & Vandenberghe, *Convex
/// Optimization*, 2004, §3.1.5; Nesterov, "Smooth minimization of non-smooth functions", 2005).
/// Since `diag p - p pᵀ ≼ diag p` and `Σ p_i = 1`, `f` is `L`-smooth with
/// `L = max_i |a_i|² + λ`; it is `λ`-strongly convex, and not strongly convex when `λ = 0`
/// (the Hessian vanishes far out). The value and gradient are computed in one pass with a running
/// maximum, so no exponential overflows and nothing is allocated.
///
/// Two forms:
///
/// - [`symmetric(n)`](LogSumExp::symmetric): `A = [I; -I]`, `b = 0`, `λ = 0`, i.e.
///   `f(x) = log Σ_j 2 cosh(x_j)`. Its minimum is known exactly: `f* = log(2n)` at `x* = 0`,
///   where the Hessian is `I/n`; `L = 1`. No start is standard; gradus uses `(1, ..., 1)`.
/// - [`new`](LogSumExp::new) / [`random`](LogSumExp::random): any `A`, `b`, with `λ > 0`
///   required so that the minimiser exists (without the penalty `f` is bounded below only when
///   `0` lies in the convex hull of the `a_i`, and has a minimiser only when it lies in the
///   relative interior). The minimiser is computed on first demand, in `f64`, by Newton's method
///   with a dense Cholesky factorisation and a backtracking line search, to a gradient norm
///   below `1e-12` ([`certificate`](LogSumExp::certificate)). Start `x = 0`.
///
/// ```
/// use gradus::problems::{LogSumExp, TestFunction};
///
/// let f = LogSumExp::<f64>::symmetric(3)?;
/// assert!((f.minimum() - 6f64.ln()).abs() < 1e-15);
/// let g = LogSumExp::<f64>::random(40, 5, 1e-2, 11)?;
/// assert!(g.certificate().gradient_norm <= 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogSumExp<F> {
    a: Array2<F>,
    b: Array1<F>,
    l2: F,
    symmetric: bool,
    solution: OnceLock<Certificate>,
}

impl<F: Real> LogSumExp<F> {
    /// `f(x) = log Σ_j (e^{x_j} + e^{-x_j})` in `n` variables (`n = 0` is taken as 1): minimum
    /// `log(2n)` at the origin. The matrix `A = [I; -I]` is stored densely (`2n x n` entries).
    ///
    /// # Errors
    /// [`Error::InvalidCount`] naming `n` when the `2n x n` matrix cannot be allocated (or
    /// `2n` overflows).
    pub fn symmetric(n: usize) -> Result<Self> {
        let n = n.max(1);
        let rows = n.checked_mul(2).ok_or_else(|| too_large("n", n))?;
        let a = try_from_fn2((rows, n), |(i, j)| {
            if i == j {
                F::one()
            } else if i == j + n {
                -F::one()
            } else {
                F::zero()
            }
        })
        .ok_or_else(|| too_large("n", n))?;
        Ok(LogSumExp {
            a,
            b: try_from_elem(rows, F::zero()).ok_or_else(|| too_large("n", n))?,
            l2: F::zero(),
            symmetric: true,
            solution: OnceLock::new(),
        })
    }

    /// `f(x) = log Σ_i exp(a_iᵀ x + b_i) + (λ/2)|x|²` with the rows `a_i` of `a` (`m x n`),
    /// the offsets `b` (length `m`) and `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `a` has no rows or no columns; [`Error::DimensionMismatch`] if `b`
    /// does not have one entry per row of `a`; [`Error::NonFinite`] for a non-finite entry;
    /// [`Error::InvalidParameter`] unless `lambda` is a finite number `> 0`.
    pub fn new(a: Array2<F>, b: Array1<F>, lambda: F) -> Result<Self> {
        if a.nrows() == 0 || a.ncols() == 0 {
            return Err(Error::Empty {
                what: "log-sum-exp matrix a",
            });
        }
        check_len("b vs rows of a", a.nrows(), b.len())?;
        if let Some((index, &value)) = a.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "a (row-major index)",
                index,
                value: value.as_f64(),
            });
        }
        crate::error::check_finite("b", b.view())?;
        check("lambda", lambda, Domain::Positive)?;
        Ok(LogSumExp {
            a,
            b,
            l2: lambda,
            symmetric: false,
            solution: OnceLock::new(),
        })
    }

    /// A random instance: `m` forms in `n` variables with `a_ij, b_i ~ N(0, 1)` drawn from
    /// xoshiro256++ seeded with `seed` (in `f64`, rounded to `F`), and penalty `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `m` or `n` is zero; [`Error::InvalidParameter`] unless `lambda` is a
    /// finite number `> 0`; [`Error::InvalidCount`] naming the larger of `m` and `n` when the
    /// `m x n` matrix cannot be allocated.
    pub fn random(m: usize, n: usize, lambda: F, seed: u64) -> Result<Self> {
        if m == 0 || n == 0 {
            return Err(Error::Empty {
                what: "log-sum-exp (m or n is 0)",
            });
        }
        check("lambda", lambda, Domain::Positive)?;
        let oversize = || {
            if m >= n {
                too_large("m", m)
            } else {
                too_large("n", n)
            }
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let a = gaussian_matrix(&mut rng, m, n).ok_or_else(oversize)?;
        let a = try_map2(&a, F::lit).ok_or_else(oversize)?;
        let b = gaussian_vector(&mut rng, m)
            .ok_or_else(oversize)?
            .mapv(F::lit);
        Self::new(a, b, lambda)
    }

    /// The matrix `A` (`m x n`, one form per row).
    pub fn matrix(&self) -> &Array2<F> {
        &self.a
    }

    /// The offsets `b`.
    pub fn offsets(&self) -> ArrayView1<'_, F> {
        self.b.view()
    }

    /// The penalty `λ`.
    pub fn lambda(&self) -> F {
        self.l2
    }

    /// The minimiser in `f64` with its certificate: exact for [`symmetric`](LogSumExp::symmetric)
    /// (`iterations` 0), otherwise computed by Newton's method on first call, then cached.
    pub fn certificate(&self) -> &Certificate {
        self.solution.get_or_init(|| {
            let n = self.a.ncols();
            if self.symmetric {
                return Certificate {
                    minimizer: Array1::zeros(n),
                    minimum: (2.0 * n as f64).ln(),
                    gradient_norm: 0.0,
                    iterations: 0,
                };
            }
            let a = self.a.mapv(|v| v.as_f64());
            let b = self.b.mapv(|v| v.as_f64());
            let l2 = self.l2.as_f64();
            let problem = LogSumExp {
                a: a.clone(),
                b,
                l2,
                symmetric: false,
                solution: OnceLock::new(),
            };
            let value = |x: ArrayView1<'_, f64>| problem.value(x);
            let derivatives =
                |x: ArrayView1<'_, f64>, g: ArrayViewMut1<'_, f64>, h: &mut Array2<f64>| {
                    let f = problem.value_and_gradient(x, g);
                    // p = softmax(A x + b), computed stably.
                    let mut z = a.dot(&x) + &problem.b;
                    let zmax = z.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                    z.mapv_inplace(|v| (v - zmax).exp());
                    let p = &z / z.sum();
                    let ap = a.t().dot(&p);
                    let weighted = &a * &p.view().insert_axis(ndarray::Axis(1));
                    h.assign(&a.t().dot(&weighted));
                    for i in 0..n {
                        for j in 0..n {
                            h[[i, j]] -= ap[i] * ap[j];
                        }
                        h[[i, i]] += l2;
                    }
                    f
                };
            newton::minimize(Array1::zeros(n), value, derivatives)
        })
    }

    /// `(M, S)` with `log Σ exp(a_iᵀx + b_i) = M + log S`, and, when `grad` is given,
    /// `grad <- Σ_i exp(a_iᵀx + b_i - M) a_i`; one pass, with the running maximum `M`.
    fn accumulate(
        &self,
        x: ArrayView1<'_, F>,
        mut grad: Option<&mut ArrayViewMut1<'_, F>>,
    ) -> (F, F) {
        let mut max = F::neg_infinity();
        let mut sum = F::zero();
        if let Some(g) = grad.as_deref_mut() {
            g.fill(F::zero());
        }
        for (row, &bi) in self.a.rows().into_iter().zip(&self.b) {
            let z = row.dot(&x) + bi;
            if z > max {
                // Rescale what was summed relative to the new maximum.
                let r = (max - z).exp();
                sum = sum * r + F::one();
                if let Some(g) = grad.as_deref_mut() {
                    Zip::from(&mut **g)
                        .and(&row)
                        .for_each(|gj, &aj| *gj = *gj * r + aj);
                }
                max = z;
            } else {
                let e = (z - max).exp();
                sum += e;
                if let Some(g) = grad.as_deref_mut() {
                    g.scaled_add(e, &row);
                }
            }
        }
        (max, sum)
    }
}

impl<F: Real> LogSumExp<F> {
    /// `f(x)`, for `x` of `n` entries.
    fn f(&self, x: ArrayView1<'_, F>) -> F {
        let (max, sum) = self.accumulate(x, None);
        max + sum.ln() + F::lit(0.5) * self.l2 * x.dot(&x)
    }

    /// `f(x)`, with `∇f(x)` written into `grad`; `x` and `grad` of `n` entries.
    fn f_and_grad(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        let (max, sum) = self.accumulate(x, Some(&mut grad));
        let inv = F::one() / sum;
        let l2 = self.l2;
        Zip::from(&mut grad)
            .and(x)
            .for_each(|g, &xi| *g = *g * inv + l2 * xi);
        max + sum.ln() + F::lit(0.5) * l2 * x.dot(&x)
    }
}

objective_from_formulas!(LogSumExp<F>, |self| self.a.ncols());

test_function!(LogSumExp<F>, |self| {
    name: {
        let (m, n) = self.a.dim();
        if self.symmetric {
            format!("log-sum-exp-symmetric-{n}")
        } else {
            format!("log-sum-exp-{m}x{n}")
        }
    },
    minimizers: Ok(vec![rounded(&self.certificate().minimizer)?]),
    minimum: F::lit(self.certificate().minimum),
    start: filled(
        self.a.ncols(),
        if self.symmetric { F::one() } else { F::zero() },
    ),
    smoothness: {
        let max_row = self
            .a
            .rows()
            .into_iter()
            .fold(F::zero(), |m, row| m.max(row.dot(&row)));
        Some(max_row + self.l2)
    },
    strong_convexity: (self.l2 > F::zero()).then_some(self.l2),
    convex: true,
});
