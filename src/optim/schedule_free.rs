//! Schedule-free SGD and schedule-free AdamW: averaging and interpolation in place of a
//! learning-rate schedule.
//!
//! Both rules keep three sequences. The base sequence `z` takes the plain steps (SGD's, or
//! AdamW's without its first moment); `x` is a weighted average of the `z`s, the point with the
//! convergence guarantee, where the model should be evaluated; and `y`, an interpolation between
//! the two, is where gradients are taken. The iterate the rule moves (the one a caller or the
//! [`Minimizer`](crate::Minimizer) holds) is `y`; the state keeps `z`, and `x` is recovered from
//! `y` and `z` on demand ([`Optimizer::evaluation_point`](crate::Optimizer::evaluation_point)),
//! so that the rules need one buffer more than their base step, not two.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::config::rule_config;
use super::kernel::{self, Simd, Watched};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};

/// What `b1` must be, in the error of a value outside it.
const B1_DOMAIN: &str = "in (0, 1]: the evaluation point (y - (1 - b1) z) / b1 divides by b1, \
                         so b1 = 0 (no averaging) is refused; optax's default is 0.9";

rule_config! {
    /// Hyperparameters of [`ScheduleFreeSgd`] (optax's `contrib.schedule_free_sgd` arguments
    /// and defaults).
    pub struct ScheduleFreeSgdConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`). Default `1`.
        pub lr: F = F::one(),
        /// Length `T_w` of the linear warmup of the step size, in steps; `0` for none (optax's
        /// `None`). Default `0`.
        pub warmup_steps: usize = 0,
        /// Interpolation `β₁` between the average `x` and the base sequence `z` at which
        /// gradients are taken, in `(0, 1]`. Default `0.9`.
        pub b1: F = F::lit(0.9),
        /// L2 penalty `λ` added to the gradient (at `y`) of the base step, which the step size
        /// multiplies (optax's `weight_decay`, `None` there for `0`). Default `0`.
        pub weight_decay: F = F::zero(),
        /// Power `r` of the largest step size so far in the averaging weights `γ_max^r`, which
        /// keeps the steps of the warmup out of the average. Default `2`.
        pub weight_lr_power: F = F::lit(2.0),
    }
}

rule_config! {
    /// Hyperparameters of [`ScheduleFreeAdamW`] (optax's `contrib.schedule_free_adamw`
    /// arguments and defaults).
    pub struct ScheduleFreeAdamWConfig<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`). Default
        /// `2.5e-3`.
        pub lr: F = F::lit(2.5e-3),
        /// Length `T_w` of the linear warmup of the step size, in steps; `0` for none (optax's
        /// `None`). Default `0`.
        pub warmup_steps: usize = 0,
        /// Interpolation `β₁` between the average `x` and the base sequence `z` at which
        /// gradients are taken, in `(0, 1]`. Default `0.9`.
        pub b1: F = F::lit(0.9),
        /// Decay rate `β₂` of the second moment estimate, in `[0, 1)`. Default `0.999`.
        pub b2: F = F::lit(0.999),
        /// Term `ε > 0` added to the root of the second moment. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
        /// Decoupled weight decay `λ`: `λ y` is added to the normalised gradient of the base
        /// step, which the step size multiplies. Default `0`.
        pub weight_decay: F = F::zero(),
        /// Power `r` of the largest step size so far in the averaging weights `γ_max^r`, which
        /// keeps the steps of the warmup out of the average. Default `2`.
        pub weight_lr_power: F = F::lit(2.0),
    }
}

