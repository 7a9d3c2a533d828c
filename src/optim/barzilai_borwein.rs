//! The Barzilai–Borwein two-point step size method.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::Optimizer;
use super::config::rule_config;
use super::kernel::{self, Simd};
use super::state::{Buffers, RuleState, StartState, fill, read_checked};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};

/// Which of the two Barzilai–Borwein step lengths [`BarzilaiBorwein`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BbVariant {
    /// The "long" step `α = s's / s'y` (BB1), which makes `α⁻¹ I` satisfy the secant equation
    /// `α⁻¹ s ≈ y` in the least-squares sense. The usual choice.
    #[default]
    Long,
    /// The "short" step `α = s'y / y'y` (BB2), which makes `α I` satisfy `s ≈ α y` in the
    /// least-squares sense. By Cauchy–Schwarz it never exceeds the long step.
    Short,
}

rule_config! {
    /// Hyperparameters of [`BarzilaiBorwein`].
    pub struct BarzilaiBorweinConfig<F> {
        /// Step size of the first step, before any pair `(s, y)` exists. Default `1e-3` (as
        /// [`GradientDescent`](crate::GradientDescent)).
        pub lr: F = F::lit(1e-3),
        /// Which step length. Default [`BbVariant::Long`].
        pub variant: BbVariant = BbVariant::Long,
        /// Smallest step length. Default `1e-10`.
        pub alpha_min: F = F::lit(1e-10),
        /// Largest step length. Default `1e10`.
        pub alpha_max: F = F::lit(1e10),
    }
}

/// Gradient descent with the two-point step lengths of Barzilai and Borwein (1988).
///
/// ```text
/// s_{k-1} = x_k - x_{k-1} ,   y_{k-1} = ∇f(x_k) - ∇f(x_{k-1})
/// α_k     = s's / s'y   (BB1, long)    or    s'y / y'y   (BB2, short)
/// α_k     = min(alpha_max, max(alpha_min, α_k))
/// x_{k+1} = x_k - α_k ∇f(x_k)
/// ```
///
/// The first step uses `α_0 = lr`, the step size the loop passes (later steps ignore it). If
/// `s'y <= 0` (no positive curvature along the last step; impossible on a strictly convex
/// quadratic unless `s = 0`) the previous step length is kept.
///
/// `α_k⁻¹ I` is a scalar approximation of the Hessian fitted to the last secant pair, so the
/// method is a one-number quasi-Newton method. It is not monotone: `f` may increase at some
/// iterations. On strictly convex quadratics it converges R-linearly (Raydan, 1993; Dai and
/// Liao, 2002), in practice far faster than gradient descent with a constant step. This is the
/// plain method, without the nonmonotone line search that globalises it for general functions
/// (Raydan, 1997); it has no search direction for the loop's line searches.
///
/// ```
/// use gradus::{BarzilaiBorwein, FnObjective, Minimizer};
/// use ndarray::array;
///
/// // f(x) = 1/2 (x₀² + 100 x₁²)
/// let f = FnObjective::new(
///     2,
///     |x| 0.5 * (x[0] * x[0] + 100.0 * x[1] * x[1]),
///     |x, mut g| { g[0] = x[0]; g[1] = 100.0 * x[1]; },
/// );
/// let report = Minimizer::new(BarzilaiBorwein::default())
///     .lr(0.01)
///     .gradient_tolerance(1e-10)
///     .minimize(&f, array![1.0, 1.0].view())?;
/// assert!(report.converged());
/// assert!(report.iterations < 30);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "BarzilaiBorweinParts<F>",
        bound(deserialize = "F: Real + serde::Deserialize<'de>")
    )
)]
pub struct BarzilaiBorwein<F> {
    config: BarzilaiBorweinConfig<F>,
    state: RuleState<BbState<F>>,
}

read_checked!(
    BarzilaiBorwein,
    BarzilaiBorweinParts,
    BarzilaiBorweinConfig,
    BbState
);

/// The state of [`BarzilaiBorwein`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct BbState<F> {
    /// `x_{k-1}`.
    x_prev: Vec<F>,
    /// `∇f(x_{k-1})`.
    g_prev: Vec<F>,
    /// The last step length `α_{k-1}` (the first step takes the loop's step size).
    alpha: F,
}

impl<F: Real> StartState<F, BarzilaiBorweinConfig<F>> for BbState<F> {
    fn start(&mut self, n: usize, config: &BarzilaiBorweinConfig<F>) {
        fill(&mut self.x_prev, n, F::zero());
        fill(&mut self.g_prev, n, F::zero());
        self.alpha = config.lr;
    }

    fn buffers(&mut self) -> Buffers<'_, F> {
        Buffers::new([&mut self.x_prev[..], &mut self.g_prev[..]])
    }
}

impl<F: Real> BarzilaiBorwein<F> {
    /// The method with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, a non-positive or non-finite `alpha_min` or `alpha_max`, or
    /// `alpha_max < alpha_min`.
    pub fn new(config: BarzilaiBorweinConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("alpha_min", config.alpha_min, Domain::Positive)?;
        check("alpha_max", config.alpha_max, Domain::Positive)?;
        check_that(
            "alpha_max",
            config.alpha_max,
            ">= alpha_min",
            config.alpha_max >= config.alpha_min,
        )?;
        Ok(BarzilaiBorwein {
            config,
            state: RuleState::default(),
        })
    }

    /// The method with the given variant, other hyperparameters at their defaults.
    pub fn with_variant(variant: BbVariant) -> Self {
        BarzilaiBorwein {
            config: BarzilaiBorweinConfig {
                variant,
                ..Default::default()
            },
            state: RuleState::default(),
        }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &BarzilaiBorweinConfig<F> {
        &self.config
    }

    /// The step length `α_k` of the last step, if a step has been taken.
    pub fn last_step_length(&self) -> Option<F> {
        (self.state.steps() > 0).then(|| self.state.get().alpha)
    }
}

impl<F: Real> Default for BarzilaiBorwein<F> {
    fn default() -> Self {
        Self::with_variant(BbVariant::Long)
    }
}

impl<F: Real> Optimizer<F> for BarzilaiBorwein<F> {
    fn name(&self) -> &'static str {
        match self.config.variant {
            BbVariant::Long => "BB1",
            BbVariant::Short => "BB2",
        }
    }

    fn default_lr(&self) -> F {
        self.config.lr
    }

    fn step(&mut self, mut x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        let (t, st) = self.state.advance(&self.config, x.len(), grad.len(), lr)?;
        let alpha = if t == 1 {
            lr
        } else {
            let (mut ss, mut sy, mut yy) = (F::zero(), F::zero(), F::zero());
            Zip::from(&x)
                .and(grad)
                .and(&st.x_prev)
                .and(&st.g_prev)
                .for_each(|&x, &g, &xp, &gp| {
                    let (s, y) = (x - xp, g - gp);
                    ss += s * s;
                    sy += s * y;
                    yy += y * y;
                });
            let bb = match self.config.variant {
                BbVariant::Long => ss / sy,
                BbVariant::Short => sy / yy,
            };
            if sy > F::zero() && bb.is_finite() {
                bb.max(self.config.alpha_min).min(self.config.alpha_max)
            } else {
                st.alpha
            }
        };
        kernel::apply(
            x.view_mut(),
            grad,
            [&mut st.x_prev, &mut st.g_prev],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [xp, gp]| {
                *xp = *x;
                *gp = g;
                *x -= alpha * g;
            },
        );
        st.alpha = alpha;
        Ok(())
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps_taken(&self) -> usize {
        self.state.steps()
    }
}
