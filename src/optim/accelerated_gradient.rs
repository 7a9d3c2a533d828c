//! Nesterov's accelerated gradient method.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::state::{Buffers, RuleState, StartState, fill, read_checked};
use super::{Optimizer, check_step};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};

rule_config! {
    /// Hyperparameters of [`AcceleratedGradient`].
    pub struct AcceleratedGradientConfig<F> {
        /// Step size `γ`, which the theory sets to `1/L` for an `L`-smooth `f`. Default `1e-3` (as
        /// [`GradientDescent`](crate::GradientDescent)).
        pub lr: F = F::lit(1e-3),
        /// Strong-convexity constant `μ`. `0` (the default) selects the convex form with the
        /// momentum sequence `t_k`; `μ > 0` selects the constant momentum of the strongly convex
        /// variant, which requires `μ γ <= 1`.
        pub mu: F = F::zero(),
        /// Gradient-based adaptive restart (O'Donoghue and Candès, 2015). Default `false`.
        pub restart: bool = false,
    }
}

/// Nesterov's accelerated gradient method (Nesterov, 1983), in its convex form and its strongly
/// convex form, with optional adaptive restart.
///
/// **Convex form** (`mu = 0`), with the momentum sequence of Nesterov (1983) as written by Beck
/// and Teboulle (2009):
///
/// ```text
/// y_1 = x_0 ,  t_1 = 1
/// x_k     = y_k - γ ∇f(y_k)
/// t_{k+1} = (1 + √(1 + 4 t_k²)) / 2
/// y_{k+1} = x_k + ((t_k - 1) / t_{k+1}) (x_k - x_{k-1})
/// ```
///
/// For convex `L`-smooth `f` and `γ <= 1/L`, `f(x_k) - f* <= 2 |x_0 - x*|² / (γ (k + 1)²)`:
/// `O(1/k²)` instead of the `O(1/k)` of gradient descent, which is optimal for first-order
/// methods.
///
/// **Strongly convex form** (`mu > 0`): the same iteration with the constant momentum
///
/// ```text
/// β = (1 - √(μγ)) / (1 + √(μγ)) = (√κ - 1) / (√κ + 1)   for γ = 1/L, κ = L/μ ,
/// y_{k+1} = x_k + β (x_k - x_{k-1})     (same start y_1 = x_0) ,
/// ```
///
/// for which `f(x_k) - f* <= (1 - 1/√κ)^k (f(x_0) - f* + μ/2 |x_0 - x*|²)` (Nesterov,
/// *Introductory Lectures on Convex Optimization*, 2004, scheme 2.2.19): `O(√κ log(1/ε))`
/// iterations instead of the `O(κ log(1/ε))` of gradient descent. `β` is computed from the `lr`
/// of each step, so `L = 1/lr` is what the loop's step size says.
///
/// **Adaptive restart** (`restart = true`; O'Donoghue and Candès, 2015, gradient scheme). When
/// `∇f(y_k)'(x_k - x_{k-1}) > 0`, the momentum points uphill: the step is taken with no momentum,
/// `y_{k+1} = x_k`, and the sequence starts afresh (`t = 1`). This costs one dot product per step
/// and recovers, without knowing `μ`, a linear rate close to the strongly convex one.
///
/// **What the loop holds.** The gradient is evaluated at the extrapolated point `y_k`, so the
/// point this rule hands to the loop — the `x` of [`step`](Optimizer::step), of the
/// [`Minimizer`](crate::Minimizer)'s iterations and of its [`Report`](crate::Report) — is `y_k`,
/// and the report's gradient norm is `|∇f(y_k)|`. The rule keeps the sequence `x_k` itself (the
/// points the convergence bounds above are about) in a buffer allocated on the first step, and
/// returns the last one from [`iterate`](AcceleratedGradient::iterate). The two differ by
/// `β (x_k - x_{k-1})`, which vanishes as the method converges. Under a projection the loop
/// projects `y_k`, which is not the accelerated projected-gradient method of the theory.
///
/// ```
/// use gradus::optim::AcceleratedGradientConfig;
/// use gradus::{AcceleratedGradient, FnObjective, Minimizer};
/// use ndarray::array;
///
/// // f(x) = 1/2 (x₀² + 100 x₁²): L = 100, μ = 1.
/// let f = FnObjective::new(
///     2,
///     |x| 0.5 * (x[0] * x[0] + 100.0 * x[1] * x[1]),
///     |x, mut g| { g[0] = x[0]; g[1] = 100.0 * x[1]; },
/// );
/// let nesterov = AcceleratedGradient::new(AcceleratedGradientConfig {
///     lr: 0.01,
///     mu: 1.0,
///     restart: false,
/// })?;
/// let report = Minimizer::new(nesterov)
///     .gradient_tolerance(1e-8)
///     .minimize(&f, array![1.0, 1.0].view())?;
/// assert!(report.converged());
/// assert!(report.iterations < 250); // gradient descent with γ = 1/L needs about 1,800
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "AcceleratedGradientParts<F>",
        bound(deserialize = "F: Real + serde::Deserialize<'de>")
    )
)]
pub struct AcceleratedGradient<F> {
    config: AcceleratedGradientConfig<F>,
    state: RuleState<AgState<F>>,
}

