//! Fromage: gradient steps of a fixed relative length per layer, with a shrinking that keeps
//! the norms from growing.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::Buffers;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Fromage`] (the arguments and defaults of `optax.fromage`).
    pub struct FromageConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires): the relative length of a step. Default `1e-2`, the paper's.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Smallest norm `n_min >= 0` of a layer or of its gradient: smaller norms count as
        /// `n_min`. Default `1e-6`.
        pub min_norm: F = F::lit(1e-6) => NonNegative,
    }
}

/// Fromage, "frobenius matched gradient descent" (Bernstein et al., 2020): each layer moves by
/// `γ` times its own norm against its gradient, then shrinks by `1/√(1 + γ²)`, so that its
/// norm stays what it was.
///
/// This is `optax.fromage` (optax 0.2.8): `scale_by_trust_ratio(min_norm)`, the step size
/// `γ/√(1 + γ²)`, then `add_decayed_weights(1/√(1 + γ²) - 1)`. At each step, with
/// `g = ∇f(x)`, for each layer:
///
/// ```text
/// ‖·‖₊ = max(‖·‖, n_min)                   (the norm, or n_min if it is not larger)
/// r    = ‖x‖₊ / ‖g‖₊                       (1 if either is 0, which needs n_min = 0)
/// x   ← x + ((1/√(1 + γ²) - 1) x - (γ/√(1 + γ²)) (r g))
///     = (x - γ r g) / √(1 + γ²)
/// ```
///
/// The norms are those of the layer: the vector of a single [`Fromage`], or each tensor of a
/// [`ParameterSet`](crate::params::ParameterSet) (the rule gathers its sums
/// [per tensor](ElementwiseRule::SUMS_PER_TENSOR)). The step `γ r g` is `γ ‖x‖` long, at
/// right angles to `x` when `g` is, and the division by `√(1 + γ²)` then gives back the norm
/// of `x`: the paper's remedy for the norms' growth under such steps. So a zero gradient
/// still shrinks `x`, by `1/√(1 + γ²)` per step. The two factors are computed in `f64` and
/// rounded once, as optax computes them in Python. The rule has no state.
///
/// Defaults: `lr = 1e-2` (optax has no default; the paper recommends `0.01`), `min_norm = 1e-6`.
///
/// References: J. Bernstein, A. Vahdat, Y. Yue, M.-Y. Liu, "On the distance between two
/// neural networks and the stability of learning", NeurIPS 2020 (arXiv 2002.03432); the
/// reference library is optax (`optax.fromage`).
///
/// ```
/// use gradus::{Fromage, Optimizer};
/// use ndarray::array;
///
/// // A gradient at right angles to x: the step keeps ‖x‖ = 5.
/// let mut fromage = Fromage::default();
/// let mut x = array![3.0_f64, 4.0];
/// fromage.step(x.view_mut(), array![-4.0, 3.0].view(), 0.1)?;
/// let norm = (x[0] * x[0] + x[1] * x[1]).sqrt();
/// assert!((norm - 5.0).abs() < 1e-12 && x[0] > 3.0);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Fromage<F> = Rule<FromageConfig<F>>;

/// Everything of one Fromage step that is the same for all coordinates of a layer.
#[derive(Debug, Clone, Copy)]
pub struct FromageStep<F> {
    /// `γ/√(1 + γ²)`.
    scaled_lr: F,
    /// `1/√(1 + γ²) - 1`.
    decay: F,
    /// `r`, the layer's ratio, once [`ElementwiseRule::settle_tensor`] has it.
    ratio: F,
}

/// The norm from its square, or `min_norm` if it is not larger (optax's `safe_norm`).
fn safe_norm<F: Real>(squared: F, min_norm: F) -> F {
    let norm = squared.sqrt();
    if norm <= min_norm { min_norm } else { norm }
}

impl<F: Real> ElementwiseRule for FromageConfig<F> {
    rule_types!("Fromage", (), FromageStep<F>, [F; 2]);

    const SUMS_PER_TENSOR: bool = true;

    fn start(&self, _state: &mut (), _n: usize) {}

    fn per_coordinate(&self) -> bool {
        false
    }

