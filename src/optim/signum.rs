//! Signum: sign SGD on a momentum of the gradients.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::lion::sign;
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Signum`] (the arguments and defaults of `optax.signum`).
    pub struct SignumConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires): the distance every coordinate with a non-zero momentum moves. Default
        /// `1e-3`.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β` of the momentum, in `[0, 1)`. Default `0.9`.
        pub beta: F = F::lit(0.9) => UnitInterval,
    }
}

/// Signum (Bernstein et al., 2018): sign SGD on an exponential moving average of the gradients.
///
/// This is `optax.signum` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// m_t = (1 - β) g_t + β m_{t-1}                m_0 = 0
/// x_t = x_{t-1} - γ sign(m_t)
/// ```
///
/// element by element, where `sign` is `-1`, `0` or `1` (a NaN goes through, as `jnp.sign`
/// does). The average is not corrected for its zero start: its sign is what counts, and a
/// correction would not change it. Each coordinate moves by exactly `γ` while its momentum is
/// not zero, so that with a constant step size the iterates end oscillating near a minimiser; a
/// decaying schedule makes them converge. With `β = 0` this is [`SignSgd`](crate::SignSgd).
///
/// Defaults: `lr = 1e-3` (optax has no default), `beta = 0.9`. optax's `accumulator_dtype` (the
/// precision of `m`) is that of `F` here.
///
/// References: J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar, "signSGD:
/// Compressed optimisation for non-convex problems", ICML 2018; the reference library is optax
/// (`optax.signum`).
///
/// ```
/// use gradus::{Optimizer, Signum};
/// use ndarray::array;
///
/// let mut rule = Signum::default();
/// let mut x = array![1.0_f64, 1.0];
/// rule.step(x.view_mut(), array![3.0, -0.5].view(), 0.25)?;
/// assert_eq!(x, array![0.75, 1.25]);
/// // The momentum of the first gradient outweighs a small opposite one.
/// rule.step(x.view_mut(), array![-0.1, 0.0].view(), 0.25)?;
/// assert_eq!(x, array![0.5, 1.5]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Signum<F> = Rule<SignumConfig<F>>;

zero_state! {
    /// The state of [`Signum`]: one value per coordinate.
    pub struct SignumState<F> {
        /// `m_t`, the momentum.
        exp_avg,
    }
}

/// The scalars of one Signum step.
#[derive(Debug, Clone, Copy)]
pub struct SignumStep<F> {
    lr: F,
    beta: F,
    /// `1 - β`, in the precision of `F`.
    one_minus_beta: F,
}

impl<F: Real> ElementwiseRule for SignumConfig<F> {
    rule_types!("Signum", SignumState<F>, SignumStep<F>);

    zero_state_items!();

    fn prepare(&self, _state: &mut SignumState<F>, _t: usize, lr: F) -> SignumStep<F> {
        SignumStep {
            lr,
            beta: self.beta,
            one_minus_beta: F::one() - self.beta,
        }
    }

    fn apply(
        &self,
        s: SignumStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [exp_avg],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [m]| {
                *m = s.one_minus_beta * g + s.beta * *m;
                *x -= s.lr * sign(*m);
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

    fn config<F: Real>() -> SignumConfig<F> {
        SignumConfig {
            lr: F::lit(1.0),
            beta: F::lit(0.8),
        }
    }

    #[test]
    fn signum_matches_hand_computed_first_four_steps() {
        let (lr, beta) = (0.05, 0.8);
        let mut rule = Signum::new(config()).unwrap();
        let mut m = [0.0; 3];
        let mut against_gradient = false;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |_, i, g, x| {
            m[i] = (1.0 - beta) * g + beta * m[i];
            if m[i] != 0.0 {
                against_gradient |= m[i] * g < 0.0;
                *x -= lr * m[i].signum();
            }
        });
        assert!(against_gradient, "the momentum must outweigh a gradient");
    }

    /// The iterates of optax 0.2.8 (`optax.signum(0.05, beta=0.8)`, float64, from
    /// `(1, -2, 0.5)`).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.95, -1.95, 0.5],
            [0.8999999999999999, -1.9, 0.5],
            [0.8499999999999999, -1.8499999999999999, 0.45],
            [0.7999999999999998, -1.7999999999999998, 0.4],
        ];
        assert_eq!(
            reference_run(&mut Signum::<f64>::new(config()).unwrap()),
            expected
        );
    }

    #[test]
    fn zero_gradients_move_only_through_the_momentum() {
        let mut rule = Signum::<f64>::default();
        let mut x = Array1::zeros(2);
        let zero = Array1::zeros(2);
        rule.step(x.view_mut(), zero.view(), 0.1).unwrap();
        assert_eq!(x, array![0.0, 0.0]);
        rule.step(x.view_mut(), array![2.0, 0.0].view(), 0.1)
            .unwrap();
        rule.step(x.view_mut(), zero.view(), 0.1).unwrap();
        assert_eq!(x, array![-0.2, 0.0]);
    }

    #[test]
    fn f32_takes_the_same_steps() {
        let mut rule = Signum::<f32>::new(config()).unwrap();
        // optax 0.2.8 in float32.
        assert_eq!(
            reference_run(&mut rule)[3],
            [0.799_999_95_f32, -1.800_000_2, 0.399_999_98]
        );
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Signum::default()), "Signum");
        let c = SignumConfig::<f64>::default();
        assert_eq!((c.lr, c.beta), (1e-3, 0.9));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Signum::<f64>::new, {
            lr: [-1.0, f64::NAN],
            beta: [1.0, -0.5, f64::NAN],
        });
        assert_rejects_fields!(Signum::<f32>::new, { beta: [2.0] });
    }
}
