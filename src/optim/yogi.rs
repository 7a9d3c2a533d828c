//! Yogi: Adam with a second moment that moves additively, by the sign of its gap to `g²`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::lion::sign;
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Yogi`] (the arguments and defaults of `optax.yogi`, with
    /// `optax.scale_by_yogi`'s `initial_accumulator_value`).
    pub struct YogiConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-2`, the paper's.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Decay rate `β₁` of the first moment, in `[0, 1)`. Default `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Rate `β₂` of the second moment's moves, in `[0, 1)`. Default `0.999`.
        pub b2: F = F::lit(0.999) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-3`, optax's and the paper's
        /// (larger than Adam's).
        pub eps: F = F::lit(1e-3) => Positive,
        /// The starting value `v₀ > 0` of *both* moments (optax starts `m` there too). Default
        /// `1e-6`.
        pub initial_accumulator_value: F = F::lit(1e-6) => Positive,
    }
}

/// Yogi (Zaheer et al., 2018): Adam whose second moment moves towards `g²` by a step
/// proportional to `g²` rather than to its gap, so that it grows as fast as Adam's but shrinks
/// slowly, and a rare large gradient is not forgotten at once.
///
/// This is `optax.yogi` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// m_t = (1 - β₁) g_t + β₁ m_{t-1}                          m_0 = v₀
/// v_t = v_{t-1} - (1 - β₂) sign(v_{t-1} - g_t²) g_t²       v_0 = v₀
/// x_t = x_{t-1} - γ · (m_t / (1 - β₁ᵗ)) / (√(v_t / (1 - β₂ᵗ)) + ε)
/// ```
///
/// Everything is element by element; `sign` is `-1`, `0` or `1`. Adam's second moment is
/// `v_t = v_{t-1} - (1 - β₂)(v_{t-1} - g_t²)`: Yogi keeps only the sign of the gap. Where
/// `v < g²` it grows by `(1 - β₂) g²`, as fast as Adam's at most; where `v > g²` it shrinks by
/// `(1 - β₂) g² < (1 - β₂) v`, so that it stays above `β₂ v`: positive, and slow to forget a
/// large gradient.
///
/// As in optax, both moments start at `v₀` (where Adam starts `m` at zero), and both are
/// divided by Adam's bias corrections `1 - βᵗ`, computed in `f64` and rounded once; the
/// divisions are taken per element, in optax's order. So a zero first gradient still moves `x`,
/// by `γ β₁ v₀ / ((1 - β₁)(√(v₀/(1 - β₂)) + ε))`, about `3e-4 γ` with the defaults. optax's
/// `eps_root` (`0` in `optax.yogi`) is left out. A gradient component beyond about `√MAX`
/// overflows `v`, which is reported as
/// [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the step.
///
/// Defaults: `lr = 1e-2` (optax has no default), `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-3`,
/// `initial_accumulator_value = 1e-6`.
///
/// References: M. Zaheer, S. Reddi, D. Sachan, S. Kale, S. Kumar, "Adaptive methods for
/// nonconvex optimization", NeurIPS 2018; the reference library is optax (`optax.yogi`).
///
/// ```
/// use gradus::{Optimizer, Yogi};
/// use ndarray::array;
///
/// // Like Adam's, the first step moves each coordinate by about γ against its gradient.
/// let mut yogi = Yogi::default();
/// let mut x = array![1.0_f64, 1.0];
/// yogi.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert!((x[0] - 0.9).abs() < 1e-3 && (x[1] - 1.1).abs() < 1e-3);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Yogi<F> = Rule<YogiConfig<F>>;

/// The state of [`Yogi`]: one value per coordinate in each buffer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct YogiState<F> {
    /// `m_t`, the first moment estimate.
    exp_avg: Vec<F>,
    /// `v_t`, the second moment estimate.
    exp_avg_sq: Vec<F>,
}

/// Everything of one Yogi step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct YogiStep<F> {
    lr: F,
    b1: F,
    /// `1 - β₁`, in the precision of `F`.
    one_minus_b1: F,
    /// `1 - β₂`, in the precision of `F`.
    one_minus_b2: F,
    /// `1 - β₁ᵗ`, computed in `f64` and rounded once.
    bias_correction1: F,
    /// `1 - β₂ᵗ`, computed in `f64` and rounded once.
    bias_correction2: F,
    eps: F,
}

/// `1 - βᵗ`, computed in `f64` and rounded once to `F`.
pub(super) fn bias_correction<F: Real>(beta: F, t: usize) -> F {
    F::lit(1.0 - beta.as_f64().powf(t as f64))
}

impl<F: Real> ElementwiseRule for YogiConfig<F> {
    rule_types!("Yogi", YogiState<F>, YogiStep<F>);

