//! ADOPT: Adam with the second moment of the previous steps, normalising the gradient before
//! the momentum.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`Adopt`] (the arguments and defaults of optax's
    /// `optax.contrib.adopt`).
    pub struct AdoptConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`, the default of the authors' implementation and Adam's.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β₁` of the momentum of the normalised gradients, in `[0, 1)`. Default
        /// `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the second moment estimate, in `[0, 1)`. Default `0.9999`.
        pub b2: F = F::lit(0.9999) => UnitInterval,
        /// Floor `ε > 0` of the denominator `max(√v, ε)`. Default `1e-6`.
        pub eps: F = F::lit(1e-6) => Positive,
        /// Nesterov's momentum: step along `β₁ m_t + (1 - β₁) u_t` instead of `m_t`. Default
        /// `false`.
        pub nesterov: bool = false,
        /// Clip each normalised gradient to `[-(t-1)^¼, (t-1)^¼]` at step `t` (optax's default
        /// `clip_value_fn`, `count ** 0.25`). Default `true`.
        pub use_clipping: bool = true,
    }
}

/// ADOPT (Taniguchi et al., 2024): Adam with the gradient normalised by the second moment of
/// the *previous* steps, and the momentum taken after that normalisation.
///
/// This is `optax.contrib.adopt` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// t = 1:   v_1 = g_1²      m_1 = 0      x_1 = x_0                      (no move)
/// t > 1:   u_t = clip(g_t / max(√v_{t-1}, ε), c_t)      c_t = (t - 1)^¼
///          m_t = β₁ m_{t-1} + (1 - β₁) u_t
///          v_t = β₂ v_{t-1} + (1 - β₂) g_t²
///          x_t = x_{t-1} - γ m_t                                        (plain)
///          x_t = x_{t-1} - γ (β₁ m_t + (1 - β₁) u_t)                    (nesterov)
/// ```
///
/// Squares, roots, maxima, divisions and the clip `clip(u, c) = min(max(u, -c), c)` are taken
/// element by element; without [`use_clipping`](AdoptConfig::use_clipping), `u_t` is not
/// clipped. Two differences from Adam make ADOPT converge for any `β₂` at the optimal rate on
/// smooth non-convex problems: the gradient `g_t` is divided by `v_{t-1}`, which does not depend
/// on it, and the division comes before the momentum, not after. There is no bias correction.
///
/// The first step only sets the second moment to `g_1²` and leaves `x` where it is (optax
/// returns a zero update at its `count = 0`). A coordinate whose gradients were all zero so far
/// has `v = 0`, and its next non-zero gradient is divided by `ε`: the clip then bounds `|u_t|`
/// by `c_t`; without the clip the step is `(1 - β₁) γ |g_t| / ε`, finite but large (`γ = 1e-3`
/// and `g = 1` move that coordinate by about `100`), exactly as in optax. This is why the clip
/// is on by default.
///
/// The step size `γ` is the loop's `lr`, which multiplies the update, as optax's
/// `learning_rate` does (ADOPT is not learning-rate-free: optax requires one). The decay
/// coefficients `1 - β` are computed in the precision of `F`, as optax computes them in the
/// precision of the parameters. A gradient component beyond about `√MAX` overflows `v`, which is
/// reported as [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the step.
///
/// Defaults: `lr = 1e-3` (optax has no default), `b1 = 0.9`, `b2 = 0.9999`, `eps = 1e-6`,
/// `nesterov = false`, `use_clipping = true`. optax's `mu_dtype` (the precision of `m`) is that
/// of `F` here, and its `clip_value_fn` is fixed to its default `(t - 1)^¼`.
///
/// References: S. Taniguchi, K. Harada, G. Minegishi, Y. Oshima, S. C. Jeong, G. Nagahara,
/// T. Iiyama, M. Suzuki, Y. Iwasawa, Y. Matsuo, "ADOPT: Modified Adam can converge with any β₂
/// with the optimal rate", NeurIPS 2024; the reference library is optax
/// (`optax.contrib.adopt`).
///
/// ```
/// use gradus::{Adopt, Optimizer};
/// use ndarray::array;
///
/// let mut adopt = Adopt::default();
/// let mut x = array![1.0_f64, 1.0];
/// // The first step only records the squared gradient.
/// adopt.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert_eq!(x, array![1.0, 1.0]);
/// // The second divides the gradient by the first one's magnitude, clips it to [-1, 1], and
/// // moves by γ (1 - β₁) u: here 0.1 · 0.1 · (±1).
/// adopt.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert!((x[0] - 0.99).abs() < 1e-12 && (x[1] - 1.01).abs() < 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Adopt<F> = Rule<AdoptConfig<F>>;

