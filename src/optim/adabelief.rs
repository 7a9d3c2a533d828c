//! AdaBelief: Adam with the second moment of the gradient's deviation from its momentum.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use super::yogi::bias_correction;
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`AdaBelief`] (the arguments and defaults of `optax.adabelief`).
    pub struct AdaBeliefConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`, the authors'.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β₁` of the first moment, in `[0, 1)`. Default `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the second moment of the prediction error, in `[0, 1)`. Default
        /// `0.999`.
        pub b2: F = F::lit(0.999) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-16`.
        pub eps: F = F::lit(1e-16) => Positive,
        /// Term `ε_root >= 0` added to the second moment at every step (and kept in it).
        /// Default `1e-16`.
        pub eps_root: F = F::lit(1e-16) => NonNegative,
        /// Nesterov's momentum: step along `β₁ m̂_{t+1} + (1 - β₁) ĝ_t` (see [`AdaBelief`]).
        /// Default `false`.
        pub nesterov: bool = false,
    }
}

/// AdaBelief (Zhuang et al., 2020): Adam that divides the momentum by the root of the second
/// moment of the *prediction error* `g - m`, the gradient's deviation from its momentum, rather
/// than of the gradient: large steps where the gradient is as the momentum predicts (the
/// "belief"), small ones where it is not.
///
/// This is `optax.adabelief` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// m_t = (1 - β₁) g_t + β₁ m_{t-1}                                   m_0 = 0
/// s_t = (1 - β₂) (g_t - m_t)² + β₂ s_{t-1} + ε_root                 s_0 = 0
/// m̂_t = m_t / (1 - β₁ᵗ)                                             (plain)
/// m̂_t = β₁ m_t / (1 - β₁ᵗ⁺¹) + (1 - β₁) g_t / (1 - β₁ᵗ)             (nesterov)
/// x_t = x_{t-1} - γ m̂_t / (√(s_t / (1 - β₂ᵗ)) + ε)
/// ```
///
/// Everything is element by element. The error is taken against the momentum *after* it took
/// the new gradient in, as in the paper and optax. As in optax (and the authors' code), `ε_root`
/// is added to the state itself, so that it accumulates over the steps to about
/// `ε_root / (1 - β₂)`; the bias corrections are computed in `f64` and rounded once, and the
/// divisions are taken per element, in optax's order. On the first step the error is
/// `β₁ g₁`, so each coordinate moves by about `γ / β₁` (`1.11 γ` with the defaults), not `γ` as
/// Adam's; a zero gradient leaves `x` where it is, its momentum then zero. A gradient component
/// beyond about `√MAX` overflows `s`, which is reported as
/// [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the step.
///
/// Defaults: `lr = 1e-3` (optax has no default), `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-16`,
/// `eps_root = 1e-16`, `nesterov = false`.
///
/// References: J. Zhuang, T. Tang, Y. Ding, S. Tatikonda, N. Dvornek, X. Papademetris,
/// J. S. Duncan, "AdaBelief optimizer: Adapting stepsizes by the belief in observed gradients",
/// NeurIPS 2020; the reference library is optax (`optax.adabelief`).
///
/// ```
/// use gradus::{AdaBelief, Optimizer};
/// use ndarray::array;
///
/// // The first step moves each coordinate by γ/β₁ against its gradient's sign.
/// let mut rule = AdaBelief::default();
/// let mut x = array![1.0_f64, 1.0];
/// rule.step(x.view_mut(), array![3.0, -0.5].view(), 0.09)?;
/// assert!((x[0] - 0.9).abs() < 1e-9 && (x[1] - 1.1).abs() < 1e-9);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type AdaBelief<F> = Rule<AdaBeliefConfig<F>>;

zero_state! {
    /// The state of [`AdaBelief`]: one value per coordinate in each buffer.
    pub struct AdaBeliefState<F> {
        /// `m_t`, the first moment estimate.
        exp_avg,
        /// `s_t`, the second moment of the prediction error, `ε_root` included.
        exp_avg_var,
    }
}

/// Everything of one AdaBelief step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct AdaBeliefStep<F> {
    lr: F,
    b1: F,
    /// `1 - β₁`, in the precision of `F`.
    one_minus_b1: F,
    b2: F,
    /// `1 - β₂`, in the precision of `F`.
    one_minus_b2: F,
    /// `1 - β₁ᵗ`.
    bias_correction1: F,
    /// `1 - β₁ᵗ⁺¹`, for Nesterov's momentum.
    next_bias_correction1: F,
    /// `1 - β₂ᵗ`.
    bias_correction2: F,
    eps: F,
    eps_root: F,
}

impl<F: Real> ElementwiseRule for AdaBeliefConfig<F> {
    rule_types!(AdaBeliefState<F>, AdaBeliefStep<F>);

    fn name(&self) -> &'static str {
        if self.nesterov {
            "AdaBelief (Nesterov)"
        } else {
            "AdaBelief"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `eps_root`, a `b1` or `b2` outside `[0, 1)`, or an `eps` that is not finite and
    /// positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut AdaBeliefState<F>, t: usize, lr: F) -> AdaBeliefStep<F> {
        AdaBeliefStep {
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            b2: self.b2,
            one_minus_b2: F::one() - self.b2,
            bias_correction1: bias_correction(self.b1, t),
            next_bias_correction1: bias_correction(self.b1, t + 1),
            bias_correction2: bias_correction(self.b2, t),
            eps: self.eps,
            eps_root: self.eps_root,
        }
    }

