//! Optimality certificates for `f + h`: the subgradient (KKT) conditions coordinate by
//! coordinate, and the duality gap of the lasso and the elastic net.
//!
//! A point `x*` minimises the convex `f + h` exactly when `0 ∈ ∇f(x*) + ∂h(x*)` (Fermat's rule
//! for the sum of a smooth and a convex function). For the separable penalties of the L1
//! family the subdifferential is a product of intervals, so the condition reads coordinate by
//! coordinate; for the lasso `h = λ|x|₁`:
//!
//! ```text
//! x_i ≠ 0:  ∇f(x)_i = -λ sign(x_i)          residual |∇f(x)_i + λ sign(x_i)|
//! x_i = 0:  |∇f(x)_i| <= λ                   residual max(|∇f(x)_i| - λ, 0)
//! ```
//!
//! [`kkt`] computes these residuals (the distance from `-∇f(x)_i` to `∂h(x)_i`) for any
//! [`Subdifferential`]. They certify the support: a coordinate at `0` whose `|∇f(x)_i|` is
//! well below `λ` stays at `0` at the solution.
//!
//! For least squares the duality gap bounds the distance to the optimum in objective value
//! without knowing the optimum: see [`duality_gap`].

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::l2_norm::shrink_factor;
use super::{ElasticNet, GroupLasso, L1Norm, L2Norm, NonNegativeL1, Prox, WeightedL1};
use crate::Real;
use crate::error::{Domain, Error, Result, check, check_finite, check_len};
use crate::linalg::norm;
use crate::objective::Objective;
use crate::problems::Dataset;

/// A penalty whose optimality conditions can be checked coordinate by coordinate: the
/// distance from `-g` to the subdifferential `∂h(x)`, written per coordinate.
///
/// For the separable penalties (the L1 family) entry `i` is the distance from `-g_i` to the
/// interval `∂h(x)_i`; for the group norms ([`L2Norm`], [`GroupLasso`]) the entries of a group
/// are those of the vector from `-g_g` to the nearest point of `∂h(x)_g`, whose Euclidean norm
/// over the group is the group's distance. All are `0` exactly at a minimiser of `f + h` when
/// `g = ∇f(x)`.
pub trait Subdifferential<F: Real>: Prox<F> {
    /// Writes the residuals `dist(-g, ∂h(x))` coordinate by coordinate into `out`; `+∞` where
    /// `x` lies outside the domain of `h`. `x`, `g` and `out` have the same length (and the
    /// penalty's dimension, if it has one), as [`kkt`] checks.
    fn kkt_residuals(&self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>);
}

/// `dist(-g, λ ∂|x|)` for one coordinate: `|g + λ sign(x)|` off zero, `max(|g| - λ, 0)` at zero.
#[inline]
fn l1_residual<F: Real>(x: F, g: F, lambda: F) -> F {
    if x > F::zero() {
        (g + lambda).abs()
    } else if x < F::zero() {
        (g - lambda).abs()
    } else {
        let excess = g.abs() - lambda;
        if excess > F::zero() {
            excess
        } else {
            F::zero()
        }
    }
}

impl<F: Real> Subdifferential<F> for L1Norm<F> {
    fn kkt_residuals(&self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        let lambda = self.lambda();
        Zip::from(out)
            .and(&x)
            .and(&g)
            .for_each(|r, &x, &g| *r = l1_residual(x, g, lambda));
    }
}

impl<F: Real> Subdifferential<F> for WeightedL1<F> {
    fn kkt_residuals(&self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        let lambda = self.lambda();
        Zip::from(out)
            .and(&x)
            .and(&g)
            .and(self.weights())
            .for_each(|r, &x, &g, &w| *r = l1_residual(x, g, lambda * w));
    }
}

impl<F: Real> Subdifferential<F> for ElasticNet<F> {
    /// The L1 residuals of `g + λ₂ x`, the gradient of `f` plus the smooth part of `h`.
    fn kkt_residuals(&self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        let (l1, l2) = (self.l1(), self.l2());
        Zip::from(out)
            .and(&x)
            .and(&g)
            .for_each(|r, &x, &g| *r = l1_residual(x, g + l2 * x, l1));
    }
}

impl<F: Real> Subdifferential<F> for NonNegativeL1<F> {
    /// `∂h(x)_i = {λ}` for `x_i > 0` and `(-∞, λ]` at `x_i = 0`: residuals `|g_i + λ|` and
    /// `max(-g_i - λ, 0)`; `+∞` for `x_i < 0`.
    fn kkt_residuals(&self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        let lambda = self.lambda();
        Zip::from(out).and(&x).and(&g).for_each(|r, &x, &g| {
            *r = if x > F::zero() {
                (g + lambda).abs()
            } else if x == F::zero() {
                let excess = -g - lambda;
                if excess > F::zero() {
                    excess
                } else {
                    F::zero()
                }
            } else {
                F::infinity()
            }
        });
    }
}

