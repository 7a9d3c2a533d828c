//! RAdam: Adam with a rectified adaptive step.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam_family::{FamilyStep, check_adam_family};
use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`RAdam`] (PyTorch's `RAdam` arguments and defaults).
    pub struct RAdamConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-3`.
        pub lr: F = F::lit(1e-3),
        /// Decay rates `(β₁, β₂)` of the first and second moment estimates, each in `[0, 1)`.
        /// Default `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Term `ε > 0` added to the denominator. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
        /// Weight decay `λ`: an L2 penalty added to the gradient, or, with
        /// [`decoupled_weight_decay`](RAdamConfig::decoupled_weight_decay), a shrinking of `x` by
        /// `1 - γλ` at every step. Default `0`.
        pub weight_decay: F = F::zero(),
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

/// RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and rectified, only once
/// the variance of the second-moment estimate is tractable.
///
/// This is `torch.optim.RAdam`:
///
/// ```text
/// x'  = (1 - γλ) x_{t-1}   (decoupled)      x' = x_{t-1}   (otherwise)
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}   (coupled)      g_t = ∇f(x_{t-1})   (decoupled)
/// m_t = β₁ m_{t-1} + (1 - β₁) g_t                        m_0 = 0
/// v_t = β₂ v_{t-1} + (1 - β₂) g_t²                       v_0 = 0
/// m̂_t = m_t / (1 - β₁ᵗ)
/// ρ_∞ = 2/(1 - β₂) - 1        ρ_t = ρ_∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)
/// if ρ_t > 5:
///     r_t = √( (ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t) )
///     x_t = x' - γ m̂_t · √(1 - β₂ᵗ) / (√v_t + ε) · r_t
/// else:
///     x_t = x' - γ m̂_t
/// ```
///
/// Squares, roots and divisions are taken element by element. With the default `β₂ = 0.999`
/// the first five steps are momentum steps (`ρ_t <= 5`), and the adaptive step then grows
/// smoothly to Adam's as `r_t → 1`; this replaces a learning-rate warm-up.
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `decoupled_weight_decay = false`.
///
/// Reference: L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han, "On the variance of the
/// adaptive learning rate and beyond", ICLR 2020.
pub type RAdam<F> = Rule<RAdamConfig<F>>;

zero_state! {
    /// The state of [`RAdam`]: one value per coordinate in each buffer.
    pub struct RAdamState<F> {
        /// `m_t`, the first moment estimate.
        exp_avg,
        /// `v_t`, the second moment estimate.
        exp_avg_sq,
    }
}

/// The scalars of one RAdam step.
#[derive(Debug, Clone, Copy)]
pub struct RAdamStep<F> {
    family: FamilyStep<F>,
    /// `1 - β₁ᵗ`, rounded to `F`.
    bias_correction1: F,
    lr: F,
    /// The adaptive factor `√(1 - β₂ᵗ) r_t` when the variance is tractable (`ρ_t > 5`); `None`
    /// for the plain momentum step.
    adaptive: Option<F>,
    eps: F,
}

impl<F: Real> RAdamStep<F> {
    /// Updates every coordinate: decays `x`, updates the moments, and moves `x` by
    /// `rectify(γ m̂_t, v_t)`, the momentum step rectified (or not) by the second moment.
    #[inline(always)]
    fn update(
        self,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        [exp_avg, exp_avg_sq]: [&mut [F]; 2],
        rectify: impl Fn(F, F) -> F + Copy + Send + Sync,
    ) -> bool {
        let (moments, wd) = (self.family.moments, self.family.weight_decay);
        let (bias_correction1, lr) = (self.bias_correction1, self.lr);
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
                *x -= rectify(*m / bias_correction1 * lr, *v);
            },
        )
    }
}

impl<F: Real> ElementwiseRule for RAdamConfig<F> {
    rule_types!(RAdamState<F>, RAdamStep<F>);

    fn name(&self) -> &'static str {
        if self.decoupled_weight_decay {
            "RAdamW"
        } else {
            "RAdam"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a beta outside `[0, 1)` (named `betas.0` or `betas.1`), or an
    /// `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        check_adam_family(self.lr, self.betas, self.eps, self.weight_decay)
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut RAdamState<F>, t: usize, lr: F) -> RAdamStep<F> {
        let c = *self;
        let family = FamilyStep::new(c.betas, c.weight_decay, c.decoupled_weight_decay, lr, t)
            .maximizing(c.maximize);
        let b2 = c.betas.1.as_f64();
        let t = t as f64;
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * b2.powf(t) / family.bias_correction2;
        // The adaptive factor √(1 - β₂ᵗ) r_t.
        let adaptive = (rho_t > 5.0).then(|| {
            let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .sqrt();
            F::lit(family.bias_correction2.sqrt() * rect)
        });
        RAdamStep {
            family,
            bias_correction1: F::lit(family.bias_correction1),
            lr,
            adaptive,
            eps: c.eps,
        }
    }

