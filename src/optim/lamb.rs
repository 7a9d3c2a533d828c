//! LAMB: Adam's direction, with weight decay, scaled per layer by the trust ratio `‖x‖/‖u‖`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use super::yogi::bias_correction;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Lamb`] (the arguments and defaults of `optax.lamb`).
    pub struct LambConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β₁` of the gradients' average, in `[0, 1)`. Default `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the squared gradients' average, in `[0, 1)`. Default `0.999`.
        pub b2: F = F::lit(0.999) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-6`.
        pub eps: F = F::lit(1e-6) => Positive,
        /// Term `ε_root >= 0` added to the second moment under the root. Default `0`.
        pub eps_root: F = F::zero() => NonNegative,
        /// Weight decay `λ`, added to Adam's direction before the trust ratio scales it.
        /// Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// LAMB, "layer-wise adaptive moments for batch training" (You et al., 2020): Adam's direction
/// plus weight decay, rescaled per layer so that each layer moves by `γ` times its own norm.
///
/// This is `optax.lamb` (optax 0.2.8): `scale_by_adam`, `add_decayed_weights`,
/// `scale_by_trust_ratio`, then the step size. At step `t` (from 1), with `g_t = ∇f(x_{t-1})`,
/// for each layer:
///
/// ```text
/// m_t = (1 - β₁) g_t + β₁ m_{t-1}                  m_0 = 0
/// v_t = (1 - β₂) g_t² + β₂ v_{t-1}                 v_0 = 0
/// u_t = (m_t/(1 - β₁ᵗ)) / (√(v_t/(1 - β₂ᵗ) + ε_root) + ε) + λ x_{t-1}
/// r_t = ‖x_{t-1}‖ / ‖u_t‖                          (1 if either norm is 0)
/// x_t = x_{t-1} - γ (r_t u_t)
/// ```
///
/// The moments are element by element; the norms are those of the layer. A layer is the vector
/// of a single [`Lamb`], and each tensor of a [`ParameterSet`](crate::params::ParameterSet)
/// (the rule gathers its sums [per tensor](ElementwiseRule::SUMS_PER_TENSOR)), so that a
/// weight matrix and a bias vector each get their own trust ratio. The trust ratio makes the
/// step of a layer `γ ‖x‖` long whatever the scale of its gradient: a layer at zero (a bias
/// started at 0), or whose direction is zero, takes the plain step `γ u_t` (ratio 1), as in
/// optax. The state is two values per coordinate.
///
/// optax's `mask` of the weight decay has no counterpart for one vector: put the tensors that
/// should not decay (biases, norms) in a parameter-set group of their own with
/// `weight_decay = 0`. A gradient component beyond about `√MAX` overflows `v`, which is
/// reported as [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the step.
///
/// Defaults: `lr = 1e-3` (optax has no default), `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-6`,
/// `eps_root = 0`, `weight_decay = 0`.
///
/// References: Y. You, J. Li, S. Reddi, J. Hseu, S. Kumar, S. Bhojanapalli, X. Song, J.
/// Demmel, K. Keutzer, C.-J. Hsieh, "Large batch optimization for deep learning: training BERT
/// in 76 minutes", ICLR 2020 (arXiv 1904.00962); the reference library is optax
/// (`optax.lamb`).
///
/// ```
/// use gradus::{Lamb, Optimizer};
/// use ndarray::array;
///
/// // The first step of Adam's direction is about (1, 1) here, √2 long; the trust ratio scales
/// // it to the length of x, 5: the step is γ·5 long.
/// let mut lamb = Lamb::default();
/// let mut x = array![3.0_f64, 4.0];
/// lamb.step(x.view_mut(), array![0.2, 0.7].view(), 0.1)?;
/// let moved = ((x[0] - 3.0).powi(2) + (x[1] - 4.0).powi(2)).sqrt();
/// assert!((moved - 0.5).abs() < 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Lamb<F> = Rule<LambConfig<F>>;

zero_state! {
    /// The state of [`Lamb`]: one value per coordinate in each buffer.
    pub struct LambState<F> {
        /// `m_t`, the average of the gradients.
        exp_avg,
        /// `v_t`, the average of the squared gradients.
        exp_avg_sq,
    }
}

