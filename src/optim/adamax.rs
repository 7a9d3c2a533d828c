//! Adamax: Adam with the infinity norm in place of the second moment.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam_family::{FamilyStep, Moments, check_adam_family};
use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`Adamax`] (PyTorch's `Adamax` arguments and defaults).
    pub struct AdamaxConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `2e-3`.
        pub lr: F = F::lit(2e-3),
        /// Decay rates `(β₁, β₂)` of the first moment and of the infinity norm, each in `[0, 1)`.
        /// Default `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Term `ε > 0` added to `|g|` in the norm. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero(),
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// Adamax (Kingma & Ba, 2015, section 7.1): Adam with the `L∞` norm of past gradients.
///
/// This is `torch.optim.Adamax`:
///
/// ```text
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}
/// m_t = β₁ m_{t-1} + (1 - β₁) g_t                   m_0 = 0
/// u_t = max(β₂ u_{t-1}, |g_t| + ε)                  u_0 = 0
/// x_t = x_{t-1} - γ/(1 - β₁ᵗ) · m_t / u_t
/// ```
///
/// Absolute values, maxima and divisions are taken element by element. The norm needs no bias
/// correction, and each coordinate moves by at most about `γ` per step.
///
/// Defaults: `lr = 2e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`.
///
/// Reference: D. P. Kingma, J. Ba, "Adam: A method for stochastic optimization", ICLR 2015.
pub type Adamax<F> = Rule<AdamaxConfig<F>>;

zero_state! {
    /// The state of [`Adamax`]: one value per coordinate in each buffer.
    pub struct AdamaxState<F> {
        /// `m_t`, the first moment estimate.
        exp_avg,
        /// `u_t`, the decayed infinity norm.
        exp_inf,
    }
}

/// The scalars of one Adamax step.
#[derive(Debug, Clone, Copy)]
pub struct AdamaxStep<F> {
    moments: Moments<F>,
    weight_decay: WeightDecay<F>,
    beta2: F,
    eps: F,
    /// `γ / (1 - β₁ᵗ)`.
    clr: F,
}

impl<F: Real> ElementwiseRule for AdamaxConfig<F> {
    rule_types!(AdamaxState<F>, AdamaxStep<F>);

    fn name(&self) -> &'static str {
        "Adamax"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a beta outside `[0, 1)` (named `betas.0` or `betas.1`), or an
    /// `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        check_adam_family(self.lr, self.betas, self.eps, self.weight_decay)
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut AdamaxState<F>, t: usize, lr: F) -> AdamaxStep<F> {
        let family =
            FamilyStep::new(self.betas, self.weight_decay, false, lr, t).maximizing(self.maximize);
        AdamaxStep {
            moments: family.moments,
            weight_decay: family.weight_decay,
            beta2: self.betas.1,
            eps: self.eps,
            clr: F::lit(lr.as_f64() / family.bias_correction1),
        }
    }

    fn apply(
        &self,
        s: AdamaxStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let AdamaxStep {
            moments,
            weight_decay: wd,
            beta2,
            eps,
            clr,
        } = s;
        let [exp_avg, exp_inf, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [exp_avg, exp_inf],
            Simd::Widest,
            #[inline(always)]
            move |x, g, [m, u]| {
                let g = wd.gradient(g, *x);
                *m = moments.first(*m, g);
                *u = (beta2 * *u).max(g.abs() + eps);
                *x -= clr * (*m / *u);
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::*;

    #[test]
    fn adamax_with_weight_decay_matches_hand_computed_first_three_steps() {
        let (lr, b1, b2, eps, wd) = (0.05, 0.8, 0.9, 1e-3, 0.1);
        // The second coordinate's gradients shrink, so the decayed norm β₂ u wins at steps 2, 3.
        let grads = [[0.5, -2.0], [-0.9, 0.1], [0.2, 0.05]];
        let mut rule = Adamax::new(AdamaxConfig {
            maximize: false,
            lr: 1.0,
            betas: (b1, b2),
            eps,
            weight_decay: wd,
        })
        .unwrap();
        let (mut hm, mut hu) = ([0.0; 2], [0.0; 2]);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            let g = g + wd * *x;
            hm[i] = b1 * hm[i] + (1.0 - b1) * g;
            hu[i] = f64::max(b2 * hu[i], g.abs() + eps);
            *x -= lr / (1.0 - b1.powf(t)) * hm[i] / hu[i];
        });
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Adamax::<f64>::new, {
            lr: [f64::INFINITY],
            betas.0: [-0.1],
            betas.1: [1.0],
            eps: [f64::NAN],
            weight_decay: [-1.0],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            Adamax::new,
            AdamaxConfig {
                weight_decay: 0.1,
                ..Default::default()
            }
        );
    }
}
