//! Update rules: the [`Optimizer`] trait and one file per rule.
//!
//! An optimizer is only an update rule. Given the iterate `x`, the gradient `g = ∇f(x)` and a
//! step size `lr`, [`Optimizer::step`] updates `x` in place and advances the rule's own state
//! (moments, velocities, accumulators). It knows nothing of convergence, budgets or schedules:
//! those belong to the [`Minimizer`](crate::Minimizer). So a rule can be driven by hand, one step
//! at a time, inside any training loop:
//!
//! ```
//! use gradus::{Adam, Optimizer};
//! use ndarray::{array, Array1};
//!
//! // Minimise f(x) = 1/2 |x|^2, whose gradient is x itself.
//! let mut adam = Adam::default();
//! let mut x = array![1.0_f64, -2.0];
//! let mut g = Array1::zeros(2);
//! for _ in 0..2000 {
//!     g.assign(&x);
//!     adam.step(x.view_mut(), g.view(), 0.01).unwrap();
//! }
//! assert!(x.iter().all(|v| v.abs() < 1e-2));
//! ```
//!
//! Hyperparameter names, defaults and semantics follow PyTorch's `torch.optim`, so that the same
//! inputs give the same iterates; [`Adopt`], [`Cocob`], DoG, DoWG and the schedule-free rules,
//! which PyTorch does not have, follow optax's `optax.contrib` instead, and [`Lion`],
//! [`SignSgd`], [`Signum`], [`Yogi`], [`AdaBelief`], [`Adan`] and
//! [`OptimisticGradientDescent`] optax's own optimizers of those names, as do the layer-wise
//! rules [`Lamb`], [`Lars`], [`NovoGrad`] and [`Fromage`]; [`Adafactor`] and [`Muon`] are
//! PyTorch's, [`Sm3`] optax's `sm3`. Each rule validates its
//! hyperparameters once, when it is built, and allocates its state once, on its first step (a
//! [`reset`](Optimizer::reset) keeps it for the next run).
//!
//! ## One type for the elementwise rules
//!
//! Every elementwise rule is written once, as its configuration implementing
//! [`ElementwiseRule`] (how it validates its hyperparameters, starts its state and updates a
//! vector); [`Rule<C>`](Rule) makes it an [`Optimizer`], so that `Adam<F>` is
//! `Rule<AdamConfig<F>>`, and a [`ParameterSet`](crate::params::ParameterSet) runs the same
//! update over every tensor of a model.
//!
//! ## Rules that see a tensor's shape
//!
//! [`Adafactor`] keeps the second moments of a matrix as row and column averages, [`Muon`]
//! orthogonalizes the momentum of a matrix by Newton-Schulz iterations (and updates the other
//! tensors by AdamW), [`Sm3`] keeps one accumulator per row and per column. They implement
//! [`ShapedRule`], which updates one tensor knowing its shape, with a state per tensor; a
//! [`ShapedParameterSet`](crate::params::ShapedParameterSet) runs them over a model, and
//! [`Shaped<R>`](Shaped) on one vector (a tensor of one dimension), as an [`Optimizer`]. Their
//! matrix products run in buffers of the state, allocated on the first step.
//!
//! ## Layer-wise rules
//!
//! [`Lamb`], [`Lars`], [`NovoGrad`] and [`Fromage`] scale each layer's step by norms of that
//! layer: a trust ratio `‖x‖/‖u‖`, or a second moment `‖g‖²` of one scalar per layer. A single
//! vector is one layer; in a [`ParameterSet`](crate::params::ParameterSet) each tensor is a
//! layer of its own (their configurations say so with
//! [`ElementwiseRule::SUMS_PER_TENSOR`]), so that a set gives every tensor the same bits as
//! the rule run on that tensor alone.
//!
//! ## Speed
//!
//! The elementwise rules (all but the quasi-Newton ones) update every coordinate by one small
//! function of its gradient and its state. They share one loop: over contiguous slices, compiled
//! for wide SIMD instructions chosen at run time (AVX-512 where the update takes square roots or
//! divisions, AVX2 where it only multiplies and adds), and, with the `parallel` feature, split
//! over all cores from 2^18 coordinates on; strided views of `x` or of the gradient go through a
//! plain ndarray loop. Every path computes each coordinate by the same operations, so the
//! iterates are the same to the bit whatever the path, the processor or the number of threads. At ten million coordinates a step takes about as long as reading and
//! writing its arrays once (`cargo bench --bench rules -- vs-memory`).
//!
//! ## Rules that need more than one gradient
//!
//! Quasi-Newton and step-length methods learn curvature from pairs `s = x_k - x_{k-1}`,
//! `y = ∇f(x_k) - ∇f(x_{k-1})`. They need no more from the loop than any other rule: [`Lbfgs`]
//! and [`BarzilaiBorwein`] keep the previous iterate and gradient in buffers of their own
//! (allocated once) and form the new pair when they are next called with `x_k` and `∇f(x_k)`.
//! Methods whose step length comes from a line search expose a search direction instead of
//! moving `x` themselves ([`Optimizer::search_direction`]); the
//! [`Minimizer`](crate::Minimizer) then runs the line search (Armijo backtracking, strong Wolfe)
//! along it, so the same L-BFGS works with any line search, and the same line search with any
//! rule that has a direction. [`AcceleratedGradient`] evaluates the gradient at its
//! extrapolated point, which is the iterate the loop holds; it keeps the sequence `x_k` itself.
//!
//! ## Rules that evaluate the model elsewhere
//!
//! The schedule-free rules ([`ScheduleFreeSgd`], [`ScheduleFreeAdamW`]) take gradients at a point
//! `y` between a base sequence `z` and the average `x` of the `z`s; the average is the point
//! with the guarantee, where the model should be evaluated. The iterate they move is `y`, and
//! [`Optimizer::evaluation_point`] writes `x` from `y` and the rule's state; the
//! [`Minimizer`](crate::Minimizer) reports that point at the end of a run. [`Averaged`] gives
//! any rule such a point: the running average of its iterates (Polyak-Ruppert, an exponential
//! moving average, or stochastic weight averaging, as [`Averaging`] says).
//! [`Asgd`] has one too: the running average of its iterates.

