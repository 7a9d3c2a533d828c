//! Second-order information at a point: the smallest eigenvalue of the Hessian by Lanczos
//! iterations on Hessian-vector products, and a certificate that says whether a stationary point
//! is a minimum or a saddle.
//!
//! A first-order method stops where the gradient is small, which is as true of a saddle point as
//! of a minimum. [`certify`] tells them apart from the curvature: at a stationary point `x` with
//! Hessian `H`,
//!
//! - `λ_min(H) > 0`: a strict local minimum;
//! - `λ_min(H) < 0`: a saddle point (or a maximum), and the eigenvector `u` is a direction of
//!   negative curvature, `uᵀHu = λ_min < 0`, along which `f` decreases on both sides;
//! - `λ_min(H) = 0`: the second-order test cannot decide (a monkey saddle `x³ - 3xy²` and a
//!   minimum `x⁴` both have a zero Hessian at the origin).
//!
//! The Hessian is never formed: Lanczos needs only products `H v`, from
//! [`Objective::hessian_vector_product`] (exact where the objective provides it, else central
//! differences of gradients, two gradient evaluations each).

use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_count, check_finite, check_len};
use crate::linalg::{dot, norm};
use crate::objective::Objective;

/// Settings of [`smallest_eigenpair`] and [`certify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvatureConfig<F> {
    /// The most Lanczos steps (Hessian-vector products); at most `n` are made, after which the
    /// result is exact up to rounding. Default `50`.
    pub max_steps: usize,
    /// Lanczos stops once the residual `|H y - θ y|` of the Ritz pair `(θ, y)` is at most this.
    /// Default `1e-6`.
    pub residual_tolerance: F,
    /// The curvature that counts as zero: `λ_min > tol` is a minimum, `λ_min < -tol` a saddle.
    /// Default `1e-6`.
    pub curvature_tolerance: F,
    /// A point is stationary when `|∇f(x)|` is at most this. Default `1e-5`.
    pub gradient_tolerance: F,
    /// The seed of Lanczos's random starting vector. Default `0`.
    pub seed: u64,
}

impl<F: Real> Default for CurvatureConfig<F> {
    fn default() -> Self {
        CurvatureConfig {
            max_steps: 50,
            residual_tolerance: F::lit(1e-6),
            curvature_tolerance: F::lit(1e-6),
            gradient_tolerance: F::lit(1e-5),
            seed: 0,
        }
    }
}

impl<F: Real> CurvatureConfig<F> {
    fn validate(&self) -> Result<()> {
        check_count("max_steps", self.max_steps, 1)?;
        check(
            "residual_tolerance",
            self.residual_tolerance,
            Domain::NonNegative,
        )?;
        check(
            "curvature_tolerance",
            self.curvature_tolerance,
            Domain::NonNegative,
        )?;
        check(
            "gradient_tolerance",
            self.gradient_tolerance,
            Domain::NonNegative,
        )
    }
}

/// The smallest eigenvalue of a Hessian and its eigenvector, as Lanczos found them.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigenpair<F> {
    /// `θ`, the smallest Ritz value: `λ_min <= θ` always (the Ritz values of a symmetric matrix
    /// lie within its spectrum), and some eigenvalue lies within `residual` of `θ`.
    pub value: F,
    /// The unit Ritz vector `y`, with `yᵀ H y = θ`.
    pub vector: Array1<F>,
    /// `|H y - θ y|`, the bound on the distance from `θ` to an eigenvalue.
    pub residual: F,
    /// Lanczos steps made (Hessian-vector products).
    pub steps: usize,
    /// `true` if the residual fell to the tolerance (or the Krylov space became invariant).
    pub converged: bool,
}