/// Schedule-free SGD (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky, 2024).
///
/// Gradient steps on a base sequence `z`, an average `x` of the `z`s weighted by the step sizes,
/// and gradients taken at an interpolation `y` of the two: the average makes a decreasing
/// schedule unnecessary, and the interpolation gives it the speed of momentum. This is optax's
/// `optax.contrib.schedule_free_sgd`, with the same iterates; the iterate the rule moves is `y`
/// (optax's `params`), and `x` is its [evaluation point](crate::Optimizer::evaluation_point).
/// At step `t` (from 1), with the loop's step size `γ`:
///
/// ```text
/// γ_t     = γ · min(t - 1, T_w) / T_w     the step of z        (γ without warmup, T_w = 0)
/// γ̃_t     = γ · min(t, T_w) / T_w         the step of the weights         (γ without warmup)
/// γ_max   = max(γ_max, γ̃_t)                                    (0 before the first step)
/// w_t     = γ_max^r,   W_t = W_{t-1} + w_t  (W_0 = 0),   c_{t+1} = w_t / W_t  (0 if W_t = 0)
/// z_1     = y_1 = x_1 = the starting point
/// x_t     = (y_t - (1 - β₁) z_t) / β₁
/// z_{t+1} = z_t - γ_t (∇f(y_t) + λ y_t)
/// x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
/// y_{t+1} = β₁ x_{t+1} + (1 - β₁) z_{t+1}
/// ```
///
/// `x_t` is not stored: it is recovered from `y_t` and `z_t`, as optax does. Without warmup and
/// with a constant step, `c_{t+1} = 1/t` and `x_{t+1}` is the plain average of
/// `z_2, …, z_{t+1}`. The warmup of the step of `z` lags that of the weights by one step, as in
/// optax (whose base optimizer counts its steps from 0 and the wrapper from 1): with warmup, the
/// first step leaves `z` where it is. The scalars `W_t` and `γ_max` are kept in `f64`.
///
/// For convex `f` with (stochastic) gradients bounded by `G`, at a distance `D` from a
/// minimiser, `T` steps of the constant size `γ = D/(G√T)` give `f(x_T) - f* = O(DG/√T)` in
/// expectation, the optimal rate, at the last average `x_T` and without a decreasing schedule
/// (Theorem 1 of the paper, for any `β₁` in `[0, 1]`; here `β₁ = 0` is refused, since `x` could
/// not be recovered from `y` and `z`).
///
/// Defaults: `lr = 1`, `warmup_steps = 0`, `b1 = 0.9`, `weight_decay = 0`,
/// `weight_lr_power = 2`, those of optax.
///
/// Reference: A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, "The Road
/// Less Scheduled", NeurIPS 2024.
///
/// ```
/// use gradus::{Optimizer, ScheduleFreeSgd};
/// use ndarray::{Array1, array};
///
/// // f(x) = |x|², whose gradient is 2x, with the default step size 1: the first step jumps to
/// // -x₀, the second back to x₀, and their average is the minimiser.
/// let mut sgd = ScheduleFreeSgd::default();
/// let mut y = array![1.0_f64, 2.0, 3.0];
/// for _ in 0..2 {
///     let g = 2.0 * &y;
///     sgd.step(y.view_mut(), g.view(), 1.0)?;
/// }
/// let mut x = Array1::zeros(3);
/// assert!(sgd.evaluation_point(y.view(), x.view_mut())?);
/// assert!(x.iter().all(|v| v.abs() < 1e-14));
/// assert!((y[2] - 0.3).abs() < 1e-14); // the gradient point is not there yet
/// # Ok::<(), gradus::Error>(())
/// ```
pub type ScheduleFreeSgd<F> = Rule<ScheduleFreeSgdConfig<F>>;

/// Schedule-free AdamW (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky, 2024).
///
/// [`ScheduleFreeSgd`] with AdamW's normalised step, without its first moment (the averaging
/// and the interpolation take its place), and with decoupled weight decay. This is optax's
/// `optax.contrib.schedule_free_adamw`, with the same iterates; the iterate the rule moves is
/// `y` (optax's `params`), and `x` is its [evaluation point](crate::Optimizer::evaluation_point).
/// At step `t` (from 1), with the loop's step size `γ`:
///
/// ```text
/// γ_t     = γ · min(t - 1, T_w) / T_w     the step of z        (γ without warmup, T_w = 0)
/// γ̃_t     = γ · min(t, T_w) / T_w         the step of the weights         (γ without warmup)
/// γ_max   = max(γ_max, γ̃_t)                                    (0 before the first step)
/// w_t     = γ_max^r,   W_t = W_{t-1} + w_t  (W_0 = 0),   c_{t+1} = w_t / W_t  (0 if W_t = 0)
/// g_t     = ∇f(y_t)
/// v_t     = β₂ v_{t-1} + (1 - β₂) g_t²                                             v_0 = 0
/// z_1     = y_1 = x_1 = the starting point
/// x_t     = (y_t - (1 - β₁) z_t) / β₁
/// z_{t+1} = z_t - γ_t (g_t / (√v_t / √(1 - β₂ᵗ) + ε) + λ y_t)
/// x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
/// y_{t+1} = β₁ x_{t+1} + (1 - β₁) z_{t+1}
/// ```
///
/// The warmup and the averaging weights are those of [`ScheduleFreeSgd`] (the step of `z`
/// lagging the weights' by one step, as in optax).
/// Squares, roots and divisions are taken element by element. As the Adam family, the rule
/// reports a second moment that is no longer finite (a gradient component beyond about `√MAX`)
/// as [`Error::NonFiniteState`](crate::Error::NonFiniteState).
///
/// Defaults: `lr = 2.5e-3`, `warmup_steps = 0`, `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`,
/// `weight_decay = 0`, `weight_lr_power = 2`, those of optax.
///
/// Reference: A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, "The Road
/// Less Scheduled", NeurIPS 2024.
///
/// ```
/// use gradus::{Optimizer, ScheduleFreeAdamW};
/// use ndarray::{Array1, array};
///
/// // The first step moves z by about γ against the gradient's sign, and the average x and the
/// // gradient point y with it (the first weight is the whole average).
/// let mut adamw = ScheduleFreeAdamW::default();
/// let mut y = array![1.0_f64, 1.0];
/// adamw.step(y.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// let mut x = Array1::zeros(2);
/// assert!(adamw.evaluation_point(y.view(), x.view_mut())?);
/// for v in [&x, &y] {
///     assert!((v[0] - 0.9).abs() < 1e-8 && (v[1] - 1.1).abs() < 1e-8);
/// }
/// # Ok::<(), gradus::Error>(())
/// ```
pub type ScheduleFreeAdamW<F> = Rule<ScheduleFreeAdamWConfig<F>>;