/// Everything of one LAMB step that is the same for all coordinates of a layer.
#[derive(Debug, Clone, Copy)]
pub struct LambStep<F> {
    lr: F,
    b1: F,
    one_minus_b1: F,
    b2: F,
    one_minus_b2: F,
    bias_correction1: F,
    bias_correction2: F,
    eps: F,
    eps_root: F,
    weight_decay: F,
    /// `r_t`, the layer's trust ratio, once [`ElementwiseRule::settle_tensor`] has it.
    ratio: F,
}

impl<F: Real> LambStep<F> {
    /// `u_t` of one coordinate from its moments (already updated) and `x_{t-1}`.
    #[inline(always)]
    fn direction(self, x: F, m: F, v: F) -> F {
        let m_hat = m / self.bias_correction1;
        let v_hat = v / self.bias_correction2;
        m_hat / ((v_hat + self.eps_root).sqrt() + self.eps) + self.weight_decay * x
    }
}

/// optax's `scale_by_trust_ratio` with `min_norm = 0`: `c ‖x‖ / (‖u‖ + ε)` from the squared
/// norms, or 1 if either norm is zero.
///
/// A ratio beyond the largest finite value (a huge `x` and a direction whose norm is near the
/// smallest positive one) counts as that value, so that the step, `‖u‖` times it, stays finite.
pub(super) fn trust_ratio<F: Real>(
    squared_x: F,
    squared_update: F,
    trust_coefficient: F,
    eps: F,
) -> F {
    let (x_norm, u_norm) = (squared_x.sqrt(), squared_update.sqrt());
    if x_norm == F::zero() || u_norm == F::zero() {
        F::one()
    } else {
        (trust_coefficient * x_norm / (u_norm + eps)).min(F::max_value())
    }
}

impl<F: Real> ElementwiseRule for LambConfig<F> {
    rule_types!("LAMB", LambState<F>, LambStep<F>, [F; 2]);

    const SUMS_PER_TENSOR: bool = true;

    zero_state_items!();

    fn prepare(&self, _state: &mut LambState<F>, t: usize, lr: F) -> LambStep<F> {
        LambStep {
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            b2: self.b2,
            one_minus_b2: F::one() - self.b2,
            bias_correction1: bias_correction(self.b1, t),
            bias_correction2: bias_correction(self.b2, t),
            eps: self.eps,
            eps_root: self.eps_root,
            weight_decay: self.weight_decay,
            ratio: F::one(),
        }
    }

    /// Updates the moments and returns `[‖x‖², ‖u‖²]` of the layer.
    fn gather(
        &self,
        s: LambStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> [F; 2] {
        let [exp_avg, exp_avg_sq, ..] = state.into_array();
        kernel::gather(
            x,
            grad,
            [exp_avg, exp_avg_sq],
            Simd::Widest,
            #[inline(always)]
            move |x, g, [m, v]| {
                *m = s.one_minus_b1 * g + s.b1 * *m;
                *v = s.one_minus_b2 * (g * g) + s.b2 * *v;
                let u = s.direction(x, *m, *v);
                [x * x, u * u]
            },
        )
    }

    fn settle_tensor(
        &self,
        _state: &mut LambState<F>,
        mut step: LambStep<F>,
        [squared_x, squared_update]: [F; 2],
        _tensor: usize,
    ) -> LambStep<F> {
        step.ratio = trust_ratio(squared_x, squared_update, F::one(), F::zero());
        step
    }

    fn apply(
        &self,
        s: LambStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_sq, ..] = state.into_array();
        kernel::apply_watching(
            x,
            grad,
            [exp_avg, exp_avg_sq],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, _g, [m, v]| {
                let u = s.direction(*x, *m, *v);
                *x -= s.lr * (u * s.ratio);
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array};

    fn config<F: Real>() -> LambConfig<F> {
        let l = F::lit;
        LambConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.9),
            eps: l(1e-3),
            eps_root: l(1e-4),
            weight_decay: l(0.1),
        }
    }

