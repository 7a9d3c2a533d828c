//! COCOB-Backprop: the step of each coordinate as a bet of a coin-betting game, with no step
//! size to tune.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Cocob`] (the arguments and defaults of optax's
    /// `optax.contrib.cocob`).
    pub struct CocobConfig<F> {
        /// Multiplier `γ` of the gradient (optax's `learning_rate`), used when the loop sets
        /// none. Default `1.0`: COCOB needs no step size, and `γ` is there for schedules (see
        /// [`Cocob`]).
        pub lr: F = F::one() => NonNegative,
        /// `α > 0`, which bounds the fraction of its wealth each coordinate bets while its
        /// gradients are few: the first step moves each coordinate by `1/max(α, 2)`. Default
        /// `100`.
        pub alpha: F = F::lit(100.0) => Positive,
        /// `ε > 0`, the starting value of the largest gradient magnitude `L`, so that nothing is
        /// divided by zero. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// L2 penalty `λ` added to the gradient before the multiplier. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// COCOB-Backprop (Orabona & Tommasi, 2017): continuous coin betting, a stochastic subgradient
/// method without a step size.
///
/// Each coordinate bets on the sign of its next negative gradient, a fraction of the wealth
/// (`L + R`) it has won so far, and sets `x` to its starting point plus that bet. This is
/// `optax.contrib.cocob` (optax 0.2.8). At step `t` (from 1), with `g_t = γ (∇f(x_{t-1}) +
/// λ x_{t-1})` and `x_0` the point of the first step:
///
/// ```text
/// L_t = max(L_{t-1}, |g_t|)                     L_0 = ε      (largest gradient magnitude)
/// G_t = G_{t-1} + |g_t|                         G_0 = 0      (sum of magnitudes)
/// R_t = max(R_{t-1} - g_t (x_{t-1} - x_0), 0)   R_0 = 0      (reward)
/// C_t = C_{t-1} - g_t                           C_0 = 0      (minus the sum of gradients)
/// x_t = x_0 + C_t / (L_t max(G_t + L_t, α L_t)) · (L_t + R_t)
/// ```
///
/// Everything is element by element. The first step moves each coordinate by
/// `-sign(g)/max(α, 2)` from `x_0` (`0.01` with the defaults); a zero gradient at any time leaves
/// `x` where it is. The state is five values per coordinate: `x_0`, `C`, `L`, `G` and `R`.
///
/// **The step size.** COCOB is learning-rate-free: its default `lr` is `1`, and the loop's step
/// size multiplies the *gradient* it bets on (optax's `learning_rate` enters its chain before
/// `scale_by_cocob`, with `flip_sign=False`), not the update. Since the iterates are unchanged
/// when every gradient is multiplied by the same positive constant (but for `ε`), a constant
/// `lr` other than `1` changes almost nothing; a schedule weighs the gradients of different
/// steps differently, and `lr = 0` leaves `x` where the last step put it.
///
/// **Arithmetic.** The bet is computed as `(C_t / L_t) / max(G_t + L_t, α L_t) · (L_t + R_t)`
/// and written to `x` as `x_0 +` bet. optax computes `C_t / (L_t max(G_t + L_t, α L_t))`, whose
/// product overflows for a gradient beyond about `√(MAX/α)` and would send that coordinate back
/// to `x_0` for good; and it returns the update `x_0 + bet - x_{t-1}`, which its caller adds to
/// `x_{t-1}`. The numbers are the same up to rounding; here `|C_t / L_t| <= t`, so no quotient
/// overflows, and a zero gradient leaves `x` exactly where it is.
///
/// Defaults: `lr = 1`, `alpha = 100`, `eps = 1e-8`, `weight_decay = 0` (optax's; its `mask` of
/// the weight decay is a [`ParameterSet`](crate::params::ParameterSet) group here).
///
/// References: F. Orabona, T. Tommasi, "Training deep networks without learning rates through
/// coin betting", NeurIPS 2017 (Algorithm 2, COCOB-Backprop); the reference library is optax
/// (`optax.contrib.cocob`).
///
/// ```
/// use gradus::{Cocob, Optimizer};
/// use ndarray::array;
///
/// // The first step bets 1/α = 0.01 on each coordinate, against its gradient's sign.
/// let mut cocob = Cocob::default();
/// let mut x = array![1.0_f64, 1.0];
/// cocob.step(x.view_mut(), array![3.0, -0.5].view(), 1.0)?;
/// assert!((x[0] - 0.99).abs() < 1e-12 && (x[1] - 1.01).abs() < 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Cocob<F> = Rule<CocobConfig<F>>;

/// The state of [`Cocob`]: one value per coordinate in each buffer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CocobState<F> {
    /// `x_0`, the point of the first step (filled by that step).
    start: Vec<F>,
    /// `C_t`, minus the sum of the gradients.
    negative_sum: Vec<F>,
    /// `L_t`, the largest gradient magnitude (at least `ε`).
    scale: Vec<F>,
    /// `G_t`, the sum of the gradient magnitudes.
    magnitude_sum: Vec<F>,
    /// `R_t`, the reward.
    reward: Vec<F>,
}

