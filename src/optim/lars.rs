//! LARS: momentum SGD whose step is scaled per layer by the trust ratio `c ‖x‖/‖g + λx‖`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::lamb::trust_ratio;
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`Lars`] (the arguments and defaults of `optax.lars`).
    pub struct LarsConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1`: the trust coefficient already makes the steps small.
        pub lr: F = F::one() => NonNegative,
        /// Weight decay `λ`, added to the gradient before the trust ratio. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Trust coefficient `c > 0`, the fraction of `‖x‖` a step of `γ = 1` moves a layer by
        /// (before momentum). Default `1e-3`.
        pub trust_coefficient: F = F::lit(1e-3) => Positive,
        /// Term `ε >= 0` added to the norm of the direction in the trust ratio. Default `0`.
        pub eps: F = F::zero() => NonNegative,
        /// Whether the trust ratio scales the step (optax's `trust_ratio_mask` for one layer):
        /// `false` makes the rule momentum SGD, for the tensors (biases, norms) that a
        /// parameter-set group leaves out of the adaptation. Default `true`.
        pub trust_ratio_mask: bool = true,
        /// Momentum `μ`, in `[0, 1)`. Default `0.9`.
        pub momentum: F = F::lit(0.9) => UnitInterval,
        /// Nesterov momentum. Default `false`.
        pub nesterov: bool = false,
    }
}

/// LARS, "layer-wise adaptive rate scaling" (You, Gitman & Ginsburg, 2017): momentum SGD whose
/// step is rescaled per layer by the ratio of the layer's norm to its gradient's.
///
/// This is `optax.lars` (optax 0.2.8): `add_decayed_weights`, `scale_by_trust_ratio`, the step
/// size, then `trace`. At step `t` (from 1), with `g_t = ∇f(x_{t-1})`, for each layer:
///
/// ```text
/// u_t = g_t + λ x_{t-1}
/// r_t = c ‖x_{t-1}‖ / (‖u_t‖ + ε)              (1 if either norm is 0)
/// b_t = γ (r_t u_t) + μ b_{t-1}                b_0 = 0
/// x_t = x_{t-1} - b_t                          (Nesterov: x_{t-1} - (γ (r_t u_t) + μ b_t))
/// ```
///
/// The norms are those of the layer: the vector of a single [`Lars`], or each tensor of a
/// [`ParameterSet`](crate::params::ParameterSet) (the rule gathers its sums
/// [per tensor](ElementwiseRule::SUMS_PER_TENSOR)). A layer at zero, or with a zero direction,
/// takes the plain step `γ u_t` (ratio 1), as in optax. The step size is applied before the
/// momentum, as in optax (and unlike PyTorch's SGD): the velocity `b` holds steps, not
/// gradients, so a schedule changes only the new steps. The state is one value per coordinate.
///
/// optax's masks: `trust_ratio_mask` is a field here, for the layer as a whole; the weight
/// decay's mask is a parameter-set group with `weight_decay = 0` (the usual choice for biases
/// and norms, which the paper also leaves out of the trust ratio).
///
/// Defaults: `lr = 1` (optax has no default), `weight_decay = 0`, `trust_coefficient = 1e-3`,
/// `eps = 0`, `trust_ratio_mask = true`, `momentum = 0.9`, `nesterov = false`.
///
/// References: Y. You, I. Gitman, B. Ginsburg, "Large batch training of convolutional
/// networks", arXiv 1708.03888, 2017; the reference library is optax (`optax.lars`).
///
/// ```
/// use gradus::{Lars, Optimizer};
/// use ndarray::array;
///
/// // The first step moves x by γ c ‖x‖ along -g, whatever the scale of g: here 1 · 1e-3 · 5.
/// let mut lars = Lars::default();
/// let mut x = array![3.0_f64, 4.0];
/// lars.step(x.view_mut(), array![600.0, 800.0].view(), 1.0)?;
/// assert!((x[0] - (3.0 - 0.003)).abs() < 1e-15 && (x[1] - (4.0 - 0.004)).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Lars<F> = Rule<LarsConfig<F>>;

