//! Huber regression.

use std::sync::OnceLock;

use ndarray::Array1;

use super::linear_model::{ExampleLoss, LinearModel};
use super::{Certificate, Dataset};
use crate::Real;
use crate::error::{Domain, Result, check};
use crate::linalg::solve_spd;

/// The Huber loss of the residual `r = z - y` with threshold `δ`.
#[derive(Debug, Clone, Copy)]
struct Huber {
    delta: f64,
}

impl ExampleLoss for Huber {
    fn loss<F: Real>(&self, z: F, y: F) -> F {
        self.loss_and_slope(z, y).0
    }
    fn loss_and_slope<F: Real>(&self, z: F, y: F) -> (F, F) {
        let delta = F::lit(self.delta);
        let r = z - y;
        if r.abs() <= delta {
            (F::lit(0.5) * r * r, r)
        } else {
            (delta * (r.abs() - F::lit(0.5) * delta), delta * r.signum())
        }
    }
    fn curvature(&self, z: f64, y: f64) -> f64 {
        if (z - y).abs() <= self.delta {
            1.0
        } else {
            0.0
        }
    }
    fn max_curvature(&self) -> f64 {
        1.0
    }
}

/// Huber regression (Huber, 1964), a linear regression robust to outliers, with an optional L2
/// penalty:
///
/// ```text
/// f(w)  = (1/N) Σ_i ρ_δ(x_iᵀ w - y_i) + (λ/2) |w|²
/// ρ_δ(r) = r²/2 if |r| <= δ,   δ (|r| - δ/2) otherwise
/// ∇f(w) = (1/N) Σ_i clip(x_iᵀ w - y_i, -δ, δ) x_i + λ w
/// ```
///
/// The loss is quadratic for small residuals and linear for large ones, so outliers pull on the
/// fit with a bounded force. `f` is convex and continuously differentiable but not twice
/// differentiable (its curvature jumps where a residual crosses `±δ`); since `0 <= ρ_δ'' <= 1`,
/// `L = λ_max(XᵀX/N) + λ`, and `μ = λ` when `λ > 0` (without the penalty `f` is not strongly
/// convex: it is linear far out).
///
/// The minimiser has no closed form. It is computed on first demand, in `f64`, by Newton's
/// method on the generalised Hessian `XᵀDX/N + λI` (`D_ii = 1` for residuals inside `[-δ, δ]`,
/// else 0; a small Levenberg shift is added when it is singular) with a backtracking line search,
/// started from the least-squares solution and stopped at a gradient norm below `1e-12`. Once
/// the set of residuals inside `[-δ, δ]` is settled the function is quadratic there, so the
/// iteration ends with an exact step. With `λ = 0` the minimiser is unique when the examples with
/// small residuals span `R^d`; the [`Certificate`] records the one found. The standard start is
/// `w = 0`.
///
/// ```
/// use gradus::problems::{Dataset, HuberRegression, TestFunction};
///
/// let data = Dataset::<f64>::linear_regression(200, 4, 10.0, 1.0, 5)?;
/// let problem = HuberRegression::new(data, 1.0, 0.0)?;
/// assert!(problem.certificate().gradient_norm <= 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HuberRegression<F> {
    model: LinearModel<F>,
    loss: Huber,
    solution: OnceLock<Certificate>,
}

impl<F: Real> HuberRegression<F> {
    /// Huber regression on `data` with threshold `δ = delta` and penalty `λ = lambda`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `delta` is not a finite
    /// number `> 0` or `lambda` is negative or not finite;
    /// [`Error::Empty`](crate::Error::Empty),
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) for malformed data.
    pub fn new(data: Dataset<F>, delta: F, lambda: F) -> Result<Self> {
        check("delta", delta, Domain::Positive)?;
        Ok(HuberRegression {
            model: LinearModel::new(data, lambda)?,
            loss: Huber {
                delta: delta.as_f64(),
            },
            solution: OnceLock::new(),
        })
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset<F> {
        self.model.data()
    }

    /// The threshold `δ` between the quadratic and the linear part of the loss.
    pub fn delta(&self) -> F {
        F::lit(self.loss.delta)
    }

    /// The penalty `λ`.
    pub fn lambda(&self) -> F {
        self.model.l2()
    }

    /// The certified minimiser in `f64`: computed by Newton's method on first call, then cached.
    pub fn certificate(&self) -> &Certificate {
        self.solution.get_or_init(|| {
            // Start from the (ridge) least-squares fit, the solution when no residual exceeds δ.
            let x = self.model.data().features_f64();
            let y = self.model.data().targets_f64();
            let n = x.nrows() as f64;
            let mut h = x.t().dot(&x) / n;
            for j in 0..h.nrows() {
                h[[j, j]] += self.model.l2().as_f64();
            }
            let w0 = solve_spd(&h, (x.t().dot(&y) / n).view())
                .unwrap_or_else(|| Array1::zeros(self.model.dim()));
            self.model.certify(&self.loss, w0)
        })
    }
}

linear_model_problem!(HuberRegression<F>, |self| {
    loss: &self.loss,
    name: "huber",
    strong_convexity: {
        let l2 = self.model.l2();
        (l2 > F::zero()).then_some(l2)
    },
});
