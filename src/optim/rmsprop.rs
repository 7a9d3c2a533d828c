//! RMSProp: gradient steps scaled by a running root mean square of the gradients.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`RmsProp`] (PyTorch's `RMSprop` arguments and defaults).
    pub struct RmsPropConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-2`.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Smoothing constant `α` of the running averages, in `[0, 1)`. Default `0.99`.
        pub alpha: F = F::lit(0.99) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Momentum factor `μ` of the scaled step, in `[0, 1)`. Default `0`.
        pub momentum: F = F::zero() => UnitInterval,
        /// Normalise by an estimate of the gradient's variance instead of its second moment
        /// (Graves, 2013). Default `false`.
        pub centered: bool = false,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// RMSProp (Tieleman & Hinton, 2012), optionally centered (Graves, 2013) and with momentum.
///
/// This is `torch.optim.RMSprop`:
///
/// ```text
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}
/// v_t = α v_{t-1} + (1 - α) g_t²                   v_0 = 0
/// ḡ_t = α ḡ_{t-1} + (1 - α) g_t                    ḡ_0 = 0   (centered)
/// s_t = √(v_t - ḡ_t²) + ε   (centered)     s_t = √v_t + ε   (otherwise)
/// b_t = μ b_{t-1} + g_t / s_t                      b_0 = 0   (μ > 0)
/// x_t = x_{t-1} - γ b_t     (μ > 0)        x_t = x_{t-1} - γ g_t / s_t   (μ = 0)
/// ```
///
/// Squares, roots and divisions are taken element by element. Each coordinate moves by about
/// `γ` whatever the scale of its gradient, so the step size is a length in `x`-space.
///
/// Defaults: `lr = 1e-2`, `alpha = 0.99`, `eps = 1e-8`, `weight_decay = 0`, `momentum = 0`,
/// `centered = false`.
///
/// References: T. Tieleman, G. Hinton, "Lecture 6.5 — RMSProp: divide the gradient by a running
/// average of its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012;
/// A. Graves, "Generating sequences with recurrent neural networks", arXiv:1308.0850, 2013.
pub type RmsProp<F> = Rule<RmsPropConfig<F>>;

/// The state of [`RmsProp`]: one value per coordinate in each buffer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RmsPropState<F> {
    /// `v_t`, the average of the squared gradients.
    square_avg: Vec<F>,
    /// `ḡ_t`, the average of the gradients (centered only; empty otherwise).
    grad_avg: Vec<F>,
    /// `b_t`, the velocity of the scaled steps (`μ > 0` only; empty otherwise).
    momentum_buffer: Vec<F>,
}

/// The scalars of one RMSProp step.
#[derive(Debug, Clone, Copy)]
pub struct RmsPropStep<F> {
    alpha: F,
    one_minus_alpha: F,
    eps: F,
    weight_decay: WeightDecay<F>,
    momentum: F,
    lr: F,
}

impl<F: Real> RmsPropStep<F> {
    /// One coordinate; the optional states are given only when their option is on.
    #[inline(always)]
    fn update(self, x: &mut F, g: F, v: &mut F, grad_avg: Option<&mut F>, b: Option<&mut F>) {
        let (alpha, one_minus_alpha) = (self.alpha, self.one_minus_alpha);
        let g = self.weight_decay.gradient(g, *x);
        *v = alpha * *v + one_minus_alpha * (g * g);
        let s = match grad_avg {
            Some(gbar) => {
                *gbar = alpha * *gbar + one_minus_alpha * g;
                (*v - *gbar * *gbar).sqrt() + self.eps
            }
            None => v.sqrt() + self.eps,
        };
        match b {
            Some(b) => {
                *b = self.momentum * *b + g / s;
                *x -= self.lr * *b;
            }
            None => *x -= self.lr * (g / s),
        }
    }
}

impl<F: Real> ElementwiseRule for RmsPropConfig<F> {
    rule_types!(RmsPropState<F>, RmsPropStep<F>);

    fn name(&self) -> &'static str {
        if self.centered {
            "RMSProp (centered)"
        } else {
            "RMSProp"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, an `alpha` or `momentum` outside `[0, 1)`, or an `eps` that is not
    /// finite and positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()
    }