read_checked!(
    AcceleratedGradient,
    AcceleratedGradientParts,
    AcceleratedGradientConfig,
    AgState
);

/// The state of [`AcceleratedGradient`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct AgState<F> {
    /// The last gradient-step point `x_k` (before the first step: `x_0`, set by that step).
    x: Vec<F>,
    /// `t_k` of the convex form.
    t: F,
    /// Number of adaptive restarts.
    restarts: usize,
}

impl<F: Real> StartState<F, AcceleratedGradientConfig<F>> for AgState<F> {
    fn start(&mut self, n: usize, _config: &AcceleratedGradientConfig<F>) {
        fill(&mut self.x, n, F::zero());
        self.t = F::one();
        self.restarts = 0;
    }

    fn buffers(&mut self) -> Buffers<'_, F> {
        Buffers::new([&mut self.x[..]])
    }
}

impl<F: Real> AcceleratedGradient<F> {
    /// The method with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `mu`, or `mu · lr > 1`.
    pub fn new(config: AcceleratedGradientConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("mu", config.mu, Domain::NonNegative)?;
        check_momentum_step(config.mu, config.lr)?;
        Ok(AcceleratedGradient {
            config,
            state: RuleState::default(),
        })
    }

    /// The convex form with step size `lr` (`1/L`), without restart.
    ///
    /// # Errors
    /// As [`new`](AcceleratedGradient::new).
    pub fn with_lr(lr: F) -> Result<Self> {
        Self::new(AcceleratedGradientConfig {
            lr,
            ..Default::default()
        })
    }

    /// The strongly convex form with `lr = 1/L` and `mu = μ`: constant momentum
    /// `(√κ - 1)/(√κ + 1)`, `κ = L/μ`.
    ///
    /// # Errors
    /// As [`new`](AcceleratedGradient::new).
    pub fn strongly_convex(lr: F, mu: F) -> Result<Self> {
        Self::new(AcceleratedGradientConfig {
            lr,
            mu,
            restart: false,
        })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &AcceleratedGradientConfig<F> {
        &self.config
    }

    /// The last point `x_k = y_k - γ ∇f(y_k)` of the gradient-step sequence (the sequence the
    /// convergence bounds are about), or `None` before the first step.
    pub fn iterate(&self) -> Option<ArrayView1<'_, F>> {
        (self.state.steps() > 0).then(|| ArrayView1::from(&self.state.get().x[..]))
    }

    /// Number of adaptive restarts since construction or the last reset.
    pub fn restarts(&self) -> usize {
        if self.state.steps() > 0 {
            self.state.get().restarts
        } else {
            0
        }
    }
}

/// The strongly convex form needs `μ γ <= 1` (that is `γ <= 1/μ`, implied by `γ <= 1/L`).
fn check_momentum_step<F: Real>(mu: F, lr: F) -> Result<()> {
    check_that(
        "lr",
        lr,
        "at most 1/mu (mu · lr <= 1) when mu > 0",
        mu * lr <= F::one(),
    )
}

impl<F: Real> Default for AcceleratedGradient<F> {
    fn default() -> Self {
        AcceleratedGradient {
            config: AcceleratedGradientConfig::default(),
            state: RuleState::default(),
        }
    }
}

impl<F: Real> Optimizer<F> for AcceleratedGradient<F> {
    fn name(&self) -> &'static str {
        "AcceleratedGradient"
    }

    fn default_lr(&self) -> F {
        self.config.lr
    }

    /// One step from the extrapolated point `y = y_k` and `grad = ∇f(y_k)`: leaves `y_{k+1}` in
    /// `y` and keeps `x_k`.
    fn step(&mut self, y: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        let mu = self.config.mu;
        check_step(y.len(), grad.len(), lr, None)?;
        check_momentum_step(mu, lr)?;
        let (k, st) = self.state.advance(&self.config, y.len(), grad.len(), lr)?;
        let first = k == 1;
        if first {
            // x_0 = y_0.
            st.x.iter_mut().zip(&y).for_each(|(x, &y)| *x = y);
        }
        // Restart test ∇f(y_k)'(x_k - x_{k-1}) > 0, with x_k = y_k - γ ∇f(y_k).
        let restart = self.config.restart && !first && {
            let mut s = F::zero();
            Zip::from(&y)
                .and(grad)
                .and(&st.x)
                .for_each(|&y, &g, &xp| s += g * (y - lr * g - xp));
            s > F::zero()
        };
        let t = st.t;
        let t_next = (F::one() + (F::one() + F::lit(4.0) * t * t).sqrt()) * F::lit(0.5);
        let beta = if restart {
            F::zero()
        } else if mu > F::zero() {
            let r = (mu * lr).sqrt();
            (F::one() - r) / (F::one() + r)
        } else {
            (t - F::one()) / t_next
        };
        st.t = if restart { F::one() } else { t_next };
        kernel::apply(
            y,
            grad,
            [&mut st.x],
            Simd::Streaming,
            #[inline(always)]
            move |y, g, [xp]| {
                let x = *y - lr * g;
                *y = x + beta * (x - *xp);
                *xp = x;
            },
        );
        if restart {
            st.restarts += 1;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps_taken(&self) -> usize {
        self.state.steps()
    }
}
