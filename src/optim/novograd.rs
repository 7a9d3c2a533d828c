//! NovoGrad: momentum on gradients normalised by a per-layer second moment `‖g‖²`.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use crate::Real;

rule_config! {
    /// Hyperparameters of [`NovoGrad`] (the arguments and defaults of `optax.novograd`).
    pub struct NovoGradConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decay rate `β₁` of the first moment, in `[0, 1)`. Default `0.9`.
        pub b1: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the per-layer second moment, in `[0, 1)`. Default `0.25`.
        pub b2: F = F::lit(0.25) => UnitInterval,
        /// Term `ε > 0` added to the denominator. Default `1e-6`.
        pub eps: F = F::lit(1e-6) => Positive,
        /// Term `ε_root >= 0` added to the second moment under the root. Default `0`.
        pub eps_root: F = F::zero() => NonNegative,
        /// Weight decay `λ`, added to the normalised gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// NovoGrad (Ginsburg et al., 2019): momentum SGD on gradients normalised per layer by the
/// running average of the layer's squared gradient norm, a second moment of one scalar per
/// layer instead of one per coordinate.
///
/// This is `optax.novograd` (optax 0.2.8). At step `t` (from 1), with `g_t = ∇f(x_{t-1})`,
/// for each layer:
///
/// ```text
/// ν_t = ‖g_t‖²                                     t = 1
/// ν_t = (1 - β₂) ‖g_t‖² + β₂ ν_{t-1}                t > 1
/// m_t = g_t / (√(ν_t + ε_root) + ε) + λ x_{t-1}     t = 1
/// m_t = β₁ m_{t-1} + g_t / (√(ν_t + ε_root) + ε) + λ x_{t-1}
/// x_t = x_{t-1} - γ m_t
/// ```
///
/// `ν` is the layer's: of the vector of a single [`NovoGrad`], or of each tensor of a
/// [`ParameterSet`](crate::params::ParameterSet) (the rule gathers its sums
/// [per tensor](ElementwiseRule::SUMS_PER_TENSOR)), kept in the state one scalar per tensor.
/// As in optax the moments are not bias-corrected (the first step starts `ν` at `‖g₁‖²` and
/// `m` at the first normalised gradient), and `m` adds the new term undamped. A layer whose
/// gradient is zero on the first step keeps `ν = 0` and moves only by its weight decay.
///
/// The state is one value per coordinate (`m`) and one per layer (`ν`). A layer's `‖g‖²`
/// beyond `MAX` is infinite: that layer's normalised gradients are then zero, and its `ν`
/// stays infinite, so it moves no more but by its momentum and weight decay.
///
/// Defaults: `lr = 1e-3` (optax has no default), `b1 = 0.9`, `b2 = 0.25`, `eps = 1e-6`,
/// `eps_root = 0`, `weight_decay = 0`.
///
/// References: B. Ginsburg, P. Castonguay, O. Hrinchuk, O. Kuchaiev, V. Lavrukhin, R. Leary,
/// J. Li, H. Nguyen, Y. Zhang, J. M. Cohen, "Stochastic gradient methods with layer-wise
/// adaptive moments for training of deep networks", arXiv 1905.11286, 2019; the reference
/// library is optax (`optax.novograd`).
///
/// ```
/// use gradus::{NovoGrad, Optimizer};
/// use ndarray::array;
///
/// // The first step is γ g/‖g‖: here ‖g‖ = 5.
/// let mut novograd = NovoGrad::default();
/// let mut x = array![1.0_f64, 1.0];
/// novograd.step(x.view_mut(), array![3.0, 4.0].view(), 0.5)?;
/// assert!((x[0] - (1.0 - 0.5 * 0.6)).abs() < 1e-6 && (x[1] - (1.0 - 0.5 * 0.8)).abs() < 1e-6);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type NovoGrad<F> = Rule<NovoGradConfig<F>>;

/// The state of [`NovoGrad`]: the first moment, one value per coordinate, and the second
/// moment, one value per layer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NovoGradState<F> {
    /// `m_t`, the first moment.
    exp_avg: Vec<F>,
    /// `ν_t` of each layer: of the vector, or of each tensor of a parameter-set group by its
    /// position within the group (filled on the first step).
    layer_sq_norm: Vec<F>,
}