/// Everything of one COCOB step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct CocobStep<F> {
    /// The first step, which records `x_0`.
    first: bool,
    /// The multiplier `γ` of the gradient.
    lr: F,
    weight_decay: WeightDecay<F>,
    alpha: F,
}

impl<F: Real> ElementwiseRule for CocobConfig<F> {
    rule_types!("COCOB", CocobState<F>, CocobStep<F>);

    fn start(&self, state: &mut CocobState<F>, n: usize) {
        // x_0 is written by the first step.
        fill(&mut state.start, n, F::zero());
        fill(&mut state.negative_sum, n, F::zero());
        fill(&mut state.scale, n, self.eps);
        fill(&mut state.magnitude_sum, n, F::zero());
        fill(&mut state.reward, n, F::zero());
    }

    fn buffers(state: &mut CocobState<F>) -> Buffers<'_, F> {
        Buffers::new([
            &mut state.start[..],
            &mut state.negative_sum,
            &mut state.scale,
            &mut state.magnitude_sum,
            &mut state.reward,
        ])
    }

    fn prepare(&self, _state: &mut CocobState<F>, t: usize, lr: F) -> CocobStep<F> {
        CocobStep {
            first: t == 1,
            lr,
            weight_decay: WeightDecay::coupled(self.weight_decay),
            alpha: self.alpha,
        }
    }

    fn apply(
        &self,
        s: CocobStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [start, negative_sum, scale, magnitude_sum, reward] = state.into_array();
        let CocobStep {
            first,
            lr,
            weight_decay: wd,
            alpha,
        } = s;
        kernel::apply(
            x,
            grad,
            [start, negative_sum, scale, magnitude_sum, reward],
            Simd::Widest,
            #[inline(always)]
            move |x, g, [x0, c, l, gs, r]| {
                if first {
                    *x0 = *x;
                }
                let g = lr * wd.gradient(g, *x);
                let magnitude = g.abs();
                *l = if magnitude > *l { magnitude } else { *l };
                *gs += magnitude;
                let won = *r - g * (*x - *x0);
                *r = if won > F::zero() { won } else { F::zero() };
                *c -= g;
                let wealth = *l + *r;
                let room = *gs + *l;
                let cap = alpha * *l;
                let bet = (*c / *l) / (if room > cap { room } else { cap }) * wealth;
                *x = *x0 + bet;
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

    /// Three coordinates; the third has a zero gradient at the first two steps.
    /// Four steps from `x0` against the recurrences written out per coordinate.
    fn check_against_hand(x0: [f64; 3], lr: f64, alpha: f64, eps: f64, wd: f64) {
        let mut rule = Cocob::new(CocobConfig {
            lr: 1.0,
            alpha,
            eps,
            weight_decay: wd,
        })
        .unwrap();
        let (mut l, mut gs, mut r, mut c) = ([eps; 3], [0.0; 3], [0.0; 3], [0.0; 3]);
        assert_matches_hand(&mut rule, lr, x0, &GRADS, |_, i, g, x| {
            let g = lr * (g + wd * *x);
            l[i] = l[i].max(g.abs());
            gs[i] += g.abs();
            r[i] = (r[i] - g * (*x - x0[i])).max(0.0);
            c[i] -= g;
            *x = x0[i] + c[i] / (l[i] * (gs[i] + l[i]).max(alpha * l[i])) * (l[i] + r[i]);
        });
    }

    #[test]
    fn cocob_matches_hand_computed_first_four_steps() {
        check_against_hand([1.0, -2.0, 0.5], 1.0, 100.0, 1e-8, 0.0);
    }

    #[test]
    fn cocob_with_weight_decay_and_a_multiplier_matches_hand_computed_first_four_steps() {
        // α = 3 < 2 + G/L after a few steps, so that both sides of the maximum are taken.
        check_against_hand([1.0, -2.0, 0.5], 0.5, 3.0, 1e-3, 0.1);
    }

    #[test]
    fn cocob_from_an_all_zero_start_matches_hand_computed_first_four_steps() {
        check_against_hand([0.0; 3], 1.0, 4.0, 1e-8, 0.0);
        check_against_hand([0.0; 3], 2.0, 4.0, 1e-2, 0.5);
    }

    /// The iterates of optax 0.2.8 (`optax.contrib.cocob(...)`, run in float64 with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        type Run = (CocobConfig<f64>, [f64; 3], [[f64; 3]; 4]);
        let runs: [Run; 3] = [
            (
                CocobConfig::default(),
                [1.0, -2.0, 0.5],
                [
                    [0.99, -1.99, 0.5],
                    [0.996, -1.9905, 0.5],
                    [0.9919872, -1.99075, 0.49],
                    [0.98387183616, -1.98568409375, 0.4928571428571429],
                ],
            ),
            (
                CocobConfig {
                    lr: 0.5,
                    alpha: 10.0,
                    eps: 1e-3,
                    weight_decay: 0.1,
                },
                [1.0, -2.0, 0.5],
                [
                    [0.9, -1.9, 0.4],
                    [0.935, -1.89548326446281, 0.3056],
                    [0.8824612579861111, -1.8883820755219554, 0.36523083159938363],
                    [0.7798206566625319, -1.823844324865652, 0.3947927698950801],
                ],
            ),
            (
                CocobConfig {
                    alpha: 4.0,
                    ..Default::default()
                },
                [0.0; 3],
                [
                    [-0.25, 0.25, 0.0],
                    [-0.1, 0.2375, 0.0],
                    [-0.20800000000000002, 0.23124999999999998, -0.25],
                    [-0.48256, 0.39744140624999996, -0.17857142857142858],
                ],
            ),
        ];
        for (config, x0, expected) in runs {
            let mut rule = Cocob::new(config).unwrap();
            let mut x = Array1::from(x0.to_vec());
            for (g, want) in GRADS.iter().zip(expected) {
                rule.step(x.view_mut(), ArrayView1::from(g), config.lr)
                    .unwrap();
                for i in 0..3 {
                    assert_close!(x[i], want[i], "{config:?}");
                }
            }
        }
    }

    #[test]
    fn zero_gradients_leave_x_in_place_and_the_first_bet_is_one_over_alpha() {
        let mut rule = Cocob::<f64>::default();
        let mut x = array![0.0, 1.5, -2.0];
        for _ in 0..3 {
            rule.step(x.view_mut(), Array1::zeros(3).view(), 1.0)
                .unwrap();
            assert_eq!(x, array![0.0, 1.5, -2.0]);
        }
        // L = ε and G = 0 until now; the first non-zero gradient bets 1/α.
        rule.step(x.view_mut(), array![1e-12, -4.0, 0.0].view(), 1.0)
            .unwrap();
        assert!(x.iter().all(|v| v.is_finite()));
        // |g| = 1e-12 < ε: L stays ε, and the bet is g/(ε · α ε) · ε = 1e-12 / 1e-6.
        assert_close!(x[0], -1e-12 / (100.0 * 1e-8));
        assert_close!(x[1], 1.5 + 0.01);
        assert_eq!(x[2], -2.0);
        // Zero again: x stays where the last bet put it.
        let before = x.clone();
        rule.step(x.view_mut(), Array1::zeros(3).view(), 1.0)
            .unwrap();
        assert_eq!(x, before);
    }

    #[test]
    fn x0_is_taken_at_the_first_step_and_again_after_a_reset() {
        let mut rule = Cocob::<f64>::default();
        let mut x = array![1.0, -1.0];
        rule.step(x.view_mut(), array![1.0, 1.0].view(), 1.0)
            .unwrap();
        assert_eq!(rule.state().start, [1.0, -1.0]);
        rule.step(x.view_mut(), array![1.0, 1.0].view(), 1.0)
            .unwrap();
        assert_eq!(rule.state().start, [1.0, -1.0]);
        rule.reset();
        let mut y = array![5.0, 6.0];
        rule.step(y.view_mut(), array![-1.0, 0.0].view(), 1.0)
            .unwrap();
        assert_eq!(rule.state().start, [5.0, 6.0]);
        assert_close!(y[0], 5.01);
        assert_eq!(y[1], 6.0);
    }

    #[test]
    fn huge_gradients_keep_every_coordinate_finite_and_moving() {
        // Beyond √(MAX/α) the product L · α L of optax's formula overflows; the quotient taken
        // here does not, and the first bet is still 1/α.
        for g in [1e160, f64::MAX / 2.0, f64::MAX] {
            let mut rule = Cocob::<f64>::default();
            let mut x = array![1.0, 1.0];
            rule.step(x.view_mut(), array![g, 1.0].view(), 1.0).unwrap();
            assert!(x.iter().all(|v| v.is_finite()), "{g:e}: {x}");
            assert_close!(x[1], 0.99);
            if g < f64::MAX / 100.0 {
                assert_close!(x[0], 0.99);
            }
        }
        let mut single = Cocob::<f32>::default();
        let mut x = array![1.0f32];
        single
            .step(x.view_mut(), array![1e30f32].view(), 1.0)
            .unwrap();
        assert!((x[0] - 0.99).abs() < 1e-6, "{x}");
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        fn config<F: Real>() -> CocobConfig<F> {
            let l = F::lit;
            CocobConfig {
                lr: l(0.5),
                alpha: l(10.0),
                eps: l(1e-3),
                weight_decay: l(0.1),
            }
        }
        let mut single = Cocob::<f32>::new(config()).unwrap();
        let mut double = Cocob::<f64>::new(config()).unwrap();
        let mut xs = array![1.0f32, -2.0, 0.5];
        let mut xd = array![1.0f64, -2.0, 0.5];
        for g in GRADS {
            let gs: Array1<f32> = g.iter().map(|&v| v as f32).collect();
            single.step(xs.view_mut(), gs.view(), 0.5).unwrap();
            double
                .step(xd.view_mut(), ArrayView1::from(&g), 0.5)
                .unwrap();
        }
        for i in 0..3 {
            assert!((f64::from(xs[i]) - xd[i]).abs() < 1e-6, "{xs} vs {xd}");
        }
    }

    #[test]
    fn names_and_defaults() {
        assert_eq!(Optimizer::<f64>::name(&Cocob::default()), "COCOB");
        assert_eq!(Optimizer::<f64>::default_lr(&Cocob::default()), 1.0);
        let c = CocobConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.alpha, c.eps, c.weight_decay),
            (1.0, 100.0, 1e-8, 0.0)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Cocob::<f64>::new, {
            lr: [-1.0, f64::INFINITY],
            alpha: [0.0, -100.0, f64::NAN],
            eps: [0.0, -1e-8],
            weight_decay: [-0.1, f64::NAN],
        });
        assert_rejects_fields!(Cocob::<f32>::new, { eps: [f32::NAN] });
    }
}
