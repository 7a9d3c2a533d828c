//! Adan: adaptive Nesterov momentum, estimated from the differences of successive gradients.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use super::yogi::bias_correction;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Adan`] (the arguments and defaults of `optax.adan`).
    pub struct AdanConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`, the authors' implementation's.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β₁` of the gradients' average, in `[0, 1)`. Default `0.98`.
        pub b1: F = F::lit(0.98) => UnitInterval,
        /// Decay rate `β₂` of the average of the gradients' differences, in `[0, 1)`. Default
        /// `0.92`.
        pub b2: F = F::lit(0.92) => UnitInterval,
        /// Decay rate `β₃` of the second moment, in `[0, 1)`. Default `0.99`.
        pub b3: F = F::lit(0.99) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// Term `ε_root >= 0` added to the second moment under the root. Default `1e-8`.
        pub eps_root: F = F::lit(1e-8) => NonNegative,
        /// Weight decay `λ`, added to the update before the step size multiplies it (a
        /// shrinking of `x` by `1 - γλ`). Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// Adan (Xie et al., 2022): Adam on a Nesterov-style extrapolation of the gradient, estimated
/// from the difference of successive gradients so that no gradient is taken at an extrapolated
/// point.
///
/// This is `optax.adan` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})` and
/// `d_t = g_t - g_{t-1}` (`d_1 = 0`):
///
/// ```text
/// m_t = (1 - β₁) g_t + β₁ m_{t-1}                                m_0 = 0
/// v_t = (1 - β₂) d_t + β₂ v_{t-1}                                v_0 = 0
/// n_t = (1 - β₃) (g_t + (1 - β₂) d_t)² + β₃ n_{t-1}              n_0 = 0
/// u_t = (m_t/(1 - β₁ᵗ) + (1 - β₂) v_t/(1 - β₂ᵗ)) / (√(n_t/(1 - β₃ᵗ) + ε_root) + ε)
/// x_t = x_{t-1} - γ (u_t + λ x_{t-1})
/// ```
///
/// Everything is element by element; the state is four values per coordinate (`m`, `v`, `n`
/// and the previous gradient). The rates are optax's: the paper writes `m_k = (1 - β₁) m_{k-1}
/// + β₁ g_k`, so its `β₁ = 0.02` is `b1 = 0.98` here, and likewise for `β₂` and `β₃`. As in
/// optax (and the authors' implementation) the three averages are bias-corrected, the
/// corrections computed in `f64` and rounded once and the divisions taken per element in optax's
/// order, and the weight decay is added to the update, where the paper divides by `1 + γλ`
/// instead. A gradient component beyond about `√MAX` overflows `n`, which is reported as
/// [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the step.
///
/// The first step has no previous gradient: `d_1 = 0`, as in optax, so that it is Adam's first
/// step with `ε_root`, about `γ` against the gradient's sign. A zero gradient after non-zero
/// ones still moves `x` (the averages and the difference remember them).
///
/// Defaults: `lr = 1e-3` (optax has no default), `b1 = 0.98`, `b2 = 0.92`, `b3 = 0.99`,
/// `eps = 1e-8`, `eps_root = 1e-8`, `weight_decay = 0`.
///
/// References: X. Xie, P. Zhou, H. Li, Z. Lin, S. Yan, "Adan: Adaptive Nesterov momentum
/// algorithm for faster optimizing deep models", IEEE TPAMI 2024 (arXiv 2208.06677, 2022); the
/// reference library is optax (`optax.adan`).
///
/// ```
/// use gradus::{Adan, Optimizer};
/// use ndarray::array;
///
/// // The first step moves each coordinate by about γ against its gradient's sign.
/// let mut adan = Adan::default();
/// let mut x = array![1.0_f64, 1.0];
/// adan.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert!((x[0] - 0.9).abs() < 1e-6 && (x[1] - 1.1).abs() < 1e-6);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Adan<F> = Rule<AdanConfig<F>>;

zero_state! {
    /// The state of [`Adan`]: one value per coordinate in each buffer.
    pub struct AdanState<F> {
        /// `m_t`, the average of the gradients.
        exp_avg,
        /// `v_t`, the average of the gradients' differences.
        exp_avg_diff,
        /// `n_t`, the second moment of the extrapolated gradient.
        exp_avg_sq,
        /// `g_{t-1}`, the previous gradient.
        prev_grad,
    }
}

/// Everything of one Adan step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct AdanStep<F> {
    /// The first step, whose gradient difference is zero.
    first: bool,
    lr: F,
    b1: F,
    one_minus_b1: F,
    b2: F,
    one_minus_b2: F,
    b3: F,
    one_minus_b3: F,
    bias_correction1: F,
    bias_correction2: F,
    bias_correction3: F,
    eps: F,
    eps_root: F,
    weight_decay: F,
}

impl<F: Real> ElementwiseRule for AdanConfig<F> {
    rule_types!("Adan", AdanState<F>, AdanStep<F>);

    zero_state_items!();

    fn prepare(&self, _state: &mut AdanState<F>, t: usize, lr: F) -> AdanStep<F> {
        AdanStep {
            first: t == 1,
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            b2: self.b2,
            one_minus_b2: F::one() - self.b2,
            b3: self.b3,
            one_minus_b3: F::one() - self.b3,
            bias_correction1: bias_correction(self.b1, t),
            bias_correction2: bias_correction(self.b2, t),
            bias_correction3: bias_correction(self.b3, t),
            eps: self.eps,
            eps_root: self.eps_root,
            weight_decay: self.weight_decay,
        }
    }