use ndarray::{ArrayView1, ArrayViewMut1};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_len};

mod accelerated_gradient;
mod adabelief;
mod adadelta;
mod adafactor;
mod adagrad;
mod adam;
mod adam_family;
mod adamax;
mod adan;
mod adopt;
mod asgd;
mod averaging;
mod barzilai_borwein;
mod cocob;
mod config;
mod dadaptation;
mod dog;
mod fromage;
mod gradient_descent;
mod lamb;
mod lars;
mod lbfgs;
mod lion;
mod lookahead;
mod momentum;
mod muon;
mod nadam;
mod novograd;
mod optimistic_gradient_descent;
mod prodigy;
mod radam;
mod rmsprop;
mod rprop;
mod rule;
mod schedule_free;
mod shaped;
mod sign_sgd;
mod signum;
mod sm3;
mod state;
mod weight_decay;

pub(crate) mod kernel;

#[cfg(test)]
mod tests;
mod yogi;

pub use accelerated_gradient::{AcceleratedGradient, AcceleratedGradientConfig};
pub use adabelief::{AdaBelief, AdaBeliefConfig};
pub use adadelta::{Adadelta, AdadeltaConfig};
pub use adafactor::{Adafactor, AdafactorConfig, AdafactorState};
pub use adagrad::{AdaGrad, AdaGradConfig};
pub use adam::{Adam, AdamConfig};
pub use adamax::{Adamax, AdamaxConfig};
pub use adan::{Adan, AdanConfig};
pub use adopt::{Adopt, AdoptConfig};
pub use asgd::{Asgd, AsgdConfig, AsgdState};
pub use averaging::{Averaged, Averaging};
pub use barzilai_borwein::{BarzilaiBorwein, BarzilaiBorweinConfig, BbVariant};
pub use cocob::{Cocob, CocobConfig};
pub use dadaptation::{
    DAdaptAdamW, DAdaptAdamWConfig, DAdaptAdamWState, DAdaptSgd, DAdaptSgdConfig, DAdaptSgdState,
};
pub use dog::{DistanceState, Dog, DogConfig, DogStart, Dowg, DowgConfig};
pub use fromage::{Fromage, FromageConfig};
pub use gradient_descent::{GradientDescent, GradientDescentConfig};
pub use kernel::Sums;
pub use lamb::{Lamb, LambConfig};
pub use lars::{Lars, LarsConfig};
pub use lbfgs::{Lbfgs, LbfgsConfig};
pub use lion::{Lion, LionConfig};
pub use lookahead::{Lookahead, LookaheadConfig};
pub use momentum::{Momentum, MomentumConfig};
pub use muon::{AdjustLr, Muon, MuonConfig, MuonState};
pub use nadam::{NAdam, NAdamConfig};
pub use novograd::{NovoGrad, NovoGradConfig, NovoGradState};
pub use optimistic_gradient_descent::{OptimisticGradientDescent, OptimisticGradientDescentConfig};
pub use prodigy::{Prodigy, ProdigyConfig, ProdigyState};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use rprop::{Rprop, RpropConfig, RpropState};
pub use rule::{ElementwiseRule, Rule};
pub use schedule_free::{
    ScheduleFreeAdamW, ScheduleFreeAdamWConfig, ScheduleFreeAdamWState, ScheduleFreeSgd,
    ScheduleFreeSgdConfig, ScheduleFreeSgdState,
};
pub use shaped::{Shaped, ShapedRule};
pub use sign_sgd::{SignSgd, SignSgdConfig};
pub use signum::{Signum, SignumConfig};
pub use sm3::{Sm3, Sm3Config, Sm3State};
pub use state::{Buffers, MAX_BUFFERS};
pub use yogi::{Yogi, YogiConfig};

