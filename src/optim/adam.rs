//! Adam and its variants AMSGrad and AdamW.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam_family::{FamilyStep, Moments, check_adam_family};
use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`Adam`] (PyTorch's `Adam` arguments and defaults).
    pub struct AdamConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-3`.
        pub lr: F = F::lit(1e-3),
        /// Decay rates `(β₁, β₂)` of the first and second moment estimates, each in `[0, 1)`.
        /// Default `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Term `ε > 0` added to the denominator. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
        /// Weight decay `λ`: an L2 penalty added to the gradient, or, with
        /// [`decoupled_weight_decay`](AdamConfig::decoupled_weight_decay), a shrinking of `x` by
        /// `1 - γλ` at every step. Default `0` (AdamW's default, see [`AdamConfig::adamw`], is
        /// `1e-2`).
        pub weight_decay: F = F::zero(),
        /// Keep the running maximum of the second moment (AMSGrad). Default `false`.
        pub amsgrad: bool = false,
        /// Decouple the weight decay from the gradient (AdamW). Default `false`.
        pub decoupled_weight_decay: bool = false,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

impl<F: Real> AdamConfig<F> {
    /// PyTorch's `AdamW` defaults: those of Adam with decoupled weight decay `λ = 1e-2`.
    pub fn adamw() -> Self {
        AdamConfig {
            weight_decay: F::lit(1e-2),
            decoupled_weight_decay: true,
            ..Default::default()
        }
    }
}

/// Adam (Kingma & Ba, 2015), with the AMSGrad (Reddi, Kale & Kumar, 2018) and AdamW (Loshchilov
/// & Hutter, 2019) variants.
///
/// This is `torch.optim.Adam`, and `torch.optim.AdamW` with `decoupled_weight_decay`:
///
/// ```text
/// x'  = (1 - γλ) x_{t-1}     (decoupled)     x' = x_{t-1}   (otherwise)
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}   (coupled, L2)     g_t = ∇f(x_{t-1})   (decoupled)
/// m_t = β₁ m_{t-1} + (1 - β₁) g_t                        m_0 = 0
/// v_t = β₂ v_{t-1} + (1 - β₂) g_t²                       v_0 = 0
/// v̂_t = max(v̂_{t-1}, v_t)   (amsgrad)     v̂_t = v_t   (otherwise)     v̂_0 = 0
/// x_t = x' - γ/(1 - β₁ᵗ) · m_t / (√v̂_t / √(1 - β₂ᵗ) + ε)
/// ```
///
/// Squares, roots, maxima and divisions are taken element by element; `1 - β₁ᵗ` and `1 - β₂ᵗ`
/// correct the bias of moment estimates started at zero. As in PyTorch, AMSGrad keeps the
/// maximum of the uncorrected `v_t` and divides it by the current bias correction.
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `amsgrad = false`, `decoupled_weight_decay = false`. AdamW's defaults
/// ([`AdamConfig::adamw`]) differ only in `weight_decay = 1e-2` and the decoupling.
///
/// References: D. P. Kingma, J. Ba, "Adam: A method for stochastic optimization", ICLR 2015;
/// S. J. Reddi, S. Kale, S. Kumar, "On the convergence of Adam and beyond", ICLR 2018;
/// I. Loshchilov, F. Hutter, "Decoupled weight decay regularization", ICLR 2019.
///
/// ```
/// use gradus::{Adam, Optimizer};
/// use ndarray::array;
///
/// // The first step of Adam moves each coordinate by about γ against its gradient's sign.
/// let mut adam = Adam::default();
/// let mut x = array![1.0_f64, 1.0];
/// adam.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert!((x[0] - 0.9).abs() < 1e-8 && (x[1] - 1.1).abs() < 1e-8);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Adam<F> = Rule<AdamConfig<F>>;

/// The state of [`Adam`]: one value per coordinate in each buffer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdamState<F> {
    /// `m_t`, the first moment estimate.
    exp_avg: Vec<F>,
    /// `v_t`, the second moment estimate.
    exp_avg_sq: Vec<F>,
    /// `v̂_t`, the running maximum of `v_t` (AMSGrad only; empty otherwise).
    max_exp_avg_sq: Vec<F>,
}

impl<F: Real> Rule<AdamConfig<F>> {
    /// AMSGrad with step size `lr` and Adam's other defaults.
    ///
    /// # Errors
    /// As [`new`](Adam::new).
    pub fn amsgrad(lr: F) -> Result<Self> {
        Self::new(AdamConfig {
            lr,
            amsgrad: true,
            ..Default::default()
        })
    }