    fn start(&self, state: &mut YogiState<F>, n: usize) {
        fill(&mut state.exp_avg, n, self.initial_accumulator_value);
        fill(&mut state.exp_avg_sq, n, self.initial_accumulator_value);
    }

    fn buffers(state: &mut YogiState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.exp_avg[..], &mut state.exp_avg_sq])
    }

    fn prepare(&self, _state: &mut YogiState<F>, t: usize, lr: F) -> YogiStep<F> {
        YogiStep {
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            one_minus_b2: F::one() - self.b2,
            bias_correction1: bias_correction(self.b1, t),
            bias_correction2: bias_correction(self.b2, t),
            eps: self.eps,
        }
    }

    fn apply(
        &self,
        s: YogiStep<F>,
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
            move |x, g, [m, v]| {
                *m = s.one_minus_b1 * g + s.b1 * *m;
                let g2 = g * g;
                *v = *v - s.one_minus_b2 * sign(*v - g2) * g2;
                let m_hat = *m / s.bias_correction1;
                let v_hat = *v / s.bias_correction2;
                *x -= s.lr * (m_hat / (v_hat.sqrt() + s.eps));
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

    fn config<F: Real>() -> YogiConfig<F> {
        let l = F::lit;
        YogiConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.9),
            eps: l(1e-3),
            ..Default::default()
        }
    }

    #[test]
    fn yogi_matches_hand_computed_first_four_steps() {
        let (lr, b1, b2, eps, v0) = (0.05, 0.8, 0.9, 1e-3, 1e-6);
        let mut rule = Yogi::new(config()).unwrap();
        let (mut m, mut v) = ([v0; 3], [v0; 3]);
        let (mut grew, mut shrank) = (false, false);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |t, i, g, x| {
            m[i] = (1.0 - b1) * g + b1 * m[i];
            let g2 = g * g;
            if v[i] < g2 {
                v[i] += (1.0 - b2) * g2;
                grew = true;
            } else if v[i] > g2 {
                v[i] -= (1.0 - b2) * g2;
                shrank |= g2 > 0.0;
            }
            let m_hat = m[i] / (1.0 - b1.powf(t));
            let v_hat = v[i] / (1.0 - b2.powf(t));
            *x -= lr * m_hat / (v_hat.sqrt() + eps);
        });
        assert!(grew && shrank, "the sequence must move v both ways");
    }

    /// The iterates of optax 0.2.8 (`optax.yogi(0.05, b1=0.8, b2=0.9, eps=1e-3)`, float64,
    /// from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9501003971877011, -1.9500251498935768, 0.4999519493853296],
            [0.9435492564384719, -1.9212923431198516, 0.49992496558348004],
            [0.9282675768432631, -1.9018811190409306, 0.46627056588884147],
            [0.9016627607317509, -1.8748994918525166, 0.4494606821594773],
        ];
        let mut rule = Yogi::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn the_first_step_and_a_zero_gradient() {
        let mut rule = Yogi::<f64>::default();
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![2.0, 0.0].view(), 0.1)
            .unwrap();
        // m_1 = 0.1 g + 0.9 v₀, v_1 = v₀ + 0.001 g²; both divided by 1 - β.
        let m = (0.1 * 2.0 + 0.9 * 1e-6) / 0.1;
        let v: f64 = (1e-6 + 0.001 * 4.0) / 0.001;
        assert_close!(x[0], -0.1 * m / (v.sqrt() + 1e-3));
        // A zero gradient moves only by the starting value of m: v = v₀ stays.
        let m = 0.9 * 1e-6 / 0.1;
        let v: f64 = 1e-6 / 0.001;
        assert_close!(x[1], -0.1 * m / (v.sqrt() + 1e-3));
        assert!(x[1] < -2e-5 && x[1] > -3e-5);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Yogi::<f32>::new(config()).unwrap();
        let mut double = Yogi::new(config()).unwrap();
        // optax 0.2.8 in float32.
        let optax = [0.901_662_7_f64, -1.874_899_5, 0.449_460_7];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn an_overflowing_square_is_reported_after_the_move() {
        assert_overflow_reported_after_the_move(&mut Yogi::<f64>::default(), "Yogi");
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Yogi::default()), "Yogi");
        let c = YogiConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.eps, c.initial_accumulator_value),
            (1e-2, 0.9, 0.999, 1e-3, 1e-6)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Yogi::<f64>::new, {
            lr: [-1.0, f64::NAN],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            eps: [0.0, f64::INFINITY],
            initial_accumulator_value: [0.0, -1.0],
        });
        assert_rejects_fields!(Yogi::<f32>::new, { b2: [1.5] });
    }
}
