//! Lion: the sign of an interpolation between the momentum and the gradient, found by program
//! search.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Lion`] (the arguments and defaults of `optax.lion`).
    pub struct LionConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-4`: every coordinate moves by about `γ` at every step, and the
        /// authors advise a step size several times smaller than AdamW's.
        pub lr: F = F::lit(1e-4) => NonNegative,
        /// Weight `β₁` of the momentum against the gradient in the direction whose sign is
        /// taken, in `[0, 1)`. Default `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the momentum, in `[0, 1)`. Default `0.99`.
        pub b2: F = F::lit(0.99) => UnitInterval,
        /// Weight decay `λ`, added to the signed direction before the step size multiplies it
        /// (a shrinking of `x` by `1 - γλ`). Default `1e-3`, optax's.
        pub weight_decay: F = F::lit(1e-3) => NonNegative,
    }
}

/// Lion, "EvoLved Sign Momentum" (Chen et al., 2023): a step of the same size `γ` on every
/// coordinate, in the direction of the sign of an interpolation between the momentum and the
/// gradient.
///
/// This is `optax.lion` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// c_t = (1 - β₁) g_t + β₁ m_{t-1}
/// x_t = x_{t-1} - γ (sign(c_t) + λ x_{t-1})
/// m_t = (1 - β₂) g_t + β₂ m_{t-1}                    m_0 = 0
/// ```
///
/// Everything is element by element; `sign` is `-1`, `0` or `1` (a zero `c_t` gives no move but
/// the decay's, a NaN goes through, as `jnp.sign` does). The momentum is updated *after* its
/// sign is used, with its own rate `β₂`: the direction interpolates with `β₁`, the memory with
/// `β₂`. The weight decay is decoupled from the gradient (it does not enter the momentum or the
/// sign) and is multiplied by `γ`, as optax adds it to the update before the step size.
///
/// Defaults: `lr = 1e-4` (optax has no default), `b1 = 0.9`, `b2 = 0.99`,
/// `weight_decay = 1e-3`. optax's `mu_dtype` (the precision of `m`) is that of `F` here; its
/// `mask` is a parameter set's business (see [`ParameterSet`](crate::params::ParameterSet)).
///
/// References: X. Chen, C. Liang, D. Huang, E. Real, K. Wang, H. Pham, X. Dong, T. Luong,
/// C.-J. Hsieh, Y. Lu, Q. V. Le, "Symbolic discovery of optimization algorithms", NeurIPS 2023;
/// the reference library is optax (`optax.lion`).
///
/// ```
/// use gradus::optim::LionConfig;
/// use gradus::{Lion, Optimizer};
/// use ndarray::array;
///
/// // Without weight decay, every coordinate moves by exactly γ against its gradient's sign.
/// let mut lion = Lion::new(LionConfig { weight_decay: 0.0, ..Default::default() })?;
/// let mut x = array![1.0_f64, 1.0];
/// lion.step(x.view_mut(), array![3.0, -0.5].view(), 0.25)?;
/// assert_eq!(x, array![0.75, 1.25]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Lion<F> = Rule<LionConfig<F>>;

zero_state! {
    /// The state of [`Lion`]: one value per coordinate.
    pub struct LionState<F> {
        /// `m_t`, the momentum.
        exp_avg,
    }
}

/// Everything of one Lion step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct LionStep<F> {
    lr: F,
    b1: F,
    /// `1 - β₁`, in the precision of `F`.
    one_minus_b1: F,
    b2: F,
    /// `1 - β₂`, in the precision of `F`.
    one_minus_b2: F,
    weight_decay: F,
}

/// `jnp.sign`: `1` above zero, `-1` below, and the value itself otherwise (zeros of either sign,
/// NaN). Unlike `f64::signum`, which gives `1` for `+0`.
#[inline(always)]
pub(super) fn sign<F: Real>(v: F) -> F {
    if v > F::zero() {
        F::one()
    } else if v < F::zero() {
        -F::one()
    } else {
        v
    }
}

impl<F: Real> ElementwiseRule for LionConfig<F> {
    rule_types!("Lion", LionState<F>, LionStep<F>);

    zero_state_items!();

    fn prepare(&self, _state: &mut LionState<F>, _t: usize, lr: F) -> LionStep<F> {
        LionStep {
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            b2: self.b2,
            one_minus_b2: F::one() - self.b2,
            weight_decay: self.weight_decay,
        }
    }

    fn apply(
        &self,
        s: LionStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [exp_avg],
            Simd::Widest,
            #[inline(always)]
            move |x, g, [m]| {
                let c = s.one_minus_b1 * g + s.b1 * *m;
                *x -= s.lr * (sign(c) + s.weight_decay * *x);
                *m = s.one_minus_b2 * g + s.b2 * *m;
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

    /// Three coordinates over four steps; the third has a zero gradient at the first two steps.
    fn config<F: Real>() -> LionConfig<F> {
        let l = F::lit;
        LionConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.9),
            weight_decay: l(0.1),
        }
    }