/// The scalars of the averaging weights, kept in the state in `f64`.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Weights {
    /// `W_t`, the sum of the weights so far.
    weight_sum: f64,
    /// `γ_max`, the largest step size of the weights so far.
    lr_max: f64,
}

impl Weights {
    /// Adds the weight of a step whose step size (for the weights) is `lr`, and returns
    /// `c_{t+1} = w_t / W_t`: `0` when `W_t` is `0` (no step yet had a non-zero size) or the
    /// ratio is otherwise not a number, as optax's `nan_to_num`.
    fn advance(&mut self, lr: f64, power: f64) -> f64 {
        self.lr_max = self.lr_max.max(lr);
        let weight = self.lr_max.powf(power);
        self.weight_sum += weight;
        let c = weight / self.weight_sum;
        if c.is_nan() { 0.0 } else { c }
    }
}

/// The factors of the step size in step `t` (from 1) of a warmup of `steps` steps: that of the
/// step of `z`, `min(t - 1, T_w) / T_w`, and that of the weights, `min(t, T_w) / T_w` (both `1`
/// without warmup).
fn warmup(t: usize, steps: usize) -> (f64, f64) {
    if steps == 0 {
        return (1.0, 1.0);
    }
    let w = steps as f64;
    ((t - 1).min(steps) as f64 / w, t.min(steps) as f64 / w)
}

/// The state of [`ScheduleFreeSgd`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScheduleFreeSgdState<F> {
    /// `z_t`, the base sequence.
    z: Vec<F>,
    weights: Weights,
}

/// The state of [`ScheduleFreeAdamW`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScheduleFreeAdamWState<F> {
    /// `z_t`, the base sequence.
    z: Vec<F>,
    /// `v_t`, the second moment estimate.
    exp_avg_sq: Vec<F>,
    weights: Weights,
}

impl<F> ScheduleFreeSgdState<F> {
    /// `z_t`, the base sequence (empty before the first step).
    pub fn z(&self) -> &[F] {
        &self.z
    }

    /// `W_t`, the sum of the averaging weights so far.
    pub fn weight_sum(&self) -> f64 {
        self.weights.weight_sum
    }

    /// `γ_max`, the largest step size of the averaging weights so far.
    pub fn lr_max(&self) -> f64 {
        self.weights.lr_max
    }
}

impl<F> ScheduleFreeAdamWState<F> {
    /// `z_t`, the base sequence (empty before the first step).
    pub fn z(&self) -> &[F] {
        &self.z
    }

    /// `v_t`, the second moment estimate (empty before the first step).
    pub fn exp_avg_sq(&self) -> &[F] {
        &self.exp_avg_sq
    }

    /// `W_t`, the sum of the averaging weights so far.
    pub fn weight_sum(&self) -> f64 {
        self.weights.weight_sum
    }

    /// `γ_max`, the largest step size of the averaging weights so far.
    pub fn lr_max(&self) -> f64 {
        self.weights.lr_max
    }
}

/// The scalars of one step that both rules share: the step of `z`, the weight decay, the
/// interpolation and the averaging.
#[derive(Debug, Clone, Copy)]
struct Averaging<F> {
    /// Whether this is the first step, which starts `z` at the iterate.
    first: bool,
    /// `γ_t`, the step size of `z`.
    lr: F,
    /// `λ`.
    weight_decay: F,
    /// `β₁`.
    b1: F,
    /// `1 - β₁`.
    one_minus_b1: F,
    /// `c_{t+1}`.
    c: F,
    /// `1 - c_{t+1}`.
    one_minus_c: F,
}

impl<F: Real> Averaging<F> {
    /// The scalars of step `t` (from 1) with step size `lr`, advancing the weights; computed in
    /// `f64` and rounded once to `F`.
    fn new(
        b1: F,
        weight_decay: F,
        warmup_steps: usize,
        weight_lr_power: F,
        weights: &mut Weights,
        t: usize,
        lr: F,
    ) -> Self {
        let (warm_z, warm_weights) = warmup(t, warmup_steps);
        let lr = lr.as_f64();
        let c = weights.advance(lr * warm_weights, weight_lr_power.as_f64());
        Averaging {
            first: t == 1,
            lr: F::lit(lr * warm_z),
            weight_decay,
            b1,
            one_minus_b1: F::lit(1.0 - b1.as_f64()),
            c: F::lit(c),
            one_minus_c: F::lit(1.0 - c),
        }
    }

