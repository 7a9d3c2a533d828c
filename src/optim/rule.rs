//! The elementwise rules as one generic type: a rule is its hyperparameters, which say how to
//! update one vector ([`ElementwiseRule`]), and the state it keeps for that vector
//! ([`Rule`]).
//!
//! Every elementwise rule (gradient descent, momentum, Adam and its variants, RMSProp, AdaGrad,
//! Adadelta, Rprop, ASGD, ADOPT, COCOB, Lion, Yogi, AdaBelief, Adan, ...) is written once, as an
//! implementation of [`ElementwiseRule`] on its configuration type: how its hyperparameters are
//! validated, how its state starts, and one update. Everything else (construction, validation at
//! build time, the step count, the length check, `reset`) is [`Rule`]'s, the same for all. So
//! `Adam<F>` is `Rule<AdamConfig<F>>`, and a [`ParameterSet`](crate::params::ParameterSet) runs
//! the same update on each tensor of a model with a state per tensor.

use std::fmt::Debug;

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Optimizer;
use super::kernel::Sums;
use super::state::{Buffers, RuleState};
use crate::Real;
use crate::error::Result;

/// The hyperparameters of an elementwise update rule, and how the rule updates one vector.
///
/// An elementwise rule updates each coordinate from its gradient, its own state (moments,
/// velocities, accumulators) and scalars shared by all coordinates (the step size, the step
/// number `t`). Its configuration type implements this trait; [`Rule`] then makes it an
/// [`Optimizer`], and a [`ParameterSet`](crate::params::ParameterSet) applies it to every tensor
/// of a model.
///
/// A step is two calls. [`prepare`](ElementwiseRule::prepare) computes, once per step, the
/// scalars every coordinate shares (bias corrections, step sizes: the rule's
/// [`Step`](ElementwiseRule::Step)), and advances the state's own scalars if it has any.
/// [`apply`](ElementwiseRule::apply) then updates coordinates with them: all of one vector, or
/// tensor after tensor of a parameter set, each with its range of the state's
/// [`buffers`](ElementwiseRule::buffers). [`update`](ElementwiseRule::update) is the two for one
/// vector.
///
/// The contract of these calls: the configuration passed
/// [`validate`](ElementwiseRule::validate); the state was started by
/// [`start`](ElementwiseRule::start) for `n` coordinates, by this configuration or one that uses
/// the same buffers, and updated by the previous steps only; `prepare` is called once per step
/// with the step number `t` (1 on the first step) and a finite, non-negative step size `lr`;
/// `apply` gets the step `prepare` returned, `x` and `grad` of the same non-zero length, and
/// buffers of that length (or empty, for buffers the configuration does not use) that no other
/// call of the same step updates.
///
/// ## A state that is no longer finite
///
/// The rules whose state accumulates squared gradients (the Adam family but Adamax, RMSProp,
/// AdaGrad, Adadelta, ADOPT, Yogi, AdaBelief, Adan) check, in the same pass as the update, that every value they
/// wrote to that buffer is finite, and [`apply`](ElementwiseRule::apply) returns `false` if one
/// is not. A gradient component beyond about `√MAX` (`1.3e154` in `f64`, `1.8e19` in `f32`)
/// has a square that overflows: its second-moment estimate becomes `+∞`, and, the step being
/// divided by its root, that coordinate stops moving for good, without a NaN to tell (PyTorch's
/// rules behave so, and say nothing). The other coordinates have moved when this is found:
/// [`Rule`] and [`ParameterSet`](crate::params::ParameterSet) then return
/// [`Error::NonFiniteState`](crate::Error::NonFiniteState) after the move, and the
/// [`Minimizer`](crate::Minimizer) undoes the step and stops with
/// [`Termination::StateOverflow`](crate::Termination::StateOverflow).
pub trait ElementwiseRule: Clone + Debug + Send + Sync {
    /// The floating-point type of the iterate.
    type Float: Real;

    /// The rule's state: its buffers, one value per coordinate, and scalars.
    type State: Clone + Debug + Default + Send;

    /// The scalars of one step that every coordinate shares, computed once per step by
    /// [`prepare`](ElementwiseRule::prepare).
    type Step: Copy + Debug + Send + Sync;