    /// The recurrences written out on whole vectors, the norms taken in the plain order.
    #[test]
    fn lamb_matches_hand_computed_first_four_steps() {
        let (lr, b1, b2, eps, eps_root, wd) = (0.05, 0.8, 0.9, 1e-3, 1e-4, 0.1);
        let mut rule = Lamb::new(config()).unwrap();
        let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
        assert_matches_hand_vectors(&mut rule, lr, X0, &GRADS, |t, g, hand| {
            let t = t as i32;
            let mut u = [0.0; 3];
            for i in 0..3 {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                let m_hat = m[i] / (1.0 - b1.powi(t));
                let v_hat = v[i] / (1.0 - b2.powi(t));
                u[i] = m_hat / ((v_hat + eps_root).sqrt() + eps) + wd * hand[i];
            }
            let norm = |a: &[f64; 3]| a.iter().map(|v| v * v).sum::<f64>().sqrt();
            let ratio = norm(hand) / norm(&u);
            for i in 0..3 {
                hand[i] -= lr * ratio * u[i];
            }
        });
    }

    /// The iterates of optax 0.2.8 (`optax.lamb(0.05, b1=0.8, b2=0.9, eps=1e-3, eps_root=1e-4,
    /// weight_decay=0.1)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9226886509943792, -1.9155277760862237, 0.4964788209372519],
            [0.8926294290302248, -1.8107830578500743, 0.48994293961055796],
            [0.8504447075817713, -1.7494636886639139, 0.4174874298163913],
            [0.7896986348422721, -1.6781296749165968, 0.3840687073530733],
        ];
        let mut rule = Lamb::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Lamb::<f32>::new(config()).unwrap();
        let mut double = Lamb::new(config()).unwrap();
        // optax 0.2.8 in float32.
        let optax = [0.789_698_66_f64, -1.678_129_8, 0.384_068_73];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn each_step_is_lr_times_the_norm_of_x_long() {
        // Without weight decay the ratio makes every step γ‖x‖ long, whatever the gradient's
        // scale.
        for scale in [1e-6, 1.0, 1e6] {
            let mut rule = Lamb::<f64>::default();
            let mut x = array![3.0, -4.0, 12.0];
            let g = array![0.3, 1.0, -0.2].mapv(|v| v * scale);
            let before = x.clone();
            rule.step(x.view_mut(), g.view(), 0.01).unwrap();
            let moved = (&x - &before).mapv(|v| v * v).sum().sqrt();
            assert_close!(moved, 0.01 * 13.0);
        }
    }

    #[test]
    fn a_layer_at_zero_takes_the_plain_step_and_a_zero_gradient_moves_by_the_memory() {
        // ‖x‖ = 0: the trust ratio is 1 and the first step is Adam's, about γ against the sign.
        let mut rule = Lamb::<f64>::default();
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![2.0, -0.5].view(), 0.1)
            .unwrap();
        assert_close!(x[0], -0.1 * 2.0 / (2.0 + 1e-6));
        assert_close!(x[1], 0.1 * 0.5 / (0.5 + 1e-6));
        // A zero gradient still moves x by the first moment, scaled to γ‖x‖.
        let before = x.clone();
        rule.step(x.view_mut(), array![0.0, 0.0].view(), 0.1)
            .unwrap();
        let moved = (&x - &before).mapv(|v| v * v).sum().sqrt();
        assert_close!(moved, 0.1 * before.mapv(|v| v * v).sum().sqrt());
        // From a fresh state, a zero gradient and no weight decay: u = 0, ratio 1, no move.
        let mut rule = Lamb::<f64>::default();
        let mut x = array![1.0, 2.0];
        rule.step(x.view_mut(), Array1::zeros(2).view(), 0.1)
            .unwrap();
        assert_eq!(x, array![1.0, 2.0]);
    }

    #[test]
    fn an_overflowing_square_is_reported_after_the_move() {
        assert_overflow_reported_after_the_move(&mut Lamb::<f64>::default(), "LAMB");
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Lamb::default()), "LAMB");
        let c = LambConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.eps, c.eps_root, c.weight_decay),
            (1e-3, 0.9, 0.999, 1e-6, 0.0, 0.0)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Lamb::<f64>::new, {
            lr: [-1.0, f64::NAN],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            eps: [0.0, f64::INFINITY],
            eps_root: [-1e-8],
            weight_decay: [-0.1, f64::INFINITY],
        });
        assert_rejects_fields!(Lamb::<f32>::new, { b2: [1.5] });
    }
}