    /// `z_t`: the stored value, or the iterate itself on the first step.
    #[inline(always)]
    fn z(self, y: F, z: F) -> F {
        if self.first { y } else { z }
    }

    /// The step of one coordinate from `y_t` and `z_t` along the base direction `d` (without
    /// the weight decay): `z_{t+1} = z_t - γ_t (d + λ y_t)`, then `x_{t+1}` and `y_{t+1}`.
    #[inline(always)]
    fn advance(self, y: &mut F, z: &mut F, z_t: F, d: F) {
        let z_next = z_t - self.lr * (d + self.weight_decay * *y);
        let x = (*y - self.one_minus_b1 * z_t) / self.b1;
        let x_next = self.one_minus_c * x + self.c * z_next;
        *y = self.b1 * x_next + self.one_minus_b1 * z_next;
        *z = z_next;
    }
}

/// Writes `x = (y - (1 - β₁) z) / β₁` (optax's `schedule_free_eval_params`), with `1 - β₁`
/// rounded as in the step; `false` if `z` has no range `offset..offset + y.len()`.
fn write_evaluation_point<F: Real>(
    b1: F,
    z: &[F],
    offset: usize,
    y: ArrayView1<'_, F>,
    x: ArrayViewMut1<'_, F>,
) -> bool {
    let Some(z) = offset
        .checked_add(y.len())
        .and_then(|end| z.get(offset..end))
    else {
        return false;
    };
    if x.len() != y.len() {
        return false;
    }
    let one_minus_b1 = F::lit(1.0 - b1.as_f64());
    Zip::from(x)
        .and(y)
        .and(ArrayView1::from(z))
        .for_each(|x, &y, &z| *x = (y - one_minus_b1 * z) / b1);
    true
}

/// Checks what both rules share: `lr`, `b1`, `weight_decay` and `weight_lr_power`.
fn check_shared<F: Real>(lr: F, b1: F, weight_decay: F, weight_lr_power: F) -> Result<()> {
    check("lr", lr, Domain::NonNegative)?;
    check_that("b1", b1, B1_DOMAIN, Domain::DecayFactor.contains(b1))?;
    check("weight_decay", weight_decay, Domain::NonNegative)?;
    check("weight_lr_power", weight_lr_power, Domain::NonNegative)
}

/// The scalars of one [`ScheduleFreeSgd`] step.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleFreeSgdStep<F> {
    averaging: Averaging<F>,
}

impl<F: Real> ElementwiseRule for ScheduleFreeSgdConfig<F> {
    rule_types!(ScheduleFreeSgdState<F>, ScheduleFreeSgdStep<F>);

    fn name(&self) -> &'static str {
        "ScheduleFreeSGD"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `weight_decay` or `weight_lr_power`, or a `b1` outside `(0, 1]`.
    fn validate(&self) -> Result<()> {
        check_shared(self.lr, self.b1, self.weight_decay, self.weight_lr_power)
    }

    fn start(&self, state: &mut ScheduleFreeSgdState<F>, n: usize) {
        // `z` is set to the iterate by the first step, which knows it.
        fill(&mut state.z, n, F::zero());
        state.weights = Weights::default();
    }

    fn buffers(state: &mut ScheduleFreeSgdState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.z[..]])
    }

    fn prepare(
        &self,
        state: &mut ScheduleFreeSgdState<F>,
        t: usize,
        lr: F,
    ) -> ScheduleFreeSgdStep<F> {
        ScheduleFreeSgdStep {
            averaging: Averaging::new(
                self.b1,
                self.weight_decay,
                self.warmup_steps,
                self.weight_lr_power,
                &mut state.weights,
                t,
                lr,
            ),
        }
    }

    fn apply(
        &self,
        step: ScheduleFreeSgdStep<F>,
        y: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let s = step.averaging;
        let [z, ..] = state.into_array();
        kernel::apply(
            y,
            grad,
            [z],
            Simd::Widest,
            #[inline(always)]
            move |y, g, [z]| {
                let z_t = s.z(*y, *z);
                s.advance(y, z, z_t, g);
            },
        );
        true
    }

    fn has_evaluation_point(&self) -> bool {
        true
    }

    /// `x = (y - (1 - β₁) z) / β₁`.
    fn evaluation_point(
        &self,
        state: &ScheduleFreeSgdState<F>,
        offset: usize,
        y: ArrayView1<'_, F>,
        x: ArrayViewMut1<'_, F>,
    ) -> bool {
        write_evaluation_point(self.b1, &state.z, offset, y, x)
    }
}