/// The smallest eigenvalue of the Hessian of `objective` at `x`, by the Lanczos iteration
/// (Lanczos, 1950) with full reorthogonalization, from a seeded random unit vector.
///
/// Step `j` extends the orthonormal basis `Q_j` of the Krylov space `span{q, Hq, …, H^{j-1}q}`
/// with one product `H q_j`; the smallest eigenpair `(θ, s)` of the tridiagonal `T_j = Q_jᵀ H Q_j`
/// gives the Ritz pair `(θ, y = Q_j s)`, whose residual is `|H y - θ y| = β_j |s_j|`. The
/// iteration stops when that residual is at most the tolerance, after `min(max_steps, n)` steps,
/// or when the space is invariant (`β_j = 0`: then `θ` is exact). Ritz values approach the ends
/// of the spectrum first, so `λ_min` typically needs far fewer than `n` products. A random start
/// has a component along the lowest eigenvector with probability one; rounding provides one
/// anyway.
///
/// Reference: G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., §10.1–10.3.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x` is not of length `objective.dim()`; [`Error::NonFinite`]
/// for a non-finite `x` or a Hessian-vector product that is not finite;
/// [`Error::InvalidParameter`] / [`Error::InvalidCount`] for bad settings.
pub fn smallest_eigenpair<F: Real, O: Objective<F> + ?Sized>(
    objective: &O,
    x: ArrayView1<'_, F>,
    config: &CurvatureConfig<F>,
) -> Result<Eigenpair<F>> {
    config.validate()?;
    let n = objective.dim();
    check_len("x vs objective.dim()", n, x.len())?;
    check_finite("x", x)?;
    let k_max = config.max_steps.min(n);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed);
    let mut q = Array1::from_shape_fn(n, |_| {
        let z: f64 = StandardNormal.sample(&mut rng);
        F::lit(z)
    });
    let length = norm(q.view());
    q.mapv_inplace(|v| v / length);
    let mut basis = Array2::<F>::zeros((k_max, n));
    let (mut alpha, mut beta) = (Vec::with_capacity(k_max), Vec::with_capacity(k_max));
    let mut w = Array1::<F>::zeros(n);
    let mut best = None;
    for j in 0..k_max {
        basis.row_mut(j).assign(&q);
        objective.hessian_vector_product(x, q.view(), w.view_mut());
        if let Some(i) = w.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "Hessian-vector product (the Hessian is not finite at x)",
                index: i,
                value: w[i].as_f64(),
            });
        }
        alpha.push(dot(q.view(), w.view()));
        // Full reorthogonalization against every basis vector, twice ("twice is enough").
        for _ in 0..2 {
            for i in 0..=j {
                let row = basis.row(i);
                let c = dot(row, w.view());
                w.zip_mut_with(&row, |wv, &r| *wv -= c * r);
            }
        }
        let b = norm(w.view());
        let (theta, s) = lowest_of_tridiagonal(&alpha, &beta);
        let residual = b * s[j].abs();
        let invariant = b <= F::epsilon() * alpha.iter().fold(F::one(), |m, a| m.max(a.abs()));
        let converged = residual <= config.residual_tolerance || invariant;
        best = Some((theta, s, residual, j + 1, converged));
        if converged || j + 1 == k_max {
            break;
        }
        beta.push(b);
        q.assign(&w);
        q.mapv_inplace(|v| v / b);
    }
    let (value, s, residual, steps, converged) = best.expect("at least one step");
    let mut vector = Array1::<F>::zeros(n);
    for (i, &c) in s.iter().enumerate() {
        vector.zip_mut_with(&basis.row(i), |y, &r| *y += c * r);
    }
    let length = norm(vector.view());
    vector.mapv_inplace(|v| v / length);
    Ok(Eigenpair {
        value,
        vector,
        residual,
        steps,
        converged: converged || steps == n,
    })
}

