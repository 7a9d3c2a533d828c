//! Gradient descent with momentum: the heavy ball and Nesterov's variant.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::{Result, check_that};

rule_config! {
    /// Hyperparameters of [`Momentum`] (PyTorch's `SGD` arguments).
    pub struct MomentumConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-3` (PyTorch's `SGD`).
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Momentum factor `μ`, in `[0, 1)`. Default `0.9`, the usual choice (PyTorch's `SGD`
        /// defaults to `0`, which is plain [`GradientDescent`](crate::GradientDescent)).
        pub momentum: F = F::lit(0.9) => UnitInterval,
        /// Dampening `τ` of the gradient added to the velocity from the second step on, in `[0, 1]`.
        /// Default `0`.
        pub dampening: F = F::zero() => ClosedUnitInterval,
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Use Nesterov's momentum (requires `momentum > 0` and `dampening = 0`). Default `false`.
        pub nesterov: bool = false,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// Gradient descent with momentum: Polyak's heavy ball (Polyak, 1964) and Nesterov's
/// accelerated gradient in the form of Sutskever, Martens, Dahl & Hinton (2013).
///
/// This is `torch.optim.SGD` with `momentum > 0`, with the same velocity convention: the step
/// size multiplies the whole velocity, and the velocity starts at the first gradient.
///
/// ```text
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}
/// b_t = g_t                                   (t = 1)
/// b_t = μ b_{t-1} + (1 - τ) g_t               (t > 1)
/// d_t = g_t + μ b_t                           (nesterov)
/// d_t = b_t                                   (heavy ball)
/// x_t = x_{t-1} - γ d_t
/// ```
///
/// With `μ = 0` the velocity is not used and the rule is plain gradient descent, as in PyTorch.
///
/// Defaults: `lr = 1e-3`, `momentum = 0.9`, `dampening = 0`, `weight_decay = 0`,
/// `nesterov = false`.
///
/// On a convex quadratic with largest curvature `L`, the heavy ball started from rest decreases
/// `f` at every step when `γ L <= (1 - √μ)²`, and Nesterov's variant when
/// `γ L <= ((1 - μ)/(1 + μ))²` (both are then over-damped); larger steps converge faster but not
/// monotonically, up to `γ L < 2 (1 + μ)` for the heavy ball.
///
/// References: B. T. Polyak, "Some methods of speeding up the convergence of iteration
/// methods", USSR Comput. Math. Math. Phys. 4(5), 1964; I. Sutskever, J. Martens, G. Dahl,
/// G. Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013.
///
/// ```
/// use gradus::optim::MomentumConfig;
/// use gradus::{Momentum, Optimizer};
/// use ndarray::array;
///
/// let mut rule = Momentum::new(MomentumConfig { momentum: 0.5, ..Default::default() })?;
/// let mut x = array![1.0_f64];
/// rule.step(x.view_mut(), array![1.0].view(), 0.1)?; // b = 1,   x = 1 - 0.1
/// rule.step(x.view_mut(), array![1.0].view(), 0.1)?; // b = 1.5, x = 0.9 - 0.15
/// assert!((x[0] - 0.75).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Momentum<F> = Rule<MomentumConfig<F>>;

/// The state of [`Momentum`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MomentumState<F> {
    /// `b_t`, the velocity (only for `μ > 0`; empty otherwise).
    velocity: Vec<F>,
}

/// The scalars of one momentum step.
#[derive(Debug, Clone, Copy)]
pub struct MomentumStep<F> {
    lr: F,
    weight_decay: WeightDecay<F>,
    /// Whether this is the first step, which starts the velocity at the gradient.
    first: bool,
    /// `1 - τ`, the weight of the gradient in the velocity.
    keep: F,
}

impl<F: Real> Rule<MomentumConfig<F>> {
    /// The heavy ball with step size `lr` and momentum `momentum`.
    ///
    /// # Errors
    /// As [`new`](Momentum::new).
    pub fn heavy_ball(lr: F, momentum: F) -> Result<Self> {
        Self::new(MomentumConfig {
            lr,
            momentum,
            ..Default::default()
        })
    }

    /// Nesterov's momentum with step size `lr` and momentum `momentum`.
    ///
    /// # Errors
    /// As [`new`](Momentum::new).
    pub fn nesterov(lr: F, momentum: F) -> Result<Self> {
        Self::new(MomentumConfig {
            lr,
            momentum,
            nesterov: true,
            ..Default::default()
        })
    }
}

impl<F: Real> ElementwiseRule for MomentumConfig<F> {
    rule_types!(MomentumState<F>, MomentumStep<F>);