    /// AdamW: step size `lr`, decoupled weight decay `weight_decay` (PyTorch's default is
    /// `1e-2`), and Adam's other defaults.
    ///
    /// # Errors
    /// As [`new`](Adam::new).
    pub fn adamw(lr: F, weight_decay: F) -> Result<Self> {
        Self::new(AdamConfig {
            lr,
            weight_decay,
            ..AdamConfig::adamw()
        })
    }
}

/// Everything of one Adam step that is the same for all coordinates, computed once per step.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep<F> {
    moments: Moments<F>,
    weight_decay: WeightDecay<F>,
    /// `γ / (1 - β₁ᵗ)`.
    step_size: F,
    /// `1 / √(1 - β₂ᵗ)`.
    inv_sqrt_bias_correction2: F,
    eps: F,
}

impl<F: Real> AdamStep<F> {
    /// The scalars of step `t` (from 1), computed in `f64` and rounded once to `F`.
    fn new(config: &AdamConfig<F>, lr: F, t: usize) -> Self {
        let c = config;
        let family = FamilyStep::new(c.betas, c.weight_decay, c.decoupled_weight_decay, lr, t)
            .maximizing(c.maximize);
        AdamStep {
            moments: family.moments,
            weight_decay: family.weight_decay,
            step_size: F::lit(lr.as_f64() / family.bias_correction1),
            inv_sqrt_bias_correction2: F::lit(1.0 / family.bias_correction2.sqrt()),
            eps: c.eps,
        }
    }

    /// The new `x` from the decayed `x'` and the moments, with `v̂ = v` (or its running maximum
    /// for AMSGrad): `x' - γ/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)`.
    #[inline(always)]
    fn moved(self, x: F, m: F, v_hat: F) -> F {
        let denom = v_hat.sqrt() * self.inv_sqrt_bias_correction2 + self.eps;
        x - self.step_size * (m / denom)
    }
}

impl<F: Real> ElementwiseRule for AdamConfig<F> {
    rule_types!(AdamState<F>, AdamStep<F>);

    fn name(&self) -> &'static str {
        match (self.amsgrad, self.decoupled_weight_decay) {
            (false, false) => "Adam",
            (false, true) => "AdamW",
            (true, false) => "AMSGrad",
            (true, true) => "AMSGradW",
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a beta outside `[0, 1)` (named `betas.0` or `betas.1`), or an
    /// `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        check_adam_family(self.lr, self.betas, self.eps, self.weight_decay)
    }

    fn start(&self, state: &mut AdamState<F>, n: usize) {
        fill(&mut state.exp_avg, n, F::zero());
        fill(&mut state.exp_avg_sq, n, F::zero());
        if self.amsgrad {
            fill(&mut state.max_exp_avg_sq, n, F::zero());
        }
    }

