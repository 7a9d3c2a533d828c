//! AdaGrad: per-coordinate step sizes from the accumulated squared gradients.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`AdaGrad`] (PyTorch's `Adagrad` arguments and defaults).
    pub struct AdaGradConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-2`.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Decay `η` of the step size: step `t` uses `γ / (1 + (t - 1) η)`. Default `0`.
        pub lr_decay: F = F::zero() => NonNegative,
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Starting value `s_0` of every accumulator. Default `0`.
        pub initial_accumulator_value: F = F::zero() => NonNegative,
        /// Term `ε > 0` added to the denominator. Default `1e-10`.
        pub eps: F = F::lit(1e-10) => Positive,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// AdaGrad (Duchi, Hazan & Singer, 2011), diagonal version.
///
/// This is `torch.optim.Adagrad`:
///
/// ```text
/// γ_t = γ / (1 + (t - 1) η)
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}
/// s_t = s_{t-1} + g_t²                        s_0 = initial_accumulator_value
/// x_t = x_{t-1} - γ_t g_t / (√s_t + ε)
/// ```
///
/// Squares, roots and divisions are taken element by element. The accumulator only grows, so the
/// effective step of each coordinate decays like `1/√t` on its own: a constant `γ` suits convex
/// problems with gradients of very different scales, and the method stalls on long runs.
///
/// Defaults: `lr = 1e-2`, `lr_decay = 0`, `weight_decay = 0`, `initial_accumulator_value = 0`,
/// `eps = 1e-10`.
///
/// Reference: J. Duchi, E. Hazan, Y. Singer, "Adaptive subgradient methods for online learning
/// and stochastic optimization", JMLR 12, 2011.
pub type AdaGrad<F> = Rule<AdaGradConfig<F>>;

/// The state of [`AdaGrad`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdaGradState<F> {
    /// `s_t`, the sum of the squared gradients.
    sum: Vec<F>,
}

/// The scalars of one AdaGrad step.
#[derive(Debug, Clone, Copy)]
pub struct AdaGradStep<F> {
    /// `γ / (1 + (t - 1) η)`, the decayed step size.
    clr: F,
    eps: F,
    weight_decay: WeightDecay<F>,
}

impl<F: Real> ElementwiseRule for AdaGradConfig<F> {
    rule_types!("AdaGrad", AdaGradState<F>, AdaGradStep<F>);

    fn start(&self, state: &mut AdaGradState<F>, n: usize) {
        fill(&mut state.sum, n, self.initial_accumulator_value);
    }

    fn buffers(state: &mut AdaGradState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.sum[..]])
    }

    fn prepare(&self, _state: &mut AdaGradState<F>, t: usize, lr: F) -> AdaGradStep<F> {
        let decay = 1.0 + (t - 1) as f64 * self.lr_decay.as_f64();
        AdaGradStep {
            clr: F::lit(lr.as_f64() / decay),
            eps: self.eps,
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
        }
    }

    fn apply(
        &self,
        step: AdaGradStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let AdaGradStep {
            clr,
            eps,
            weight_decay: wd,
        } = step;
        let [sum, ..] = state.into_array();
        kernel::apply_watching(
            x,
            grad,
            [sum],
            Simd::Widest,
            Watched::<0>,
            #[inline(always)]
            move |x, g, [s]| {
                let g = wd.gradient(g, *x);
                *s += g * g;
                *x -= clr * (g / (s.sqrt() + eps));
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
    fn adagrad_with_every_option_matches_hand_computed_first_three_steps() {
        let (lr, eta, wd, s0, eps) = (0.1, 0.5, 0.2, 0.25, 1e-3);
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let mut rule = AdaGrad::new(AdaGradConfig {
            maximize: false,
            lr: 1.0,
            lr_decay: eta,
            weight_decay: wd,
            initial_accumulator_value: s0,
            eps,
        })
        .unwrap();
        let mut hs = [s0; 2];
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            let clr = lr / (1.0 + (t - 1.0) * eta);
            let g = g + wd * *x;
            hs[i] += g * g;
            *x -= clr * g / (hs[i].sqrt() + eps);
        });
    }

    #[test]
    fn first_steps_by_hand_numbers() {
        // g = 3 twice, s_0 = 0: x moves by γ·3/3 then γ·3/√18 = γ/√2.
        let mut rule = AdaGrad::new(AdaGradConfig {
            eps: 1e-300,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![0.0_f64];
        rule.step(x.view_mut(), array![3.0].view(), 0.5).unwrap();
        assert_close!(x[0], -0.5);
        rule.step(x.view_mut(), array![3.0].view(), 0.5).unwrap();
        assert_close!(x[0], -0.5 - 0.5 / 2f64.sqrt());
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(AdaGrad::<f64>::new, {
            lr: [-0.1],
            lr_decay: [-1.0],
            weight_decay: [f64::NAN],
            initial_accumulator_value: [-1.0],
            eps: [-1e-10],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            AdaGrad::new,
            AdaGradConfig {
                weight_decay: 0.1,
                lr_decay: 0.5,
                ..Default::default()
            }
        );
    }
}