    fn buffers(_state: &mut ()) -> Buffers<'_, F> {
        Buffers::new([])
    }

    fn prepare(&self, _state: &mut (), _t: usize, lr: F) -> FromageStep<F> {
        let lr = lr.as_f64();
        let mult = 1.0 / (1.0 + lr * lr).sqrt();
        FromageStep {
            scaled_lr: F::lit(lr * mult),
            decay: F::lit(mult - 1.0),
            ratio: F::one(),
        }
    }

    /// Returns `[‖x‖², ‖g‖²]` of the layer.
    fn gather(
        &self,
        _s: FromageStep<F>,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        _state: Buffers<'_, F>,
    ) -> [F; 2] {
        kernel::gather(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, []| [x * x, g * g],
        )
    }

    fn settle_tensor(
        &self,
        _state: &mut (),
        mut step: FromageStep<F>,
        [squared_x, squared_gradient]: [F; 2],
        _tensor: usize,
    ) -> FromageStep<F> {
        let x_norm = safe_norm(squared_x, self.min_norm);
        let g_norm = safe_norm(squared_gradient, self.min_norm);
        step.ratio = if x_norm == F::zero() || g_norm == F::zero() {
            F::one()
        } else {
            // Finite, as the trust ratio of LAMB and LARS.
            (x_norm / g_norm).min(F::max_value())
        };
        step
    }

    fn apply(
        &self,
        s: FromageStep<F>,
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
            move |x, g, []| {
                *x += s.decay * *x - s.scaled_lr * (g * s.ratio);
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

    /// The update written out on whole vectors, the norms taken in the plain order.
    #[test]
    fn fromage_matches_hand_computed_first_four_steps() {
        let lr: f64 = 0.05;
        let mut rule = Fromage::<f64>::default();
        assert_matches_hand_vectors(&mut rule, lr, X0, &GRADS, |_, g, hand| {
            let norm = |a: &[f64; 3]| a.iter().map(|v| v * v).sum::<f64>().sqrt();
            let ratio = norm(hand) / norm(g);
            for i in 0..3 {
                hand[i] = (hand[i] - lr * ratio * g[i]) / (1.0 + lr * lr).sqrt();
            }
        });
    }

    /// The iterates of optax 0.2.8 (`optax.fromage(0.05)`, float64, from `(1, -2, 0.5)` with
    /// [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9710010598117386, -1.8864995614912647, 0.4993761694389223],
            [1.07305291855537, -1.9185669623366057, 0.4987531172069825],
            [1.0408625810718646, -1.9238861236961988, 0.3901504835705589],
            [0.9990479382621416, -1.8201957681916754, 0.40992170749732454],
        ];
        let mut rule = Fromage::default();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = Fromage::<f32>::default();
        let mut double = Fromage::default();
        // optax 0.2.8 in float32.
        let optax = [0.999_047_9_f64, -1.820_195_7, 0.409_921_7];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn small_norms_count_as_min_norm_and_zero_norms_give_ratio_one() {
        // A zero gradient: ‖g‖₊ = n_min, r g = 0, and x only shrinks.
        let mut rule = Fromage::<f64>::default();
        let mut x = array![3.0, -4.0];
        rule.step(x.view_mut(), Array1::zeros(2).view(), 0.5)
            .unwrap();
        let shrink = 1.0 / 1.25_f64.sqrt();
        assert_close!(x[0], 3.0 + (shrink - 1.0) * 3.0);
        assert_close!(x[1], -4.0 + (shrink - 1.0) * -4.0);
        // x at zero: ‖x‖₊ = n_min, so the step is γ n_min g/‖g‖ long.
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![3.0, 4.0].view(), 0.5)
            .unwrap();
        assert_close!(x[0], -0.5 * shrink * (1e-6 / 5.0 * 3.0));
        // With n_min = 0 a zero norm makes the ratio 1: the step is γ g.
        let mut rule = Fromage::new(FromageConfig {
            lr: 0.5,
            min_norm: 0.0,
        })
        .unwrap();
        let mut x = array![0.0, 0.0];
        rule.step(x.view_mut(), array![3.0, 4.0].view(), 0.5)
            .unwrap();
        assert_close!(x[0], -0.5 * shrink * 3.0);
        assert_close!(x[1], -0.5 * shrink * 4.0);
    }

    #[test]
    fn defaults_and_name() {
        assert_eq!(Optimizer::<f64>::name(&Fromage::default()), "Fromage");
        let c = FromageConfig::<f64>::default();
        assert_eq!((c.lr, c.min_norm), (1e-2, 1e-6));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Fromage::<f64>::new, {
            lr: [-1.0, f64::NAN],
            min_norm: [-1e-6, f64::INFINITY],
        });
        assert_rejects_fields!(Fromage::<f32>::new, { min_norm: [-1.0] });
    }
}