    fn apply(
        &self,
        s: AdaBeliefStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_var, ..] = state.into_array();
        let nesterov = self.nesterov;
        kernel::apply_watching(
            x,
            grad,
            [exp_avg, exp_avg_var],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, g, [m, v]| {
                *m = s.one_minus_b1 * g + s.b1 * *m;
                let e = g - *m;
                *v = s.one_minus_b2 * (e * e) + s.b2 * *v + s.eps_root;
                let m_hat = if nesterov {
                    s.b1 * (*m / s.next_bias_correction1)
                        + s.one_minus_b1 * (g / s.bias_correction1)
                } else {
                    *m / s.bias_correction1
                };
                let v_hat = *v / s.bias_correction2;
                *x -= s.lr * (m_hat / (v_hat.sqrt() + s.eps));
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    fn config<F: Real>(nesterov: bool) -> AdaBeliefConfig<F> {
        let l = F::lit;
        AdaBeliefConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.9),
            eps: l(1e-3),
            eps_root: l(1e-4),
            nesterov,
        }
    }

    fn check_against_hand(nesterov: bool) {
        let (lr, b1, b2, eps, eps_root) = (0.05, 0.8, 0.9, 1e-3, 1e-4);
        let mut rule = AdaBelief::new(config(nesterov)).unwrap();
        let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |t, i, g, x| {
            m[i] = (1.0 - b1) * g + b1 * m[i];
            let e = g - m[i];
            v[i] = (1.0 - b2) * e * e + b2 * v[i] + eps_root;
            let m_hat = if nesterov {
                b1 * m[i] / (1.0 - b1.powf(t + 1.0)) + (1.0 - b1) * g / (1.0 - b1.powf(t))
            } else {
                m[i] / (1.0 - b1.powf(t))
            };
            let v_hat = v[i] / (1.0 - b2.powf(t));
            *x -= lr * m_hat / (v_hat.sqrt() + eps);
        });
    }

    #[test]
    fn adabelief_matches_hand_computed_first_four_steps() {
        check_against_hand(false);
    }

    #[test]
    fn nesterov_adabelief_matches_hand_computed_first_four_steps() {
        check_against_hand(true);
    }

    /// The iterates of optax 0.2.8 (`optax.adabelief(0.05, b1=0.8, b2=0.9, eps=1e-3,
    /// eps_root=1e-4, nesterov=...)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let runs = [
            (
                false,
                [
                    [0.9378492951889799, -1.937551226318777, 0.5],
                    [0.9301865172605709, -1.9010088506760012, 0.5],
                    [0.9111750377856381, -1.875449531696015, 0.4581363526613726],
                    [0.8753575888181033, -1.8369605773450648, 0.4393395707180378],
                ],
            ),
            (
                true,
                [
                    [0.9102267597174153, -1.909796215793789, 0.5],
                    [0.928692798331778, -1.8906663819873524, 0.5],
                    [0.9025418937346289, -1.8748766436331556, 0.4304541576732287],
                    [0.8544194228796399, -1.8277909526413685, 0.4276916500302794],
                ],
            ),
        ];
        for (nesterov, expected) in runs {
            let mut rule = AdaBelief::new(config(nesterov)).unwrap();
            assert_reference(&mut rule, &expected);
        }
    }

    #[test]
    fn the_first_step_is_about_lr_over_b1_and_a_zero_gradient_does_not_move() {
        let mut rule = AdaBelief::<f64>::default();
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![2.0, 0.0].view(), 0.1)
            .unwrap();
        let s: f64 = (0.001 * (0.9 * 2.0) * (0.9 * 2.0) + 1e-16) / 0.001;
        assert_close!(x[0], -0.1 * 2.0 / (s.sqrt() + 1e-16));
        assert_close!(x[0], -0.1 / 0.9);
        assert_eq!(x[1], 0.0);
        assert_close!(rule.state().exp_avg_var[1], 1e-16);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        for nesterov in [false, true] {
            let mut single = AdaBelief::<f32>::new(config(nesterov)).unwrap();
            let mut double = AdaBelief::new(config(nesterov)).unwrap();
            // optax 0.2.8 in float32.
            let optax = if nesterov {
                [0.854_419_35_f64, -1.827_791, 0.427_691_64]
            } else {
                [0.875_357_57, -1.836_960_6, 0.439_339_58]
            };
            assert_f32_reference(&mut single, &mut double, optax);
        }
    }

    #[test]
    fn an_overflowing_square_is_reported_after_the_move() {
        let mut rule = AdaBelief::<f64>::default();
        let mut x = array![1.0, 1.0];
        let err = rule
            .step(x.view_mut(), array![1e200, 1.0].view(), 0.1)
            .unwrap_err();
        assert_eq!(
            err,
            Error::NonFiniteState {
                rule: "AdaBelief",
                tensor: None
            }
        );
        assert_close!(x[1], 1.0 - 0.1 / 0.9);
    }

    #[test]
    fn defaults_and_names() {
        assert_eq!(Optimizer::<f64>::name(&AdaBelief::default()), "AdaBelief");
        let nesterov = AdaBelief::<f64>::new(config(true)).unwrap();
        assert_eq!(nesterov.name(), "AdaBelief (Nesterov)");
        let c = AdaBeliefConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.eps, c.eps_root, c.nesterov),
            (1e-3, 0.9, 0.999, 1e-16, 1e-16, false)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(AdaBelief::<f64>::new, {
            lr: [-1.0, f64::NAN],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            eps: [0.0, f64::INFINITY],
            eps_root: [-1e-16, f64::NAN],
        });
        assert_rejects_fields!(AdaBelief::<f32>::new, { b1: [1.5] });
    }
}