/// The residual vector of one group norm `t |x_g|₂` into `out` (indexed through `index`):
/// `g_g + t x_g/|x_g|` off zero, and `g_g` shrunk by `t` (its distance to the ball of radius `t`)
/// at zero; in absolute value.
fn group_residuals<F: Real>(
    x: &ArrayView1<'_, F>,
    g: &ArrayView1<'_, F>,
    out: &mut ArrayViewMut1<'_, F>,
    coordinates: impl Iterator<Item = usize> + Clone,
    t: F,
) {
    let r = crate::linalg::norm_of(coordinates.clone().map(|i| x[i]));
    if r > F::zero() {
        for i in coordinates {
            out[i] = (g[i] + t * x[i] / r).abs();
        }
    } else {
        let gn = crate::linalg::norm_of(coordinates.clone().map(|i| g[i]));
        let factor = shrink_factor(gn, t);
        for i in coordinates {
            out[i] = (g[i] * factor).abs();
        }
    }
}

impl<F: Real> Subdifferential<F> for L2Norm<F> {
    fn kkt_residuals(
        &self,
        x: ArrayView1<'_, F>,
        g: ArrayView1<'_, F>,
        mut out: ArrayViewMut1<'_, F>,
    ) {
        group_residuals(&x, &g, &mut out, 0..x.len(), self.lambda());
    }
}

impl<F: Real> Subdifferential<F> for GroupLasso<F> {
    /// Per group as [`L2Norm`] with `t = λ w_g`; `|g_i|` on the unpenalised coordinates.
    fn kkt_residuals(
        &self,
        x: ArrayView1<'_, F>,
        g: ArrayView1<'_, F>,
        mut out: ArrayViewMut1<'_, F>,
    ) {
        Zip::from(&mut out).and(&g).for_each(|r, &g| *r = g.abs());
        for k in 0..self.groups() {
            let t = self.lambda() * self.weights()[k];
            group_residuals(&x, &g, &mut out, self.group(k).iter().copied(), t);
        }
    }
}

/// The subgradient conditions checked at a point: [`kkt`].
#[derive(Debug, Clone, PartialEq)]
pub struct Kkt<F> {
    /// `dist(-∇f(x), ∂h(x))` coordinate by coordinate (see [`Subdifferential`]).
    pub residuals: Array1<F>,
    /// The largest residual.
    pub max: F,
    /// The coordinate of the largest residual.
    pub worst: usize,
    /// `∇f(x)`.
    pub gradient: Array1<F>,
}

/// Checks the optimality conditions `0 ∈ ∇f(x) + ∂h(x)` of `f + h` at `x`, coordinate by
/// coordinate, with `f = objective` and `h = penalty`.
///
/// ```
/// use gradus::FnObjective;
/// use gradus::prox::{L1Norm, kkt};
/// use ndarray::array;
///
/// // f(x) = ½|x - c|², h = |x|₁: the minimiser is the soft thresholding of c by 1.
/// let c = array![3.0, 0.5];
/// let f = FnObjective::new(2, |x| 0.5 * (&x - &c).mapv(|d| d * d).sum(), |x, mut g| {
///     g.assign(&(&x - &c))
/// });
/// let check = kkt(&L1Norm::new(1.0)?, &f, array![2.0, 0.0].view())?;
/// assert_eq!(check.max, 0.0);
/// let off = kkt(&L1Norm::new(1.0)?, &f, array![2.5, 0.0].view())?;
/// assert_eq!((off.max, off.worst), (0.5, 0));
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::Empty`] for an empty `x`; [`Error::DimensionMismatch`] if `x`, the objective and
/// the penalty disagree on the dimension; [`Error::NonFinite`] for a non-finite `x`.
pub fn kkt<F: Real, H: Subdifferential<F> + ?Sized, O: Objective<F> + ?Sized>(
    penalty: &H,
    objective: &O,
    x: ArrayView1<'_, F>,
) -> Result<Kkt<F>> {
    if x.is_empty() {
        return Err(Error::Empty { what: "x" });
    }
    check_len("x vs objective.dim()", objective.dim(), x.len())?;
    if let Some(n) = penalty.dim() {
        check_len("x vs the penalty's dimension", n, x.len())?;
    }
    check_finite("x", x)?;
    let mut gradient = Array1::zeros(x.len());
    objective.gradient(x, gradient.view_mut());
    let mut residuals = Array1::zeros(x.len());
    penalty.kkt_residuals(x, gradient.view(), residuals.view_mut());
    let (worst, max) =
        residuals
            .iter()
            .enumerate()
            .fold((0, F::neg_infinity()), |(k, m), (i, &r)| {
                if r > m || r.is_nan() { (i, r) } else { (k, m) }
            });
    Ok(Kkt {
        residuals,
        max,
        worst,
        gradient,
    })
}

/// The duality gap of the elastic net (the lasso when `λ₂ = 0`) at a point: [`duality_gap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DualityGap<F> {
    /// `P(w) - D(θ) >= 0`, a bound on `P(w) - P*`.
    pub gap: F,
    /// The primal objective `P(w)`.
    pub primal: F,
    /// The dual objective `D(θ)` at the dual point `θ = s (y - Xw)`, a lower bound on `P*`.
    pub dual: F,
    /// The scale `s ∈ [0, 1]` that makes the residual dual feasible.
    pub scale: F,
}