    /// The sums over all coordinates that a step needs before it moves any (`()` for the rules
    /// that need none): see [`gather`](ElementwiseRule::gather).
    type Sums: Sums;

    /// Short name of the rule, for tables and messages (`"Adam"`, `"AMSGrad"`, ...).
    fn name(&self) -> &'static str;

    /// The step size `lr` used when the caller sets none (PyTorch's `lr`).
    fn lr(&self) -> Self::Float;

    /// Sets the step size `lr` (validated by [`validate`](ElementwiseRule::validate)).
    fn set_lr(&mut self, lr: Self::Float);

    /// Checks every hyperparameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first hyperparameter outside its domain.
    fn validate(&self) -> Result<()>;

    /// Gives `state` its starting value for `n` coordinates, reusing its buffers when they have
    /// that length already.
    fn start(&self, state: &mut Self::State, n: usize);

    /// Whether the state holds values per coordinate, so that `x` must keep its length from one
    /// step to the next. Rules without such state (gradient descent, momentum with `μ = 0`)
    /// accept any length at any step.
    fn per_coordinate(&self) -> bool {
        true
    }

    /// The state's per-coordinate buffers, in the order [`apply`](ElementwiseRule::apply)
    /// expects them (an empty slice for each buffer the configuration does not use).
    fn buffers(state: &mut Self::State) -> Buffers<'_, Self::Float>;

    /// The scalars of step `t` (from 1) with step size `lr`, and the advance of the state's
    /// scalars (its buffers are left to [`apply`](ElementwiseRule::apply)).
    fn prepare(&self, state: &mut Self::State, t: usize, lr: Self::Float) -> Self::Step;

    /// Updates `x` in place from `grad`, and the buffers `state` (the state's values for these
    /// coordinates), by the step `step`. Returns whether every value it wrote to its state is
    /// finite (see [above](ElementwiseRule#a-state-that-is-no-longer-finite); always `true` for
    /// the rules that do not square the gradient). See the trait's documentation for what the
    /// caller guarantees.
    #[must_use]
    fn apply(
        &self,
        step: Self::Step,
        x: ArrayViewMut1<'_, Self::Float>,
        grad: ArrayView1<'_, Self::Float>,
        state: Buffers<'_, Self::Float>,
    ) -> bool;

    /// The first pass of a rule whose step depends on sums over all coordinates (the distance
    /// travelled `‖x - x₀‖`, the gradient's norm `‖g‖²`, a product `⟨g, x₀ - x⟩`): the
    /// contribution of these coordinates to [`Sums`](ElementwiseRule::Sums), computed after
    /// [`prepare`](ElementwiseRule::prepare) and before [`apply`](ElementwiseRule::apply). It
    /// may also update the buffers (the moments a later sum is taken over). Use
    /// `kernel::gather`, whose order of additions depends on the length alone.
    ///
    /// Called only for rules whose `Sums` is not `()`, once per vector of the step (a parameter
    /// set's tensors one after another, their sums added in position order, or each settled
    /// alone for the rules with [`SUMS_PER_TENSOR`](ElementwiseRule::SUMS_PER_TENSOR)); the
    /// default gathers nothing.
    fn gather(
        &self,
        step: Self::Step,
        x: ArrayView1<'_, Self::Float>,
        grad: ArrayView1<'_, Self::Float>,
        state: Buffers<'_, Self::Float>,
    ) -> Self::Sums {
        let _ = (step, x, grad, state);
        Self::Sums::zero()
    }

    /// The step completed by the sums over every coordinate that
    /// [`gather`](ElementwiseRule::gather) returned, and the state's scalars advanced by them
    /// (a distance estimate, a running sum of squared norms). Called once per step, after
    /// `gather` and before `apply`, only for rules whose `Sums` is not `()` and not
    /// [per tensor](ElementwiseRule::SUMS_PER_TENSOR); the default returns `step`.
    fn settle(&self, state: &mut Self::State, step: Self::Step, sums: Self::Sums) -> Self::Step {
        let _ = (state, sums);
        step
    }

