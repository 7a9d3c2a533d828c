//! Optimistic gradient descent: a step along the gradient extrapolated from the previous one.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;
use crate::error::{Domain, Result, check};

rule_config! {
    /// Hyperparameters of [`OptimisticGradientDescent`] (the arguments and defaults of
    /// `optax.optimistic_gradient_descent`).
    pub struct OptimisticGradientDescentConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-3`, [`GradientDescent`](crate::GradientDescent)'s.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Weight `α >= 0` of the current gradient. Default `1`.
        pub alpha: F = F::one() => NonNegative,
        /// Weight `β >= 0` of the optimism: the change of the gradient since the previous step.
        /// Default `1`.
        pub beta: F = F::one() => NonNegative,
    }
}

/// Optimistic gradient descent (Daskalakis et al., 2018; in the generalised form of Mokhtari,
/// Ozdaglar & Pattathil, 2020): gradient descent along the gradient plus its latest change, a
/// cheap stand-in for the extra-gradient method's second gradient.
///
/// This is `optax.optimistic_gradient_descent` (optax 0.2.8). At step `t` (from 1), with
/// `g_t = ∇f(x_{t-1})`:
///
/// ```text
/// x_t = x_{t-1} - γ ((α + β) g_t - β g_{t-1})            g_0 = g_1
/// ```
///
/// element by element; with `α = β = 1`, the step is along `2 g_t - g_{t-1}`, the gradient
/// extrapolated one step ahead. The state is the previous gradient. The first step has none,
/// and takes the current one in its place, as optax does (not zero, which would make the first
/// step `γ (α + β) g`): it is a gradient step of `γ α`, computed as `(α + β) g - β g` in optax's
/// order. A
/// zero gradient after a non-zero one still moves `x`, by `γ β g_{t-1}`.
///
/// The method is meant for min-max games (a saddle point `min_x max_y`, with the gradient in
/// `y` negated), where gradient descent-ascent cycles or diverges and the optimistic step
/// converges in the last iterate; on a minimisation it is gradient descent with a little
/// negative momentum.
///
/// Defaults: `lr = 1e-3` (optax has no default), `alpha = 1`, `beta = 1`.
///
/// References: C. Daskalakis, A. Ilyas, V. Syrgkanis, H. Zeng, "Training GANs with optimism",
/// ICLR 2018; A. Mokhtari, A. Ozdaglar, S. Pattathil, "A unified analysis of extra-gradient and
/// optimistic gradient methods for saddle point problems: Proximal point approach", AISTATS
/// 2020; the reference library is optax (`optax.optimistic_gradient_descent`).
///
/// ```
/// use gradus::{OptimisticGradientDescent, Optimizer};
/// use ndarray::array;
///
/// let mut rule = OptimisticGradientDescent::default();
/// let mut x = array![1.0_f64, 1.0];
/// // The first step is a gradient step.
/// rule.step(x.view_mut(), array![2.0, -4.0].view(), 0.25)?;
/// assert_eq!(x, array![0.5, 2.0]);
/// // The next goes along 2 g_2 - g_1.
/// rule.step(x.view_mut(), array![1.0, -4.0].view(), 0.25)?;
/// assert_eq!(x, array![0.5, 3.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type OptimisticGradientDescent<F> = Rule<OptimisticGradientDescentConfig<F>>;

zero_state! {
    /// The state of [`OptimisticGradientDescent`]: one value per coordinate.
    pub struct OptimisticGradientDescentState<F> {
        /// `g_{t-1}`, the previous gradient.
        prev_grad,
    }
}

/// Everything of one optimistic step that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub struct OptimisticGradientDescentStep<F> {
    /// The first step, which takes the current gradient for the previous one.
    first: bool,
    lr: F,
    /// `α + β`.
    alpha_plus_beta: F,
    beta: F,
}

impl<F: Real> ElementwiseRule for OptimisticGradientDescentConfig<F> {
    rule_types!(
        OptimisticGradientDescentState<F>,
        OptimisticGradientDescentStep<F>
    );