zero_state! {
    /// The state of [`Adopt`]: one value per coordinate in each buffer.
    pub struct AdoptState<F> {
        /// `m_t`, the momentum of the normalised gradients.
        exp_avg,
        /// `v_t`, the second moment estimate.
        exp_avg_sq,
    }
}

/// Everything of one ADOPT step that is the same for all coordinates, computed once per step.
#[derive(Debug, Clone, Copy)]
pub struct AdoptStep<F> {
    /// The first step, which only sets `v`.
    first: bool,
    lr: F,
    b1: F,
    /// `1 - β₁`, in the precision of `F`.
    one_minus_b1: F,
    b2: F,
    /// `1 - β₂`, in the precision of `F`.
    one_minus_b2: F,
    eps: F,
    /// `c_t = (t - 1)^¼`, computed in `f64` and rounded once.
    clip: F,
}

impl<F: Real> AdoptStep<F> {
    /// The normalised, clipped gradient `u_t` from `g_t` and `v_{t-1}`. A NaN goes through, as
    /// in optax (`jnp.maximum` and `jnp.clip` propagate it).
    #[inline(always)]
    fn normalised(self, g: F, v: F, clipping: bool) -> F {
        let root = v.sqrt();
        let u = g / if root < self.eps { self.eps } else { root };
        if !clipping {
            u
        } else if u > self.clip {
            self.clip
        } else if u < -self.clip {
            -self.clip
        } else {
            u
        }
    }
}

impl<F: Real> ElementwiseRule for AdoptConfig<F> {
    rule_types!(AdoptState<F>, AdoptStep<F>);