    fn apply(
        &self,
        s: RAdamStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_sq, ..] = state.into_array();
        let eps = s.eps;
        match s.adaptive {
            Some(adaptive) => s.update(
                x,
                grad,
                [exp_avg, exp_avg_sq],
                #[inline(always)]
                move |step, v| step * (adaptive / (v.sqrt() + eps)),
            ),
            None => s.update(
                x,
                grad,
                [exp_avg, exp_avg_sq],
                #[inline(always)]
                |step, _| step,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    /// Steps against the recurrence written out per coordinate; returns how many of them took
    /// the rectified branch.
    fn check_against_hand(decoupled: bool, b2: f64, steps: usize) -> usize {
        let (lr, b1, eps, wd) = (0.05, 0.8, 1e-3, 0.1);
        let mut rule = RAdam::new(RAdamConfig {
            maximize: false,
            lr: 1.0,
            betas: (b1, b2),
            eps,
            weight_decay: wd,
            decoupled_weight_decay: decoupled,
        })
        .unwrap();
        let grads: Vec<[f64; 2]> = (0..steps)
            .map(|k| {
                let k = k as f64;
                [0.5 - 0.3 * k, (-1.0f64).powf(k) * (2.0 - 0.5 * k)]
            })
            .collect();
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho = |t: f64| rho_inf - 2.0 * t * b2.powf(t) / (1.0 - b2.powf(t));
        let mut hand = HandMoments::new(lr, (b1, b2), wd, decoupled);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            hand.update(i, g, x);
            let m_hat = hand.m[i] / (1.0 - b1.powf(t));
            let rho_t = rho(t);
            if rho_t > 5.0 {
                let r = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                    .sqrt();
                *x -= lr * m_hat * (1.0 - b2.powf(t)).sqrt() / (hand.v[i].sqrt() + eps) * r;
            } else {
                *x -= lr * m_hat;
            }
        });
        (1..=steps).filter(|&t| rho(t as f64) > 5.0).count()
    }

    #[test]
    fn radam_with_l2_weight_decay_matches_hand_computed_first_three_steps() {
        // β₂ = 0.999: ρ_1 = 1, ρ_2 ≈ 2, ρ_3 ≈ 3: three momentum steps.
        assert_eq!(check_against_hand(false, 0.999, 3), 0);
    }

    #[test]
    fn radam_rectified_steps_with_both_weight_decays_match_hand_computed_values() {
        // ρ_t ≈ t while (1 - β₂) t is small, so the rectified branch starts at t = 6: with
        // β₂ = 0.95, ρ_5 ≈ 4.80 and ρ_6 ≈ 5.70. With β₂ = 0.5, ρ_∞ = 3: never rectified.
        assert_eq!(check_against_hand(false, 0.5, 8), 0);
        assert_eq!(check_against_hand(false, 0.95, 8), 3);
        assert_eq!(check_against_hand(true, 0.95, 8), 3);
        assert_eq!(check_against_hand(true, 0.999, 8), 3);
    }

    #[test]
    fn default_threshold_is_crossed_at_step_six() {
        // With β₂ = 0.999, ρ_5 ≈ 4.99 and ρ_6 ≈ 5.99 (Liu et al.'s warm-up of five steps).
        let b2: f64 = 0.999;
        let rho = |t: f64| 2.0 / (1.0 - b2) - 1.0 - 2.0 * t * b2.powf(t) / (1.0 - b2.powf(t));
        assert!(rho(5.0) <= 5.0 && rho(6.0) > 5.0);
        // A constant gradient: steps 1..5 move x by γ each (m̂ = g = 1).
        let mut rule = RAdam::<f64>::default();
        let mut x = array![0.0];
        for k in 1..=5 {
            rule.step(x.view_mut(), array![1.0].view(), 0.1).unwrap();
            assert_close!(x[0], -0.1 * k as f64);
        }
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(RAdam::<f64>::new, {
            lr: [-1.0],
            betas.0: [1.0],
            betas.1: [2.0],
            eps: [-1.0],
            weight_decay: [f64::NAN],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            RAdam::new,
            RAdamConfig {
                weight_decay: 0.1,
                betas: (0.9, 0.5),
                ..Default::default()
            }
        );
    }
}