    /// Whether the sums are taken per tensor (per layer) rather than over every coordinate of
    /// the step: `true` for the layer-wise rules (LAMB's and LARS's trust ratio `‖x‖/‖u‖` of
    /// each tensor, NovoGrad's second moment `‖g‖²` of each layer, Fromage's `‖x‖/‖g‖`).
    ///
    /// Such a rule's step is then, for each tensor in turn, [`gather`](ElementwiseRule::gather)
    /// over that tensor alone, [`settle_tensor`](ElementwiseRule::settle_tensor) with the
    /// tensor's index, and [`apply`](ElementwiseRule::apply) to that tensor with the step
    /// `settle_tensor` returned; [`prepare`](ElementwiseRule::prepare) is still called once per
    /// step. A single vector ([`Rule`]) is one layer, of index 0: its norms are the vector's.
    /// In a [`ParameterSet`](crate::params::ParameterSet) every tensor is a layer of its own,
    /// numbered from 0 by position within its group, so that the set gives each tensor the
    /// bits of the rule run on that tensor alone. Default `false`: the sums of a parameter-set
    /// group are taken over all its tensors together.
    const SUMS_PER_TENSOR: bool = false;

    /// The step of the tensor of index `tensor` (from 0, by position within its group; 0 for a
    /// single vector), completed by that tensor's [`gather`](ElementwiseRule::gather)ed sums,
    /// and the state's per-tensor scalars advanced by them (NovoGrad's second moment of the
    /// layer). Called once per tensor and step, after that tensor's `gather` and before its
    /// `apply`, only for rules with [`SUMS_PER_TENSOR`](ElementwiseRule::SUMS_PER_TENSOR); the
    /// tensors of a group in position order, so that a state may grow its per-tensor scalars on
    /// the first step, when they are met in turn. The default is
    /// [`settle`](ElementwiseRule::settle).
    fn settle_tensor(
        &self,
        state: &mut Self::State,
        step: Self::Step,
        sums: Self::Sums,
        tensor: usize,
    ) -> Self::Step {
        let _ = tensor;
        self.settle(state, step, sums)
    }

    /// Step `t` (from 1) of one vector: [`prepare`](ElementwiseRule::prepare), for the rules
    /// that need sums over the coordinates [`gather`](ElementwiseRule::gather) and
    /// [`settle`](ElementwiseRule::settle) (or [`settle_tensor`](ElementwiseRule::settle_tensor)
    /// of tensor 0, the vector being one layer), then [`apply`](ElementwiseRule::apply) to every
    /// coordinate of `x` with the whole state. Returns what `apply` returns.
    #[inline]
    #[must_use]
    fn update(
        &self,
        state: &mut Self::State,
        t: usize,
        x: ArrayViewMut1<'_, Self::Float>,
        grad: ArrayView1<'_, Self::Float>,
        lr: Self::Float,
    ) -> bool {
        let mut step = self.prepare(state, t, lr);
        if !Self::Sums::NONE {
            let sums = self.gather(step, x.view(), grad, Self::buffers(state));
            step = if Self::SUMS_PER_TENSOR {
                self.settle_tensor(state, step, sums, 0)
            } else {
                self.settle(state, step, sums)
            };
        }
        self.apply(step, x, grad, Self::buffers(state))
    }

    /// `true` if the rule's step is `x + lr d` along a direction `d` that a line search can use
    /// instead (gradient descent). Default `false`.
    fn has_search_direction(&self) -> bool {
        false
    }

    /// Writes the search direction `d` at `x` into `direction` (all three of one length). Only
    /// called when [`has_search_direction`](ElementwiseRule::has_search_direction) is `true`;
    /// the default writes nothing.
    fn search_direction(
        &self,
        x: ArrayView1<'_, Self::Float>,
        grad: ArrayView1<'_, Self::Float>,
        direction: ArrayViewMut1<'_, Self::Float>,
    ) {
        let _ = (x, grad, direction);
    }

    /// `true` if the model should be evaluated at another point than the iterate the rule takes
    /// gradients at (the schedule-free rules, whose averaged point is computed from the iterate
    /// and the state: see [`evaluation_point`](ElementwiseRule::evaluation_point)). Default
    /// `false`.
    fn has_evaluation_point(&self) -> bool {
        false
    }