    fn apply(
        &self,
        s: AdanStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_diff, exp_avg_sq, prev_grad, ..] = state.into_array();
        kernel::apply_watching(
            x,
            grad,
            [exp_avg, exp_avg_diff, exp_avg_sq, prev_grad],
            Simd::Widest,
            Watched::<2>,
            #[inline(always)]
            move |x, g, [m, v, n, g_prev]| {
                let d = if s.first { F::zero() } else { g - *g_prev };
                *m = s.one_minus_b1 * g + s.b1 * *m;
                *v = s.one_minus_b2 * d + s.b2 * *v;
                let extrapolated = g + s.one_minus_b2 * d;
                *n = s.one_minus_b3 * (extrapolated * extrapolated) + s.b3 * *n;
                *g_prev = g;
                let m_hat = *m / s.bias_correction1;
                let v_hat = *v / s.bias_correction2;
                let n_hat = *n / s.bias_correction3;
                let u = (m_hat + s.one_minus_b2 * v_hat) / ((n_hat + s.eps_root).sqrt() + s.eps);
                *x -= s.lr * (u + s.weight_decay * *x);
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

    fn config<F: Real>() -> AdanConfig<F> {
        let l = F::lit;
        AdanConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.7),
            b3: l(0.9),
            eps: l(1e-3),
            eps_root: l(1e-4),
            weight_decay: l(0.1),
        }
    }

    #[test]
    fn adan_matches_hand_computed_first_four_steps() {
        let (lr, b1, b2, b3, eps, eps_root, wd) = (0.05, 0.8, 0.7, 0.9, 1e-3, 1e-4, 0.1);
        let mut rule = Adan::new(config()).unwrap();
        let (mut m, mut v, mut n, mut prev) = ([0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]);
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |t, i, g, x| {
            let d = if t == 1.0 { 0.0 } else { g - prev[i] };
            prev[i] = g;
            m[i] = (1.0 - b1) * g + b1 * m[i];
            v[i] = (1.0 - b2) * d + b2 * v[i];
            let e = g + (1.0 - b2) * d;
            n[i] = (1.0 - b3) * e * e + b3 * n[i];
            let m_hat = m[i] / (1.0 - b1.powf(t));
            let v_hat = v[i] / (1.0 - b2.powf(t));
            let n_hat = n[i] / (1.0 - b3.powf(t));
            let u = (m_hat + (1.0 - b2) * v_hat) / ((n_hat + eps_root).sqrt() + eps);
            *x -= lr * (u + wd * *x);
        });
    }

    /// The iterates of optax 0.2.8 (`optax.adan(0.05, b1=0.8, b2=0.7, b3=0.9, eps=1e-3,
    /// eps_root=1e-4, weight_decay=0.1)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9451097575358158, -1.9400256118700123, 0.4975],
            [0.9485771093622718, -1.9146487045921001, 0.4950125],
            [0.9324203479975939, -1.8932749717957973, 0.45798316866125655],
            [0.9030207870170991, -1.856796399116541, 0.4487843511313435],
        ];
        let mut rule = Adan::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn the_first_step_has_no_difference_and_a_zero_gradient_moves_by_the_memory() {
        let mut rule = Adan::<f64>::default();
        let mut x = array![0.0, 0.0];
        // A previous gradient of zero would make d_1 = g_1; optax takes d_1 = 0.
        rule.step(x.view_mut(), array![2.0, 0.0].view(), 0.1)
            .unwrap();
        let n_hat: f64 = 4.0 + 1e-8;
        assert_close!(x[0], -0.1 * 2.0 / (n_hat.sqrt() + 1e-8));
        assert_eq!(x[1], 0.0);
        assert_eq!(rule.state().exp_avg_diff, [0.0, 0.0]);
        assert_eq!(rule.state().prev_grad, [2.0, 0.0]);
        let before = x[0];
        rule.step(x.view_mut(), array![0.0, 0.0].view(), 0.1)
            .unwrap();
        assert!(x[0] < before, "the memory of the gradient moves x on");
        assert_eq!(x[1], 0.0);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Adan::<f32>::new(config()).unwrap();
        let mut double = Adan::new(config()).unwrap();
        // optax 0.2.8 in float32.
        let optax = [0.903_020_74_f64, -1.856_796_4, 0.448_784_32];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn an_overflowing_square_is_reported_after_the_move() {
        assert_overflow_reported_after_the_move(&mut Adan::<f64>::default(), "Adan");
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Adan::default()), "Adan");
        let c = AdanConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.b3, c.eps, c.eps_root, c.weight_decay),
            (1e-3, 0.98, 0.92, 0.99, 1e-8, 1e-8, 0.0)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Adan::<f64>::new, {
            lr: [-1.0, f64::NAN],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            b3: [1.0, -1e-9],
            eps: [0.0, f64::INFINITY],
            eps_root: [-1e-8],
            weight_decay: [-0.1, f64::INFINITY],
        });
        assert_rejects_fields!(Adan::<f32>::new, { b3: [1.5] });
    }
}
