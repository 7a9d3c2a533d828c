//! Sign SGD: a step of the same size on every coordinate, against the sign of its gradient.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::lion::sign;
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::Buffers;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`SignSgd`] (the arguments of `optax.sign_sgd`).
    pub struct SignSgdConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires): the distance every coordinate with a non-zero gradient moves. Default
        /// `1e-3`.
        pub lr: F = F::lit(1e-3) => NonNegative,
    }
}

/// Sign SGD (Bernstein et al., 2018): gradient descent on the signs of the gradient's
/// components.
///
/// This is `optax.sign_sgd` (optax 0.2.8). At every step, with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// x_t = x_{t-1} - γ sign(g_t)
/// ```
///
/// element by element, where `sign` is `-1`, `0` or `1` (a zero gradient component leaves its
/// coordinate where it is, a NaN goes through, as `jnp.sign` does). Each coordinate moves by
/// exactly `γ` or not at all, whatever the gradient's magnitude: the rule has no state, and with
/// a constant step size it ends oscillating around a minimiser at distance about `γ`, so that a
/// decaying schedule is what makes it converge. [`Signum`](crate::Signum) takes the sign of a
/// momentum instead.
///
/// Defaults: `lr = 1e-3` (optax has no default).
///
/// References: J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar, "signSGD:
/// Compressed optimisation for non-convex problems", ICML 2018; the reference library is optax
/// (`optax.sign_sgd`).
///
/// ```
/// use gradus::{Optimizer, SignSgd};
/// use ndarray::array;
///
/// let mut rule = SignSgd::default();
/// let mut x = array![1.0_f64, 1.0, 1.0];
/// rule.step(x.view_mut(), array![3.0, -1e-9, 0.0].view(), 0.25)?;
/// assert_eq!(x, array![0.75, 1.25, 1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type SignSgd<F> = Rule<SignSgdConfig<F>>;

/// The scalars of one sign SGD step: the step size.
#[derive(Debug, Clone, Copy)]
pub struct SignSgdStep<F> {
    lr: F,
}

impl<F: Real> ElementwiseRule for SignSgdConfig<F> {
    rule_types!("SignSGD", (), SignSgdStep<F>);

    fn start(&self, _state: &mut (), _n: usize) {}

    fn per_coordinate(&self) -> bool {
        false
    }

    fn buffers(_state: &mut ()) -> Buffers<'_, F> {
        Buffers::new([])
    }

    #[inline]
    fn prepare(&self, _state: &mut (), _t: usize, lr: F) -> SignSgdStep<F> {
        SignSgdStep { lr }
    }

    #[inline]
    fn apply(
        &self,
        s: SignSgdStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        _state: Buffers<'_, F>,
    ) -> bool {
        kernel::apply(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, _| *x -= s.lr * sign(g),
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

    #[test]
    fn sign_sgd_matches_hand_computed_first_four_steps() {
        let mut rule = SignSgd::default();
        assert_matches_hand(&mut rule, 0.05, [1.0, -2.0, 0.5], &GRADS, |_, _, g, x| {
            if g != 0.0 {
                *x -= 0.05 * g.signum();
            }
        });
    }

    /// The iterates of optax 0.2.8 (`optax.sign_sgd(0.05)`, float64, from `(1, -2, 0.5)`).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.95, -1.95, 0.5],
            [1.0, -2.0, 0.5],
            [0.95, -2.05, 0.45],
            [0.8999999999999999, -1.9999999999999998, 0.5],
        ];
        assert_eq!(reference_run(&mut SignSgd::<f64>::default()), expected);
    }

    #[test]
    fn zero_gradients_and_a_zero_start() {
        let mut rule = SignSgd::<f64>::default();
        let mut x = Array1::zeros(3);
        rule.step(x.view_mut(), array![0.0, -0.0, 0.0].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![0.0, 0.0, 0.0]);
        rule.step(x.view_mut(), array![1e-300, -1e300, 0.0].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![-0.1, 0.1, 0.0]);
        // No state: any length at any step.
        let mut y = array![1.0];
        rule.step(y.view_mut(), array![2.0].view(), 0.5).unwrap();
        assert_close!(y[0], 0.5);
        assert!(
            rule.step(y.view_mut(), array![f64::NAN].view(), 0.5)
                .is_ok()
        );
        assert!(y[0].is_nan());
    }

    #[test]
    fn f32_takes_the_same_steps() {
        let mut rule = SignSgd::<f32>::default();
        // optax 0.2.8 in float32.
        assert_eq!(reference_run(&mut rule)[3], [0.9_f32, -2.0, 0.5]);
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&SignSgd::default()), "SignSGD");
        assert_eq!(SignSgdConfig::<f64>::default().lr, 1e-3);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(SignSgd::<f64>::new, { lr: [-1.0, f64::NAN] });
        assert_rejects_fields!(SignSgd::<f32>::new, { lr: [f32::INFINITY] });
    }
}