    /// Writes into `x` the point where the model should be evaluated, from the iterate `y` and
    /// the state's values of the coordinates `offset..offset + y.len()` (the whole state of one
    /// vector has `offset = 0`; a tensor of a parameter set has its range in its group's state).
    /// Returns `true` if it wrote `x`.
    ///
    /// Only called when [`has_evaluation_point`](ElementwiseRule::has_evaluation_point) is
    /// `true`, after a step, with `x` and `y` of one length and the range within the state. The
    /// default writes nothing and returns `false`.
    fn evaluation_point(
        &self,
        state: &Self::State,
        offset: usize,
        y: ArrayView1<'_, Self::Float>,
        x: ArrayViewMut1<'_, Self::Float>,
    ) -> bool {
        let _ = (state, offset, y, x);
        false
    }
}

/// The items of an [`ElementwiseRule`] implementation that every configuration type writes the
/// same way: the float type `F`, the state and step types given, and the step size as the field
/// `lr`.
///
/// Given the rule's name first (`rule_types!("LAMB", LambState<F>, LambStep<F>, [F; 2])`), it
/// also writes [`name`](ElementwiseRule::name) and [`validate`](ElementwiseRule::validate), the
/// check of every domain of the configuration's table (see `rule_config!`); a rule whose name
/// depends on its options, or whose hyperparameters are checked beyond their domains, writes
/// those two itself.
macro_rules! rule_types {
    ($name:literal, $state:ty, $step:ty $(, $sums:ty)?) => {
        $crate::optim::rule::rule_types!($state, $step $(, $sums)?);

        fn name(&self) -> &'static str {
            $name
        }

        /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first
        /// hyperparameter outside the domain its field gives.
        fn validate(&self) -> $crate::error::Result<()> {
            self.check_domains()
        }
    };
    ($state:ty, $step:ty) => {
        $crate::optim::rule::rule_types!($state, $step, ());
    };
    ($state:ty, $step:ty, $sums:ty) => {
        type Float = F;
        type State = $state;
        type Step = $step;
        type Sums = $sums;

        fn lr(&self) -> F {
            self.lr
        }

        fn set_lr(&mut self, lr: F) {
            self.lr = lr;
        }
    };
}
pub(crate) use rule_types;

/// An elementwise rule with its state for one vector: the [`Optimizer`] of every rule written
/// as an [`ElementwiseRule`].
///
/// The rules are named by aliases: [`Adam<F>`](crate::Adam) is `Rule<AdamConfig<F>>`,
/// [`Momentum<F>`](crate::Momentum) is `Rule<MomentumConfig<F>>`, and so on. A rule is built
/// from its configuration ([`new`](Rule::new), which validates it), from a step size
/// ([`with_lr`](Rule::with_lr)) or with the defaults ([`Default`]); its state is allocated on
/// the first step, for the length of `x`.
///
/// ```
/// use gradus::optim::AdamConfig;
/// use gradus::{Adam, Optimizer};
///
/// let adam = Adam::new(AdamConfig { lr: 1e-2, amsgrad: true, ..Default::default() })?;
/// assert_eq!(adam.name(), "AMSGrad");
/// assert_eq!(adam.config().lr, 1e-2);
/// assert!(Adam::<f64>::with_lr(-1.0).is_err());
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RuleParts<C>",
        bound(
            serialize = "C: serde::Serialize, C::State: serde::Serialize",
            deserialize = "C: serde::Deserialize<'de>, C::State: serde::Deserialize<'de>"
        )
    )
)]
pub struct Rule<C: ElementwiseRule> {
    config: C,
    state: RuleState<C::State>,
}

/// A [`Rule`] as read from a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "C: serde::Deserialize<'de>, C::State: serde::Deserialize<'de>"))]
struct RuleParts<C: ElementwiseRule> {
    config: C,
    state: RuleState<C::State>,
}

/// A rule read from a file is checked as [`Rule::new`] checks its configuration, and its state
/// against the state the configuration starts (the same buffers, of the length recorded), so
/// that an edited or mismatched file is an error when it is read rather than a panic at the next
/// step.
#[cfg(feature = "serde")]
impl<C: ElementwiseRule> TryFrom<RuleParts<C>> for Rule<C> {
    type Error = crate::Error;

