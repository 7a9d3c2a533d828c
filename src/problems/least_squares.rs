//! Linear least squares and ridge regression.

use super::linear_model::{ExampleLoss, LinearModel};
use super::{Certificate, Dataset};
use crate::Real;
use crate::error::{Error, Result};
use crate::linalg::solve_spd;

/// The squared loss `φ(z, y) = (z - y)² / 2`.
#[derive(Debug, Clone, Copy)]
struct Squared;

impl ExampleLoss for Squared {
    fn loss<F: Real>(&self, z: F, y: F) -> F {
        let r = z - y;
        F::lit(0.5) * r * r
    }
    fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F) {
        let r = z - y;
        (F::lit(0.5) * r * r, r)
    }
    fn curvature(&self, _z: f64, _y: f64) -> f64 {
        1.0
    }
    fn max_curvature(&self) -> f64 {
        1.0
    }
}

/// Linear least squares, optionally with a ridge (Tikhonov) penalty (Hoerl & Kennard, 1970):
///
/// ```text
/// f(w) = 1/(2N) |X w - y|² + (λ/2) |w|²  =  (1/N) Σ_i (x_iᵀ w - y_i)² / 2 + (λ/2) |w|²
/// ∇f(w) = Xᵀ(X w - y) / N + λ w
/// ```
///
/// with `X` the `N x d` design matrix of a [`Dataset`] and `y` its targets. The Hessian is the
/// constant `H = XᵀX/N + λI`, so `f` is convex with `L = λ_max(XᵀX/N) + λ` and
/// `μ = λ_min(XᵀX/N) + λ` (both computed when the problem is built).
///
/// The minimiser solves the normal equations `(XᵀX/N + λI) w* = Xᵀy/N`; it is computed in
/// closed form when the problem is built, in `f64`, by a Cholesky factorisation with one step of
/// iterative refinement, and its residual gradient norm is recorded in the
/// [`certificate`](LeastSquares::certificate). The standard start is `w = 0`.
///
/// ```
/// use gradus::problems::{Dataset, LeastSquares, TestFunction};
/// use gradus::Objective;
///
/// // Noise-free targets: the least-squares solution is the generating weight vector.
/// let data = Dataset::<f64>::linear_regression(50, 3, 10.0, 0.0, 1)?;
/// let truth = data.true_weights.clone().unwrap();
/// let problem = LeastSquares::new(data)?;
/// let w = &problem.minimizers()?[0];
/// assert!((w - &truth).iter().all(|e| e.abs() < 1e-12));
/// assert!(problem.minimum().abs() < 1e-24);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LeastSquares<F> {
    model: LinearModel<F>,
    certificate: Certificate,
}

impl<F: Real> LeastSquares<F> {
    /// Ordinary least squares `f(w) = 1/(2N) |X w - y|²` on `data`.
    ///
    /// # Errors
    /// [`Error::Incompatible`] if the features are rank deficient (`XᵀX` singular), since the
    /// minimiser is then not unique (use [`ridge`](LeastSquares::ridge)); [`Error::Empty`],
    /// [`Error::DimensionMismatch`] or [`Error::NonFinite`] for malformed data.
    pub fn new(data: Dataset<F>) -> Result<Self> {
        Self::ridge(data, F::zero())
    }

    /// Ridge regression `f(w) = 1/(2N) |X w - y|² + (λ/2) |w|²` on `data`, with `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `lambda` is negative or not finite; otherwise as
    /// [`new`](LeastSquares::new) (a rank-deficient `X` is fine when `lambda > 0`).
    pub fn ridge(data: Dataset<F>, lambda: F) -> Result<Self> {
        let model = LinearModel::new(data, lambda)?;
        let x = model.data().features_f64();
        let y = model.data().targets_f64();
        let n = x.nrows() as f64;
        let mut h = x.t().dot(&x) / n;
        let l2 = lambda.as_f64();
        for j in 0..h.nrows() {
            h[[j, j]] += l2;
        }
        let rhs = x.t().dot(&y) / n;
        let w = solve_spd(&h, rhs.view()).ok_or(Error::Incompatible {
            reason: "the features are rank deficient (XᵀX is singular), so least squares has \
                     no unique minimiser: use `LeastSquares::ridge` with lambda > 0",
        })?;
        let certificate = Certificate {
            gradient_norm: model.gradient_norm_f64(&Squared, w.view()),
            minimum: model.value_f64(&Squared, w.view()),
            minimizer: w,
            iterations: 0,
        };
        Ok(LeastSquares { model, certificate })
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset<F> {
        self.model.data()
    }

    /// The ridge penalty `λ` (zero for ordinary least squares).
    pub fn lambda(&self) -> F {
        self.model.l2()
    }

    /// The closed-form solution in `f64` and its residual gradient norm (`iterations` is 0).
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

linear_model_problem!(LeastSquares<F>, |self| {
    loss: &Squared,
    name: if self.model.l2() > F::zero() {
        "ridge"
    } else {
        "least-squares"
    },
    strong_convexity: {
        let mu = F::lit(self.model.gram_extremes().0) + self.model.l2();
        (mu > F::zero()).then_some(mu)
    },
});