/// An update rule: moves `x` from the gradient and a step size, keeping its own state.
pub trait Optimizer<F: Real> {
    /// Short name of the rule, for tables and messages (`"Adam"`, `"AMSGrad"`, ...).
    fn name(&self) -> &'static str;

    /// The rule's own step size (PyTorch's `lr`), used by the [`Minimizer`](crate::Minimizer)
    /// when no step-size strategy is set.
    fn default_lr(&self) -> F;

    /// One update of `x` in place, from the gradient `grad` at `x` and the step size `lr`.
    ///
    /// The first call allocates the rule's state for `x.len()` variables (or, after a
    /// [`reset`](Optimizer::reset), refills it); later calls allocate nothing.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty `x` (the rule's state is left as it was);
    /// [`Error::DimensionMismatch`] if `grad` and `x` differ in length, or if `x` differs from
    /// the length the state was allocated for (call [`reset`](Optimizer::reset) to start over
    /// with another size); [`Error::InvalidParameter`] if `lr` is negative or not finite. For
    /// these, nothing has moved.
    ///
    /// [`Error::NonFiniteState`] *after* the move, from a rule whose state squares the gradient
    /// (Adam, AMSGrad, NAdam, RAdam, RMSProp, AdaGrad, Adadelta, ADOPT, Yogi, AdaBelief, Adan,
    /// Prodigy, D-Adaptation AdamW), when a value it wrote there is no longer finite: a gradient component beyond about
    /// `√MAX` (`1.3e154` in `f64`, `1.8e19` in `f32`) overflowed its square, and that coordinate
    /// would never move again.
    /// The step has been applied to `x` (the other coordinates moved as usual) and counted; the
    /// error comes back at every step until [`reset`](Optimizer::reset). The
    /// [`Minimizer`](crate::Minimizer) undoes such a step and stops with
    /// [`Termination::StateOverflow`](crate::Termination::StateOverflow).
    fn step(&mut self, x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()>;

    /// [`step`](Optimizer::step) for a caller that has checked the step size itself: `lr` is
    /// finite and non-negative. A rule may leave out its own check of `lr` then, and keeps every
    /// other check of `step`, with its errors. The [`Minimizer`](crate::Minimizer) steps through
    /// this: it checks a constant step size once per run, and every other step size as it
    /// chooses it. The default calls `step`.
    ///
    /// # Errors
    /// As [`step`](Optimizer::step). With an `lr` that is negative or not finite, a rule that
    /// does not check it takes the step all the same (its iterate and state are then likely
    /// not finite): call [`step`](Optimizer::step) for a step size that is not known to be
    /// valid.
    #[inline]
    fn step_with_checked_lr(
        &mut self,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        lr: F,
    ) -> Result<()> {
        self.step(x, grad, lr)
    }

    /// Forgets all state (moments, step counter): the next step is taken as by a new rule.
    ///
    /// The rule keeps the memory of its state: the next step refills it in place when `x` has
    /// the same length, and allocates only for another length. So a rule reset before every run
    /// (as [`Minimizer::minimize`](crate::Minimizer::minimize) does) allocates once, not once per
    /// run.
    fn reset(&mut self);

    /// Number of steps taken since construction or the last [`reset`](Optimizer::reset).
    fn steps_taken(&self) -> usize;

    /// `true` if the rule can produce a search direction for a line search
    /// (see [`search_direction`](Optimizer::search_direction)).
    fn has_search_direction(&self) -> bool {
        false
    }

    /// Writes the rule's search direction `d` at `x` into `direction`, for a line search that
    /// will then choose `α` and move to `x + α d`. Rules whose update is not of that form
    /// (momentum, adaptive methods) do not support it.
    ///
    /// # Errors
    /// [`Error::Incompatible`] if the rule has no search direction; as [`step`](Optimizer::step)
    /// for bad lengths.
    fn search_direction(
        &mut self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) -> Result<()> {
        let _ = (x, grad, direction);
        Err(no_search_direction())
    }

    /// `true` if the rule has an evaluation point: the point where the model should be
    /// evaluated, when it is not the iterate the rule takes gradients at (see
    /// [`evaluation_point`](Optimizer::evaluation_point)). Default `false`.
    fn has_evaluation_point(&self) -> bool {
        false
    }

    /// Writes into `x` the point where the model should be evaluated, when it is not the iterate
    /// `y` the rule takes gradients at, and returns `Ok(true)`; returns `Ok(false)`, writing
    /// nothing, when the model is evaluated at `y` itself.
    ///
    /// The schedule-free rules ([`ScheduleFreeSgd`], [`ScheduleFreeAdamW`]) take gradients at an
    /// interpolation `y` between their base sequence `z` and the average `x` of the `z`s, and the
    /// average is the point with the guarantee: they write `x = (y - (1 - β₁) z) / β₁` (optax's
    /// `schedule_free_eval_params`). [`Asgd`] writes the running average of its iterates
    /// (PyTorch's `ax`). `y` must be the iterate the last
    /// [`step`](Optimizer::step) left. Before the first step, and for every other rule (the
    /// default), the answer is `Ok(false)`. The [`Minimizer`](crate::Minimizer) reports this
    /// point, and `f` there, at the end of a run.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `x` and `y` differ in length, or `y` differs from the
    /// length of the rule's state (for a rule with an evaluation point that has taken a step);
    /// `x` is left as it was.
    fn evaluation_point(&self, y: ArrayView1<'_, F>, x: ArrayViewMut1<'_, F>) -> Result<bool> {
        let _ = (y, x);
        Ok(false)
    }
}

impl<F: Real, O: Optimizer<F> + ?Sized> Optimizer<F> for Box<O> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn default_lr(&self) -> F {
        (**self).default_lr()
    }
    fn step(&mut self, x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        (**self).step(x, grad, lr)
    }
    fn step_with_checked_lr(
        &mut self,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        lr: F,
    ) -> Result<()> {
        (**self).step_with_checked_lr(x, grad, lr)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn steps_taken(&self) -> usize {
        (**self).steps_taken()
    }
    fn has_search_direction(&self) -> bool {
        (**self).has_search_direction()
    }
    fn search_direction(
        &mut self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) -> Result<()> {
        (**self).search_direction(x, grad, direction)
    }
    fn has_evaluation_point(&self) -> bool {
        (**self).has_evaluation_point()
    }
    fn evaluation_point(&self, y: ArrayView1<'_, F>, x: ArrayViewMut1<'_, F>) -> Result<bool> {
        (**self).evaluation_point(y, x)
    }
}

/// The error of a rule asked for a search direction it does not have.
pub(crate) fn no_search_direction() -> Error {
    Error::Incompatible {
        reason: "this update rule has no search direction for a line search; use a constant \
                 step size or a schedule, or a rule such as GradientDescent",
    }
}

/// Validates the arguments of [`Optimizer::step`]: a non-empty `x`, equal lengths, a finite
/// non-negative `lr`, and (when the state exists) the length the state was allocated for. An
/// empty `x` is refused before the rule counts a step or sizes its state, so that it cannot tie
/// the rule to length 0.
///
/// The checks that pass are a few comparisons; the error is built out of line.
#[inline]
pub(crate) fn check_step<F: Real>(
    x_len: usize,
    grad_len: usize,
    lr: F,
    state_len: Option<usize>,
) -> Result<()> {
    let lengths_agree = x_len > 0 && grad_len == x_len && state_len.is_none_or(|n| n == x_len);
    if lengths_agree && Domain::NonNegative.contains(lr) {
        Ok(())
    } else {
        step_error(x_len, grad_len, lr, state_len)
    }
}

/// The error of [`check_step`], by the same checks in the same order.
#[cold]
#[inline(never)]
fn step_error<F: Real>(
    x_len: usize,
    grad_len: usize,
    lr: F,
    state_len: Option<usize>,
) -> Result<()> {
    if x_len == 0 {
        return Err(Error::Empty { what: "x" });
    }
    check_len("gradient vs x", x_len, grad_len)?;
    if let Some(n) = state_len {
        check_len(
            "x vs the optimizer state (call reset() to change size)",
            n,
            x_len,
        )?;
    }
    check("lr", lr, Domain::NonNegative)
}