    #[test]
    fn lion_matches_hand_computed_first_four_steps() {
        let (lr, b1, b2, wd) = (0.05, 0.8, 0.9, 0.1);
        let mut rule = Lion::new(config()).unwrap();
        let mut m = [0.0; 3];
        let mut flipped = false;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |_, i, g, x| {
            let c = (1.0 - b1) * g + b1 * m[i];
            let s = if c > 0.0 {
                1.0
            } else if c < 0.0 {
                -1.0
            } else {
                0.0
            };
            // The momentum, not the gradient, decides the sign somewhere.
            flipped |= s * g < 0.0;
            *x -= lr * (s + wd * *x);
            m[i] = (1.0 - b2) * g + b2 * m[i];
        });
        assert!(flipped, "the sequence must let the momentum win a sign");
    }

    /// The iterates of optax 0.2.8 (`optax.lion(0.05, b1=0.8, b2=0.9, weight_decay=0.1)`, run
    /// in float64 from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.945, -1.94, 0.4975],
            [0.9902749999999999, -1.8802999999999999, 0.4950125],
            [0.9353236249999999, -1.8208984999999998, 0.4425374375],
            [0.8806470068749999, -1.7617940074999998, 0.3903247503125],
        ];
        let mut rule = Lion::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn the_first_step_moves_by_the_step_size_and_the_decay() {
        let mut rule = Lion::<f64>::default();
        let mut x = array![2.0, -1.0, 0.5];
        rule.step(x.view_mut(), array![1e-30, -7.0, 0.0].view(), 0.1)
            .unwrap();
        // m_0 = 0: the sign of (1 - β₁) g, whatever g's magnitude.
        assert_close!(x[0], 2.0 - 0.1 * (1.0 + 1e-3 * 2.0));
        assert_close!(x[1], -1.0 - 0.1 * (-1.0 - 1e-3 * 1.0));
        assert_close!(x[2], 0.5 - 0.1 * 1e-3 * 0.5);
        let m = &rule.state().exp_avg;
        assert_close!(m[0], 1e-32);
        assert_close!(m[1], -0.07);
        assert_eq!(m[2], 0.0);
    }

    #[test]
    fn zero_gradients_move_only_by_the_decay_then_the_momentum() {
        let mut rule = Lion::new(LionConfig {
            weight_decay: 0.0,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![1.0, -1.0];
        let zero = Array1::zeros(2);
        rule.step(x.view_mut(), zero.view(), 0.1).unwrap();
        assert_eq!(x, array![1.0, -1.0]);
        rule.step(x.view_mut(), array![1.0, -1.0].view(), 0.1)
            .unwrap();
        // A zero gradient after a non-zero one still moves: the momentum keeps its sign.
        rule.step(x.view_mut(), zero.view(), 0.1).unwrap();
        assert_close!(x[0], 0.8);
        assert_close!(x[1], -0.8);
    }

    #[test]
    fn an_all_zero_start_moves_by_the_step_size() {
        let mut rule = Lion::<f64>::default();
        let mut x = Array1::zeros(3);
        rule.step(x.view_mut(), array![0.5, -2.0, 0.0].view(), 0.1)
            .unwrap();
        // The decay of x = 0 is 0.
        assert_eq!(x, array![-0.1, 0.1, 0.0]);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Lion::<f32>::new(config()).unwrap();
        let mut double = Lion::new(config()).unwrap();
        // optax 0.2.8 in float32 ends within an ulp or two of these.
        let optax = [0.880_647_f64, -1.761_794_1, 0.390_324_74];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn sign_is_jnp_sign() {
        assert_eq!(sign(3.0_f64), 1.0);
        assert_eq!(sign(-1e-300_f64), -1.0);
        assert_eq!(sign(0.0_f64).to_bits(), 0.0_f64.to_bits());
        assert_eq!(sign(-0.0_f64).to_bits(), (-0.0_f64).to_bits());
        assert!(sign(f64::NAN).is_nan());
        assert_eq!(sign(f32::NEG_INFINITY), -1.0);
    }

    #[test]
    fn defaults_and_name() {
        let rule = Lion::<f64>::default();
        assert_eq!(Optimizer::<f64>::name(&rule), "Lion");
        let c = LionConfig::<f64>::default();
        assert_eq!((c.lr, c.b1, c.b2, c.weight_decay), (1e-4, 0.9, 0.99, 1e-3));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Lion::<f64>::new, {
            lr: [-1e-3, f64::INFINITY],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            weight_decay: [-1e-3, f64::NAN],
        });
        assert_rejects_fields!(Lion::<f32>::new, { b2: [1.5] });
    }
}
