//! Prodigy: Adam with decoupled weight decay whose step size is learnt from an estimate of the
//! distance to a solution that grows quickly from a small start.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam_family::Moments;
use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use crate::Real;
use crate::error::{Domain, Result, check};

rule_config! {
    /// Hyperparameters of [`Prodigy`] (optax's `contrib.prodigy` arguments and defaults).
    pub struct ProdigyConfig<F> {
        /// Multiplier `γ` of the learnt step size, the loop's step size when it sets none
        /// (optax's `learning_rate`, for a schedule). Default `1`.
        pub lr: F = F::one() => NonNegative,
        /// Decay rates `(β₁, β₂)` of Adam's moment estimates, each in `[0, 1)`. Default
        /// `(0.9, 0.999)`.
        pub betas: (F, F) = (F::lit(0.9), F::lit(0.999)),
        /// Decay rate `β₃` in `[0, 1)` of the numerator `r` and the weighted sum `s` of the
        /// estimate; `None` takes `√β₂`. Default `None`.
        pub beta3: Option<F> = None,
        /// Term `ε > 0` added to `√v`, scaled by the estimate `d`. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// The first estimate `d₀ > 0` of the distance to a solution, an under-estimate.
        /// Default `1e-6`.
        pub estim_lr0: F = F::lit(1e-6) => Positive,
        /// Factor `c > 0` of every new estimate. Default `1`.
        pub estim_lr_coef: F = F::one() => Positive,
        /// Decoupled weight decay `λ`: `x` shrinks by `λ η_k x` at every step (AdamW's). Default
        /// `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Weight the gradients of `s` by `d_k` alone rather than by the step `η_k`, so that a
        /// warm-up schedule starting near zero does not hold the estimate back. Default `false`.
        pub safeguard_warmup: bool = false,
    }
}

/// Prodigy (Mishchenko & Defazio, 2023): Adam with decoupled weight decay whose step size is
/// `d_k γ`, with `d_k` an estimate of the distance from the start to a solution, learnt as the
/// run goes.
///
/// This is `optax.contrib.prodigy`. Step `k` (from 0; the bias corrections count `t = k + 1`):
///
/// ```text
/// g_k  = ∇f(x_k)
/// η_k  = d_k γ √(1 - β₂ᵗ) / (1 - β₁ᵗ)
/// m_k  = β₁ m_{k-1} + (1 - β₁) d_k g_k                       m_{-1} = 0
/// v_k  = β₂ v_{k-1} + (1 - β₂) d_k² g_k²                     v_{-1} = 0
/// r_k  = β₃ r_{k-1} + (d_k / d₀) η_k ⟨g_k, x₀ - x_k⟩          r_{-1} = 0
/// s_k  = β₃ s_{k-1} + (η_k / d₀) d_k g_k                     s_{-1} = 0
/// d_{k+1} = max(d_k, c r_k / ‖s_k‖₁)                         d_0 = d₀
/// x_{k+1} = x_k - λ η_k x_k - η_k m_k / (√v_k + d_{k+1} ε)
/// ```
///
/// Squares, roots and divisions are taken element by element; the inner product and the norm
/// `‖s_k‖₁ = Σ |s_k|` run over all coordinates (of the vector, or of every tensor of a
/// parameter-set group together). With
/// [`safeguard_warmup`](ProdigyConfig::safeguard_warmup), `s_k` adds `(d_k / d₀) d_k g_k`: the
/// step size `γ` then weighs on the numerator only. `γ` multiplies the learnt step (default
/// `1`): the loop's step size or a schedule's factor, as optax's `learning_rate`, for which
/// optax recommends a schedule from 1 down to 0 (linear, after a warm-up of up to a fifth of the
/// run).
///
/// The order of the operations is optax's: the moments and `η_k` use the old estimate `d_k`,
/// `ε` is scaled by the new one `d_{k+1}`, and the numerator takes `x₀ - x_k` before the move.
///
/// The estimate never decreases. Where `‖s_k‖₁ = 0` (every gradient so far zero, or `γ = 0`
/// from the start), optax divides zero by zero and its estimate becomes NaN for good; here `d`
/// is kept as it is and the step goes on (with zero gradients, only the weight decay moves
/// `x`).
///
/// The sums and the scalars `d` and `r` are in the type of `x`, `F`. In `f32`, the first
/// products `⟨g, x₀ - x⟩` are coarse while the steps, about `d₀ γ`, are below the resolution of
/// `x` (about `1e-7 |x|`): the estimate then starts to grow a few steps later than in `f64`.
///
/// Defaults: `lr = 1`, `betas = (0.9, 0.999)`, `beta3 = None` (that is, `√β₂`), `eps = 1e-8`,
/// `estim_lr0 = 1e-6`, `estim_lr_coef = 1`, `weight_decay = 0`, `safeguard_warmup = false`.
///
/// Reference: K. Mishchenko, A. Defazio, "Prodigy: an expeditiously adaptive parameter-free
/// learner", ICML 2024 (arXiv:2306.06101, 2023).
///
/// ```
/// use gradus::{Optimizer, Prodigy};
/// use ndarray::array;
///
/// // f(x) = ½ |x|² from (3, -4): Prodigy starts with steps of d₀ = 1e-6 and learns how far to go.
/// let mut prodigy = Prodigy::default();
/// let mut x = array![3.0_f64, -4.0];
/// for _ in 0..300 {
///     let g = x.clone();
///     prodigy.step(x.view_mut(), g.view(), 1.0)?;
/// }
/// assert!(prodigy.state().d() > 1.0);
/// assert!(x.iter().all(|v| v.abs() < 1e-3));
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Prodigy<F> = Rule<ProdigyConfig<F>>;