    fn try_from(parts: RuleParts<C>) -> Result<Self> {
        let RuleParts { config, mut state } = parts;
        config.validate()?;
        state.check_started(
            config.name(),
            config.per_coordinate(),
            |s, n| config.start(s, n),
            C::buffers,
        )?;
        Ok(Rule { config, state })
    }
}

impl<C: ElementwiseRule> Rule<C> {
    /// The rule with hyperparameters `config`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first hyperparameter outside its domain (each
    /// configuration type lists the domains).
    pub fn new(config: C) -> Result<Self> {
        config.validate()?;
        Ok(Rule {
            config,
            state: RuleState::default(),
        })
    }

    /// The rule with step size `lr` and the other hyperparameters at their defaults.
    ///
    /// # Errors
    /// As [`new`](Rule::new), for a negative or non-finite `lr`.
    pub fn with_lr(lr: C::Float) -> Result<Self>
    where
        C: Default,
    {
        let mut config = C::default();
        config.set_lr(lr);
        Self::new(config)
    }

    /// The hyperparameters.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The state as the last step left it (empty buffers before the first step).
    pub fn state(&self) -> &C::State {
        self.state.get()
    }
}

impl<C: ElementwiseRule> Optimizer<C::Float> for Rule<C> {
    fn name(&self) -> &'static str {
        self.config.name()
    }

    fn default_lr(&self) -> C::Float {
        self.config.lr()
    }

    #[inline(always)]
    fn step(
        &mut self,
        x: ArrayViewMut1<'_, C::Float>,
        grad: ArrayView1<'_, C::Float>,
        lr: C::Float,
    ) -> Result<()> {
        let config = &self.config;
        let (t, state) = self.state.advance_by(
            x.len(),
            grad.len(),
            lr,
            config.per_coordinate(),
            |state, n| config.start(state, n),
        )?;
        if config.update(state, t, x, grad, lr) {
            Ok(())
        } else {
            Err(crate::error::non_finite_state(config.name(), None))
        }
    }

    /// The step without the check of `lr`, the caller's: the lengths are checked as
    /// [`step`](Optimizer::step) checks them, in a few comparisons inlined into the caller.
    #[inline(always)]
    fn step_with_checked_lr(
        &mut self,
        x: ArrayViewMut1<'_, C::Float>,
        grad: ArrayView1<'_, C::Float>,
        lr: C::Float,
    ) -> Result<()> {
        let Some((t, state)) = self.state.advance_started(x.len(), grad.len()) else {
            // The first step (which starts the state), or lengths to refuse.
            return self.step(x, grad, lr);
        };
        if self.config.update(state, t, x, grad, lr) {
            Ok(())
        } else {
            Err(crate::error::non_finite_state(self.config.name(), None))
        }
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps_taken(&self) -> usize {
        self.state.steps()
    }

    fn has_search_direction(&self) -> bool {
        self.config.has_search_direction()
    }

    fn search_direction(
        &mut self,
        x: ArrayView1<'_, C::Float>,
        grad: ArrayView1<'_, C::Float>,
        direction: ArrayViewMut1<'_, C::Float>,
    ) -> Result<()> {
        if !self.config.has_search_direction() {
            return Err(super::no_search_direction());
        }
        crate::error::check_len("gradient vs x", x.len(), grad.len())?;
        crate::error::check_len("direction vs x", x.len(), direction.len())?;
        self.config.search_direction(x, grad, direction);
        Ok(())
    }

    fn has_evaluation_point(&self) -> bool {
        self.config.has_evaluation_point()
    }

    fn evaluation_point(
        &self,
        y: ArrayView1<'_, C::Float>,
        x: ArrayViewMut1<'_, C::Float>,
    ) -> Result<bool> {
        if !self.config.has_evaluation_point() || self.state.steps() == 0 {
            return Ok(false);
        }
        crate::error::check_len("evaluation point vs iterate", y.len(), x.len())?;
        if let Some(n) = self.state.len() {
            crate::error::check_len("iterate vs the optimizer state", n, y.len())?;
        }
        Ok(self.config.evaluation_point(self.state.get(), 0, y, x))
    }
}
