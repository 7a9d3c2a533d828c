//! L2-regularised logistic regression.

use std::sync::OnceLock;

use ndarray::Array1;

use super::linear_model::{ExampleLoss, LinearModel};
use super::{Certificate, Dataset};
use crate::Real;
use crate::error::{Domain, Error, Result, check};

/// The logistic loss for labels in `{0, 1}`: `φ(z, y) = log(1 + e^z) - y z`.
#[derive(Debug, Clone, Copy)]
struct Logistic;

/// `log(1 + e^z)` without overflow: `max(z, 0) + log(1 + e^{-|z|})`.
fn softplus<F: Real>(z: F) -> F {
    z.max(F::zero()) + (-z.abs()).exp().ln_1p()
}

/// The logistic sigmoid `σ(z) = 1 / (1 + e^{-z})` without overflow.
fn sigmoid<F: Real>(z: F) -> F {
    if z >= F::zero() {
        F::one() / (F::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (F::one() + e)
    }
}

impl ExampleLoss for Logistic {
    fn loss<F: Real>(&self, z: F, y: F) -> F {
        softplus(z) - y * z
    }
    fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F) {
        (softplus(z) - y * z, sigmoid(z) - y)
    }
    fn curvature(&self, z: f64, _y: f64) -> f64 {
        let s = sigmoid(z);
        s * (1.0 - s)
    }
    /// `σ(1 - σ) <= 1/4`, with equality at `z = 0`.
    fn max_curvature(&self) -> f64 {
        0.25
    }
}

/// Logistic regression with an L2 penalty (Cox, 1958; Hastie, Tibshirani & Friedman, *The
/// Elements of Statistical Learning*, 2009, §4.4), for labels `y_i ∈ {0, 1}`:
///
/// ```text
/// f(w)  = (1/N) Σ_i [ log(1 + exp(x_iᵀ w)) - y_i x_iᵀ w ] + (λ/2) |w|²
/// ∇f(w) = (1/N) Σ_i (σ(x_iᵀ w) - y_i) x_i + λ w,    σ(z) = 1 / (1 + e^{-z})
/// ```
///
/// This is the negative mean log-likelihood of `P(y_i = 1 | x_i) = σ(x_iᵀ w)`. There is no
/// intercept: add a column of ones to the features for one. Since `σ' = σ(1 - σ) <= 1/4`, `f`
/// is convex with `L = λ_max(XᵀX/N)/4 + λ`, and `μ = λ`-strongly convex; `λ > 0` is required so
/// that the minimiser exists and is unique (on separable data the unpenalised loss has no
/// minimiser).
///
/// The minimiser has no closed form. It is computed on first demand (by
/// [`minimizers`](super::TestFunction::minimizers), [`minimum`](super::TestFunction::minimum) or
/// [`certificate`](LogisticRegression::certificate)), in `f64`, by Newton's method with a dense
/// Cholesky factorisation of the `d x d` Hessian `XᵀDX/N + λI` and a backtracking line search,
/// stopped when the gradient norm is below `1e-12`; the [`Certificate`] records the gradient norm
/// reached. The standard start is `w = 0`, where `f = log 2`.
///
/// ```
/// use gradus::problems::{Dataset, LogisticRegression, TestFunction};
///
/// let data = Dataset::<f64>::classification(200, 5, 3)?;
/// let problem = LogisticRegression::new(data, 1e-2)?;
/// assert!(problem.certificate().gradient_norm <= 1e-12);
/// assert!(problem.minimum() < 2f64.ln());
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogisticRegression<F> {
    model: LinearModel<F>,
    solution: OnceLock<Certificate>,
}

impl<F: Real> LogisticRegression<F> {
    /// Logistic regression on `data` (targets in `{0, 1}`) with the penalty `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `lambda` is not a finite number `> 0`, or a target is not
    /// `0` or `1`; [`Error::Empty`], [`Error::DimensionMismatch`] or [`Error::NonFinite`] for
    /// malformed data.
    pub fn new(data: Dataset<F>, lambda: F) -> Result<Self> {
        check("lambda", lambda, Domain::Positive)?;
        if let Some(&y) = data
            .targets
            .iter()
            .find(|&&y| y != F::zero() && y != F::one())
        {
            return Err(Error::InvalidParameter {
                name: "targets",
                value: y.as_f64(),
                expected: "0 or 1 (binary class labels)",
            });
        }
        Ok(LogisticRegression {
            model: LinearModel::new(data, lambda)?,
            solution: OnceLock::new(),
        })
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset<F> {
        self.model.data()
    }

    /// The penalty `λ`.
    pub fn lambda(&self) -> F {
        self.model.l2()
    }

    /// The certified minimiser in `f64`: computed by Newton's method on first call (in
    /// `O(N d²)` per iteration, typically under ten iterations), then cached.
    pub fn certificate(&self) -> &Certificate {
        self.solution.get_or_init(|| {
            self.model
                .certify(&Logistic, Array1::zeros(self.model.dim()))
        })
    }
}

linear_model_problem!(LogisticRegression<F>, |self| {
    loss: &Logistic,
    name: "logistic",
    strong_convexity: Some(self.model.l2()),
});
