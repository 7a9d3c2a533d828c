//! D-Adaptation: AdamW and SGD whose step size is learnt from an estimate of the distance to a
//! solution, built from the gradients seen so far.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam_family::Moments;
use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::prodigy::bias_correction;
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::{Domain, Result, check};

rule_config! {
    /// Hyperparameters of [`DAdaptAdamW`] (optax's `contrib.dadapt_adamw` arguments and
    /// defaults).
    pub struct DAdaptAdamWConfig<F> {
        /// Multiplier `γ` of the learnt step size, the loop's step size when it sets none
        /// (optax's `learning_rate`, for a schedule). Default `1`.
        pub lr: F = F::one() => NonNegative,
        /// Decay rates `(β₁, β₂)` of Adam's moment estimates, each in `[0, 1)`; the estimate's
        /// sums decay by `√β₂`. Default `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Term `ε > 0` added to `√v`. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// The first estimate `d₀ > 0` of the distance to a solution, an under-estimate.
        /// Default `1e-6`.
        pub estim_lr0: F = F::lit(1e-6) => Positive,
        /// Decoupled weight decay `λ`: `x` shrinks by `λ η_k x` at every step (AdamW's). Default
        /// `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// D-Adaptation AdamW (Defazio & Mishchenko, 2023): AdamW whose step size is `d_k γ`, with
/// `d_k` an estimate of the distance from the start to a solution in the max norm, learnt as
/// the run goes from an under-estimate `d₀`.
///
/// This is `optax.contrib.dadapt_adamw`. Step `k` (from 0; the bias corrections count
/// `t = k + 1`):
///
/// ```text
/// g_k  = ∇f(x_k)
/// η_k  = d_k γ √(1 - β₂ᵗ) / (1 - β₁ᵗ)
/// r_k  = √β₂ r_{k-1} + (1 - √β₂) η_k ⟨g_k, s_{k-1} / (√v_{k-1} + ε)⟩     r_{-1} = 0
/// m_k  = β₁ m_{k-1} + (1 - β₁) η_k g_k                                  m_{-1} = 0
/// v_k  = β₂ v_{k-1} + (1 - β₂) g_k²                                     v_{-1} = 0
/// s_k  = √β₂ s_{k-1} + (1 - √β₂) η_k g_k                                s_{-1} = 0
/// d_{k+1} = max(d_k, r_k / ((1 - √β₂) ‖s_k‖₁))                          d_0 = d₀
/// x_{k+1} = x_k - λ η_k x_k - m_k / (√v_k + ε)
/// ```
///
/// Squares, roots and divisions are taken element by element; the inner product and the norm
/// `‖s_k‖₁ = Σ |s_k|` run over all coordinates (of the vector, or of every tensor of a
/// parameter-set group together). The first moment carries the step size `η_k` itself, so that
/// `γ` and `d_k` weigh on the steps that follow as momentum does. `γ` multiplies the learnt
/// step (default `1`): the loop's step size or a schedule's factor, as optax's
/// `learning_rate`, for which optax recommends a schedule from 1 down to 0 (linear, after a
/// warm-up of up to a fifth of the run).
///
/// The order of the operations is optax's: the numerator takes the weighted sum `s` and the
/// second moment `v` of the previous step, and the move uses `η_k` of the old estimate (the new
/// one serves from the next step on).
///
/// The estimate never decreases. Where `‖s_k‖₁ = 0` (every gradient so far zero, or `γ = 0`
/// from the start), optax divides zero by zero and its estimate becomes NaN for good; here `d`
/// is kept as it is and the step goes on (with zero gradients, only the weight decay moves
/// `x`). The sums and the scalars `d` and `r` are in the type of `x`, `F`, as optax keeps them
/// in the parameters' type.
///
/// ## Where the gradient does not vanish
///
/// The estimate `d` is a lower bound on the distance to a solution that holds where the
/// gradient of the objective vanishes at the solution. Where it does not (decoupled weight
/// decay, whose limit is not a stationary point of `f`; a projection or a prox, whose solution
/// lies on a boundary), the sums behind `d` keep growing at the limit, `d` grows without bound,
/// and the run diverges. The reference implementations behave the same. Use these rules on
/// unconstrained problems, with a small or no decoupled weight decay.
///
/// Defaults: `lr = 1`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `estim_lr0 = 1e-6`,
/// `weight_decay = 0`.
///
/// Reference: A. Defazio, K. Mishchenko, "Learning-rate-free learning by D-Adaptation", ICML
/// 2023.
///
/// ```
/// use gradus::{DAdaptAdamW, Optimizer};
/// use ndarray::array;
///
/// // f(x) = ½ |x|² from (3, -4): the estimate grows from d₀ = 1e-6 to about 4.1, near the
/// // largest distance of a coordinate to the minimiser, 4.
/// let mut rule = DAdaptAdamW::default();
/// let mut x = array![3.0_f64, -4.0];
/// for _ in 0..300 {
///     let g = x.clone();
///     rule.step(x.view_mut(), g.view(), 1.0)?;
/// }
/// assert!(rule.state().d() > 3.0 && rule.state().d() < 5.0);
/// assert!(x.iter().all(|v| v.abs() < 1e-3));
/// # Ok::<(), gradus::Error>(())
/// ```
pub type DAdaptAdamW<F> = Rule<DAdaptAdamWConfig<F>>;

/// The state of [`DAdaptAdamW`]: Adam's moments, the weighted sum of gradients, and the
/// estimate with its numerator.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DAdaptAdamWState<F> {
    /// `m`, the first moment of the gradients scaled by the step size.
    m: Vec<F>,
    /// `v`, the second moment of the gradients.
    v: Vec<F>,
    /// `s`, the weighted sum of gradients.
    s: Vec<F>,
    /// `d`, the estimate of the distance to a solution.
    d: F,
    /// `r`, the numerator of the estimate.
    numerator: F,
}

impl<F: Real> DAdaptAdamWState<F> {
    /// The current estimate `d` of the distance to a solution (`d₀` before the first step): the
    /// step size of the next step is `d γ` up to Adam's bias corrections.
    pub fn d(&self) -> F {
        self.d
    }

    /// The numerator `r` of the estimate.
    pub fn numerator(&self) -> F {
        self.numerator
    }
}

/// One step of [`DAdaptAdamW`]: the scalars of the old estimate.
#[derive(Debug, Clone, Copy)]
pub struct DAdaptAdamWStep<F> {
    /// `β₁`.
    beta1: F,
    /// `(1 - β₁) η_k`.
    m_coef: F,
    /// `β₂` and `1 - β₂` (only the second moment of `Moments` is used).
    moments: Moments<F>,
    /// `√β₂`.
    sqrt_beta2: F,
    /// `1 - √β₂`.
    one_minus_sqrt_beta2: F,
    /// `(1 - √β₂) η_k`.
    s_coef: F,
    /// `λ η_k`.
    decay: F,
    eps: F,
}

impl<F: Real> ElementwiseRule for DAdaptAdamWConfig<F> {
    rule_types!(DAdaptAdamWState<F>, DAdaptAdamWStep<F>, [F; 2]);

    fn name(&self) -> &'static str {
        "DAdaptAdamW"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a beta outside `[0, 1)` (named `betas.0` or `betas.1`), or an
    /// `eps` or `estim_lr0` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        check("betas.0", self.betas.0, Domain::UnitInterval)?;
        check("betas.1", self.betas.1, Domain::UnitInterval)?;
        Ok(())
    }

    fn start(&self, state: &mut DAdaptAdamWState<F>, n: usize) {
        fill(&mut state.m, n, F::zero());
        fill(&mut state.v, n, F::zero());
        fill(&mut state.s, n, F::zero());
        state.d = self.estim_lr0;
        state.numerator = F::zero();
    }

    fn buffers(state: &mut DAdaptAdamWState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.m[..], &mut state.v, &mut state.s])
    }

    fn prepare(&self, state: &mut DAdaptAdamWState<F>, t: usize, lr: F) -> DAdaptAdamWStep<F> {
        let dlr = state.d * lr * F::lit(bias_correction(self.betas, t));
        let sqrt_beta2 = self.betas.1.as_f64().sqrt();
        let one_minus_sqrt_beta2 = F::lit(1.0 - sqrt_beta2);
        DAdaptAdamWStep {
            beta1: self.betas.0,
            m_coef: F::lit(1.0 - self.betas.0.as_f64()) * dlr,
            moments: Moments::new(self.betas),
            sqrt_beta2: F::lit(sqrt_beta2),
            one_minus_sqrt_beta2,
            s_coef: one_minus_sqrt_beta2 * dlr,
            decay: self.weight_decay * dlr,
            eps: self.eps,
        }
    }

    /// Updates `m`, `v` and `s`, and returns `[⟨g, s_{k-1} / (√v_{k-1} + ε)⟩, ‖s_k‖₁]`.
    fn gather(
        &self,
        step: DAdaptAdamWStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> [F; 2] {
        let [m, v, s, ..] = state.into_array();
        let DAdaptAdamWStep {
            beta1,
            m_coef,
            moments,
            sqrt_beta2,
            s_coef,
            eps,
            ..
        } = step;
        kernel::gather(
            x,
            grad,
            [m, v, s],
            Simd::Widest,
            #[inline(always)]
            move |_x, g, [m, v, s]| {
                let product = g * (*s / (v.sqrt() + eps));
                *m = beta1 * *m + m_coef * g;
                *v = moments.second(*v, g);
                *s = sqrt_beta2 * *s + s_coef * g;
                [product, s.abs()]
            },
        )
    }

    fn settle(
        &self,
        state: &mut DAdaptAdamWState<F>,
        step: DAdaptAdamWStep<F>,
        [product, s_norm]: [F; 2],
    ) -> DAdaptAdamWStep<F> {
        state.numerator = step.sqrt_beta2 * state.numerator + step.s_coef * product;
        let denominator = step.one_minus_sqrt_beta2 * s_norm;
        // A zero (or non-finite) denominator leaves the estimate as it is.
        if denominator > F::zero() {
            let estimate = state.numerator / denominator;
            if estimate > state.d {
                state.d = estimate;
            }
        }
        step
    }

    fn apply(
        &self,
        step: DAdaptAdamWStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [m, v, ..] = state.into_array();
        let DAdaptAdamWStep { decay, eps, .. } = step;
        kernel::apply_watching(
            x,
            grad,
            [m, v],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, _g, [m, v]| {
                *x -= decay * *x + *m / (v.sqrt() + eps);
            },
        )
    }
}

