//! NAdam: Adam with Nesterov momentum.

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
    /// Hyperparameters of [`NAdam`] (PyTorch's `NAdam` arguments and defaults).
    pub struct NAdamConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `2e-3`.
        pub lr: F = F::lit(2e-3),
        /// Decay rates `(β₁, β₂)` of the first and second moment estimates, each in `[0, 1)`.
        /// Default `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Term `ε > 0` added to the denominator. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
        /// Weight decay `λ`: an L2 penalty added to the gradient, or, with
        /// [`decoupled_weight_decay`](NAdamConfig::decoupled_weight_decay), a shrinking of `x` by
        /// `1 - γλ` at every step. Default `0`.
        pub weight_decay: F = F::zero(),
        /// Momentum decay `ψ` of the warming-up schedule `μ_t`. Default `4e-3`.
        pub momentum_decay: F = F::lit(4e-3) => NonNegative,
        /// Decouple the weight decay from the gradient (as AdamW). Default `false`.
        pub decoupled_weight_decay: bool = false,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming-up momentum schedule.
///
/// This is `torch.optim.NAdam`:
///
/// ```text
/// x'  = (1 - γλ) x_{t-1}   (decoupled)      x' = x_{t-1}   (otherwise)
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}   (coupled)      g_t = ∇f(x_{t-1})   (decoupled)
/// μ_t = β₁ (1 - ½ · 0.96^(t ψ))        μ_{t+1} = β₁ (1 - ½ · 0.96^((t+1) ψ))
/// Π_t = μ_1 μ_2 ⋯ μ_t
/// m_t = β₁ m_{t-1} + (1 - β₁) g_t                        m_0 = 0
/// v_t = β₂ v_{t-1} + (1 - β₂) g_t²                       v_0 = 0
/// d_t = √(v_t / (1 - β₂ᵗ)) + ε
/// x_t = x' - γ (1 - μ_t)/(1 - Π_t) · g_t / d_t - γ μ_{t+1}/(1 - Π_t μ_{t+1}) · m_t / d_t
/// ```
///
/// Squares, roots and divisions are taken element by element. The look-ahead term `μ_{t+1} m_t`
/// is Nesterov's momentum, written (as Dozat does) without evaluating the gradient at a shifted
/// point.
///
/// Defaults: `lr = 2e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `momentum_decay = 4e-3`, `decoupled_weight_decay = false`.
///
/// Reference: T. Dozat, "Incorporating Nesterov momentum into Adam", ICLR 2016 workshop.
pub type NAdam<F> = Rule<NAdamConfig<F>>;

/// The state of [`NAdam`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NAdamState<F> {
    /// `m_t`, the first moment estimate.
    exp_avg: Vec<F>,
    /// `v_t`, the second moment estimate.
    exp_avg_sq: Vec<F>,
    /// `Π_t`, kept in `f64` whatever `F` is.
    mu_product: f64,
}

/// The scalars of one NAdam step.
#[derive(Debug, Clone, Copy)]
pub struct NAdamStep<F> {
    moments: Moments<F>,
    weight_decay: WeightDecay<F>,
    /// `1 - β₂ᵗ`.
    bias_correction2: F,
    /// `γ (1 - μ_t) / (1 - Π_t)`, the weight of the gradient.
    grad_coef: F,
    /// `γ μ_{t+1} / (1 - Π_t μ_{t+1})`, the weight of the first moment.
    avg_coef: F,
    eps: F,
}

impl<F: Real> ElementwiseRule for NAdamConfig<F> {
    rule_types!(NAdamState<F>, NAdamStep<F>);