/// The smallest eigenvalue of the symmetric tridiagonal matrix `T` with diagonal `alpha` and
/// off-diagonal `beta` (one shorter), and its unit eigenvector, in `O(k)` work per step:
///
/// - the eigenvalue by bisection on Sturm counts: the number of eigenvalues below `σ` is the
///   number of negative pivots `d_i = α_i - σ - β_{i-1}² / d_{i-1}` of `T - σI`, starting from
///   Gershgorin's interval;
/// - the vector by inverse iteration, solving `(T - σI) z = y` with `σ` just below the eigenvalue
///   (so that `T - σI` is positive definite and its `LDLᵀ` factorisation stable), then the
///   eigenvalue refined as the Rayleigh quotient of `z`.
///
/// Reference: Golub and Van Loan, *Matrix Computations*, §8.4 (Sturm sequences) and §8.2.2
/// (inverse iteration).
fn lowest_of_tridiagonal<F: Real>(alpha: &[F], beta: &[F]) -> (F, Array1<F>) {
    let k = alpha.len();
    let off = |i: usize| {
        if i < beta.len() {
            beta[i].abs()
        } else {
            F::zero()
        }
    };
    let (mut lo, mut hi) = (F::infinity(), F::neg_infinity());
    for (i, &a) in alpha.iter().enumerate() {
        let radius = off(i) + if i > 0 { off(i - 1) } else { F::zero() };
        lo = lo.min(a - radius);
        hi = hi.max(a + radius);
    }
    let scale = lo.abs().max(hi.abs()).max(F::one());
    let tiny = F::epsilon() * scale;
    // The number of eigenvalues below σ.
    let below = |sigma: F| -> usize {
        let mut count = 0;
        let mut d = F::one();
        for i in 0..k {
            let coupling = if i > 0 {
                beta[i - 1] * beta[i - 1] / d
            } else {
                F::zero()
            };
            d = alpha[i] - sigma - coupling;
            if d == F::zero() {
                d = -tiny;
            }
            if d < F::zero() {
                count += 1;
            }
        }
        count
    };
    for _ in 0..200 {
        let mid = F::lit(0.5) * (lo + hi);
        if hi - lo <= F::lit(2.0) * tiny || mid <= lo || mid >= hi {
            break;
        }
        if below(mid) >= 1 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    // Inverse iteration with the shift just below the eigenvalue: T - σI is positive definite.
    let sigma = lo - F::lit(4.0) * tiny;
    let mut z = Array1::from_elem(k, F::one());
    let mut pivots = vec![F::zero(); k];
    for _ in 0..3 {
        // LDLᵀ of T - σI, then the two triangular solves.
        for i in 0..k {
            let coupling = if i > 0 {
                beta[i - 1] * beta[i - 1] / pivots[i - 1]
            } else {
                F::zero()
            };
            pivots[i] = (alpha[i] - sigma - coupling).max(tiny);
        }
        for i in 1..k {
            let l = beta[i - 1] / pivots[i - 1];
            z[i] = z[i] - l * z[i - 1];
        }
        for i in 0..k {
            z[i] /= pivots[i];
        }
        for i in (0..k.saturating_sub(1)).rev() {
            let l = beta[i] / pivots[i];
            z[i] = z[i] - l * z[i + 1];
        }
        let length = norm(z.view());
        z.mapv_inplace(|v| v / length);
    }
    // The Rayleigh quotient zᵀTz of the unit vector.
    let mut theta = F::zero();
    for i in 0..k {
        let mut tz = alpha[i] * z[i];
        if i > 0 {
            tz += beta[i - 1] * z[i - 1];
        }
        if i + 1 < k {
            tz += beta[i] * z[i + 1];
        }
        theta += z[i] * tz;
    }
    (theta, z)
}

/// What kind of point a [`SecondOrderCertificate`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum PointKind<F> {
    /// `|∇f| <= tol` and `λ_min > curvature_tolerance`: a strict local minimum.
    StrictMinimum,
    /// `|∇f| <= tol` and `λ_min < -curvature_tolerance`: a saddle point (or a maximum). The
    /// unit `direction` has curvature `λ_min`: `f` decreases along it on both sides, to second
    /// order.
    Saddle {
        /// A unit direction of negative curvature.
        direction: Array1<F>,
    },
    /// `|∇f| <= tol` and `|λ_min| <= curvature_tolerance`: the second-order conditions hold to
    /// the tolerance but do not decide (a degenerate point: a minimum like `x⁴`, or a monkey
    /// saddle like `x³ - 3xy²`).
    Degenerate,
    /// `|∇f|` is above the tolerance: not a stationary point.
    NotStationary,
    /// `λ_min` was not found to within the curvature tolerance in the steps allowed (the
    /// residual bound is still larger), and the Ritz value does not already show negative
    /// curvature.
    Undetermined,
}