rule_config! {
    /// Hyperparameters of [`DAdaptSgd`] (the arguments and defaults of the authors'
    /// `dadaptation.DAdaptSGD`).
    pub struct DAdaptSgdConfig<F> {
        /// Multiplier `γ` of the learnt step size, the loop's step size when it sets none (the
        /// reference's `lr`, for a schedule). Default `1`.
        pub lr: F = F::one() => NonNegative,
        /// Momentum `μ` in `[0, 1)`: the iterate is the average `μ x + (1 - μ) z` of itself and
        /// the dual-averaging point `z`. Default `0`.
        pub momentum: F = F::zero() => UnitInterval,
        /// L2 penalty `λ` added to the gradient before everything else. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// The first estimate `d₀ > 0` of the distance to a solution, an under-estimate.
        /// Default `1e-6`.
        pub d0: F = F::lit(1e-6) => Positive,
        /// Largest factor `ρ >= 1` by which one step may raise the estimate; `None` for no
        /// bound. Default `None`.
        pub growth_rate: Option<F> = None,
    }
}

/// D-Adaptation SGD (Defazio & Mishchenko, 2023): dual averaging whose step size is `d_k γ`
/// over the first gradient's norm, with `d_k` an estimate of the distance from the start to a
/// solution, learnt as the run goes from an under-estimate `d₀`.
///
/// This is `dadaptation.DAdaptSGD`, the authors' implementation (version 3). Step `k` (from 0):
///
/// ```text
/// g_k  = ∇f(x_k) + λ x_k
/// η_k  = d_k γ / ‖g_0‖
/// r_{k+1} = r_k + η_k ⟨g_k, s_k⟩                               r_0 = 0
/// s_{k+1} = s_k + η_k g_k                                       s_0 = 0
/// d_{k+1} = max(d_k, min(2 r_{k+1} / ‖s_{k+1}‖, ρ d_k))          d_0 = d₀
/// x_{k+1} = μ x_k + (1 - μ) (x₀ - s_{k+1})
/// ```
///
/// Norms and inner products run over all coordinates (of the vector, or of every tensor of a
/// parameter-set group together). Without momentum, `x_{k+1} = x_k - η_k g_k`: gradient descent
/// with the learnt step. With it, `x` averages the dual-averaging points `z_k = x₀ - s_k` (the
/// reference keeps `z` in a buffer; it is computed here). The estimate `2 r / ‖s‖` equals
/// `(‖s‖² - Σ η_i² ‖g_i‖²) / ‖s‖`, the form the reference's earlier versions computed. `γ`
/// multiplies the learnt step (default `1`): the loop's step size or a schedule's factor, as the
/// reference's `lr`.
///
/// The step `d_k γ / ‖g_0‖` knows nothing of the smoothness: where the first gradient is small
/// for the distance to travel (an ill-conditioned quadratic started along a flat direction), it
/// can pass `2/L`, and the run diverges; a smaller `γ` is then the remedy, as for gradient
/// descent.
///
/// Where the reference divides by zero, this rule does what the method means:
///
/// - `‖g_0‖` is the norm of the first non-zero gradient: steps with a zero gradient before it
///   leave `x` and the state as they are (`x₀` is the point where the gradient first is not
///   zero). The reference raises an error on a zero first gradient.
/// - Where `‖s‖ = 0` (`γ = 0` on every step so far), the estimate is kept and `x` does not
///   move; the reference fails there.
/// - The first gradient's norm includes the L2 penalty: the reference's first pass adds the
///   penalty to a copy it discards, and so leaves it out of `‖g_0‖` alone.
///
/// The sums and the scalars `d`, `r` and `‖g_0‖` are in the type of `x`, `F` (the reference
/// adds up each tensor in its own type, and the tensors' sums in Python's `f64`).
///
/// ## Where the gradient does not vanish
///
/// The estimate `d` is a lower bound on the distance to a solution that holds where the
/// gradient of the objective vanishes at the solution. Where it does not (a projection or a
/// prox, whose solution lies on a boundary), the sums behind `d` keep growing at the limit, `d`
/// grows without bound, and the run diverges. The reference implementations behave the same.
/// Use these rules on unconstrained problems.
///
/// Defaults: `lr = 1`, `momentum = 0`, `weight_decay = 0`, `d0 = 1e-6`, `growth_rate = None`
/// (unbounded). Earlier versions of the reference documented a momentum of 0.9; their default
/// too was 0.
///
/// Reference: A. Defazio, K. Mishchenko, "Learning-rate-free learning by D-Adaptation", ICML
/// 2023.
///
/// ```
/// use gradus::{DAdaptSgd, Optimizer};
/// use ndarray::array;
///
/// // f(x) = ½ |x|² from (3, -4): the first step is d₀ long, and the estimate then grows to
/// // about 4.3, short of the distance to the minimiser, 5.
/// let mut rule = DAdaptSgd::default();
/// let mut x = array![3.0_f64, -4.0];
/// rule.step(x.view_mut(), array![3.0, -4.0].view(), 1.0)?;
/// assert!((x[0] - (3.0 - 1e-6 * 0.6)).abs() < 1e-15);
/// for _ in 0..100 {
///     let g = x.clone();
///     rule.step(x.view_mut(), g.view(), 1.0)?;
/// }
/// assert!(rule.state().d() > 4.0 && rule.state().d() < 5.0);
/// assert!(x.iter().all(|v| v.abs() < 1e-6));
/// # Ok::<(), gradus::Error>(())
/// ```
pub type DAdaptSgd<F> = Rule<DAdaptSgdConfig<F>>;