    fn name(&self) -> &'static str {
        "OptimisticGradientDescent"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `alpha` or `beta`.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        check("alpha + beta", self.alpha + self.beta, Domain::NonNegative)
    }

    zero_state_items!();

    fn prepare(
        &self,
        _state: &mut OptimisticGradientDescentState<F>,
        t: usize,
        lr: F,
    ) -> OptimisticGradientDescentStep<F> {
        OptimisticGradientDescentStep {
            first: t == 1,
            lr,
            alpha_plus_beta: self.alpha + self.beta,
            beta: self.beta,
        }
    }

    fn apply(
        &self,
        s: OptimisticGradientDescentStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [prev_grad, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [prev_grad],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [g_prev]| {
                let previous = if s.first { g } else { *g_prev };
                *x -= s.lr * (s.alpha_plus_beta * g - s.beta * previous);
                *g_prev = g;
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

    fn config<F: Real>() -> OptimisticGradientDescentConfig<F> {
        let l = F::lit;
        OptimisticGradientDescentConfig {
            lr: l(1.0),
            alpha: l(0.7),
            beta: l(0.4),
        }
    }

    #[test]
    fn optimistic_gd_matches_hand_computed_first_four_steps() {
        let (lr, alpha, beta) = (0.05, 0.7, 0.4);
        let mut rule = OptimisticGradientDescent::new(config()).unwrap();
        let mut prev = [0.0; 3];
        assert_matches_hand(&mut rule, lr, [1.0, -2.0, 0.5], &GRADS, |t, i, g, x| {
            let p = if t == 1.0 { g } else { prev[i] };
            *x -= lr * ((alpha + beta) * g - beta * p);
            prev[i] = g;
        });
    }

    /// The iterates of optax 0.2.8 (`optax.optimistic_gradient_descent(0.05, alpha=0.7,
    /// beta=0.4)`, float64, from `(1, -2, 0.5)` with [`GRADS`]).
    #[test]
    fn iterates_are_optaxs() {
        let expected = [
            [0.9825, -1.93, 0.5],
            [1.0090000000000001, -1.9755, 0.5],
            [0.9920000000000001, -1.97625, 0.4615],
            [0.9740000000000001, -1.92025, 0.48650000000000004],
        ];
        let mut rule = OptimisticGradientDescent::new(config()).unwrap();
        assert_reference(&mut rule, &expected);
    }

    #[test]
    fn the_first_step_is_a_gradient_step_and_zero_gradients_move_by_the_last() {
        let mut rule = OptimisticGradientDescent::<f64>::default();
        let mut x = Array1::zeros(2);
        rule.step(x.view_mut(), array![3.0, 0.0].view(), 0.1)
            .unwrap();
        // (1 + 1) 3 - 3 = 3, no optimism yet.
        assert_close!(x[0], -0.3);
        assert_eq!(x[1], 0.0);
        rule.step(x.view_mut(), array![0.0, 0.0].view(), 0.1)
            .unwrap();
        // 2 · 0 - 3: back by γ g_1.
        assert_close!(x[0], 0.0);
        rule.step(x.view_mut(), array![0.0, 0.0].view(), 0.1)
            .unwrap();
        assert_close!(x[0], 0.0);
        assert_eq!(x[1], 0.0);
    }

    #[test]
    fn f32_runs_the_same_recurrences() {
        let mut single = OptimisticGradientDescent::<f32>::new(config()).unwrap();
        let mut double = OptimisticGradientDescent::new(config()).unwrap();
        // optax 0.2.8 in float32.
        let optax = [0.974_000_04_f64, -1.920_249_9, 0.4865];
        assert_f32_reference(&mut single, &mut double, optax);
    }

    #[test]
    fn defaults_and_name() {
        let rule = OptimisticGradientDescent::<f64>::default();
        assert_eq!(Optimizer::<f64>::name(&rule), "OptimisticGradientDescent");
        let c = OptimisticGradientDescentConfig::<f64>::default();
        assert_eq!((c.lr, c.alpha, c.beta), (1e-3, 1.0, 1.0));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(OptimisticGradientDescent::<f64>::new, {
            lr: [-1.0, f64::NAN],
            alpha: [-0.5, f64::INFINITY],
            beta: [-1.0, f64::NAN],
        });
        assert_rejects(
            OptimisticGradientDescent::<f64>::new,
            &[("alpha + beta", |c| {
                c.alpha = f64::MAX;
                c.beta = f64::MAX;
            })],
        );
        assert_rejects_fields!(OptimisticGradientDescent::<f32>::new, { alpha: [-1.0] });
    }
}