    fn name(&self) -> &'static str {
        if self.nesterov {
            "Nesterov"
        } else {
            "Momentum"
        }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a `momentum` outside `[0, 1)`, a `dampening` outside `[0, 1]`, and,
    /// with `nesterov`, a zero `momentum` or a non-zero `dampening`.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        if self.nesterov {
            check_that(
                "momentum",
                self.momentum,
                "in (0, 1) when nesterov = true",
                self.momentum > F::zero(),
            )?;
            check_that(
                "dampening",
                self.dampening,
                "0 when nesterov = true",
                self.dampening == F::zero(),
            )?;
        }
        Ok(())
    }

    fn start(&self, state: &mut MomentumState<F>, n: usize) {
        if self.per_coordinate() {
            fill(&mut state.velocity, n, F::zero());
        }
    }

    fn per_coordinate(&self) -> bool {
        self.momentum > F::zero()
    }

    fn buffers(state: &mut MomentumState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.velocity[..]])
    }

    fn prepare(&self, _state: &mut MomentumState<F>, t: usize, lr: F) -> MomentumStep<F> {
        MomentumStep {
            lr,
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
            first: t == 1,
            keep: F::one() - self.dampening,
        }
    }

    fn apply(
        &self,
        s: MomentumStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let (mu, nesterov) = (self.momentum, self.nesterov);
        let MomentumStep {
            lr,
            weight_decay: wd,
            first,
            keep,
        } = s;
        if mu == F::zero() {
            kernel::apply(
                x,
                grad,
                [],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, _| *x -= lr * wd.gradient(g, *x),
            );
        } else {
            let [velocity, ..] = state.into_array();
            kernel::apply(
                x,
                grad,
                [velocity],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [b]| {
                    let g = wd.gradient(g, *x);
                    *b = if first { g } else { mu * *b + keep * g };
                    let d = if nesterov { g + mu * *b } else { *b };
                    *x -= lr * d;
                },
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    /// Three steps with the given options against the recurrence written out per coordinate.
    fn check_against_hand(nesterov: bool, dampening: f64) {
        let (lr, mu, wd) = (0.1, 0.8, 0.05);
        let grads = [[0.5, -1.0], [-0.3, 2.0], [0.2, 0.4]];
        let mut rule = Momentum::new(MomentumConfig {
            maximize: false,
            lr: 0.5,
            momentum: mu,
            dampening,
            weight_decay: wd,
            nesterov,
        })
        .unwrap();
        let mut hb = [0.0, 0.0];
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            let g = g + wd * *x;
            hb[i] = if t == 1.0 {
                g
            } else {
                mu * hb[i] + (1.0 - dampening) * g
            };
            let d = if nesterov { g + mu * hb[i] } else { hb[i] };
            *x -= lr * d;
        });
        assert_eq!(rule.steps_taken(), 3);
    }

    #[test]
    fn heavy_ball_with_dampening_and_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(false, 0.25);
    }

    #[test]
    fn nesterov_with_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(true, 0.0);
    }

    #[test]
    fn heavy_ball_first_steps_by_hand_numbers() {
        // μ = 0.5, γ = 0.1, g = 1 at every step: b = 1, 1.5, 1.75; x = 0.9, 0.75, 0.575.
        let mut rule = Momentum::heavy_ball(0.1, 0.5).unwrap();
        let mut x = array![1.0];
        for expected in [0.9, 0.75, 0.575] {
            rule.step(x.view_mut(), array![1.0].view(), 0.1).unwrap();
            assert_close!(x[0], expected);
        }
    }

    #[test]
    fn zero_momentum_is_gradient_descent_and_ignores_dampening() {
        let mut rule = Momentum::new(MomentumConfig {
            momentum: 0.0,
            dampening: 0.5,
            weight_decay: 0.1,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![2.0];
        rule.step(x.view_mut(), array![1.0].view(), 0.5).unwrap();
        rule.step(x.view_mut(), array![1.0].view(), 0.5).unwrap();
        // x1 = 2 - 0.5 (1 + 0.2) = 1.4; x2 = 1.4 - 0.5 (1 + 0.14) = 0.83.
        assert_close!(x[0], 0.83);
    }

    #[test]
    fn nesterov_needs_momentum_and_no_dampening() {
        let err = Momentum::<f64>::nesterov(0.1, 0.0).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "momentum",
                ..
            }
        ));
        let err = Momentum::new(MomentumConfig {
            nesterov: true,
            dampening: 0.1,
            ..Default::default()
        })
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "dampening",
                ..
            }
        ));
        assert_eq!(
            Momentum::<f64>::nesterov(0.1, 0.9).unwrap().name(),
            "Nesterov"
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Momentum::<f64>::new, {
            lr: [-1.0],
            momentum: [1.0, f64::NAN],
            dampening: [1.5],
            weight_decay: [f64::INFINITY],
        });
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            Momentum::new,
            MomentumConfig {
                weight_decay: 0.1,
                dampening: 0.2,
                ..Default::default()
            }
        );
    }
}