/// The state of [`DAdaptSgd`]: the starting point, the sum of weighted gradients, and the
/// scalars of the estimate.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DAdaptSgdState<F> {
    /// `x₀`, the point of the first step with a non-zero gradient.
    x0: Vec<F>,
    /// `s`, the sum of gradients weighted by the step sizes.
    s: Vec<F>,
    /// `d`, the estimate of the distance to a solution.
    d: F,
    /// `r`, the numerator of the estimate.
    numerator: F,
    /// `‖g_0‖`, the norm of the first non-zero gradient; `0` until there is one.
    g0_norm: F,
}

impl<F: Real> DAdaptSgdState<F> {
    /// The current estimate `d` of the distance to a solution (`d₀` before the first step): the
    /// step size of the next step is `d γ / ‖g_0‖`.
    pub fn d(&self) -> F {
        self.d
    }

    /// The numerator `r` of the estimate.
    pub fn numerator(&self) -> F {
        self.numerator
    }

    /// `‖g_0‖`, the norm of the first non-zero gradient (`0` until there is one).
    pub fn g0_norm(&self) -> F {
        self.g0_norm
    }
}

/// One step of [`DAdaptSgd`]: before the sums, the step size of the old estimate; after,
/// whether `x` moves.
#[derive(Debug, Clone, Copy)]
pub struct DAdaptSgdStep<F> {
    /// No non-zero gradient yet: this step's pass records `x₀` and measures `‖g‖²`.
    first: bool,
    /// `d_k γ`.
    dlr_numerator: F,
    /// `η_k = d_k γ / ‖g_0‖` (from [`ElementwiseRule::settle`] on a first step).
    dlr: F,
    /// `1 - μ`, the weight of `z`.
    z_weight: F,
    /// `1 - (1 - μ)`, the weight of `x`.
    x_weight: F,
    weight_decay: WeightDecay<F>,
    /// Whether `x` moves (`s` is not zero).
    moves: bool,
}