    fn name(&self) -> &'static str {
        if self.decoupled_weight_decay {
            "NAdamW"
        } else {
            "NAdam"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `weight_decay` or `momentum_decay`, a beta outside `[0, 1)` (named `betas.0` or
    /// `betas.1`), or an `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        check_adam_family(self.lr, self.betas, self.eps, self.weight_decay)?;
        Ok(())
    }

    fn start(&self, state: &mut NAdamState<F>, n: usize) {
        fill(&mut state.exp_avg, n, F::zero());
        fill(&mut state.exp_avg_sq, n, F::zero());
        state.mu_product = 1.0;
    }

    fn buffers(state: &mut NAdamState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.exp_avg[..], &mut state.exp_avg_sq])
    }

    /// Also advances the product `Π_t` of the momentum coefficients.
    fn prepare(&self, state: &mut NAdamState<F>, t: usize, lr: F) -> NAdamStep<F> {
        let c = *self;
        let family = FamilyStep::new(c.betas, c.weight_decay, c.decoupled_weight_decay, lr, t)
            .maximizing(c.maximize);
        let (b1, psi, lr64) = (c.betas.0.as_f64(), c.momentum_decay.as_f64(), lr.as_f64());
        let t = t as f64;
        let mu = b1 * (1.0 - 0.5 * 0.96f64.powf(t * psi));
        let mu_next = b1 * (1.0 - 0.5 * 0.96f64.powf((t + 1.0) * psi));
        let mu_product = state.mu_product * mu;
        state.mu_product = mu_product;
        NAdamStep {
            moments: family.moments,
            weight_decay: family.weight_decay,
            bias_correction2: F::lit(family.bias_correction2),
            grad_coef: F::lit(lr64 * (1.0 - mu) / (1.0 - mu_product)),
            avg_coef: F::lit(lr64 * mu_next / (1.0 - mu_product * mu_next)),
            eps: c.eps,
        }
    }

    fn apply(
        &self,
        s: NAdamStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let NAdamStep {
            moments,
            weight_decay: wd,
            bias_correction2,
            grad_coef,
            avg_coef,
            eps,
        } = s;
        let [exp_avg, exp_avg_sq, ..] = state.into_array();
        kernel::apply_watching(
            x,
            grad,
            [exp_avg, exp_avg_sq],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, g, [m, v]| {
                let g = wd.gradient(g, *x);
                *x = wd.shrink(*x);
                *m = moments.first(*m, g);
                *v = moments.second(*v, g);
                let d = (*v / bias_correction2).sqrt() + eps;
                *x -= grad_coef * (g / d);
                *x -= avg_coef * (*m / d);
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    fn check_against_hand(decoupled: bool) {
        let (lr, b1, b2, eps, wd, psi) = (0.05, 0.8, 0.9, 1e-3, 0.1, 0.3);
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let mut rule = NAdam::new(NAdamConfig {
            maximize: false,
            lr: 1.0,
            betas: (b1, b2),
            eps,
            weight_decay: wd,
            momentum_decay: psi,
            decoupled_weight_decay: decoupled,
        })
        .unwrap();
        let mut hand = HandMoments::new(lr, (b1, b2), wd, decoupled);
        // Π_t, multiplied by μ_t once per step.
        let mut prod = 1.0;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            let mu_t = b1 * (1.0 - 0.5 * 0.96f64.powf(t * psi));
            let mu_next = b1 * (1.0 - 0.5 * 0.96f64.powf((t + 1.0) * psi));
            if i == 0 {
                prod *= mu_t;
            }
            let g = hand.update(i, g, x);
            let d = (hand.v[i] / (1.0 - b2.powf(t))).sqrt() + eps;
            *x -= lr * (1.0 - mu_t) / (1.0 - prod) * g / d
                + lr * mu_next / (1.0 - prod * mu_next) * hand.m[i] / d;
        });
    }

    #[test]
    fn nadam_with_l2_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(false);
    }

    #[test]
    fn nadam_with_decoupled_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(true);
    }

    #[test]
    fn reset_restores_the_momentum_product() {
        let mut a = NAdam::<f64>::default();
        let mut x = array![1.0, 2.0];
        for _ in 0..5 {
            a.step(x.view_mut(), array![0.3, -0.1].view(), 0.01)
                .unwrap();
        }
        a.reset();
        let mut fresh = NAdam::<f64>::default();
        let (mut x1, mut x2) = (array![0.5, 0.5], array![0.5, 0.5]);
        for _ in 0..3 {
            a.step(x1.view_mut(), array![0.2, 0.7].view(), 0.01)
                .unwrap();
            fresh
                .step(x2.view_mut(), array![0.2, 0.7].view(), 0.01)
                .unwrap();
        }
        assert_eq!(x1, x2);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(NAdam::<f64>::new, {
            lr: [-1.0],
            betas.0: [1.5],
            betas.1: [1.0],
            eps: [0.0],
            weight_decay: [-1.0],
            momentum_decay: [f64::NAN],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            NAdam::new,
            NAdamConfig {
                weight_decay: 0.1,
                ..Default::default()
            }
        );
    }
}
