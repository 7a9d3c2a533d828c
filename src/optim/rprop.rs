//! Rprop: a step size per coordinate, grown while the gradient keeps its sign and shrunk when
//! it changes, moving each coordinate by its step size against the gradient's sign.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, zero_state, zero_state_items};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};

rule_config! {
    /// Hyperparameters of [`Rprop`] (PyTorch's `Rprop` arguments and defaults).
    pub struct RpropConfig<F> {
        /// Starting step size `γ` of every coordinate, used when the loop sets none. Only the
        /// step size of the first step counts: later steps ignore the one they are given, as
        /// PyTorch's `Rprop` does. Default `1e-2`.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Factors `(η⁻, η⁺)` by which a step size shrinks when the gradient changes sign and
        /// grows when it keeps it, with `0 < η⁻ < 1 < η⁺` (both finite). Default `(0.5, 1.2)`.
        pub etas: (F, F) = (F::lit(0.5), F::lit(1.2)),
        /// Bounds `(Δ_min, Δ_max)` of every step size, with `0 <= Δ_min <= Δ_max` (both
        /// finite). Default `(1e-6, 50)`.
        pub step_sizes: (F, F) = (F::lit(1e-6), F::lit(50.0)),
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else. The [`Minimizer`](crate::Minimizer) always minimizes `f`, so
        /// this is for stepping the rule by hand on a function to increase, or for a gradient
        /// function that returns the gradient of `-f`. Default `false`.
        pub maximize: bool = false,
    }
}

/// Rprop, resilient backpropagation (Riedmiller & Braun, 1993), in the variant without weight
/// backtracking ("Rprop⁻") that PyTorch implements.
///
/// This is `torch.optim.Rprop`. Each coordinate has its own step size `Δ`, started at `γ`;
/// only the sign of the gradient moves `x`, its magnitude never does:
///
/// ```text
/// g_t = ∇f(x_{t-1})                                  (-∇f(x_{t-1}) with maximize)
/// s   = sign(g_t · p_{t-1})                          p_0 = 0,  Δ_0 = γ
/// Δ_t = clamp(η⁺ Δ_{t-1}, Δ_min, Δ_max)              (s > 0)
/// Δ_t = clamp(η⁻ Δ_{t-1}, Δ_min, Δ_max)              (s < 0)
/// Δ_t = clamp(Δ_{t-1}, Δ_min, Δ_max)                 (s = 0)
/// p_t = 0   (s < 0)          p_t = g_t   (otherwise)
/// x_t = x_{t-1} - Δ_t · sign(p_t)
/// ```
///
/// Products, signs and clamps are taken element by element. As in PyTorch:
///
/// - A coordinate whose gradient changes sign (`s < 0`) shrinks its step size and does not
///   move; the stored gradient becomes zero, so that at the next step `s = 0`, and the step size
///   is kept while the coordinate moves again.
/// - On the first step `p_0 = 0`, so every coordinate moves by `clamp(γ, Δ_min, Δ_max)`.
/// - A zero gradient does not move its coordinate and keeps its step size; the product `g_t ·
///   p_{t-1}` is taken in the float type, so one that underflows to zero counts as no change of
///   sign.
/// - The step size `lr` passed to later steps is ignored: each coordinate's `Δ` carries it.
///
/// The step ignores the gradient's magnitude, which makes Rprop insensitive to the scaling of
/// `f`, but unsuited to stochastic gradients, whose signs flip at random.
///
/// Defaults: `lr = 1e-2`, `etas = (0.5, 1.2)`, `step_sizes = (1e-6, 50)`, `maximize = false`.
///
/// References: M. Riedmiller, H. Braun, "A direct adaptive method for faster backpropagation
/// learning: the RPROP algorithm", IEEE International Conference on Neural Networks, 1993;
/// C. Igel, M. Hüsken, "Improving the Rprop learning algorithm", NC 2000 (the names Rprop⁺ and
/// Rprop⁻).
///
/// ```
/// use gradus::{Optimizer, Rprop};
/// use ndarray::array;
///
/// let mut rprop = Rprop::default();
/// let mut x = array![1.0_f64, 1.0];
/// // First step: each coordinate moves by γ against its gradient's sign.
/// rprop.step(x.view_mut(), array![3.0, -1e-9].view(), 0.1)?;
/// assert_eq!(x, array![0.9, 1.1]);
/// // Same sign: the step grows by η⁺ = 1.2. Sign change: no move, the step shrinks.
/// rprop.step(x.view_mut(), array![5.0, 2.0].view(), 0.1)?;
/// assert!((x[0] - (0.9 - 0.12)).abs() < 1e-15 && x[1] == 1.1);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Rprop<F> = Rule<RpropConfig<F>>;