impl<F: Real> DAdaptSgdStep<F> {
    /// `μ x + (1 - μ) (x₀ - s)`, with `1 - μ` and `μ` rounded as the reference rounds them.
    #[inline(always)]
    fn averaged(self, x: F, x0: F, s: F) -> F {
        x * self.x_weight + self.z_weight * (x0 - s)
    }
}

impl<F: Real> ElementwiseRule for DAdaptSgdConfig<F> {
    rule_types!(DAdaptSgdState<F>, DAdaptSgdStep<F>, [F; 2]);

    fn name(&self) -> &'static str {
        "DAdaptSGD"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a `momentum` outside `[0, 1)`, a `d0` that is not finite and
    /// positive, or a `growth_rate` below 1 or not finite.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        if let Some(rho) = self.growth_rate {
            check("growth_rate", rho, Domain::AtLeastOne)?;
        }
        Ok(())
    }

    fn start(&self, state: &mut DAdaptSgdState<F>, n: usize) {
        fill(&mut state.x0, n, F::zero());
        fill(&mut state.s, n, F::zero());
        state.d = self.d0;
        state.numerator = F::zero();
        state.g0_norm = F::zero();
    }

    fn buffers(state: &mut DAdaptSgdState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.x0[..], &mut state.s])
    }

    fn prepare(&self, state: &mut DAdaptSgdState<F>, _t: usize, lr: F) -> DAdaptSgdStep<F> {
        let first = state.g0_norm == F::zero();
        let dlr_numerator = state.d * lr;
        let z_weight = 1.0 - self.momentum.as_f64();
        DAdaptSgdStep {
            first,
            dlr_numerator,
            dlr: if first {
                F::zero()
            } else {
                dlr_numerator / state.g0_norm
            },
            z_weight: F::lit(z_weight),
            x_weight: F::lit(1.0 - z_weight),
            weight_decay: WeightDecay::coupled(self.weight_decay),
            moves: false,
        }
    }

    /// Before the first non-zero gradient, records `x₀` and returns `[0, ‖g‖²]`; after it,
    /// adds `η g` to `s` and returns `[⟨g, s_k⟩, ‖s_{k+1}‖²]`.
    fn gather(
        &self,
        step: DAdaptSgdStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> [F; 2] {
        let [x0, s, ..] = state.into_array();
        let DAdaptSgdStep {
            dlr,
            weight_decay: wd,
            ..
        } = step;
        if step.first {
            kernel::gather(
                x,
                grad,
                [x0],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [x0]| {
                    *x0 = x;
                    let g = wd.gradient(g, x);
                    [F::zero(), g * g]
                },
            )
        } else {
            kernel::gather(
                x,
                grad,
                [s],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [s]| {
                    let g = wd.gradient(g, x);
                    let product = g * *s;
                    *s += dlr * g;
                    [product, *s * *s]
                },
            )
        }
    }

    fn settle(
        &self,
        state: &mut DAdaptSgdState<F>,
        mut step: DAdaptSgdStep<F>,
        [product, squared_norm]: [F; 2],
    ) -> DAdaptSgdStep<F> {
        if step.first {
            // `squared_norm` is ‖g‖²: a zero (or non-finite) one leaves everything as it is.
            if squared_norm > F::zero() && squared_norm <= F::max_value() {
                state.g0_norm = squared_norm.sqrt();
                step.dlr = step.dlr_numerator / state.g0_norm;
                // On the first step s = η g: the estimate 2 r / ‖s‖ is zero, d stays d₀.
                step.moves = step.dlr != F::zero();
            }
            return step;
        }
        state.numerator += step.dlr * product;
        // `squared_norm` is ‖s‖²: where it is zero the estimate is kept and x stays.
        if squared_norm > F::zero() {
            let estimate = F::lit(2.0) * state.numerator / squared_norm.sqrt();
            if estimate > state.d {
                let bound = self.growth_rate.map_or(estimate, |rho| state.d * rho);
                state.d = estimate.min(bound);
            }
        }
        step.moves = squared_norm != F::zero();
        step
    }

    fn apply(
        &self,
        step: DAdaptSgdStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        if !step.moves {
            return true;
        }
        let [x0, s, ..] = state.into_array();
        let DAdaptSgdStep {
            dlr,
            weight_decay: wd,
            ..
        } = step;
        if step.first {
            kernel::apply(
                x,
                grad,
                [x0, s],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [x0, s]| {
                    *s = dlr * wd.gradient(g, *x);
                    *x = step.averaged(*x, *x0, *s);
                },
            );
        } else {
            kernel::apply(
                x,
                grad,
                [x0, s],
                Simd::Streaming,
                #[inline(always)]
                move |x, _g, [x0, s]| {
                    *x = step.averaged(*x, *x0, *s);
                },
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array};

    const X0: [f64; 3] = [1.0, -2.0, 0.5];
    /// Gradients that keep their direction, so that the numerator grows and the estimate with
    /// it.
    fn norm1(v: &[f64; 3]) -> f64 {
        v.iter().map(|v| v.abs()).sum()
    }

    fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
        a.iter().zip(b).map(|(a, b)| a * b).sum()
    }

    /// A rule written out by hand on whole vectors: step `t` (from 1) moves `x` with gradient
    /// `g` and step size `lr`, and returns the new estimate `d`.
    type Hand = Box<dyn FnMut(i32, &mut [f64; 3], &[f64; 3], f64) -> f64>;

    /// Takes the steps of `rule` with `grads` and step size `lr` from `x0`, and checks `x` and
    /// the estimate `d(state)` against `hand`. Returns the estimates after each step.
    fn check_steps<C: ElementwiseRule<Float = f64>>(
        rule: &mut Rule<C>,
        d: fn(&C::State) -> f64,
        lr: f64,
        x0: [f64; 3],
        grads: &[[f64; 3]],
        mut hand: Hand,
    ) -> Vec<f64> {
        let (mut x, mut hx) = (Array1::from(x0.to_vec()), x0);
        let mut estimates = Vec::new();
        for (k, g) in grads.iter().enumerate() {
            rule.step(x.view_mut(), Array1::from(g.to_vec()).view(), lr)
                .unwrap();
            let hd = hand(k as i32 + 1, &mut hx, g, lr);
            for i in 0..3 {
                assert_close!(x[i], hx[i], "step {k}, coordinate {i}");
            }
            assert_close!(d(rule.state()), hd, "d at step {k}");
            estimates.push(hd);
        }
        estimates
    }

    /// D-Adaptation AdamW written out by hand.
    fn hand_adamw(c: DAdaptAdamWConfig<f64>) -> Hand {
        let (mut m, mut v, mut s) = ([0.0; 3], [0.0_f64; 3], [0.0_f64; 3]);
        let (mut d, mut r) = (c.estim_lr0, 0.0);
        Box::new(move |t, x, g, lr| {
            let (b1, b2) = c.betas;
            let sb2 = b2.sqrt();
            let eta = d * lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
            let weighted: [f64; 3] = std::array::from_fn(|i| s[i] / (v[i].sqrt() + c.eps));
            let product = dot(g, &weighted);
            for i in 0..3 {
                m[i] = b1 * m[i] + (1.0 - b1) * eta * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                s[i] = sb2 * s[i] + (1.0 - sb2) * eta * g[i];
            }
            r = sb2 * r + (1.0 - sb2) * eta * product;
            let denominator = (1.0 - sb2) * norm1(&s);
            if denominator > 0.0 {
                d = d.max(r / denominator);
            }
            for i in 0..3 {
                x[i] -= c.weight_decay * eta * x[i] + m[i] / (v[i].sqrt() + c.eps);
            }
            d
        })
    }

    /// D-Adaptation SGD written out by hand, for gradients that are not zero.
    fn hand_sgd(c: DAdaptSgdConfig<f64>) -> Hand {
        let (mut x0, mut s) = ([0.0; 3], [0.0_f64; 3]);
        let (mut d, mut r, mut g0) = (c.d0, 0.0, 0.0_f64);
        Box::new(move |_, x, g, lr| {
            let g: [f64; 3] = std::array::from_fn(|i| g[i] + c.weight_decay * x[i]);
            if g0 == 0.0 {
                g0 = dot(&g, &g).sqrt();
                x0 = *x;
            }
            let eta = d * lr / g0;
            r += eta * dot(&g, &s);
            for i in 0..3 {
                s[i] += eta * g[i];
            }
            let estimate = 2.0 * r / dot(&s, &s).sqrt();
            d = d.max(estimate.min(d * c.growth_rate.unwrap_or(f64::INFINITY)));
            for i in 0..3 {
                x[i] = c.momentum * x[i] + (1.0 - c.momentum) * (x0[i] - s[i]);
            }
            d
        })
    }

    #[test]
    fn dadapt_adamw_matches_hand_computed_steps() {
        let config = DAdaptAdamWConfig {
            lr: 1.0,
            betas: (0.8, 0.9),
            eps: 1e-3,
            estim_lr0: 0.05,
            weight_decay: 0.1,
        };
        for x0 in [X0, [0.0; 3]] {
            let mut rule = DAdaptAdamW::new(config).unwrap();
            let d = check_steps(
                &mut rule,
                DAdaptAdamWState::d,
                0.7,
                x0,
                &CLOSE_GRADS,
                hand_adamw(config),
            );
            assert!(
                d[1] > 0.05 && d[2] > d[1],
                "the sequence must make the estimate grow: {d:?}"
            );
        }
    }

    #[test]
    fn dadapt_sgd_matches_hand_computed_steps() {
        for (growth_rate, x0) in [(None, X0), (Some(1.5), X0), (None, [0.0; 3])] {
            let config = DAdaptSgdConfig {
                lr: 1.0,
                momentum: 0.5,
                weight_decay: 0.1,
                d0: 0.05,
                growth_rate,
            };
            let mut rule = DAdaptSgd::new(config).unwrap();
            let d = check_steps(
                &mut rule,
                DAdaptSgdState::d,
                2.0,
                x0,
                &CLOSE_GRADS,
                hand_sgd(config),
            );
            assert!(
                d[1] > 0.05 && d[2] > d[1],
                "the sequence must make the estimate grow: {d:?}"
            );
            if growth_rate.is_some() {
                assert_close!(d[2], 1.5 * d[1], "the growth rate must bound the last step");
            }
        }
    }

    #[test]
    fn the_first_steps_are_d0_long() {
        // AdamW: m = (1 - β₁) η g, √v = √(1 - β₂) |g|, η = d₀ γ √(1 - β₂) / (1 - β₁): the step
        // is γ d₀ g / (|g| + ε / √(1 - β₂)).
        let mut rule = DAdaptAdamW::default();
        let mut x = array![1.0_f64, 1.0];
        rule.step(x.view_mut(), array![3.0, -0.5].view(), 2.0)
            .unwrap();
        let e = 1e-8 / 0.001_f64.sqrt();
        assert_close!(x[0], 1.0 - 2.0 * 1e-6 * 3.0 / (3.0 + e));
        assert_close!(x[1], 1.0 + 2.0 * 1e-6 * 0.5 / (0.5 + e));
        assert_eq!(rule.state().d(), 1e-6, "the numerator starts at zero");
        // SGD: the step is γ d₀ g / ‖g‖.
        let mut rule = DAdaptSgd::default();
        let mut x = array![1.0_f64, 1.0];
        rule.step(x.view_mut(), array![3.0, -4.0].view(), 2.0)
            .unwrap();
        assert_close!(x[0], 1.0 - 2.0 * 1e-6 * 0.6);
        assert_close!(x[1], 1.0 + 2.0 * 1e-6 * 0.8);
        assert_eq!(rule.state().d(), 1e-6);
        assert_eq!(rule.state().g0_norm(), 5.0);
    }

    #[test]
    fn a_zero_gradient_at_the_start_keeps_the_estimate_and_stays_finite() {
        let rule = DAdaptAdamW::new(DAdaptAdamWConfig {
            weight_decay: 0.1,
            ..Default::default()
        });
        assert_a_zero_first_gradient_keeps_the_estimate(rule.unwrap(), |r| r.state().d());
    }

    #[test]
    fn sgd_waits_for_a_non_zero_gradient() {
        let config = DAdaptSgdConfig {
            momentum: 0.9,
            weight_decay: 0.1,
            ..Default::default()
        };
        let mut waiting = DAdaptSgd::new(config).unwrap();
        let mut x = Array1::<f64>::zeros(3);
        // At x = 0 the gradient with its L2 penalty is zero: nothing moves, nothing is learnt.
        for _ in 0..2 {
            waiting
                .step(x.view_mut(), Array1::zeros(3).view(), 1.0)
                .unwrap();
        }
        assert_eq!(x, Array1::<f64>::zeros(3));
        assert_eq!(waiting.state().g0_norm(), 0.0);
        assert_eq!(waiting.state().d(), 1e-6);
        // The run then is that of a rule whose first gradient is the first non-zero one.
        let mut fresh = DAdaptSgd::new(config).unwrap();
        let mut y = x.clone();
        for g in CLOSE_GRADS {
            let g = Array1::from(g.to_vec());
            waiting.step(x.view_mut(), g.view(), 1.0).unwrap();
            fresh.step(y.view_mut(), g.view(), 1.0).unwrap();
        }
        assert_eq!(x, y);
        assert_eq!(waiting.state().d(), fresh.state().d());
        assert_eq!(waiting.state().g0_norm(), fresh.state().g0_norm());
    }

    #[test]
    fn a_zero_step_size_moves_nothing_and_learns_nothing() {
        let mut adamw = DAdaptAdamW::<f64>::default();
        let mut sgd = DAdaptSgd::<f64>::default();
        let (mut x, mut y) = (Array1::from(X0.to_vec()), Array1::from(X0.to_vec()));
        for g in CLOSE_GRADS {
            let g = Array1::from(g.to_vec());
            adamw.step(x.view_mut(), g.view(), 0.0).unwrap();
            sgd.step(y.view_mut(), g.view(), 0.0).unwrap();
        }
        assert_eq!(x, Array1::from(X0.to_vec()));
        assert_eq!(y, Array1::from(X0.to_vec()));
        assert_eq!(adamw.state().d(), 1e-6);
        assert_eq!(sgd.state().d(), 1e-6);
        // The steps that follow are finite.
        for g in CLOSE_GRADS {
            let g = Array1::from(g.to_vec());
            adamw.step(x.view_mut(), g.view(), 1.0).unwrap();
            sgd.step(y.view_mut(), g.view(), 1.0).unwrap();
        }
        assert!(x.iter().chain(&y).all(|v| v.is_finite()));
        assert!(x != Array1::from(X0.to_vec()) && y != Array1::from(X0.to_vec()));
    }

    #[test]
    fn a_nan_gradient_does_not_panic_nor_touch_the_estimate() {
        let nan = array![f64::NAN, 1.0, 1.0];
        let mut adamw = DAdaptAdamW::<f64>::default();
        let mut x = Array1::from(X0.to_vec());
        adamw
            .step(
                x.view_mut(),
                Array1::from(CLOSE_GRADS[0].to_vec()).view(),
                1.0,
            )
            .unwrap();
        // v becomes NaN: the rule says its state is no longer finite.
        assert!(adamw.step(x.view_mut(), nan.view(), 1.0).is_err());
        assert_eq!(adamw.state().d(), 1e-6);
        // SGD: a NaN first gradient is not taken for ‖g₀‖, and x stays.
        let mut sgd = DAdaptSgd::<f64>::default();
        let mut y = Array1::from(X0.to_vec());
        sgd.step(y.view_mut(), nan.view(), 1.0).unwrap();
        assert_eq!(y, Array1::from(X0.to_vec()));
        assert_eq!(sgd.state().g0_norm(), 0.0);
        // A later one makes x NaN (the loop stops there) but not the estimate.
        sgd.step(
            y.view_mut(),
            Array1::from(CLOSE_GRADS[0].to_vec()).view(),
            1.0,
        )
        .unwrap();
        sgd.step(y.view_mut(), nan.view(), 1.0).unwrap();
        assert!(y[0].is_nan());
        assert_eq!(sgd.state().d(), 1e-6);
    }

    #[test]
    fn f32_follows_f64() {
        fn run<F: Real>(rule: &mut dyn Optimizer<F>) -> Vec<f64> {
            let mut x = ndarray::Array1::from_vec(vec![F::lit(3.0), F::lit(-4.0), F::lit(0.5)]);
            for _ in 0..20 {
                let g = x.clone();
                rule.step(x.view_mut(), g.view(), F::one()).unwrap();
            }
            x.iter().map(|v| v.as_f64()).collect()
        }
        // From d₀ = 1e-2, so that f32 resolves x₀ - x and the sums from the first steps on.
        type Pair = (Box<dyn Optimizer<f64>>, Box<dyn Optimizer<f32>>);
        let pairs: [Pair; 2] = [
            (
                Box::new(
                    DAdaptAdamW::new(DAdaptAdamWConfig {
                        estim_lr0: 1e-2,
                        ..Default::default()
                    })
                    .unwrap(),
                ),
                Box::new(
                    DAdaptAdamW::new(DAdaptAdamWConfig {
                        estim_lr0: 1e-2,
                        ..Default::default()
                    })
                    .unwrap(),
                ),
            ),
            (
                Box::new(
                    DAdaptSgd::new(DAdaptSgdConfig {
                        d0: 1e-2,
                        ..Default::default()
                    })
                    .unwrap(),
                ),
                Box::new(
                    DAdaptSgd::new(DAdaptSgdConfig {
                        d0: 1e-2,
                        ..Default::default()
                    })
                    .unwrap(),
                ),
            ),
        ];
        for (mut a, mut b) in pairs {
            let (x, y) = (run(a.as_mut()), run(b.as_mut()));
            for (a, b) in x.iter().zip(&y) {
                assert!((a - b).abs() <= 1e-4 * a.abs().max(1e-2), "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(DAdaptAdamW::<f64>::new, {
            lr: [f64::NAN],
            betas.0: [-0.1],
            betas.1: [1.0],
            eps: [0.0],
            estim_lr0: [-1e-6],
            weight_decay: [f64::INFINITY],
        });
        assert_rejects_fields!(DAdaptSgd::<f64>::new, {
            lr: [-1.0],
            momentum: [1.0],
            weight_decay: [-0.1],
            d0: [0.0],
            growth_rate: [Some(0.5), Some(f64::INFINITY)],
        });
    }
}