/// The state of [`Prodigy`]: the starting point, Adam's moments, the weighted sum of gradients,
/// and the estimate with its numerator.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProdigyState<F> {
    /// `x₀`, the point of the first step.
    x0: Vec<F>,
    /// `m`, the first moment of the gradients scaled by `d`.
    m: Vec<F>,
    /// `v`, the second moment of the gradients scaled by `d`.
    v: Vec<F>,
    /// `s`, the weighted sum of gradients.
    s: Vec<F>,
    /// `d`, the estimate of the distance to a solution.
    d: F,
    /// `r`, the numerator of the estimate.
    numerator: F,
}

impl<F: Real> ProdigyState<F> {
    /// The current estimate `d` of the distance to a solution (`d₀` before the first step): the
    /// step size of the next step is `d γ` up to Adam's bias corrections.
    pub fn d(&self) -> F {
        self.d
    }

    /// The numerator `r` of the estimate.
    pub fn numerator(&self) -> F {
        self.numerator
    }
}

/// `√(1 - β₂ᵗ) / (1 - β₁ᵗ)`, Adam's bias corrections as the D-Adaptation rules fold them into
/// the step size, in `f64`.
pub(super) fn bias_correction<F: Real>(betas: (F, F), t: usize) -> f64 {
    let t = t as f64;
    (1.0 - betas.1.as_f64().powf(t)).sqrt() / (1.0 - betas.0.as_f64().powf(t))
}

/// One step of [`Prodigy`]: before the sums, the scalars of the old estimate; after, the term
/// `d_{k+1} ε`.
#[derive(Debug, Clone, Copy)]
pub struct ProdigyStep<F> {
    /// The first step, whose pass records `x₀`.
    first: bool,
    /// `d_k`, the estimate before this step.
    d: F,
    /// `η_k = d_k γ √(1 - β₂ᵗ) / (1 - β₁ᵗ)`.
    dlr: F,
    moments: Moments<F>,
    /// `β₃`.
    beta3: F,
    /// The factor of `d_k g` in `s`: `η_k / d₀`, or `d_k / d₀` with the safeguard.
    s_coef: F,
    /// `λ η_k`.
    decay: F,
    /// `d_{k+1} ε`, once [`ElementwiseRule::settle`] has `d_{k+1}`.
    eps: F,
}

impl<F: Real> ProdigyStep<F> {
    /// The buffers of one coordinate with gradient `g`: `m`, `v` and `s` from `d_k g`.
    #[inline(always)]
    fn update(self, g: F, m: &mut F, v: &mut F, s: &mut F) {
        let dg = self.d * g;
        *m = self.moments.first(*m, dg);
        *v = self.moments.second(*v, dg);
        *s = self.beta3 * *s + self.s_coef * dg;
    }
}

