//! `f(x) = ½ x'Ax - b'x` with a diagonal `A`: a test problem whose minimiser, minimum, constants
//! and gradient-descent iteration counts are known in closed form.

use gradus::Objective;
use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

/// `f(x) = 1/2 Σ λ_i x_i² - Σ b_i x_i`, minimised at `x*_i = b_i / λ_i` with
/// `f* = -1/2 Σ b_i² / λ_i`.
pub struct DiagonalQuadratic {
    /// The eigenvalues `λ_i > 0`.
    pub lambda: Array1<f64>,
    /// The linear term.
    pub b: Array1<f64>,
}

impl DiagonalQuadratic {
    /// `n` eigenvalues log-spaced in `[1, kappa]` (`λ_i = κ^{i/(n-1)}`), `b = (1, ..., 1)`.
    pub fn log_spaced(n: usize, kappa: f64) -> Self {
        DiagonalQuadratic {
            lambda: Array1::from_shape_fn(n, |i| kappa.powf(i as f64 / (n - 1) as f64)),
            b: Array1::ones(n),
        }
    }

    /// `L = max λ_i`.
    pub fn smoothness(&self) -> f64 {
        self.lambda.fold(f64::MIN, |m, &l| m.max(l))
    }

    /// `μ = min λ_i`.
    pub fn strong_convexity(&self) -> f64 {
        self.lambda.fold(f64::MAX, |m, &l| m.min(l))
    }

    /// `x* = b / λ`.
    pub fn minimizer(&self) -> Array1<f64> {
        &self.b / &self.lambda
    }

    /// `f* = -½ Σ b_i² / λ_i`.
    pub fn minimum(&self) -> f64 {
        -0.5 * Zip::from(&self.b)
            .and(&self.lambda)
            .fold(0.0, |s, &b, &l| s + b * b / l)
    }
}

impl Objective<f64> for DiagonalQuadratic {
    fn dim(&self) -> usize {
        self.lambda.len()
    }

    fn value(&self, x: ArrayView1<'_, f64>) -> f64 {
        Zip::from(&x)
            .and(&self.lambda)
            .and(&self.b)
            .fold(0.0, |s, &x, &l, &b| s + (0.5 * l * x - b) * x)
    }

    fn gradient(&self, x: ArrayView1<'_, f64>, grad: ArrayViewMut1<'_, f64>) {
        Zip::from(grad)
            .and(&x)
            .and(&self.lambda)
            .and(&self.b)
            .for_each(|g, &x, &l, &b| *g = l * x - b);
    }

    fn value_and_gradient(&self, x: ArrayView1<'_, f64>, grad: ArrayViewMut1<'_, f64>) -> f64 {
        let mut f = 0.0;
        Zip::from(grad)
            .and(&x)
            .and(&self.lambda)
            .and(&self.b)
            .for_each(|g, &x, &l, &b| {
                f += (0.5 * l * x - b) * x;
                *g = l * x - b;
            });
        f
    }
}

/// The number of iterations gradient descent with step `1/L` needs from `x0 = 0` to reach
/// `|∇f| <= tol`, in closed form: the gradient component `i` is multiplied by `1 - λ_i/L` at
/// every step, so `|g_k|² = Σ (1 - λ_i/L)^{2k} b_i²`.
pub fn gradient_descent_count(q: &DiagonalQuadratic, tol: f64) -> usize {
    let l = q.smoothness();
    (0_usize..)
        .find(|&k| {
            let sq: f64 = Zip::from(&q.lambda).and(&q.b).fold(0.0, |s, &lam, &b| {
                s + (1.0 - lam / l).powi(2 * k as i32) * b * b
            });
            sq.sqrt() <= tol
        })
        .unwrap()
}