zero_state! {
    /// The state of [`Rprop`].
    pub struct RpropState<F> {
        /// `p_t`, the gradient of the last step (zero where its sign had changed).
        prev,
        /// `Δ_t`, the step size of each coordinate.
        step_size,
    }
}

impl<F: Real> RpropState<F> {
    /// `Δ_t`, the step size of each coordinate after the last step (empty before the first).
    pub fn step_sizes(&self) -> &[F] {
        &self.step_size
    }
}

/// The scalars of one Rprop step.
#[derive(Debug, Clone, Copy)]
pub struct RpropStep<F> {
    /// Whether this is the first step, which starts every step size at `lr`.
    first: bool,
    /// The step size of the first step.
    lr: F,
    /// `-1` to maximize, `1` otherwise.
    sign: F,
    etaminus: F,
    etaplus: F,
    min: F,
    max: F,
}

impl<F: Real> ElementwiseRule for RpropConfig<F> {
    rule_types!(RpropState<F>, RpropStep<F>);

    fn name(&self) -> &'static str {
        "Rprop"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `etas` not finite with `0 < η⁻ < 1 < η⁺` (named `etas.0` or `etas.1`), or
    /// `step_sizes` not finite with `0 <= Δ_min <= Δ_max` (named `step_sizes.0` or
    /// `step_sizes.1`).
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        let (minus, plus) = self.etas;
        check_that(
            "etas.0",
            minus,
            "in (0, 1)",
            minus > F::zero() && minus < F::one(),
        )?;
        check_that(
            "etas.1",
            plus,
            "finite and > 1",
            plus > F::one() && plus.is_finite(),
        )?;
        let (min, max) = self.step_sizes;
        check("step_sizes.0", min, Domain::NonNegative)?;
        check("step_sizes.1", max, Domain::NonNegative)?;
        check_that("step_sizes.1", max, ">= step_sizes.0", max >= min)
    }

    zero_state_items!();

    fn prepare(&self, _state: &mut RpropState<F>, t: usize, lr: F) -> RpropStep<F> {
        RpropStep {
            first: t == 1,
            lr,
            sign: if self.maximize { -F::one() } else { F::one() },
            etaminus: self.etas.0,
            etaplus: self.etas.1,
            min: self.step_sizes.0,
            max: self.step_sizes.1,
        }
    }

    fn apply(
        &self,
        s: RpropStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [prev, step_size, ..] = state.into_array();
        kernel::apply(
            x,
            grad,
            [prev, step_size],
            Simd::Widest,
            #[inline(always)]
            move |x, g, [p, delta]| {
                let g = g * s.sign;
                let product = g * *p;
                let size = if s.first { s.lr } else { *delta };
                let (size, g) = if product > F::zero() {
                    (size * s.etaplus, g)
                } else if product < F::zero() {
                    (size * s.etaminus, F::zero())
                } else if product == F::zero() {
                    (size, g)
                } else {
                    // A NaN product (a NaN gradient, or an infinite one times a zero): the step
                    // size becomes NaN, as PyTorch's does.
                    (F::nan(), g)
                };
                // The clamp keeps a NaN, as PyTorch's does.
                let size = if size < s.min {
                    s.min
                } else if size > s.max {
                    s.max
                } else {
                    size
                };
                *delta = size;
                *p = g;
                // sign(g), with sign(±0) = ±0 and sign(NaN) = NaN.
                let direction = if g > F::zero() {
                    F::one()
                } else if g < F::zero() {
                    -F::one()
                } else {
                    g
                };
                *x -= size * direction;
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
    use ndarray::array;

    /// The recurrence of one coordinate, written out: `(x, p, Δ)` after a step with `g`.
    fn hand(
        config: &RpropConfig<f64>,
        lr: f64,
        t: f64,
        g: f64,
        x: &mut f64,
        p: &mut f64,
        d: &mut f64,
    ) {
        let (minus, plus) = config.etas;
        let (lo, hi) = config.step_sizes;
        if t == 1.0 {
            *d = lr;
        }
        let product = g * *p;
        let factor = if product > 0.0 {
            plus
        } else if product < 0.0 {
            minus
        } else {
            1.0
        };
        *d = (*d * factor).clamp(lo, hi);
        let g = if product < 0.0 { 0.0 } else { g };
        *p = g;
        *x -= *d * if g == 0.0 { 0.0 } else { g.signum() };
    }

    #[test]
    fn rprop_matches_hand_computed_steps_with_sign_changes_zeros_and_both_clamps() {
        // Coordinate 0 keeps its sign and grows into Δ_max; coordinate 1 changes sign twice
        // and shrinks into Δ_min; coordinate 2 has a zero gradient, then moves again.
        let config = RpropConfig {
            lr: 1.0,
            etas: (0.25, 2.0),
            step_sizes: (0.05, 0.3),
            maximize: false,
        };
        let grads = [
            [1.0, 1.0, 0.0],
            [2.0, -1.0, 0.0],
            [0.5, 3.0, -1.0],
            [1.0, -2.0, -1.0],
            [1.0, 2.0, 1.0],
            [4.0, -1.0, 1.0],
        ];
        let mut rule = Rprop::new(config).unwrap();
        let (mut p, mut d) = ([0.0; 3], [0.0; 3]);
        let mut seen = (false, false);
        assert_matches_hand(&mut rule, 0.1, [1.0, -2.0, 0.5], &grads, |t, i, g, x| {
            hand(&config, 0.1, t, g, x, &mut p[i], &mut d[i]);
            seen.0 |= d[i] == 0.3;
            seen.1 |= d[i] == 0.05;
        });
        assert!(seen.0 && seen.1, "the sequence must reach both bounds");
    }

    #[test]
    fn a_sign_change_does_not_move_and_zeroes_the_stored_gradient() {
        let mut rule = Rprop::default();
        let mut x = array![0.0_f64];
        rule.step(x.view_mut(), array![1.0].view(), 0.1).unwrap();
        assert_eq!(x[0], -0.1);
        rule.step(x.view_mut(), array![-1.0].view(), 0.1).unwrap();
        assert_eq!(x[0], -0.1, "no move on a sign change");
        assert_eq!(rule.state().step_sizes(), [0.05]);
        // The stored gradient is zero: the next step keeps Δ and moves.
        rule.step(x.view_mut(), array![-1.0].view(), 0.1).unwrap();
        assert_eq!(x[0], -0.1 + 0.05);
        assert_eq!(rule.state().step_sizes(), [0.05]);
    }

    #[test]
    fn the_first_step_is_clamped_and_later_step_sizes_are_ignored() {
        let mut rule = Rprop::new(RpropConfig {
            step_sizes: (1e-6, 0.5),
            ..Default::default()
        })
        .unwrap();
        let mut x = array![0.0_f64, 0.0];
        rule.step(x.view_mut(), array![1.0, 0.0].view(), 2.0)
            .unwrap();
        assert_eq!(
            x,
            array![-0.5, 0.0],
            "Δ_max bounds the first step; a zero gradient stays"
        );
        rule.step(x.view_mut(), array![1.0, 1.0].view(), 1e-3)
            .unwrap();
        assert_eq!(x, array![-1.0, -0.5], "the later lr is not used");
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(Rprop::new, RpropConfig::default());
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Rprop::<f64>::new, {
            lr: [-1e-2],
            etas.0: [0.0, 1.0, f64::NAN],
            etas.1: [1.0, f64::INFINITY],
            step_sizes.0: [-1.0],
            step_sizes.1: [f64::INFINITY],
        });
        // The smallest step above the largest.
        assert_rejects(
            Rprop::<f64>::new,
            &[("step_sizes.1", |c| c.step_sizes = (1.0, 0.5))],
        );
    }
}