    fn buffers(state: &mut AdamState<F>) -> Buffers<'_, F> {
        Buffers::new([
            &mut state.exp_avg[..],
            &mut state.exp_avg_sq,
            &mut state.max_exp_avg_sq,
        ])
    }

    fn prepare(&self, _state: &mut AdamState<F>, t: usize, lr: F) -> AdamStep<F> {
        AdamStep::new(self, lr, t)
    }

    fn apply(
        &self,
        s: AdamStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_sq, max_exp_avg_sq, ..] = state.into_array();
        if self.amsgrad {
            kernel::apply_watching(
                x,
                grad,
                [exp_avg, exp_avg_sq, max_exp_avg_sq],
                Simd::Widest,
                Watched::<1>,
                #[inline(always)]
                move |x, g, [m, v, v_max]| {
                    let g = s.weight_decay.gradient_always(g, *x);
                    *m = s.moments.first(*m, g);
                    *v = s.moments.second(*v, g);
                    *v_max = v_max.max(*v);
                    *x = s.moved(s.weight_decay.shrink(*x), *m, *v_max);
                },
            )
        } else {
            kernel::apply_watching(
                x,
                grad,
                [exp_avg, exp_avg_sq],
                Simd::Widest,
                Watched::<1>,
                #[inline(always)]
                move |x, g, [m, v]| {
                    let g = s.weight_decay.gradient_always(g, *x);
                    *m = s.moments.first(*m, g);
                    *v = s.moments.second(*v, g);
                    *x = s.moved(s.weight_decay.shrink(*x), *m, *v);
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array, s};

    /// Three steps against the recurrences written out per coordinate. The second gradient of
    /// the second coordinate is small, so that AMSGrad's maximum differs from `v_t` at step 3.
    fn check_against_hand(amsgrad: bool, decoupled: bool) {
        let (lr, b1, b2, eps, wd): (f64, f64, f64, f64, f64) = (0.05, 0.8, 0.9, 1e-3, 0.1);
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let mut rule = Adam::new(AdamConfig {
            maximize: false,
            lr: 1.0,
            betas: (b1, b2),
            eps,
            weight_decay: wd,
            amsgrad,
            decoupled_weight_decay: decoupled,
        })
        .unwrap();
        let mut hand = HandMoments::new(lr, (b1, b2), wd, decoupled);
        let mut hvmax = [0.0; 2];
        let mut max_was_used = false;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            hand.update(i, g, x);
            if hvmax[i] > hand.v[i] {
                max_was_used = true;
            }
            hvmax[i] = hvmax[i].max(hand.v[i]);
            let m_hat = hand.m[i] / (1.0 - b1.powf(t));
            let v_used = if amsgrad { hvmax[i] } else { hand.v[i] };
            let v_hat = v_used / (1.0 - b2.powf(t));
            *x -= lr * m_hat / (v_hat.sqrt() + eps);
        });
        assert!(
            max_was_used,
            "the test sequence must exercise the AMSGrad maximum"
        );
    }

    #[test]
    fn adam_with_l2_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(false, false);
    }

    #[test]
    fn amsgrad_with_l2_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(true, false);
    }

    #[test]
    fn adamw_matches_hand_computed_first_three_steps() {
        check_against_hand(false, true);
    }

    #[test]
    fn adamw_with_amsgrad_matches_hand_computed_first_three_steps() {
        check_against_hand(true, true);
    }

    #[test]
    fn first_step_by_hand_numbers() {
        // m̂ = g and v̂ = g², so the first step is γ g / (|g| + ε).
        let mut rule = Adam::default();
        let mut x = array![1.0_f64, 1.0];
        rule.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)
            .unwrap();
        assert_close!(x[0], 1.0 - 0.1 * 3.0 / (3.0 + 1e-8));
        assert_close!(x[1], 1.0 + 0.1 * 0.5 / (0.5 + 1e-8));
    }

    #[test]
    fn strided_views_give_the_same_steps_as_contiguous_ones() {
        let mut a = Adam::new(AdamConfig {
            amsgrad: true,
            weight_decay: 0.01,
            ..Default::default()
        })
        .unwrap();
        let mut b = a.clone();
        let mut x = array![0.3, -1.0, 2.0];
        let mut wide = Array1::<f64>::zeros(6);
        wide.slice_mut(s![..;2]).assign(&x);
        let mut gwide = Array1::<f64>::zeros(6);
        for k in 0..4 {
            let g = array![1.0 - k as f64, 0.5, -0.25 * k as f64];
            gwide.slice_mut(s![..;2]).assign(&g);
            a.step(x.view_mut(), g.view(), 0.01).unwrap();
            b.step(wide.slice_mut(s![..;2]), gwide.slice(s![..;2]), 0.01)
                .unwrap();
        }
        assert_eq!(x, wide.slice(s![..;2]));
    }

    #[test]
    fn names_say_the_variant() {
        assert_eq!(Optimizer::<f64>::name(&Adam::default()), "Adam");
        assert_eq!(Adam::<f64>::amsgrad(1e-3).unwrap().name(), "AMSGrad");
        assert_eq!(Adam::<f64>::adamw(1e-3, 1e-2).unwrap().name(), "AdamW");
        let both = Adam::<f64>::new(AdamConfig {
            amsgrad: true,
            ..AdamConfig::adamw()
        })
        .unwrap();
        assert_eq!(both.name(), "AMSGradW");
        assert_eq!(AdamConfig::<f64>::adamw().weight_decay, 1e-2);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Adam::<f64>::new, {
            lr: [-1e-3],
            betas.0: [1.0],
            betas.1: [-0.5, f64::NAN],
            eps: [0.0],
            weight_decay: [-0.1],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        for (amsgrad, decoupled_weight_decay) in [(false, false), (true, false), (false, true)] {
            assert_maximize!(
                Adam::new,
                AdamConfig {
                    weight_decay: 0.1,
                    amsgrad,
                    decoupled_weight_decay,
                    ..Default::default()
                }
            );
        }
    }
}
