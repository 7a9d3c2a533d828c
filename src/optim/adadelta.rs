//! Adadelta: steps whose units match those of `x`, from running averages of squared gradients
//! and squared updates.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use super::weight_decay::WeightDecay;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Adadelta`] (PyTorch's `Adadelta` arguments and defaults).
    pub struct AdadeltaConfig<F> {
        /// Factor `γ` scaling the update, used when the loop sets none. Default `1.0`.
        pub lr: F = F::one() => NonNegative,
        /// Decay rate `ρ` of the running averages, in `[0, 1)`. Default `0.9`.
        pub rho: F = F::lit(0.9) => UnitInterval,
        /// Term `ε > 0` added inside both roots. Default `1e-6`.
        pub eps: F = F::lit(1e-6) => Positive,
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// Adadelta (Zeiler, 2012).
///
/// This is `torch.optim.Adadelta`:
///
/// ```text
/// g_t  = ∇f(x_{t-1}) + λ x_{t-1}
/// v_t  = ρ v_{t-1} + (1 - ρ) g_t²                    v_0 = 0
/// Δx_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
/// u_t  = ρ u_{t-1} + (1 - ρ) Δx_t²                   u_0 = 0
/// x_t  = x_{t-1} - γ Δx_t
/// ```
///
/// Squares, roots and divisions are taken element by element. The ratio of the two root mean
/// squares gives the update the units of `x`, so Zeiler's method needs no step size (`γ = 1`);
/// the steps start at about `√ε` and grow as the update average `u` builds up.
///
/// Defaults: `lr = 1.0`, `rho = 0.9`, `eps = 1e-6`, `weight_decay = 0`.
///
/// Reference: M. D. Zeiler, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701, 2012.
pub type Adadelta<F> = Rule<AdadeltaConfig<F>>;

zero_state! {
    /// The state of [`Adadelta`]: one value per coordinate in each buffer.
    pub struct AdadeltaState<F> {
        /// `v_t`, the average of the squared gradients.
        square_avg,
        /// `u_t`, the average of the squared updates.
        acc_delta,
    }
}

/// The scalars of one Adadelta step.
#[derive(Debug, Clone, Copy)]
pub struct AdadeltaStep<F> {
    lr: F,
    rho: F,
    one_minus_rho: F,
    eps: F,
    weight_decay: WeightDecay<F>,
}

impl<F: Real> ElementwiseRule for AdadeltaConfig<F> {
    rule_types!("Adadelta", AdadeltaState<F>, AdadeltaStep<F>);

    zero_state_items!();

    fn prepare(&self, _state: &mut AdadeltaState<F>, _t: usize, lr: F) -> AdadeltaStep<F> {
        AdadeltaStep {
            lr,
            rho: self.rho,
            one_minus_rho: F::one() - self.rho,
            eps: self.eps,
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
        }
    }

    fn apply(
        &self,
        s: AdadeltaStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let AdadeltaStep {
            lr,
            rho,
            one_minus_rho,
            eps,
            weight_decay: wd,
        } = s;
        let [square_avg, acc_delta, ..] = state.into_array();
        kernel::apply_watching(
            x,
            grad,
            [square_avg, acc_delta],
            Simd::Widest,
            Watched::<0>,
            #[inline(always)]
            move |x, g, [v, u]| {
                let g = wd.gradient(g, *x);
                *v = rho * *v + one_minus_rho * (g * g);
                let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
                *u = rho * *u + one_minus_rho * (delta * delta);
                *x -= lr * delta;
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

    #[test]
    fn adadelta_with_weight_decay_matches_hand_computed_first_three_steps() {
        let (lr, rho, eps, wd): (f64, f64, f64, f64) = (0.5, 0.8, 1e-2, 0.1);
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let mut rule = Adadelta::new(AdadeltaConfig {
            maximize: false,
            lr: 1.0,
            rho,
            eps,
            weight_decay: wd,
        })
        .unwrap();
        let (mut hv, mut hu) = ([0.0; 2], [0.0; 2]);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |_, i, g, x| {
            let g = g + wd * *x;
            hv[i] = rho * hv[i] + (1.0 - rho) * g * g;
            let delta = ((hu[i] + eps) / (hv[i] + eps)).sqrt() * g;
            hu[i] = rho * hu[i] + (1.0 - rho) * delta * delta;
            *x -= lr * delta;
        });
    }

    #[test]
    fn first_step_by_hand_numbers() {
        // ρ = 0.75, ε = 1/4, g = 1: v = 1/4, Δx = √(1/4) / √(1/2) = 1/√2.
        let mut rule = Adadelta::new(AdadeltaConfig {
            rho: 0.75,
            eps: 0.25,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![0.0_f64];
        rule.step(x.view_mut(), array![1.0].view(), 1.0).unwrap();
        assert_close!(x[0], -(0.5f64.sqrt()));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Adadelta::<f64>::new, {
            lr: [-1.0],
            rho: [1.0, f64::NAN],
            eps: [0.0],
            weight_decay: [-0.5],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            Adadelta::new,
            AdadeltaConfig {
                weight_decay: 0.1,
                ..Default::default()
            }
        );
    }
}