/// The scalars of one [`ScheduleFreeAdamW`] step.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleFreeAdamWStep<F> {
    averaging: Averaging<F>,
    /// `β₂`.
    b2: F,
    /// `1 - β₂`.
    one_minus_b2: F,
    /// `1 / √(1 - β₂ᵗ)`.
    inv_sqrt_bias_correction2: F,
    eps: F,
}

impl<F: Real> ElementwiseRule for ScheduleFreeAdamWConfig<F> {
    rule_types!(ScheduleFreeAdamWState<F>, ScheduleFreeAdamWStep<F>);

    fn name(&self) -> &'static str {
        "ScheduleFreeAdamW"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `weight_decay` or `weight_lr_power`, a `b1` outside `(0, 1]`, a `b2` outside
    /// `[0, 1)`, or an `eps` that is not finite and positive.
    fn validate(&self) -> Result<()> {
        check_shared(self.lr, self.b1, self.weight_decay, self.weight_lr_power)?;
        check("b2", self.b2, Domain::UnitInterval)?;
        check("eps", self.eps, Domain::Positive)
    }

    fn start(&self, state: &mut ScheduleFreeAdamWState<F>, n: usize) {
        // `z` is set to the iterate by the first step, which knows it.
        fill(&mut state.z, n, F::zero());
        fill(&mut state.exp_avg_sq, n, F::zero());
        state.weights = Weights::default();
    }