/// The duality gap of the elastic net on `data`, as scikit-learn's coordinate descent computes
/// it (and stops on), at the weights `w`:
///
/// ```text
/// P(w) = |y - Xw|² / (2N) + λ₁ |w|₁ + (λ₂/2) |w|²
/// ```
///
/// with `X` the `N x d` features and `y` the targets (the objective of
/// [`LeastSquares`](crate::problems::LeastSquares) plus [`ElasticNet`]`(l1, l2)`). Written
/// unscaled, `N P(w) = ½|R|² + α|w|₁ + (β/2)|w|²` with `R = y - Xw`, `α = Nλ₁`, `β = Nλ₂`, the
/// dual of the lasso (`β = 0`) is
///
/// ```text
/// max_θ  D(θ) = ½|y|² - ½|y - θ|² = θᵀy - ½|θ|²   subject to  |Xᵀθ|_∞ <= α
/// ```
///
/// (Kim, Koh, Lustig, Boyd & Gorinevsky, "An interior-point method for large-scale
/// l1-regularized least squares", IEEE JSTSP 1, 2007). The residual `R` is the dual optimum at
/// the primal optimum; elsewhere it is scaled into the feasible set, `θ = sR` with
/// `s = min(1, α / |XᵀR - βw|_∞)`, and the gap is
///
/// ```text
/// N (P(w) - D(θ)) = ½(1 + s²)(|R|² + β|w|²) + α|w|₁ - s Rᵀy .
/// ```
///
/// The elastic net is the lasso on the augmented data `X̃ = [X; √β I]`, `ỹ = [y; 0]`, whose
/// residual `R̃ = [R; -√β w]` gives the `β` terms. Weak duality makes the gap `>= 0` at every `w`
/// (up to rounding) and `>= P(w) - P*`; it is `0` exactly at the solution. The values returned
/// are those of `P` (divided by `N`), so the gap is in the units of the objective the loop
/// minimises; scikit-learn stops when the unscaled gap is below `tol · |y|²`.
///
/// ```
/// use gradus::problems::Dataset;
/// use gradus::prox::duality_gap;
/// use ndarray::array;
///
/// // One feature: P(w) = (2 - w)²/2 + |w| is minimised at w = 1, where the gap is 0.
/// let data = Dataset::new(array![[1.0]], array![2.0])?;
/// assert_eq!(duality_gap(&data, 1.0, 0.0, array![1.0].view())?.gap, 0.0);
/// assert!(duality_gap(&data, 1.0, 0.0, array![0.5].view())?.gap > 0.0);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or non-finite `l1` or `l2`;
/// [`Error::DimensionMismatch`] unless `w` has one entry per feature; [`Error::NonFinite`] for
/// a non-finite `w`; the errors of [`Dataset::new`] for a malformed dataset.
pub fn duality_gap<F: Real>(
    data: &Dataset<F>,
    l1: F,
    l2: F,
    w: ArrayView1<'_, F>,
) -> Result<DualityGap<F>> {
    data.validate()?;
    check("l1", l1, Domain::NonNegative)?;
    check("l2", l2, Domain::NonNegative)?;
    check_len("w vs the number of features", data.dim(), w.len())?;
    check_finite("w", w)?;
    let n = F::from_count(data.len());
    let (alpha, beta) = (n * l1, n * l2);
    let x = &data.features;
    let y = &data.targets;
    let r: Array1<F> = y - &x.dot(&w);
    let xtr: Array1<F> = x.t().dot(&r) - &w.mapv(|v| beta * v);
    let dual_norm = xtr.iter().fold(F::zero(), |m, &v| m.max(v.abs()));
    let scale = if dual_norm > alpha {
        alpha / dual_norm
    } else {
        F::one()
    };
    let r2 = norm(r.view()).powi(2);
    let w2 = w.dot(&w);
    let l1_norm = w.iter().fold(F::zero(), |s, &v| s + v.abs());
    let ry = r.dot(y);
    let half = F::lit(0.5);
    let smooth = r2 + beta * w2;
    let primal = half * r2 + alpha * l1_norm + half * beta * w2;
    let gap = half * (F::one() + scale * scale) * smooth + alpha * l1_norm - scale * ry;
    let dual = scale * ry - half * scale * scale * smooth;
    Ok(DualityGap {
        gap: gap / n,
        primal: primal / n,
        dual: dual / n,
        scale,
    })
}