zero_state! {
    /// The state of [`Lars`]: the velocity, one value per coordinate.
    pub struct LarsState<F> {
        /// `b_t`, the trace of the steps.
        velocity,
    }
}

/// Everything of one LARS step that is the same for all coordinates of a layer.
#[derive(Debug, Clone, Copy)]
pub struct LarsStep<F> {
    lr: F,
    weight_decay: F,
    momentum: F,
    nesterov: bool,
    /// `r_t`, the layer's trust ratio, once [`ElementwiseRule::settle_tensor`] has it.
    ratio: F,
}

impl<F: Real> ElementwiseRule for LarsConfig<F> {
    rule_types!(LarsState<F>, LarsStep<F>, [F; 2]);

    const SUMS_PER_TENSOR: bool = true;

    fn name(&self) -> &'static str {
        if self.nesterov {
            "LARS (Nesterov)"
        } else {
            "LARS"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `weight_decay` or `eps`, a `trust_coefficient` that is not finite and positive, or
    /// a `momentum` outside `[0, 1)`.
    fn validate(&self) -> Result<()> {
        self.check_domains()
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut LarsState<F>, _t: usize, lr: F) -> LarsStep<F> {
        LarsStep {
            lr,
            weight_decay: self.weight_decay,
            momentum: self.momentum,
            nesterov: self.nesterov,
            ratio: F::one(),
        }
    }

    /// Returns `[‖x‖², ‖g + λx‖²]` of the layer.
    fn gather(
        &self,
        s: LarsStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        _state: Buffers<'_, F>,
    ) -> [F; 2] {
        kernel::gather(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, []| {
                let u = g + s.weight_decay * x;
                [x * x, u * u]
            },
        )
    }

    fn settle_tensor(
        &self,
        _state: &mut LarsState<F>,
        mut step: LarsStep<F>,
        [squared_x, squared_update]: [F; 2],
        _tensor: usize,
    ) -> LarsStep<F> {
        if self.trust_ratio_mask {
            step.ratio = trust_ratio(squared_x, squared_update, self.trust_coefficient, self.eps);
        }
        step
    }

    fn apply(
        &self,
        s: LarsStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [velocity, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [velocity],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [b]| {
                let u = g + s.weight_decay * *x;
                let step = s.lr * (u * s.ratio);
                *b = step + s.momentum * *b;
                *x -= if s.nesterov {
                    step + s.momentum * *b
                } else {
                    *b
                };
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array};

    fn config<F: Real>(nesterov: bool) -> LarsConfig<F> {
        let l = F::lit;
        LarsConfig {
            lr: l(1.0),
            weight_decay: l(0.1),
            trust_coefficient: l(0.5),
            eps: l(1e-3),
            trust_ratio_mask: true,
            momentum: l(0.8),
            nesterov,
        }
    }

    /// The recurrences written out on whole vectors, the norms taken in the plain order.
    #[test]
    fn lars_matches_hand_computed_first_four_steps() {
        let (lr, wd, c, eps, mu) = (0.05, 0.1, 0.5, 1e-3, 0.8);
        for nesterov in [false, true] {
            let mut rule = Lars::new(config(nesterov)).unwrap();
            let mut b = [0.0; 3];
            assert_matches_hand_vectors(&mut rule, lr, X0, &GRADS, |_, g, hand| {
                let u: Vec<f64> = (0..3).map(|i| g[i] + wd * hand[i]).collect();
                let norm = |a: &[f64]| a.iter().map(|v| v * v).sum::<f64>().sqrt();
                let ratio = c * norm(hand) / (norm(&u) + eps);
                for i in 0..3 {
                    let step = lr * ratio * u[i];
                    b[i] = step + mu * b[i];
                    hand[i] -= if nesterov { step + mu * b[i] } else { b[i] };
                }
            });
        }
    }

    /// The iterates of optax 0.2.8 (`optax.lars(0.05, weight_decay=0.1, trust_coefficient=0.5,
    /// eps=1e-3, momentum=0.8, nesterov=...)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let heavy_ball = [
            [0.9849382823115065, -1.9447737018088571, 0.4987448568592922],
            [1.0220678280054718, -1.8775348334411848, 0.48556854279414574],
            [1.0315720082821052, -1.8145363164706834, 0.42499406307329396],
            [1.01848087670206, -1.7155452069869694, 0.38301235980693116],
        ];
        let nesterov = [
            [0.9728889081607117, -1.900592663255943, 0.497740742346726],
            [1.0508360561127803, -1.8263353661701296, 0.47543125750992654],
            [1.038067748416574, -1.768486789943191, 0.3784448649511908],
            [1.007332731644899, -1.6436876142192156, 0.35205956907099845],
        ];
        let mut rule = Lars::new(config(false)).unwrap();
        assert_reference(&mut rule, &heavy_ball);
        let mut rule = Lars::new(config(true)).unwrap();
        assert_reference(&mut rule, &nesterov);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Lars::<f32>::new(config(false)).unwrap();
        let mut double = Lars::new(config(false)).unwrap();
        // optax 0.2.8 in float32.
        let optax = [1.018_480_9_f64, -1.715_545_1, 0.383_012_35];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn a_layer_at_zero_takes_the_plain_step_and_a_zero_gradient_keeps_the_ratio_at_one() {
        // ‖x‖ = 0: ratio 1, the step is γ g.
        let mut rule = Lars::<f64>::default();
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![2.0, -0.5].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![-0.2, 0.05]);
        // A zero gradient from a fresh state: ratio 1 and no move.
        let mut rule = Lars::<f64>::default();
        let mut x = array![1.0, 2.0];
        rule.step(x.view_mut(), Array1::zeros(2).view(), 0.1)
            .unwrap();
        assert_eq!(x, array![1.0, 2.0]);
        // After a step the velocity moves x on: b_2 = μ b_1.
        rule.step(x.view_mut(), array![3.0, 4.0].view(), 1.0)
            .unwrap();
        let first = array![1.0, 2.0] - &x;
        let before = x.clone();
        rule.step(x.view_mut(), Array1::zeros(2).view(), 1.0)
            .unwrap();
        for i in 0..2 {
            assert_close!(before[i] - x[i], 0.9 * first[i]);
        }
    }

    #[test]
    fn without_the_trust_ratio_it_is_momentum_sgd() {
        let mut rule = Lars::new(LarsConfig {
            trust_ratio_mask: false,
            momentum: 0.5,
            ..LarsConfig::default()
        })
        .unwrap();
        let mut x = array![1.0, 2.0];
        rule.step(x.view_mut(), array![1.0, -1.0].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![0.9, 2.1]);
        rule.step(x.view_mut(), array![1.0, -1.0].view(), 0.1)
            .unwrap();
        assert_close!(x[0], 0.9 - (0.1 + 0.5 * 0.1));
        assert_close!(x[1], 2.1 + (0.1 + 0.5 * 0.1));
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Lars::default()), "LARS");
        let nesterov = Lars::<f64>::new(LarsConfig {
            nesterov: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(nesterov.name(), "LARS (Nesterov)");
        let c = LarsConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.weight_decay, c.trust_coefficient, c.eps, c.momentum),
            (1.0, 0.0, 1e-3, 0.0, 0.9)
        );
        assert!(c.trust_ratio_mask && !c.nesterov);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Lars::<f64>::new, {
            lr: [-1.0, f64::NAN],
            weight_decay: [-0.1],
            trust_coefficient: [0.0, f64::INFINITY],
            eps: [-1e-8],
            momentum: [1.0, -0.1],
        });
        assert_rejects_fields!(Lars::<f32>::new, { momentum: [1.5] });
    }
}