    fn buffers(state: &mut ScheduleFreeAdamWState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.z[..], &mut state.exp_avg_sq])
    }

    fn prepare(
        &self,
        state: &mut ScheduleFreeAdamWState<F>,
        t: usize,
        lr: F,
    ) -> ScheduleFreeAdamWStep<F> {
        let bias_correction2 = 1.0 - self.b2.as_f64().powf(t as f64);
        ScheduleFreeAdamWStep {
            averaging: Averaging::new(
                self.b1,
                self.weight_decay,
                self.warmup_steps,
                self.weight_lr_power,
                &mut state.weights,
                t,
                lr,
            ),
            b2: self.b2,
            one_minus_b2: F::lit(1.0 - self.b2.as_f64()),
            inv_sqrt_bias_correction2: F::lit(1.0 / bias_correction2.sqrt()),
            eps: self.eps,
        }
    }

    fn apply(
        &self,
        s: ScheduleFreeAdamWStep<F>,
        y: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [z, exp_avg_sq, ..] = state.into_array();
        kernel::apply_watching(
            y,
            grad,
            [z, exp_avg_sq],
            Simd::Widest,
            Watched::<1>,
            #[inline(always)]
            move |y, g, [z, v]| {
                let z_t = s.averaging.z(*y, *z);
                *v = s.b2 * *v + s.one_minus_b2 * (g * g);
                let d = g / (v.sqrt() * s.inv_sqrt_bias_correction2 + s.eps);
                s.averaging.advance(y, z, z_t, d);
            },
        )
    }

    fn has_evaluation_point(&self) -> bool {
        true
    }

    /// `x = (y - (1 - β₁) z) / β₁`.
    fn evaluation_point(
        &self,
        state: &ScheduleFreeAdamWState<F>,
        offset: usize,
        y: ArrayView1<'_, F>,
        x: ArrayViewMut1<'_, F>,
    ) -> bool {
        write_evaluation_point(self.b1, &state.z, offset, y, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array};

    /// The hyperparameters of a hand-computed run.
    #[derive(Clone, Copy)]
    struct Hyper {
        warmup_steps: usize,
        b1: f64,
        b2: f64,
        eps: f64,
        weight_decay: f64,
        weight_lr_power: f64,
    }

    impl Hyper {
        fn sgd(self) -> ScheduleFreeSgd<f64> {
            ScheduleFreeSgd::new(ScheduleFreeSgdConfig {
                lr: 1.0,
                warmup_steps: self.warmup_steps,
                b1: self.b1,
                weight_decay: self.weight_decay,
                weight_lr_power: self.weight_lr_power,
            })
            .unwrap()
        }

        fn adamw(self) -> ScheduleFreeAdamW<f64> {
            ScheduleFreeAdamW::new(ScheduleFreeAdamWConfig {
                lr: 1.0,
                warmup_steps: self.warmup_steps,
                b1: self.b1,
                b2: self.b2,
                eps: self.eps,
                weight_decay: self.weight_decay,
                weight_lr_power: self.weight_lr_power,
            })
            .unwrap()
        }
    }

    /// The defaults of both rules (`b2` and `eps` are AdamW's).
    const DEFAULTS: Hyper = Hyper {
        warmup_steps: 0,
        b1: 0.9,
        b2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        weight_lr_power: 2.0,
    };

    /// Other values of every hyperparameter, with a warmup of two steps.
    const OTHERS: Hyper = Hyper {
        warmup_steps: 2,
        b1: 0.8,
        b2: 0.9,
        eps: 1e-3,
        weight_decay: 0.1,
        weight_lr_power: 1.5,
    };

    /// The recurrences of optax's `schedule_free` around its SGD or AdamW base step, written
    /// out per coordinate: its schedule evaluated at the wrapper's count (from 1) for the
    /// weights and at the base optimizer's count (from 0) for the step of `z`.
    struct Hand {
        h: Hyper,
        adamw: bool,
        z: Vec<f64>,
        v: Vec<f64>,
        weight_sum: f64,
        lr_max: f64,
    }

    impl Hand {
        fn new(h: Hyper, adamw: bool, n: usize) -> Self {
            Hand {
                h,
                adamw,
                z: vec![0.0; n],
                v: vec![0.0; n],
                weight_sum: 0.0,
                lr_max: 0.0,
            }
        }

        fn schedule(&self, lr: f64, count: usize) -> f64 {
            let w = self.h.warmup_steps;
            if w == 0 {
                lr
            } else {
                lr * count.min(w) as f64 / w as f64
            }
        }

        /// Step `t` (from 1) with step size `lr` from `y` with gradient `g`.
        fn step(&mut self, t: usize, lr: f64, y: &mut [f64], g: &[f64]) {
            let h = self.h;
            self.lr_max = self.lr_max.max(self.schedule(lr, t));
            let weight = self.lr_max.powf(h.weight_lr_power);
            self.weight_sum += weight;
            let c = if self.weight_sum == 0.0 {
                0.0
            } else {
                weight / self.weight_sum
            };
            let lr_z = self.schedule(lr, t - 1);
            for i in 0..y.len() {
                if t == 1 {
                    self.z[i] = y[i];
                }
                let mut u = g[i];
                if self.adamw {
                    self.v[i] = h.b2 * self.v[i] + (1.0 - h.b2) * g[i] * g[i];
                    let v_hat = self.v[i] / (1.0 - h.b2.powi(t as i32));
                    u = g[i] / (v_hat.sqrt() + h.eps);
                }
                u += h.weight_decay * y[i];
                let z = self.z[i] - lr_z * u;
                let x = (y[i] - (1.0 - h.b1) * self.z[i]) / h.b1;
                let x = (1.0 - c) * x + c * z;
                y[i] = h.b1 * x + (1.0 - h.b1) * z;
                self.z[i] = z;
            }
        }

        /// The evaluation point at `y`.
        fn evaluation_point(&self, y: &[f64]) -> Vec<f64> {
            let b1 = self.h.b1;
            y.iter()
                .zip(&self.z)
                .map(|(y, z)| (y - (1.0 - b1) * z) / b1)
                .collect()
        }
    }

    /// Three steps of `rule` with step sizes `lrs` against the hand-written recurrences, the
    /// iterate `y` and the evaluation point `x` after each, coordinate by coordinate.
    fn check_against_hand(mut rule: impl Optimizer<f64>, h: Hyper, adamw: bool, x0: [f64; 2]) {
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let lrs = [0.3, 0.1, 0.2];
        let mut hand = Hand::new(h, adamw, 2);
        let (mut y, mut hand_y) = (Array1::from(x0.to_vec()), x0.to_vec());
        let mut x = Array1::zeros(2);
        for (k, (g, lr)) in grads.iter().zip(lrs).enumerate() {
            let t = k + 1;
            rule.step(y.view_mut(), ArrayView1::from(g), lr).unwrap();
            hand.step(t, lr, &mut hand_y, g);
            assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
            let hand_x = hand.evaluation_point(&hand_y);
            for i in 0..2 {
                assert_close!(y[i], hand_y[i], "y at step {t}, coordinate {i}");
                assert_close!(x[i], hand_x[i], "x at step {t}, coordinate {i}");
            }
        }
    }

    #[test]
    fn sgd_matches_hand_computed_first_three_steps() {
        check_against_hand(DEFAULTS.sgd(), DEFAULTS, false, [1.0, -2.0]);
    }

    #[test]
    fn sgd_with_warmup_and_other_hyperparameters_matches_hand_computed_first_three_steps() {
        check_against_hand(OTHERS.sgd(), OTHERS, false, [1.0, -2.0]);
        check_against_hand(OTHERS.sgd(), OTHERS, false, [0.0, 0.0]);
    }

    #[test]
    fn adamw_matches_hand_computed_first_three_steps() {
        check_against_hand(DEFAULTS.adamw(), DEFAULTS, true, [1.0, -2.0]);
    }

    #[test]
    fn adamw_with_warmup_and_other_hyperparameters_matches_hand_computed_first_three_steps() {
        check_against_hand(OTHERS.adamw(), OTHERS, true, [1.0, -2.0]);
        check_against_hand(OTHERS.adamw(), OTHERS, true, [0.0, 0.0]);
    }

    #[test]
    fn the_state_keeps_the_weights_and_the_largest_step_size() {
        // Warmup over two steps and step sizes 0.3, 0.1, 0.2: the weights' step sizes are
        // 0.15, 0.1 and 0.2.
        let mut rule = OTHERS.sgd();
        let mut y = array![1.0, -2.0];
        let mut sums = Vec::new();
        for lr in [0.3, 0.1, 0.2] {
            rule.step(y.view_mut(), array![0.5, 0.5].view(), lr)
                .unwrap();
            sums.push((rule.state().weight_sum(), rule.state().lr_max()));
        }
        let w = |lr: f64| lr.powf(1.5);
        assert_close!(sums[0].0, w(0.15));
        assert_close!(sums[1].0, 2.0 * w(0.15));
        assert_close!(sums[2].0, 2.0 * w(0.15) + w(0.2));
        assert_eq!([sums[0].1, sums[1].1, sums[2].1], [0.15, 0.15, 0.2]);
        assert_eq!(rule.state().z().len(), 2);
    }

    /// `f(x) = |x|²` from `(1, 2, 3)`: `f` at the evaluation point after each of five steps.
    fn values_on_a_quadratic(mut rule: impl Optimizer<f64>, lr: f64) -> Vec<f64> {
        let mut y = array![1.0, 2.0, 3.0];
        let mut x = Array1::zeros(3);
        (0..5)
            .map(|_| {
                let g = 2.0 * &y;
                rule.step(y.view_mut(), g.view(), lr).unwrap();
                assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
                x.dot(&x)
            })
            .collect()
    }

    /// The values optax's documentation prints for `schedule_free_sgd()` and
    /// `schedule_free_adamw(1.0)` on this problem, to the three digits it prints them with.
    #[test]
    fn the_values_optax_documents_on_a_quadratic() {
        let close = |actual: &[f64], printed: [f64; 5]| {
            for (k, (a, p)) in actual.iter().zip(printed).enumerate() {
                let ok = if p < 1e-10 {
                    a.abs() < 1e-10
                } else {
                    (a - p).abs() <= 5e-3 * p
                };
                assert!(ok, "step {}: {a} where optax prints {p}", k + 1);
            }
        };
        let sgd = values_on_a_quadratic(ScheduleFreeSgd::default(), 1.0);
        close(&sgd, [14.0, 0.0, 0.996, 0.806, 0.241]);
        let adamw = values_on_a_quadratic(ScheduleFreeAdamW::default(), 1.0);
        close(&adamw, [5.00, 3.05, 1.73, 0.894, 0.413]);
    }

    #[test]
    fn a_zero_gradient_from_the_start_moves_nothing() {
        fn check(mut rule: impl Optimizer<f64>) {
            let x0 = array![1.5, -2.0, 0.0];
            let mut y = x0.clone();
            let mut x = Array1::zeros(3);
            for _ in 0..3 {
                rule.step(y.view_mut(), Array1::zeros(3).view(), 0.1)
                    .unwrap();
                assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
                for i in 0..3 {
                    assert_close!(y[i], x0[i], "{}: y", rule.name());
                    assert_close!(x[i], x0[i], "{}: x", rule.name());
                }
            }
        }
        check(ScheduleFreeSgd::default());
        check(ScheduleFreeAdamW::default());
        let no_decay = Hyper {
            weight_decay: 0.0,
            ..OTHERS
        };
        check(no_decay.sgd());
        check(no_decay.adamw());
    }

    #[test]
    fn from_all_zeros_with_a_zero_gradient_everything_stays_exactly_zero() {
        for mut rule in [
            Box::new(OTHERS.sgd()) as Box<dyn Optimizer<f64>>,
            Box::new(OTHERS.adamw()),
        ] {
            let mut y = Array1::zeros(4);
            let mut x = Array1::from_elem(4, 1.0);
            for _ in 0..3 {
                rule.step(y.view_mut(), Array1::zeros(4).view(), 0.5)
                    .unwrap();
            }
            assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
            assert!(y.iter().chain(&x).all(|&v| v == 0.0), "{}", rule.name());
        }
    }

    #[test]
    fn a_step_size_of_zero_moves_nothing() {
        // optax's `test_learning_rate_zero`: all weights are 0, and so is every c.
        let mut rule = ScheduleFreeAdamW::default();
        let x0: Array1<f64> = array![-1.0, 10.0, 1.0];
        let mut y = x0.clone();
        for _ in 0..10 {
            let g = 2.0 * &y;
            rule.step(y.view_mut(), g.view(), 0.0).unwrap();
        }
        assert_eq!(rule.state().weight_sum(), 0.0);
        let mut x = Array1::zeros(3);
        assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
        for i in 0..3 {
            assert_close!(y[i], x0[i]);
            assert_close!(x[i], x0[i]);
        }
    }

    #[test]
    fn no_evaluation_point_before_the_first_step_and_lengths_are_checked() {
        let mut rule = ScheduleFreeSgd::<f64>::default();
        assert!(Optimizer::<f64>::has_evaluation_point(&rule));
        let mut x = array![7.0, 7.0];
        assert!(
            !rule
                .evaluation_point(array![1.0, 2.0].view(), x.view_mut())
                .unwrap()
        );
        assert_eq!(x, array![7.0, 7.0], "nothing written");
        let mut y = array![1.0, 2.0];
        rule.step(y.view_mut(), array![1.0, 1.0].view(), 0.1)
            .unwrap();
        let mut short = Array1::zeros(1);
        assert!(matches!(
            rule.evaluation_point(y.view(), short.view_mut()),
            Err(Error::DimensionMismatch { .. })
        ));
        let mut long = Array1::zeros(3);
        assert!(matches!(
            rule.evaluation_point(array![1.0, 2.0, 3.0].view(), long.view_mut()),
            Err(Error::DimensionMismatch { .. })
        ));
        rule.reset();
        assert!(!rule.evaluation_point(y.view(), x.view_mut()).unwrap());
        // The other rules have none.
        let adam = crate::Adam::<f64>::default();
        assert!(!adam.has_evaluation_point());
        assert!(!adam.evaluation_point(y.view(), x.view_mut()).unwrap());
    }

    #[test]
    fn f32_follows_f64() {
        fn run<F: Real>(mut rule: impl Optimizer<F>) -> Vec<f64> {
            let mut y = Array1::from_shape_fn(5, |i| F::lit(i as f64 / 2.0 - 1.0));
            let mut x = Array1::zeros(5);
            for k in 0..20 {
                let g = Array1::from_shape_fn(5, |i| {
                    y[i] * F::lit(2.0) + F::lit(((i + k) % 3) as f64 - 1.0)
                });
                rule.step(y.view_mut(), g.view(), F::lit(0.05)).unwrap();
            }
            assert!(rule.evaluation_point(y.view(), x.view_mut()).unwrap());
            y.iter().chain(&x).map(|v| v.as_f64()).collect()
        }
        let config = |c: ScheduleFreeAdamWConfig<f64>| ScheduleFreeAdamWConfig::<f32> {
            lr: c.lr as f32,
            warmup_steps: c.warmup_steps,
            b1: c.b1 as f32,
            b2: c.b2 as f32,
            eps: c.eps as f32,
            weight_decay: c.weight_decay as f32,
            weight_lr_power: c.weight_lr_power as f32,
        };
        let adamw = ScheduleFreeAdamWConfig {
            warmup_steps: 3,
            weight_decay: 0.01,
            ..Default::default()
        };
        let pairs = [
            (
                run(ScheduleFreeSgd::<f64>::default()),
                run(ScheduleFreeSgd::<f32>::default()),
            ),
            (
                run(ScheduleFreeAdamW::new(adamw).unwrap()),
                run(ScheduleFreeAdamW::new(config(adamw)).unwrap()),
            ),
        ];
        for (wide, narrow) in pairs {
            for (a, b) in wide.iter().zip(&narrow) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn an_overflowed_second_moment_is_reported() {
        let mut rule = ScheduleFreeAdamW::default();
        let mut y = array![1.0, 1.0];
        let err = rule
            .step(y.view_mut(), array![1e200, 1.0].view(), 0.1)
            .unwrap_err();
        assert!(matches!(err, Error::NonFiniteState { .. }));
    }

    #[test]
    fn names() {
        assert_eq!(
            Optimizer::<f64>::name(&ScheduleFreeSgd::default()),
            "ScheduleFreeSGD"
        );
        assert_eq!(
            Optimizer::<f64>::name(&ScheduleFreeAdamW::default()),
            "ScheduleFreeAdamW"
        );
        assert_eq!(ScheduleFreeSgd::<f64>::default().default_lr(), 1.0);
        assert_eq!(ScheduleFreeAdamW::<f64>::default().default_lr(), 2.5e-3);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(ScheduleFreeSgd::<f64>::new, {
            lr: [-1.0, f64::INFINITY],
            b1: [0.0, 1.5, f64::NAN],
            weight_decay: [-0.1],
            weight_lr_power: [-1.0, f64::NAN],
        });
        assert_rejects_fields!(ScheduleFreeAdamW::<f64>::new, {
            lr: [-1.0],
            b1: [0.0, -0.5],
            b2: [1.0, -0.1],
            eps: [0.0],
            weight_decay: [f64::NAN],
            weight_lr_power: [f64::INFINITY],
        });
        // `b1 = 1` (the gradient at the average itself) is allowed.
        assert!(
            ScheduleFreeSgd::new(ScheduleFreeSgdConfig {
                b1: 1.0,
                ..Default::default()
            })
            .is_ok()
        );
        let message = ScheduleFreeSgd::new(ScheduleFreeSgdConfig {
            b1: 0.0,
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            message.contains("b1") && message.contains("(0, 1]"),
            "{message}"
        );
    }
}