/// A second-order certificate of a point: its gradient, the smallest Hessian eigenvalue and what
/// they make of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOrderCertificate<F> {
    /// The verdict.
    pub kind: PointKind<F>,
    /// `|∇f(x)|`.
    pub gradient_norm: F,
    /// The smallest eigenvalue found, with its vector, residual and steps.
    pub eigenpair: Eigenpair<F>,
    /// Gradient evaluations spent (one for `∇f(x)`, two per Hessian-vector product by finite
    /// differences, none for exact products).
    pub gradient_evaluations: usize,
    /// `true` if the products were exact ([`Objective::exact_hessian_vector_product`]).
    pub exact_products: bool,
}

/// Classifies the point `x` of `objective` by its gradient and the smallest eigenvalue of its
/// Hessian (see the [module documentation](self)).
///
/// A saddle is certain whatever the residual: the Ritz value `θ` bounds `λ_min` from above, so
/// `θ < -tol` proves negative curvature, along the Ritz vector. A minimum needs `θ - r > tol`
/// with the residual `r`: some eigenvalue then lies above `tol`, and it is `λ_min` unless the
/// random start missed the lowest eigenvector entirely (probability zero).
///
/// ```
/// use gradus::curvature::{CurvatureConfig, PointKind, certify};
/// use gradus::FnObjective;
/// use ndarray::{ArrayView1, ArrayViewMut1, array};
///
/// // f(x, y) = x² - y² + y⁴/4: a saddle at the origin, minima at (0, ±√2).
/// let f = FnObjective::new(
///     2,
///     |v: ArrayView1<f64>| v[0] * v[0] - v[1] * v[1] + v[1].powi(4) / 4.0,
///     |v: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
///         g[0] = 2.0 * v[0];
///         g[1] = -2.0 * v[1] + v[1].powi(3);
///     },
/// );
/// let saddle = certify(&f, array![0.0, 0.0].view(), &CurvatureConfig::default())?;
/// assert!(matches!(saddle.kind, PointKind::Saddle { .. }));
/// assert!((saddle.eigenpair.value + 2.0).abs() < 1e-6);
/// let minimum = certify(&f, array![0.0, 2f64.sqrt()].view(), &CurvatureConfig::default())?;
/// assert_eq!(minimum.kind, PointKind::StrictMinimum);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// As [`smallest_eigenpair`]; [`Error::NonFinite`] for a gradient that is not finite.
pub fn certify<F: Real, O: Objective<F> + ?Sized>(
    objective: &O,
    x: ArrayView1<'_, F>,
    config: &CurvatureConfig<F>,
) -> Result<SecondOrderCertificate<F>> {
    config.validate()?;
    check_len("x vs objective.dim()", objective.dim(), x.len())?;
    check_finite("x", x)?;
    let mut g = Array1::zeros(x.len());
    objective.gradient(x, g.view_mut());
    check_finite("gradient at x", g.view())?;
    let gradient_norm = norm(g.view());
    let eigenpair = smallest_eigenpair(objective, x, config)?;
    let exact_products = objective.exact_hessian_vector_product();
    let per_product = if exact_products { 0 } else { 2 };
    let tol = config.curvature_tolerance;
    let kind = if gradient_norm > config.gradient_tolerance {
        PointKind::NotStationary
    } else if eigenpair.value < -tol {
        PointKind::Saddle {
            direction: eigenpair.vector.clone(),
        }
    } else if eigenpair.value - eigenpair.residual > tol {
        PointKind::StrictMinimum
    } else if eigenpair.residual <= tol || eigenpair.converged {
        PointKind::Degenerate
    } else {
        PointKind::Undetermined
    };
    Ok(SecondOrderCertificate {
        kind,
        gradient_norm,
        gradient_evaluations: 1 + per_product * eigenpair.steps,
        eigenpair,
        exact_products,
    })
}