    fn name(&self) -> &'static str {
        if self.nesterov {
            "ADOPT (Nesterov)"
        } else {
            "ADOPT"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, a `b1` or `b2` outside `[0, 1)`, or an `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut AdoptState<F>, t: usize, lr: F) -> AdoptStep<F> {
        AdoptStep {
            first: t == 1,
            lr,
            b1: self.b1,
            one_minus_b1: F::one() - self.b1,
            b2: self.b2,
            one_minus_b2: F::one() - self.b2,
            eps: self.eps,
            clip: F::lit((t.saturating_sub(1) as f64).powf(0.25)),
        }
    }

    fn apply(
        &self,
        s: AdoptStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [exp_avg, exp_avg_sq, ..] = state.into_array();
        if s.first {
            // m stays at its start, 0, and x does not move.
            return kernel::apply_watching(
                x,
                grad,
                [exp_avg_sq],
                Simd::Streaming,
                Watched::<0>,
                #[inline(always)]
                move |_, g, [v]| *v = g * g,
            );
        }
        let (clipping, nesterov) = (self.use_clipping, self.nesterov);
        kernel::apply_watching(
            x,
            grad,
            [exp_avg, exp_avg_sq],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, g, [m, v]| {
                let u = s.normalised(g, *v, clipping);
                *m = s.b1 * *m + s.one_minus_b1 * u;
                *v = s.b2 * *v + s.one_minus_b2 * (g * g);
                let d = if nesterov {
                    s.b1 * *m + s.one_minus_b1 * u
                } else {
                    *m
                };
                *x -= s.lr * d;
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
    use ndarray::{Array1, array};

    /// Three coordinates; the third has a zero gradient at the first two steps, so that its
    /// `v` is zero when its first non-zero gradient comes.
    /// Four steps against the recurrences written out per coordinate, with non-default
    /// hyperparameters.
    fn check_against_hand(nesterov: bool, use_clipping: bool) {
        let (lr, b1, b2, eps): (f64, f64, f64, f64) = (0.05, 0.8, 0.9, 1e-3);
        let mut rule = Adopt::new(AdoptConfig {
            lr: 1.0,
            b1,
            b2,
            eps,
            nesterov,
            use_clipping,
        })
        .unwrap();
        let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
        let mut clipped = false;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |t, i, g, x| {
            if t == 1.0 {
                v[i] = g * g;
                return;
            }
            let mut u = g / v[i].sqrt().max(eps);
            let c = (t - 1.0).powf(0.25);
            if use_clipping && u.abs() > c {
                u = c * u.signum();
                clipped = true;
            }
            m[i] = b1 * m[i] + (1.0 - b1) * u;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let d = if nesterov {
                b1 * m[i] + (1.0 - b1) * u
            } else {
                m[i]
            };
            *x -= lr * d;
        });
        assert_eq!(clipped, use_clipping, "the sequence must exercise the clip");
    }

    #[test]
    fn adopt_matches_hand_computed_first_four_steps() {
        check_against_hand(false, true);
    }

    #[test]
    fn adopt_without_clipping_matches_hand_computed_first_four_steps() {
        check_against_hand(false, false);
    }

    #[test]
    fn nesterov_adopt_matches_hand_computed_first_four_steps() {
        check_against_hand(true, true);
        check_against_hand(true, false);
    }

    /// The iterates of optax 0.2.8 (`optax.contrib.adopt(0.05, b1=0.8, b2=0.9, eps=1e-3, ...)`,
    /// run in float64 from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let runs: [(bool, bool, [[f64; 3]; 4]); 3] = [
            (
                false,
                true,
                [
                    [1.0, -2.0, 0.5],
                    [1.006, -2.0005, 0.5],
                    [1.0066655088470264, -2.001163486545535, 0.4881079288499728],
                    [0.9985632580891206, -1.9961397059036674, 0.4876293509590035],
                ],
            ),
            (
                false,
                false,
                [
                    [1.0, -2.0, 0.5],
                    [1.006, -2.0005, 0.5],
                    [1.0066655088470264, -2.001163486545535, -6.499999999999997],
                    [0.9985632580891206, -1.9961397059036674, -12.090964920970944],
                ],
            ),
            (
                true,
                true,
                [
                    [1.0, -2.0, 0.5],
                    [1.0108, -2.0009, 0.5],
                    [1.0071979159246474, -2.0016942757819627, 0.478594271929951],
                    [0.9920814574827959, -1.9921206813901733, 0.4872464886462281],
                ],
            ),
        ];
        for (nesterov, use_clipping, expected) in runs {
            let mut rule = Adopt::new(AdoptConfig {
                b1: 0.8,
                b2: 0.9,
                eps: 1e-3,
                nesterov,
                use_clipping,
                ..Default::default()
            })
            .unwrap();
            assert_reference(&mut rule, &expected);
        }
    }

    #[test]
    fn the_first_step_does_not_move_even_a_huge_gradient_and_the_second_is_clipped_to_one() {
        let mut rule = Adopt::<f64>::default();
        let mut x = array![0.5, -0.25];
        let g = array![1e150, -3.0];
        rule.step(x.view_mut(), g.view(), 1.0).unwrap();
        assert_eq!(x, array![0.5, -0.25]);
        assert_eq!(rule.state().exp_avg, [0.0, 0.0]);
        assert_eq!(rule.state().exp_avg_sq, [1e150 * 1e150, 9.0]);
        // u = g / |g_1| = ±1, at the clip c_2 = 1; m = (1 - β₁) u.
        rule.step(x.view_mut(), g.view(), 1.0).unwrap();
        assert_close!(x[0], 0.5 - 0.1);
        assert_close!(x[1], -0.25 + 0.1);
    }

    #[test]
    fn zero_gradients_at_the_start_stay_finite_and_the_clip_bounds_the_next_step() {
        for use_clipping in [true, false] {
            let mut rule = Adopt::new(AdoptConfig {
                use_clipping,
                ..Default::default()
            })
            .unwrap();
            let mut x = array![0.0, 1.5];
            let zero = Array1::zeros(2);
            for _ in 0..3 {
                rule.step(x.view_mut(), zero.view(), 1e-3).unwrap();
                assert_eq!(x, array![0.0, 1.5]);
            }
            // v = 0: u = g / ε, which the clip c_4 = 3^¼ bounds.
            rule.step(x.view_mut(), array![2.0, -1e-9].view(), 1e-3)
                .unwrap();
            let c = 3f64.powf(0.25);
            if use_clipping {
                assert_close!(x[0], -1e-3 * 0.1 * c);
                assert_close!(x[1], 1.5 + 1e-3 * 0.1 * 1e-3);
            } else {
                assert_close!(x[0], -1e-3 * 0.1 * 2.0 / 1e-6);
                assert_close!(x[1], 1.5 + 1e-3 * 0.1 * 1e-9 / 1e-6);
            }
            assert!(x.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn an_all_zero_start_moves_like_any_other() {
        let mut at_zero = Adopt::<f64>::default();
        let mut shifted = Adopt::<f64>::default();
        let (mut x, mut y) = (Array1::zeros(2), array![1.0, 1.0]);
        for g in [array![0.5, -1.0], array![0.25, 2.0], array![-1.0, 0.5]] {
            at_zero.step(x.view_mut(), g.view(), 0.1).unwrap();
            shifted.step(y.view_mut(), g.view(), 0.1).unwrap();
        }
        // ADOPT's step does not depend on x.
        assert_close!(x[0], y[0] - 1.0);
        assert_close!(x[1], y[1] - 1.0);
        assert!(x.iter().all(|&v| v != 0.0), "{x}");
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        fn config<F: Real>() -> AdoptConfig<F> {
            let l = F::lit;
            AdoptConfig {
                b1: l(0.8),
                b2: l(0.9),
                eps: l(1e-3),
                ..Default::default()
            }
        }
        let mut single = Adopt::<f32>::new(config()).unwrap();
        let mut double = Adopt::<f64>::new(config()).unwrap();
        // optax 0.2.8 in float32 (JAX's default precision) ends at these very numbers.
        let optax = [0.998_563_35_f32, -1.996_139_6, 0.487_629_35];
        let xs = assert_f32_reference(&mut single, &mut double, optax.map(f64::from));
        assert_eq!(xs.to_vec(), optax);
        // 1 - β is taken in f32, as optax takes it in the parameters' precision.
        let s = single.config().prepare(&mut AdoptState::default(), 2, 1.0);
        assert_eq!(s.one_minus_b1, 1.0f32 - 0.8f32);
    }

    #[test]
    fn an_overflowing_square_is_reported_after_the_move() {
        for first in [true, false] {
            let mut rule = Adopt::<f64>::default();
            let mut x = array![1.0, 1.0];
            if !first {
                rule.step(x.view_mut(), array![1.0, 1.0].view(), 0.1)
                    .unwrap();
            }
            let err = rule
                .step(x.view_mut(), array![1e200, 1.0].view(), 0.1)
                .unwrap_err();
            assert_eq!(
                err,
                Error::NonFiniteState {
                    rule: "ADOPT",
                    tensor: None
                }
            );
            if !first {
                // The other coordinate moved: u = 1, m = 0.1.
                assert_close!(x[1], 1.0 - 0.1 * 0.1);
            }
        }
    }

    #[test]
    fn names_say_the_variant() {
        assert_eq!(Optimizer::<f64>::name(&Adopt::default()), "ADOPT");
        let nesterov = Adopt::<f64>::new(AdoptConfig {
            nesterov: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(nesterov.name(), "ADOPT (Nesterov)");
        let c = AdoptConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.eps, c.nesterov, c.use_clipping),
            (1e-3, 0.9, 0.9999, 1e-6, false, true)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Adopt::<f64>::new, {
            lr: [-1e-3, f64::NAN],
            b1: [1.0, -0.1],
            b2: [1.0, f64::NAN],
            eps: [0.0, f64::INFINITY],
        });
        assert_rejects_fields!(Adopt::<f32>::new, { b2: [1.5] });
    }
}