impl<F: Real> ElementwiseRule for ProdigyConfig<F> {
    rule_types!(ProdigyState<F>, ProdigyStep<F>, [F; 2]);

    fn name(&self) -> &'static str {
        "Prodigy"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a beta outside `[0, 1)` (named `betas.0`, `betas.1` or `beta3`),
    /// or an `eps`, `estim_lr0` or `estim_lr_coef` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        check("betas.0", self.betas.0, Domain::UnitInterval)?;
        check("betas.1", self.betas.1, Domain::UnitInterval)?;
        if let Some(beta3) = self.beta3 {
            check("beta3", beta3, Domain::UnitInterval)?;
        }
        Ok(())
    }

    fn start(&self, state: &mut ProdigyState<F>, n: usize) {
        fill(&mut state.x0, n, F::zero());
        fill(&mut state.m, n, F::zero());
        fill(&mut state.v, n, F::zero());
        fill(&mut state.s, n, F::zero());
        state.d = self.estim_lr0;
        state.numerator = F::zero();
    }

    fn buffers(state: &mut ProdigyState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.x0[..], &mut state.m, &mut state.v, &mut state.s])
    }

    fn prepare(&self, state: &mut ProdigyState<F>, t: usize, lr: F) -> ProdigyStep<F> {
        let d = state.d;
        let dlr = d * lr * F::lit(bias_correction(self.betas, t));
        let s_weight = if self.safeguard_warmup { d } else { dlr };
        ProdigyStep {
            first: t == 1,
            d,
            dlr,
            moments: Moments::new(self.betas),
            beta3: self
                .beta3
                .unwrap_or_else(|| F::lit(self.betas.1.as_f64().sqrt())),
            s_coef: s_weight / self.estim_lr0,
            decay: self.weight_decay * dlr,
            eps: F::zero(),
        }
    }

    /// Records `x₀` on the first step, updates `m`, `v` and `s`, and returns
    /// `[⟨g, x₀ - x⟩, ‖s‖₁]`.
    fn gather(
        &self,
        step: ProdigyStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> [F; 2] {
        let [x0, m, v, s, ..] = state.into_array();
        if step.first {
            kernel::gather(
                x,
                grad,
                [x0, m, v, s],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [x0, m, v, s]| {
                    *x0 = x;
                    step.update(g, m, v, s);
                    [F::zero(), s.abs()]
                },
            )
        } else {
            kernel::gather(
                x,
                grad,
                [x0, m, v, s],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [x0, m, v, s]| {
                    let product = g * (*x0 - x);
                    step.update(g, m, v, s);
                    [product, s.abs()]
                },
            )
        }
    }

    fn settle(
        &self,
        state: &mut ProdigyState<F>,
        mut step: ProdigyStep<F>,
        [product, s_norm]: [F; 2],
    ) -> ProdigyStep<F> {
        state.numerator =
            step.beta3 * state.numerator + (step.d / self.estim_lr0) * step.dlr * product;
        // A zero (or non-finite) denominator leaves the estimate as it is.
        if s_norm > F::zero() {
            let estimate = self.estim_lr_coef * state.numerator / s_norm;
            if estimate > state.d {
                state.d = estimate;
            }
        }
        step.eps = state.d * self.eps;
        step
    }

    fn apply(
        &self,
        step: ProdigyStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [_, m, v, ..] = state.into_array();
        let ProdigyStep {
            dlr, decay, eps, ..
        } = step;
        kernel::apply_watching(
            x,
            grad,
            [m, v],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |x, _g, [m, v]| {
                *x -= decay * *x + dlr * *m / (v.sqrt() + eps);
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

    const X0: [f64; 3] = [1.0, -2.0, 0.5];
    /// Gradients that keep their direction, so that the numerator grows and the estimate with
    /// it.
    /// Prodigy written out by hand on whole vectors.
    struct Hand {
        c: ProdigyConfig<f64>,
        x0: [f64; 3],
        m: [f64; 3],
        v: [f64; 3],
        s: [f64; 3],
        d: f64,
        r: f64,
    }

    impl Hand {
        fn new(c: ProdigyConfig<f64>) -> Self {
            Hand {
                c,
                x0: [0.0; 3],
                m: [0.0; 3],
                v: [0.0; 3],
                s: [0.0; 3],
                d: c.estim_lr0,
                r: 0.0,
            }
        }

        /// Step `t` (from 1) at `x` with gradient `g` and loop step size `lr`.
        fn step(&mut self, t: i32, x: &mut [f64; 3], g: &[f64; 3], lr: f64) {
            let c = self.c;
            let (b1, b2) = c.betas;
            let b3 = c.beta3.unwrap_or(b2.sqrt());
            if t == 1 {
                self.x0 = *x;
            }
            let d = self.d;
            let eta = d * lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
            let product: f64 = (0..3).map(|i| g[i] * (self.x0[i] - x[i])).sum();
            let weight = if c.safeguard_warmup { d } else { eta };
            let buffers = self.m.iter_mut().zip(&mut self.v).zip(&mut self.s);
            for (((m, v), s), g) in buffers.zip(g) {
                *m = b1 * *m + (1.0 - b1) * d * g;
                *v = b2 * *v + (1.0 - b2) * d * d * g * g;
                *s = b3 * *s + weight / c.estim_lr0 * d * g;
            }
            self.r = b3 * self.r + d / c.estim_lr0 * eta * product;
            let s_norm: f64 = self.s.iter().map(|s| s.abs()).sum();
            if s_norm > 0.0 {
                self.d = self.d.max(c.estim_lr_coef * self.r / s_norm);
            }
            for ((x, m), v) in x.iter_mut().zip(&self.m).zip(&self.v) {
                *x -= c.weight_decay * eta * *x + eta * m / (v.sqrt() + self.d * c.eps);
            }
        }
    }

    /// Three steps of the rule and of [`Hand`] with `config`, `lr` and `grads` from `x0`.
    /// Returns the estimates `d` after each step.
    fn check_steps(
        config: ProdigyConfig<f64>,
        lr: f64,
        x0: [f64; 3],
        grads: &[[f64; 3]],
    ) -> Vec<f64> {
        let mut rule = Prodigy::new(config).unwrap();
        let mut hand = Hand::new(config);
        let (mut x, mut hx) = (Array1::from(x0.to_vec()), x0);
        let mut estimates = Vec::new();
        for (t, g) in grads.iter().enumerate() {
            rule.step(x.view_mut(), Array1::from(g.to_vec()).view(), lr)
                .unwrap();
            hand.step(t as i32 + 1, &mut hx, g, lr);
            for i in 0..3 {
                assert_close!(x[i], hx[i], "step {t}, coordinate {i}");
            }
            assert_close!(rule.state().d(), hand.d, "d at step {t}");
            assert_close!(rule.state().numerator(), hand.r, "r at step {t}");
            estimates.push(rule.state().d());
        }
        estimates
    }

    #[test]
    fn prodigy_matches_hand_computed_steps() {
        for (beta3, safeguard_warmup) in [(None, false), (Some(0.7), false), (Some(0.7), true)] {
            let config = ProdigyConfig {
                lr: 1.0,
                betas: (0.8, 0.9),
                beta3,
                eps: 1e-3,
                estim_lr0: 0.05,
                estim_lr_coef: 3.0,
                weight_decay: 0.1,
                safeguard_warmup,
            };
            let d = check_steps(config, 0.7, X0, &CLOSE_GRADS);
            assert!(
                d[2] > d[1] && d[1] > 0.05,
                "the sequence must make the estimate grow: {d:?}"
            );
        }
    }

    #[test]
    fn the_first_step_moves_each_coordinate_by_about_d0_against_its_gradient() {
        // m = (1 - β₁) d₀ g, √v = √(1 - β₂) d₀ |g|: the step is γ d₀ g / (|g| + ε / √(1 - β₂)).
        let mut rule = Prodigy::default();
        let mut x = array![1.0_f64, 1.0];
        rule.step(x.view_mut(), array![3.0, -0.5].view(), 2.0)
            .unwrap();
        let e = 1e-8 / 0.001_f64.sqrt();
        assert_close!(x[0], 1.0 - 2.0 * 1e-6 * 3.0 / (3.0 + e));
        assert_close!(x[1], 1.0 + 2.0 * 1e-6 * 0.5 / (0.5 + e));
        assert_eq!(rule.state().d(), 1e-6, "no distance travelled yet");
    }

    #[test]
    fn a_zero_gradient_at_the_start_keeps_the_estimate_and_stays_finite() {
        let rule = Prodigy::new(ProdigyConfig {
            weight_decay: 0.1,
            ..Default::default()
        });
        // The steps after the zero one are those of a run started with their first gradient.
        assert_a_zero_first_gradient_keeps_the_estimate(rule.unwrap(), |r| r.state().d());
    }

    #[test]
    fn a_zero_start_and_a_zero_step_size_are_harmless() {
        // x₀ = 0: the numerator is ⟨g, -x⟩, nothing special.
        let config = ProdigyConfig {
            estim_lr0: 0.05,
            estim_lr_coef: 3.0,
            ..Default::default()
        };
        let d = check_steps(config, 1.0, [0.0; 3], &CLOSE_GRADS);
        assert!(d[2] > 0.05, "{d:?}");
        // γ = 0 (a warm-up from zero): s stays zero, and so do x and d.
        let mut rule = Prodigy::<f64>::default();
        let mut x = array![1.0, -2.0, 0.5];
        for g in CLOSE_GRADS {
            rule.step(x.view_mut(), Array1::from(g.to_vec()).view(), 0.0)
                .unwrap();
        }
        assert_eq!(x, array![1.0, -2.0, 0.5]);
        assert_eq!(rule.state().d(), 1e-6);
    }

    #[test]
    fn a_nan_gradient_does_not_panic_nor_touch_the_estimate() {
        let mut rule = Prodigy::<f64>::default();
        let mut x = array![1.0, -2.0, 0.5];
        rule.step(x.view_mut(), array![0.5, -2.0, 1.0].view(), 1.0)
            .unwrap();
        let d = rule.state().d();
        // v becomes NaN: the rule says its state is no longer finite.
        assert!(
            rule.step(x.view_mut(), array![f64::NAN, 1.0, 1.0].view(), 1.0)
                .is_err()
        );
        assert_eq!(rule.state().d(), d);
        rule.reset();
        let mut x = array![1.0, -2.0, 0.5];
        rule.step(x.view_mut(), array![0.5, -2.0, 1.0].view(), 1.0)
            .unwrap();
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn f32_follows_f64() {
        // With d₀ = 1e-6 the first steps are below what f32 resolves of x₀ - x at |x| ≈ 3 (its
        // estimates are coarse there, as those of any float32 run); from d₀ = 1e-2 both agree.
        let mut a = Prodigy::<f64>::new(ProdigyConfig {
            estim_lr0: 1e-2,
            ..Default::default()
        })
        .unwrap();
        let mut b = Prodigy::<f32>::new(ProdigyConfig {
            estim_lr0: 1e-2,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![3.0_f64, -4.0, 0.5];
        let mut y = x.mapv(|v| v as f32);
        for _ in 0..20 {
            let (g, h) = (x.clone(), y.clone());
            a.step(x.view_mut(), g.view(), 1.0).unwrap();
            b.step(y.view_mut(), h.view(), 1.0).unwrap();
        }
        for (a, b) in x.iter().zip(&y) {
            assert!((a - f64::from(*b)).abs() <= 1e-4 * a.abs(), "{x} {y}");
        }
        let (d64, d32) = (a.state().d(), f64::from(b.state().d()));
        assert!(d64 > 1e-2 && (d64 - d32).abs() <= 1e-4 * d64, "{d64} {d32}");
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Prodigy::<f64>::new, {
            lr: [-1.0],
            betas.0: [1.0],
            betas.1: [f64::NAN],
            beta3: [Some(1.0), Some(-0.1)],
            eps: [0.0],
            estim_lr0: [0.0, f64::INFINITY],
            estim_lr_coef: [-1.0],
            weight_decay: [-0.1],
        });
    }
}
