//! Plain gradient descent.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::Optimizer;
use super::kernel::{self, Simd};
use super::state::RuleState;
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::{Domain, Result, check, check_len};

/// Hyperparameters of [`GradientDescent`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescentConfig<F> {
    /// Step size `γ` used when the loop sets none. Default `1e-3` (PyTorch's `SGD`).
    pub lr: F,
    /// L2 penalty `λ` added to the gradient. Default `0`.
    pub weight_decay: F,
}

impl<F: Real> Default for GradientDescentConfig<F> {
    fn default() -> Self {
        GradientDescentConfig {
            lr: F::lit(1e-3),
            weight_decay: F::zero(),
        }
    }
}

/// Gradient descent (Cauchy, 1847), with optional L2 weight decay.
///
/// ```text
/// g_t     = ∇f(x_{t-1}) + λ x_{t-1}
/// x_t     = x_{t-1} - γ g_t
/// ```
///
/// This is `torch.optim.SGD` with `momentum = 0`. On an `L`-smooth convex function the step
/// `γ = 1/L` decreases `f` at every step and reaches `f - f* <= ε` in `O(L/ε)` steps, and in
/// `O(κ log(1/ε))` steps when `f` is also `μ`-strongly convex (`κ = L/μ`). Its search direction is
/// `-g_t`, so it also runs with a line search.
#[derive(Debug, Clone)]
pub struct GradientDescent<F> {
    config: GradientDescentConfig<F>,
    /// No state but the step count.
    state: RuleState<()>,
}

impl<F: Real> GradientDescent<F> {
    /// Gradient descent with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`.
    pub fn new(config: GradientDescentConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("weight_decay", config.weight_decay, Domain::NonNegative)?;
        Ok(GradientDescent {
            config,
            state: RuleState::default(),
        })
    }

    /// Gradient descent with step size `lr` and no weight decay.
    ///
    /// # Errors
    /// As [`new`](GradientDescent::new).
    pub fn with_lr(lr: F) -> Result<Self> {
        Self::new(GradientDescentConfig {
            lr,
            ..Default::default()
        })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &GradientDescentConfig<F> {
        &self.config
    }
}

impl<F: Real> Default for GradientDescent<F> {
    fn default() -> Self {
        GradientDescent {
            config: GradientDescentConfig::default(),
            state: RuleState::default(),
        }
    }
}

impl<F: Real> Optimizer<F> for GradientDescent<F> {
    fn name(&self) -> &'static str {
        "GradientDescent"
    }

    fn default_lr(&self) -> F {
        self.config.lr
    }

    fn step(&mut self, x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        self.state.advance(&self.config, x.len(), grad.len(), lr)?;
        let wd = WeightDecay::coupled(self.config.weight_decay);
        kernel::apply(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, _| *x -= lr * wd.gradient_always(g, *x),
        );
        Ok(())
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps_taken(&self) -> usize {
        self.state.steps()
    }

    fn has_search_direction(&self) -> bool {
        true
    }

    fn search_direction(
        &mut self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) -> Result<()> {
        check_len("gradient vs x", x.len(), grad.len())?;
        check_len("direction vs x", x.len(), direction.len())?;
        let wd = WeightDecay::coupled(self.config.weight_decay);
        Zip::from(direction)
            .and(x)
            .and(grad)
            .for_each(|d, &x, &g| *d = -wd.gradient_always(g, x));
        Ok(())
    }
}