    fn start(&self, state: &mut RmsPropState<F>, n: usize) {
        fill(&mut state.square_avg, n, F::zero());
        if self.centered {
            fill(&mut state.grad_avg, n, F::zero());
        }
        if self.momentum > F::zero() {
            fill(&mut state.momentum_buffer, n, F::zero());
        }
    }

    fn buffers(state: &mut RmsPropState<F>) -> Buffers<'_, F> {
        Buffers::new([
            &mut state.square_avg[..],
            &mut state.grad_avg,
            &mut state.momentum_buffer,
        ])
    }

    fn prepare(&self, _state: &mut RmsPropState<F>, _t: usize, lr: F) -> RmsPropStep<F> {
        RmsPropStep {
            alpha: self.alpha,
            one_minus_alpha: F::one() - self.alpha,
            eps: self.eps,
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
            momentum: self.momentum,
            lr,
        }
    }

    fn apply(
        &self,
        s: RmsPropStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let c = *self;
        let [v, a, b, ..] = state.into_array();
        match (c.centered, c.momentum > F::zero()) {
            (false, false) => kernel::apply_watching(
                x,
                grad,
                [v],
                Simd::Widest,
                Watched::<0>,
                #[inline(always)]
                move |x, g, [v]| s.update(x, g, v, None, None),
            ),
            (true, false) => kernel::apply_watching(
                x,
                grad,
                [v, a],
                Simd::Widest,
                Watched::<0>,
                #[inline(always)]
                move |x, g, [v, a]| s.update(x, g, v, Some(a), None),
            ),
            (false, true) => kernel::apply_watching(
                x,
                grad,
                [v, b],
                Simd::Widest,
                Watched::<0>,
                #[inline(always)]
                move |x, g, [v, b]| s.update(x, g, v, None, Some(b)),
            ),
            (true, true) => kernel::apply_watching(
                x,
                grad,
                [v, a, b],
                Simd::Widest,
                Watched::<0>,
                #[inline(always)]
                move |x, g, [v, a, b]| s.update(x, g, v, Some(a), Some(b)),
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

    fn check_against_hand(centered: bool, mu: f64) {
        let (lr, alpha, eps, wd) = (0.01, 0.9, 1e-3, 0.1);
        let grads = [[0.5, -1.0], [-0.3, 2.0], [0.2, 0.4]];
        let mut rule = RmsProp::new(RmsPropConfig {
            maximize: false,
            lr: 1.0,
            alpha,
            eps,
            weight_decay: wd,
            momentum: mu,
            centered,
        })
        .unwrap();
        let (mut hv, mut hg, mut hb) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |_, i, g, x| {
            let g = g + wd * *x;
            hv[i] = alpha * hv[i] + (1.0 - alpha) * g * g;
            hg[i] = alpha * hg[i] + (1.0 - alpha) * g;
            let s = if centered {
                (hv[i] - hg[i] * hg[i]).sqrt() + eps
            } else {
                hv[i].sqrt() + eps
            };
            if mu > 0.0 {
                hb[i] = mu * hb[i] + g / s;
                *x -= lr * hb[i];
            } else {
                *x -= lr * g / s;
            }
        });
    }

    #[test]
    fn centered_with_momentum_and_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(true, 0.7);
    }

    #[test]
    fn every_option_combination_matches_hand_computed_first_three_steps() {
        check_against_hand(false, 0.0);
        check_against_hand(true, 0.0);
        check_against_hand(false, 0.7);
    }

    #[test]
    fn first_step_by_hand_numbers() {
        // α = 0.99: v = 0.01 g², so the first step is γ g / (0.1 |g| + ε) ≈ 10 γ sign(g).
        let mut rule = RmsProp::default();
        let mut x = array![0.0_f64, 0.0];
        rule.step(x.view_mut(), array![2.0, -0.5].view(), 0.01)
            .unwrap();
        assert_close!(x[0], -0.01 * 2.0 / (0.2 + 1e-8));
        assert_close!(x[1], 0.01 * 0.5 / (0.05 + 1e-8));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(RmsProp::<f64>::new, {
            lr: [f64::NAN],
            alpha: [1.0, -0.1],
            eps: [0.0],
            weight_decay: [-1.0],
            momentum: [1.2],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            RmsProp::new,
            RmsPropConfig {
                weight_decay: 0.1,
                centered: true,
                momentum: 0.5,
                ..Default::default()
            }
        );
    }
}