impl<F: Real> NovoGradState<F> {
    /// `ν_t` of each layer (one for a single vector; one per tensor of a parameter-set group,
    /// in position order), as the last step left it; empty before the first step.
    pub fn layer_second_moments(&self) -> &[F] {
        &self.layer_sq_norm
    }
}

/// Everything of one NovoGrad step that is the same for all coordinates of a layer.
#[derive(Debug, Clone, Copy)]
pub struct NovoGradStep<F> {
    /// The first step, which starts the moments.
    first: bool,
    lr: F,
    b1: F,
    weight_decay: F,
    /// `√(ν_t + ε_root) + ε` of the layer, once [`ElementwiseRule::settle_tensor`] has it.
    denominator: F,
}

impl<F: Real> ElementwiseRule for NovoGradConfig<F> {
    rule_types!("NovoGrad", NovoGradState<F>, NovoGradStep<F>, [F; 1]);

    const SUMS_PER_TENSOR: bool = true;

    fn start(&self, state: &mut NovoGradState<F>, n: usize) {
        fill(&mut state.exp_avg, n, F::zero());
        // Keeps its memory: the first step refills it layer by layer.
        state.layer_sq_norm.clear();
    }

    fn buffers(state: &mut NovoGradState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.exp_avg[..]])
    }

    fn prepare(&self, _state: &mut NovoGradState<F>, t: usize, lr: F) -> NovoGradStep<F> {
        NovoGradStep {
            first: t == 1,
            lr,
            b1: self.b1,
            weight_decay: self.weight_decay,
            denominator: F::one(),
        }
    }

    /// Returns `[‖g‖²]` of the layer.
    fn gather(
        &self,
        _s: NovoGradStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        _state: Buffers<'_, F>,
    ) -> [F; 1] {
        kernel::gather(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |_x, g, []| [g * g],
        )
    }

    /// Advances `ν` of layer `tensor` (started on the first step, in the order the layers come).
    fn settle_tensor(
        &self,
        state: &mut NovoGradState<F>,
        mut step: NovoGradStep<F>,
        [squared_gradient]: [F; 1],
        tensor: usize,
    ) -> NovoGradStep<F> {
        // optax squares the norm: ‖g‖², as (√Σg²)².
        let norm = squared_gradient.sqrt();
        let squared_norm = norm * norm;
        let nu = &mut state.layer_sq_norm;
        // A layer met for the first time (on the first step; or in a state read from a file
        // that lacks it) starts its moment.
        let new = tensor >= nu.len();
        if new {
            nu.resize(tensor + 1, F::zero());
        }
        nu[tensor] = if step.first || new {
            squared_norm
        } else {
            (F::one() - self.b2) * squared_norm + self.b2 * nu[tensor]
        };
        step.denominator = (nu[tensor] + self.eps_root).sqrt() + self.eps;
        step
    }

    fn apply(
        &self,
        s: NovoGradStep<F>,
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
                let u = g / s.denominator + s.weight_decay * *x;
                *m = if s.first { u } else { s.b1 * *m + u };
                *x -= s.lr * *m;
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

    fn config<F: Real>() -> NovoGradConfig<F> {
        let l = F::lit;
        NovoGradConfig {
            lr: l(1.0),
            b1: l(0.8),
            b2: l(0.5),
            eps: l(1e-3),
            eps_root: l(1e-4),
            weight_decay: l(0.1),
        }
    }

    /// The recurrences written out on whole vectors, the norm taken in the plain order.
    #[test]
    fn novograd_matches_hand_computed_first_four_steps() {
        let (lr, b1, b2, eps, eps_root, wd) = (0.05, 0.8, 0.5, 1e-3, 1e-4, 0.1);
        let mut rule = NovoGrad::new(config()).unwrap();
        let mut x = array![1.0, -2.0, 0.5];
        let mut hand = [1.0, -2.0, 0.5];
        let (mut m, mut nu) = ([0.0; 3], 0.0);
        for (k, g) in GRADS.iter().enumerate() {
            let squared: f64 = g.iter().map(|v| v * v).sum();
            nu = if k == 0 {
                squared
            } else {
                (1.0 - b2) * squared + b2 * nu
            };
            for i in 0..3 {
                let u = g[i] / ((nu + eps_root).sqrt() + eps) + wd * hand[i];
                m[i] = if k == 0 { u } else { b1 * m[i] + u };
                hand[i] -= lr * m[i];
            }
            rule.step(x.view_mut(), ArrayView1::from(g), lr).unwrap();
            for i in 0..3 {
                assert_close!(x[i], hand[i], "step {}, coordinate {i}", k + 1);
            }
            assert_close!(rule.state().layer_second_moments()[0], nu);
        }
    }

    /// The iterates of optax 0.2.8 (`optax.novograd(0.05, b1=0.8, b2=0.5, eps=1e-3,
    /// eps_root=1e-4, weight_decay=0.1)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9828792407763404, -1.9415169631053613, 0.4975],
            [0.9744320643790574, -1.888410891169299, 0.4930125],
            [0.9542151595103514, -1.8386307300218487, 0.45690292549855493],
            [0.9155876127045276, -1.745406079670511, 0.4345722248265597],
        ];
        let mut rule = NovoGrad::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = NovoGrad::<f32>::new(config()).unwrap();
        let mut double = NovoGrad::new(config()).unwrap();
        // optax 0.2.8 in float32.
        let optax = [0.915_587_6_f64, -1.745_406_2, 0.434_572_22];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn a_zero_first_gradient_keeps_nu_at_zero_and_the_momentum_moves_x_on() {
        let mut rule = NovoGrad::<f64>::default();
        let mut x = array![1.0, 2.0];
        rule.step(x.view_mut(), Array1::zeros(2).view(), 0.1)
            .unwrap();
        assert_eq!(x, array![1.0, 2.0]);
        assert_eq!(rule.state().layer_second_moments(), [0.0]);
        // ν_2 = (1 - β₂) ‖g‖² = 0.75 · 25.
        rule.step(x.view_mut(), array![3.0, 4.0].view(), 0.1)
            .unwrap();
        assert_close!(rule.state().layer_second_moments()[0], 0.75 * 25.0);
        let d = (0.75_f64 * 25.0).sqrt() + 1e-6;
        assert_close!(x[0], 1.0 - 0.1 * 3.0 / d);
        // A zero gradient: m ← β₁ m, ν ← β₂ ν.
        let before = x.clone();
        rule.step(x.view_mut(), Array1::zeros(2).view(), 0.1)
            .unwrap();
        assert_close!(x[0], before[0] - 0.1 * 0.9 * 3.0 / d);
        assert_close!(rule.state().layer_second_moments()[0], 0.25 * 0.75 * 25.0);
    }

    #[test]
    fn a_reset_starts_the_layer_moments_again() {
        let mut rule = NovoGrad::<f64>::default();
        let mut x = array![1.0, 2.0];
        rule.step(x.view_mut(), array![3.0, 4.0].view(), 0.1)
            .unwrap();
        rule.reset();
        rule.step(x.view_mut(), array![1.0, 0.0].view(), 0.1)
            .unwrap();
        assert_eq!(rule.state().layer_second_moments(), [1.0]);
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&NovoGrad::default()), "NovoGrad");
        let c = NovoGradConfig::<f64>::default();
        assert_eq!(
            (c.lr, c.b1, c.b2, c.eps, c.eps_root, c.weight_decay),
            (1e-3, 0.9, 0.25, 1e-6, 0.0, 0.0)
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(NovoGrad::<f64>::new, {
            lr: [-1.0],
            b1: [1.0],
            b2: [-0.1, f64::NAN],
            eps: [0.0],
            eps_root: [-1e-8],
            weight_decay: [-0.1],
        });
        assert_rejects_fields!(NovoGrad::<f32>::new, { b1: [1.5] });
    }
}
