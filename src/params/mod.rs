//! Parameter sets: one optimizer over every tensor of a model, with groups of their own
//! hyperparameters.
//!
//! A model is made of many tensors (weight matrices, bias vectors, convolution kernels), each an
//! ndarray of any dimension. A [`ParameterSet`] updates all of them with one elementwise rule
//! (any [`ElementwiseRule`]: SGD, momentum, Adam and its variants, RMSProp, AdaGrad, Adadelta),
//! keeping the rule's state (moments, velocities) per tensor, as `torch.optim` does for
//! `model.parameters()`:
//!
//! - **Tensors are given at each step**, as two lists of the same length: the tensors, as
//!   mutable views `ArrayViewMutD`, and their gradients, as views `ArrayViewD` of the same
//!   shapes. The `i`-th tensor of every step is the same tensor of the model: the set keeps its
//!   state under that position. Any view of an ndarray becomes one with `.view_mut().into_dyn()`
//!   (without allocating, up to four dimensions), so the lists can be built on the stack at each
//!   step.
//! - **Groups.** Every tensor belongs to one group, and every group has its own hyperparameters
//!   (its own configuration of the rule: learning rate, weight decay, betas, ...): PyTorch's
//!   parameter groups, e.g. biases and norms without weight decay. Tensors not placed in a group
//!   are in the default group, the configuration the set was built with.
//! - **Schedules** scale every group's learning rate by one factor, as PyTorch's schedulers do:
//!   [`step_scaled`](ParameterSet::step_scaled) with a schedule built with base value `1` (the
//!   factor of `LambdaLR`).
//! - **Same iterates.** Each tensor is updated exactly as the rule alone would update it,
//!   flattened in row-major order: the same bits as one [`Rule`](crate::optim::Rule) per
//!   tensor. The first step allocates the states, later steps allocate nothing; sets larger than
//!   [2^18 values](crate::optim#speed) are split over all cores, by tensors and within large
//!   tensors.
//! - **One state per group.** The state of a group's tensors is one state of the rule, its
//!   buffers holding the tensors' values end to end (in position order, each tensor in
//!   row-major order), in which each tensor owns its range. The scalars of a step (bias
//!   corrections, step sizes) are computed once per group, and a model of many small tensors
//!   is updated at close to the speed of one vector of the same length
//!   (`cargo bench --bench parameter_sets`).
//! - **Layer-wise rules.** The sums a rule takes over the coordinates (norms, inner products)
//!   are taken over all the tensors of a group together, except for the layer-wise rules
//!   ([`ElementwiseRule::SUMS_PER_TENSOR`]: LAMB, LARS, NovoGrad, Fromage), whose norms are
//!   each tensor's own: every tensor is a layer, with its own trust ratio or second moment,
//!   numbered by its position within its group. Their step takes two passes over each
//!   tensor, the first (the sums) tensor after tensor, the second (the move) split over the
//!   cores as for every rule.
//!
//! ```
//! use gradus::optim::AdamConfig;
//! use gradus::params::{ParameterSet, clip_grad_norm};
//! use ndarray::{Array1, Array2};
//!
//! // A linear layer: weights w (3 x 2) with weight decay, bias b (3) without.
//! let (mut w, mut b) = (Array2::<f64>::ones((3, 2)), Array1::<f64>::zeros(3));
//! let (mut gw, mut gb) = (Array2::from_elem((3, 2), 0.5), Array1::from_elem(3, -1.0));
//! let mut adamw = ParameterSet::new(AdamConfig { lr: 1e-2, ..AdamConfig::adamw() })?
//!     .group([1], AdamConfig { lr: 1e-2, weight_decay: 0.0, ..AdamConfig::adamw() })?;
//! for _ in 0..10 {
//!     // ... forward and backward passes fill gw and gb ...
//!     let norm = clip_grad_norm(&mut [gw.view_mut().into_dyn(), gb.view_mut().into_dyn()], 1.0)?;
//!     assert!(norm > 0.0);
//!     adamw.step(
//!         &mut [w.view_mut().into_dyn(), b.view_mut().into_dyn()],
//!         &[gw.view().into_dyn(), gb.view().into_dyn()],
//!     )?;
//! }
//! assert!(w.iter().all(|&v| v < 1.0) && b.iter().all(|&v| v > 0.0));
//! # Ok::<(), gradus::Error>(())
//! ```
//!
//! The rules that see each tensor's shape ([`ShapedRule`](crate::optim::ShapedRule): Adafactor's
//! row and column moments, Muon's orthogonalized matrices, SM3's row and column accumulators)
//! run over a model in a [`ShapedParameterSet`], with the same API and guarantees and a state
//! per tensor.

mod clip;
mod shaped;

use ndarray::{ArrayView1, ArrayViewD, ArrayViewMut1, ArrayViewMutD, Dimension, IxDyn};

use crate::error::{Domain, Error, Result, check};
use crate::optim::{Buffers, ElementwiseRule, Sums};

pub use clip::{clip_grad_norm, clip_grad_value};
pub use shaped::ShapedParameterSet;

/// One elementwise rule over a list of tensors, with groups of their own hyperparameters and a
/// state per tensor (see the [module documentation](self)).
///
/// Built with the default group's configuration ([`new`](ParameterSet::new)), to which
/// [`group`](ParameterSet::group) adds groups of tensors (by position in the lists given to
/// [`step`](ParameterSet::step)) with configurations of their own. The number of tensors and
/// their shapes are fixed by the first step, until [`reset`](ParameterSet::reset).
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "Saved<C>",
        bound(
            serialize = "C: serde::Serialize, C::State: serde::Serialize",
            deserialize = "C: serde::Deserialize<'de>, C::State: serde::Deserialize<'de>"
        )
    )
)]
pub struct ParameterSet<C: ElementwiseRule> {
    /// The configuration of each group; group 0 is the default group.
    groups: Vec<C>,
    /// The group of each tensor placed in a group by [`group`](ParameterSet::group); tensors
    /// beyond its length, or marked `0`, are in the default group.
    group_of: Vec<usize>,
    /// The state of each group, once the first step has fixed the tensors: the rule's state for
    /// the values of the group's tensors end to end, in position order.
    states: Vec<C::State>,
    /// The positions of each group's tensors, in increasing order.
    members: Vec<Vec<usize>>,
    /// What the set keeps for each tensor, once the first step has fixed their number.
    tensors: Vec<Tensor>,
    /// Row-major copies of each tensor and its gradient, for tensors that are not both
    /// contiguous in that order (allocated on the first such step, reused after).
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: Vec<Scratch<C::Float>>,
    /// The step of each tensor of the group being updated, for the rules whose sums are taken
    /// per tensor (allocated on the first step, reused after).
    #[cfg_attr(feature = "serde", serde(skip))]
    tensor_steps: Vec<C::Step>,
    /// Steps taken since construction or the last reset.
    steps: usize,
}

/// What the set keeps for one tensor.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tensor {
    /// The shape the tensor had on the first step (held inline up to four dimensions, so that
    /// the check of every step reads no other memory).
    shape: IxDyn,
    /// Its number of values.
    len: usize,
    /// Where its values start in the buffers of its group's state.
    offset: usize,
}

/// Row-major copies of a tensor and of its gradient.
#[derive(Debug, Clone, Default)]
struct Scratch<F> {
    x: Vec<F>,
    g: Vec<F>,
}

impl<C: ElementwiseRule> ParameterSet<C> {
    /// A set whose tensors are all in the default group, with hyperparameters `config`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first hyperparameter of `config` outside its
    /// domain.
    pub fn new(config: C) -> Result<Self> {
        config.validate()?;
        Ok(ParameterSet {
            groups: vec![config],
            group_of: Vec::new(),
            states: Vec::new(),
            members: Vec::new(),
            tensors: Vec::new(),
            scratch: Vec::new(),
            tensor_steps: Vec::new(),
            steps: 0,
        })
    }

    /// Adds a group: the tensors at positions `tensors` (in the lists given to
    /// [`step`](ParameterSet::step)) are updated with hyperparameters `config`. Returns the set,
    /// for chaining; the new group's number is the number of groups before it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a hyperparameter of `config` outside its domain;
    /// [`Error::InvalidEntry`] for a position already placed in another group (as PyTorch, a
    /// tensor belongs to one group) or given twice; [`Error::Incompatible`] once the set has
    /// taken a step (groups are fixed then; call [`reset`](ParameterSet::reset) first).
    pub fn group(mut self, tensors: impl IntoIterator<Item = usize>, config: C) -> Result<Self> {
        config.validate()?;
        add_group(
            &mut self.groups,
            &mut self.group_of,
            self.steps,
            tensors,
            config,
        )?;
        Ok(self)
    }

    /// The configuration of each group, the default group first.
    pub fn groups(&self) -> &[C] {
        &self.groups
    }

    /// Replaces the hyperparameters of group `group` (0 is the default group), as setting
    /// `optimizer.param_groups[g]["lr"]` does in PyTorch; the tensors' states are kept.
    ///
    /// # Errors
    /// [`Error::InvalidCount`] if there is no such group; [`Error::InvalidParameter`] for a
    /// hyperparameter of `config` outside its domain; [`Error::Incompatible`] once the set has
    /// taken a step, if `config` keeps other buffers than the group's configuration (AMSGrad,
    /// centred RMSProp or momentum switched on or off: call [`reset`](ParameterSet::reset)
    /// first). The set is unchanged then.
    pub fn set_group_config(&mut self, group: usize, config: C) -> Result<()> {
        check_group(group, self.groups.len())?;
        config.validate()?;
        if self.steps > 0 && buffers_in_use(&config) != buffers_in_use(&self.groups[group]) {
            return Err(Error::Incompatible {
                reason: "the new configuration of the group keeps other state than the one it \
                         replaces (an option such as amsgrad, centered or momentum switched on \
                         or off); call reset() first",
            });
        }
        self.groups[group] = config;
        Ok(())
    }

    /// The group of the tensor at position `tensor` (0 is the default group).
    pub fn group_of(&self, tensor: usize) -> usize {
        self.group_of.get(tensor).copied().unwrap_or(0)
    }

    /// The rule's state for the tensors of group `group`, once a step has been taken: its
    /// buffers hold the values of the group's tensors end to end, in position order, each
    /// tensor in row-major order.
    pub fn group_state(&self, group: usize) -> Option<&C::State> {
        self.states.get(group).filter(|_| self.steps > 0)
    }

    /// Steps taken since construction or the last [`reset`](ParameterSet::reset).
    pub fn steps_taken(&self) -> usize {
        self.steps
    }

    /// Forgets every tensor's state and the step count: the next step is taken as by a new set,
    /// and may have other tensors. The groups are kept, and so is the memory of the states,
    /// which the next step refills in place where the sizes agree.
    pub fn reset(&mut self) {
        self.steps = 0;
    }

    /// One step of every tensor `x[i]` from its gradient `grad[i]`, each group with its own
    /// learning rate.
    ///
    /// # Errors
    /// As [`step_scaled`](ParameterSet::step_scaled).
    pub fn step(
        &mut self,
        x: &mut [ArrayViewMutD<'_, C::Float>],
        grad: &[ArrayViewD<'_, C::Float>],
    ) -> Result<()> {
        self.step_scaled(x, grad, num_traits::One::one())
    }

    /// One step of every tensor `x[i]` from its gradient `grad[i]`, with each group's learning
    /// rate multiplied by `scale`: the factor of a schedule, as PyTorch's schedulers scale every
    /// group's initial `lr`.
    ///
    /// Everything is checked before any tensor moves, so an error leaves the tensors and the
    /// states as they were.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `scale`, or a scaled learning rate
    /// that is not finite; [`Error::DimensionMismatch`] if `x` and `grad` differ in length, or
    /// differ from the number of tensors of the first step (call [`reset`](ParameterSet::reset)
    /// to start over with other tensors), or if a group names a position beyond the last tensor;
    /// [`Error::ShapeMismatch`] if a gradient's shape differs from its tensor's, or a tensor's
    /// shape from the one it had on the first step.
    ///
    /// [`Error::NonFiniteState`] *after* the step, naming the first tensor whose state is no
    /// longer finite (a rule that squares the gradient met a gradient component beyond about
    /// `√MAX`, see [`Optimizer::step`](crate::Optimizer::step)): every tensor has moved and the
    /// step is counted.
    pub fn step_scaled(
        &mut self,
        x: &mut [ArrayViewMutD<'_, C::Float>],
        grad: &[ArrayViewD<'_, C::Float>],
        scale: C::Float,
    ) -> Result<()> {
        self.check_step(x, grad, scale)?;
        if self.steps == 0 {
            self.start(x);
        }
        self.steps += 1;
        let t = self.steps;
        let mut overflowed = None;
        for ((config, state), members) in
            self.groups.iter().zip(&mut self.states).zip(&self.members)
        {
            if members.is_empty() {
                continue;
            }
            let mut step = config.prepare(state, t, config.lr() * scale);
            let per_tensor = !C::Sums::NONE && C::SUMS_PER_TENSOR;
            if per_tensor {
                settle_tensors(
                    config,
                    step,
                    &*x,
                    grad,
                    &self.tensors,
                    &mut self.scratch,
                    members,
                    state,
                    &mut self.tensor_steps,
                );
            } else if !C::Sums::NONE {
                let sums = gather_group(
                    config,
                    step,
                    &*x,
                    grad,
                    &self.tensors,
                    &mut self.scratch,
                    members,
                    C::buffers(state),
                );
                step = config.settle(state, step, sums);
            }
            let span = Span {
                x,
                grad,
                tensors: &self.tensors,
                scratch: &mut self.scratch,
                first: 0,
            };
            let steps = if per_tensor {
                Steps::Each(&self.tensor_steps)
            } else {
                Steps::One(step)
            };
            let first = update_group(config, steps, span, members, C::buffers(state));
            // The first tensor, in position order, whose state is no longer finite.
            if let Some(i) = first {
                overflowed = Some(overflowed.map_or(i, |o: usize| o.min(i)));
            }
        }
        match overflowed {
            None => Ok(()),
            Some(i) => Err(crate::error::non_finite_state(
                self.groups[self.group_of(i)].name(),
                Some(i),
            )),
        }
    }

    /// Writes into every `x[i]` the point where the model should be evaluated, from the tensor
    /// `y[i]` the set steps, and returns `Ok(true)`; returns `Ok(false)`, writing nothing,
    /// before the first step and for rules that evaluate the model at their iterate: see
    /// [`Optimizer::evaluation_point`](crate::Optimizer::evaluation_point). For the
    /// schedule-free rules each tensor gets `x = (y - (1 - β₁) z) / β₁` with its group's `β₁`
    /// and its range of the group's `z`: the same values as the rule run on that tensor alone.
    ///
    /// `y` must hold the tensors as the last step left them. Tensors that are not contiguous in
    /// row-major order are read (or written) through a copy, allocated for the call.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `x` and `y` differ in length or from the number of
    /// tensors of the steps; [`Error::ShapeMismatch`] if a tensor of `y` or `x` has another
    /// shape than on the steps. Nothing is written then.
    pub fn evaluation_point(
        &self,
        y: &[ArrayViewD<'_, C::Float>],
        x: &mut [ArrayViewMutD<'_, C::Float>],
    ) -> Result<bool> {
        if self.steps == 0
            || !self
                .groups
                .iter()
                .any(ElementwiseRule::has_evaluation_point)
        {
            return Ok(false);
        }
        crate::error::check_len("evaluation points vs tensors", y.len(), x.len())?;
        crate::error::check_len(
            "tensors vs the optimizer state",
            self.tensors.len(),
            y.len(),
        )?;
        for (i, ((y, x), tensor)) in y.iter().zip(x.iter()).zip(&self.tensors).enumerate() {
            for (what, shape) in [("tensor", y.shape()), ("evaluation point", x.shape())] {
                if !same_shape(shape, tensor.shape.slice()) {
                    return Err(Error::ShapeMismatch {
                        what,
                        index: i,
                        expected: tensor.shape.slice().to_vec(),
                        found: shape.to_vec(),
                    });
                }
            }
        }
        for (i, (y, x)) in y.iter().zip(x.iter_mut()).enumerate() {
            let group = self.group_of(i);
            let (config, state) = (&self.groups[group], &self.states[group]);
            if !config.has_evaluation_point() {
                x.assign(y);
                continue;
            }
            let offset = self.tensors[i].offset;
            let copied: Vec<C::Float>;
            let y = match y.as_slice() {
                Some(ys) => ArrayView1::from(ys),
                None => {
                    copied = y.iter().copied().collect();
                    ArrayView1::from(&copied[..])
                }
            };
            if let Some(xs) = x.as_slice_mut() {
                config.evaluation_point(state, offset, y, ArrayViewMut1::from(xs));
            } else {
                let mut point = vec![num_traits::Zero::zero(); y.len()];
                config.evaluation_point(state, offset, y, ArrayViewMut1::from(&mut point[..]));
                x.iter_mut().zip(point).for_each(|(x, v)| *x = v);
            }
        }
        Ok(true)
    }

    /// The checks of [`step_scaled`](ParameterSet::step_scaled).
    fn check_step(
        &self,
        x: &[ArrayViewMutD<'_, C::Float>],
        grad: &[ArrayViewD<'_, C::Float>],
        scale: C::Float,
    ) -> Result<()> {
        check("scale", scale, Domain::NonNegative)?;
        for config in &self.groups {
            check("lr x scale", config.lr() * scale, Domain::NonNegative)?;
        }
        check_tensors(
            x,
            grad,
            &self.group_of,
            (self.steps > 0)
                .then_some((self.tensors.len(), |i: usize| self.tensors[i].shape.slice())),
        )
    }

    /// Lays out the tensors of the first step: each tensor's range in its group's state, the
    /// members of each group, and the groups' states started for their lengths (reusing the
    /// memory kept from before a reset).
    fn start(&mut self, x: &[ArrayViewMutD<'_, C::Float>]) {
        let groups = self.groups.len();
        self.members.resize_with(groups, Vec::new);
        self.members.iter_mut().for_each(Vec::clear);
        self.states.resize_with(groups, Default::default);
        self.tensors.resize_with(x.len(), Tensor::default);
        self.scratch.resize_with(x.len(), Scratch::default);
        for (i, x) in x.iter().enumerate() {
            let members = &mut self.members[self.group_of.get(i).copied().unwrap_or(0)];
            let offset = members.last().map_or(0, |&j| self.tensors[j].end());
            members.push(i);
            self.tensors[i] = Tensor {
                shape: IxDyn(x.shape()),
                len: x.len(),
                offset,
            };
        }
        for ((config, state), members) in
            self.groups.iter().zip(&mut self.states).zip(&self.members)
        {
            config.start(state, members.last().map_or(0, |&j| self.tensors[j].end()));
        }
    }
}

impl Tensor {
    /// Where the tensor's values end in the buffers of its group's state.
    fn end(&self) -> usize {
        self.offset + self.len
    }
}

/// Which buffers a configuration's state uses.
fn buffers_in_use<C: ElementwiseRule>(config: &C) -> [bool; crate::optim::MAX_BUFFERS] {
    let mut state = C::State::default();
    config.start(&mut state, 1);
    C::buffers(&mut state).in_use()
}

/// Places the tensors at positions `tensors` in group `group`, in `group_of` (the group of each
/// position; `0`, the default group, beyond its end).
///
/// # Errors
/// [`Error::InvalidEntry`] for a position already placed in another group or given twice.
fn place(
    group_of: &mut Vec<usize>,
    tensors: impl IntoIterator<Item = usize>,
    group: usize,
) -> Result<()> {
    for (k, i) in tensors.into_iter().enumerate() {
        if i >= group_of.len() {
            group_of.resize(i + 1, 0);
        }
        if group_of[i] != 0 {
            return Err(Error::InvalidEntry {
                name: "tensors of the group",
                index: k,
                value: i as f64,
                expected: "the position of a tensor in no other group, given once",
            });
        }
        group_of[i] = group;
    }
    Ok(())
}

/// Adds the group of hyperparameters `config` (validated) for the tensors at positions
/// `tensors`: what both kinds of parameter set do on [`ParameterSet::group`].
///
/// # Errors
/// [`Error::Incompatible`] once the set has taken a step (`steps > 0`); as [`place`].
fn add_group<C>(
    groups: &mut Vec<C>,
    group_of: &mut Vec<usize>,
    steps: usize,
    tensors: impl IntoIterator<Item = usize>,
    config: C,
) -> Result<()> {
    if steps > 0 {
        return Err(Error::Incompatible {
            reason: "groups are fixed once the parameter set has taken a step; add them before \
                     the first step, or call reset() first",
        });
    }
    place(group_of, tensors, groups.len())?;
    groups.push(config);
    Ok(())
}

/// Checks that `group` is the number of one of a set's `groups` groups.
///
/// # Errors
/// [`Error::InvalidCount`] otherwise.
fn check_group(group: usize, groups: usize) -> Result<()> {
    if group < groups {
        return Ok(());
    }
    Err(Error::InvalidCount {
        name: "group",
        value: group,
        expected: "the number of an existing group (0 is the default group)",
    })
}

/// The checks of the groups of a parameter set read from a file: at least the default group,
/// and every tensor placed in one of them. Returns what disagrees.
#[cfg(feature = "serde")]
fn check_saved_groups(groups: usize, group_of: &[usize]) -> std::result::Result<(), &'static str> {
    if groups == 0 {
        return Err("no group");
    }
    if group_of.iter().any(|&g| g >= groups) {
        return Err("a tensor names a group the set does not have");
    }
    Ok(())
}

/// The checks of a step of a parameter set on the tensors `x` with gradients `grad`, given the
/// group of each position placed in a group (`group_of`) and, once the set has taken a step,
/// the number of tensors of the first step and the shape of each (`started`).
fn check_tensors<'s, F>(
    x: &[ArrayViewMutD<'_, F>],
    grad: &[ArrayViewD<'_, F>],
    group_of: &[usize],
    started: Option<(usize, impl Fn(usize) -> &'s [usize])>,
) -> Result<()> {
    crate::error::check_len("gradients vs tensors", x.len(), grad.len())?;
    match &started {
        Some((count, _)) => crate::error::check_len(
            "tensors vs the optimizer state (call reset() to change the tensors)",
            *count,
            x.len(),
        )?,
        None if group_of.len() > x.len() => {
            return Err(Error::DimensionMismatch {
                what: "tensors vs the positions placed in groups (a group names a tensor \
                       beyond the last one given)",
                expected: group_of.len(),
                found: x.len(),
            });
        }
        None => {}
    }
    for (i, (x, g)) in x.iter().zip(grad).enumerate() {
        if !same_shape(x.shape(), g.shape()) {
            return Err(Error::ShapeMismatch {
                what: "gradient vs tensor",
                index: i,
                expected: x.shape().to_vec(),
                found: g.shape().to_vec(),
            });
        }
        if let Some((_, shape_of)) = &started
            && !same_shape(x.shape(), shape_of(i))
        {
            return Err(Error::ShapeMismatch {
                what: "tensor vs the shape it had on the first step (a tensor keeps its \
                       shape while the optimizer keeps its state: call reset() to start \
                       over)",
                index: i,
                expected: shape_of(i).to_vec(),
                found: x.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// The tensors of a step from position `first` on: their views, their gradients, what the set
/// keeps for them, and their scratch copies.
struct Span<'s, 'x, 'g, F> {
    x: &'s mut [ArrayViewMutD<'x, F>],
    grad: &'s [ArrayViewD<'g, F>],
    tensors: &'s [Tensor],
    scratch: &'s mut [Scratch<F>],
    first: usize,
}

impl<'s, 'x, 'g, F> Span<'s, 'x, 'g, F> {
    /// The tensors before position `position`, and the others.
    #[cfg(feature = "parallel")]
    fn split_at(self, position: usize) -> (Self, Self) {
        let mid = position - self.first;
        let (x_left, x_right) = self.x.split_at_mut(mid);
        let (g_left, g_right) = self.grad.split_at(mid);
        let (t_left, t_right) = self.tensors.split_at(mid);
        let (c_left, c_right) = self.scratch.split_at_mut(mid);
        (
            Span {
                x: x_left,
                grad: g_left,
                tensors: t_left,
                scratch: c_left,
                first: self.first,
            },
            Span {
                x: x_right,
                grad: g_right,
                tensors: t_right,
                scratch: c_right,
                first: position,
            },
        )
    }

    /// What the set keeps for the tensor at position `position`.
    #[cfg(feature = "parallel")]
    fn tensor(&self, position: usize) -> &Tensor {
        &self.tensors[position - self.first]
    }
}

/// The step of each tensor of a group: one for all (`One`), or one per member, in the order of
/// the members (`Each`, for the rules whose sums are taken per tensor).
#[derive(Debug, Clone, Copy)]
enum Steps<'a, S> {
    One(S),
    Each(&'a [S]),
}

impl<S: Copy> Steps<'_, S> {
    /// The step of the `k`-th member.
    #[inline]
    fn get(&self, k: usize) -> S {
        match self {
            Steps::One(step) => *step,
            Steps::Each(steps) => steps[k],
        }
    }

    /// The steps of the first `k` members, and of the others.
    #[cfg(feature = "parallel")]
    fn split_at(self, k: usize) -> (Self, Self) {
        match self {
            Steps::One(step) => (Steps::One(step), Steps::One(step)),
            Steps::Each(steps) => {
                let (left, right) = steps.split_at(k);
                (Steps::Each(left), Steps::Each(right))
            }
        }
    }
}

/// Applies `steps` to the tensors of one group at positions `members` (increasing, all within
/// `span`), `state` being the buffers of the group's state from the first member's range on:
/// in order on one thread, or, with the `parallel` feature and at least
/// [`PARALLEL_THRESHOLD`](crate::optim::kernel::PARALLEL_THRESHOLD) values, split into two
/// halves of about equal numbers of values run on the pool, recursively. Each tensor is
/// updated by the same arithmetic whatever the split. Returns the first position whose state
/// is no longer finite after the step, if any.
fn update_group<C: ElementwiseRule>(
    config: &C,
    steps: Steps<'_, C::Step>,
    span: Span<'_, '_, '_, C::Float>,
    members: &[usize],
    state: Buffers<'_, C::Float>,
) -> Option<usize> {
    #[cfg(feature = "parallel")]
    if members.len() > 1 && rayon::current_num_threads() > 1 {
        let start = span.tensor(members[0]).offset;
        let total = span.tensor(members[members.len() - 1]).end() - start;
        if total >= crate::optim::kernel::PARALLEL_THRESHOLD {
            // The left half ends with the first member whose values reach half of the total.
            let k = members.partition_point(|&p| 2 * (span.tensor(p).end() - start) < total);
            let (left, right) = members.split_at((k + 1).min(members.len() - 1));
            let (steps_left, steps_right) = steps.split_at(left.len());
            let (s_left, s_right) = state.split_at(span.tensor(right[0]).offset - start);
            let (span_left, span_right) = span.split_at(right[0]);
            let (left, right) = rayon::join(
                || update_group(config, steps_left, span_left, left, s_left),
                || update_group(config, steps_right, span_right, right, s_right),
            );
            return left.or(right);
        }
    }
    let Span {
        x,
        grad,
        tensors,
        scratch,
        first,
    } = span;
    let mut overflowed = None;
    let mut rest = state;
    for (k, &p) in members.iter().enumerate() {
        let i = p - first;
        let (own, after) = rest.split_at(tensors[i].len);
        rest = after;
        let step = steps.get(k);
        if !update_tensor(config, step, &mut scratch[i], &mut x[i], &grad[i], own) {
            overflowed = overflowed.or(Some(p));
        }
    }
    overflowed
}

/// The sums a rule gathers over the tensors of one group at positions `members` (increasing),
/// `state` being the buffers of the group's state: each tensor's sums in its row-major order,
/// added in position order.
#[allow(clippy::too_many_arguments)]
fn gather_group<C: ElementwiseRule>(
    config: &C,
    step: C::Step,
    x: &[ArrayViewMutD<'_, C::Float>],
    grad: &[ArrayViewD<'_, C::Float>],
    tensors: &[Tensor],
    scratch: &mut [Scratch<C::Float>],
    members: &[usize],
    state: Buffers<'_, C::Float>,
) -> C::Sums {
    let mut sums = C::Sums::zero();
    let mut rest = state;
    for &p in members {
        let (own, after) = rest.split_at(tensors[p].len);
        rest = after;
        let (x, g) = (&x[p], &grad[p]);
        if x.is_empty() {
            continue;
        }
        sums = sums.plus(gather_tensor(config, step, x, g, &mut scratch[p], own));
    }
    sums
}

/// The step of each tensor of one group at positions `members` (increasing), for a rule whose
/// sums are taken per tensor, written into `steps` in the order of the members: each tensor's
/// sums [gathered](ElementwiseRule::gather) alone, then
/// [settled](ElementwiseRule::settle_tensor) with its index within the group. An empty tensor
/// keeps `step` (it has nothing to move) and settles nothing.
#[allow(clippy::too_many_arguments)]
fn settle_tensors<C: ElementwiseRule>(
    config: &C,
    step: C::Step,
    x: &[ArrayViewMutD<'_, C::Float>],
    grad: &[ArrayViewD<'_, C::Float>],
    tensors: &[Tensor],
    scratch: &mut [Scratch<C::Float>],
    members: &[usize],
    state: &mut C::State,
    steps: &mut Vec<C::Step>,
) {
    steps.clear();
    for (k, &p) in members.iter().enumerate() {
        let (x, g, tensor) = (&x[p], &grad[p], &tensors[p]);
        if x.is_empty() {
            steps.push(step);
            continue;
        }
        let (_, rest) = C::buffers(state).split_at(tensor.offset);
        let (own, _) = rest.split_at(tensor.len);
        let sums = gather_tensor(config, step, x, g, &mut scratch[p], own);
        steps.push(config.settle_tensor(state, step, sums, k));
    }
}

/// The sums a rule gathers over one non-empty tensor, in its row-major order: from slices when
/// the tensor and its gradient are both contiguous in that order, and from copies otherwise.
fn gather_tensor<C: ElementwiseRule>(
    config: &C,
    step: C::Step,
    x: &ArrayViewMutD<'_, C::Float>,
    g: &ArrayViewD<'_, C::Float>,
    scratch: &mut Scratch<C::Float>,
    state: Buffers<'_, C::Float>,
) -> C::Sums {
    if let (Some(xs), Some(gs)) = (x.as_slice(), g.as_slice()) {
        return config.gather(step, ArrayView1::from(xs), ArrayView1::from(gs), state);
    }
    let Scratch { x: xs, g: gs } = scratch;
    xs.clear();
    xs.extend(x.iter().copied());
    gs.clear();
    gs.extend(g.iter().copied());
    config.gather(
        step,
        ArrayView1::from(&xs[..]),
        ArrayView1::from(&gs[..]),
        state,
    )
}

/// Whether two shapes are equal (a loop the compiler inlines: shapes are short).
#[inline]
fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a == b)
}

/// One tensor's step: the rule on its values in row-major order, from slices when the tensor
/// and its gradient are both contiguous in that order, and from copies otherwise.
#[inline]
fn update_tensor<C: ElementwiseRule>(
    config: &C,
    step: C::Step,
    scratch: &mut Scratch<C::Float>,
    x: &mut ArrayViewMutD<'_, C::Float>,
    g: &ArrayViewD<'_, C::Float>,
    state: Buffers<'_, C::Float>,
) -> bool {
    if x.is_empty() {
        return true;
    }
    if let (Some(xs), Some(gs)) = (x.as_slice_mut(), g.as_slice()) {
        return config.apply(step, ArrayViewMut1::from(xs), ArrayView1::from(gs), state);
    }
    let Scratch { x: xs, g: gs } = scratch;
    xs.clear();
    xs.extend(x.iter().copied());
    gs.clear();
    gs.extend(g.iter().copied());
    let finite = config.apply(
        step,
        ArrayViewMut1::from(&mut xs[..]),
        ArrayView1::from(&gs[..]),
        state,
    );
    x.iter_mut().zip(xs.iter()).for_each(|(x, &v)| *x = v);
    finite
}

/// A parameter set as read from a file, before [`ParameterSet::try_from`] checks that its parts
/// agree.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "C: serde::Deserialize<'de>, C::State: serde::Deserialize<'de>"))]
struct Saved<C: ElementwiseRule> {
    groups: Vec<C>,
    group_of: Vec<usize>,
    states: Vec<C::State>,
    members: Vec<Vec<usize>>,
    tensors: Vec<Tensor>,
    steps: usize,
}

#[cfg(feature = "serde")]
impl<C: ElementwiseRule> TryFrom<Saved<C>> for ParameterSet<C> {
    type Error = Error;

    /// The set, if its parts agree: so that a file edited by hand (or written by another
    /// configuration type) is refused when read, not met as a panic in a later step.
    fn try_from(saved: Saved<C>) -> Result<Self> {
        let Saved {
            groups,
            group_of,
            mut states,
            members,
            tensors,
            steps,
        } = saved;
        let fail = |what: &str| Error::Checkpoint {
            reason: format!(
                "the parameter set read does not hold together ({what}); it was not written by \
                 this version of the crate for this configuration type"
            ),
        };
        for config in &groups {
            config.validate()?;
        }
        check_saved_groups(groups.len(), &group_of).map_err(fail)?;
        if steps > 0 {
            if states.len() != groups.len() || members.len() != groups.len() {
                return Err(fail("not one state and one list of tensors per group"));
            }
            if group_of.len() > tensors.len() {
                return Err(fail("a group names a tensor beyond the last one"));
            }
            let mut seen = 0;
            for (g, ((config, state), members)) in
                groups.iter().zip(&mut states).zip(&members).enumerate()
            {
                let mut end = 0;
                for (k, &i) in members.iter().enumerate() {
                    let tensor = tensors
                        .get(i)
                        .ok_or_else(|| fail("a tensor beyond the last one"))?;
                    if (k > 0 && i <= members[k - 1])
                        || group_of.get(i).copied().unwrap_or(0) != g
                        || tensor.offset != end
                        || tensor
                            .shape
                            .slice()
                            .iter()
                            .try_fold(1usize, |n, &d| n.checked_mul(d))
                            != Some(tensor.len)
                    {
                        return Err(fail("the tensors' ranges in the groups' states"));
                    }
                    end += tensor.len;
                }
                seen += members.len();
                let buffers = C::buffers(state);
                if !buffers.fit(end) || (end > 0 && buffers.in_use() != buffers_in_use(config)) {
                    return Err(fail("the length of a group's state"));
                }
            }
            if seen != tensors.len() {
                return Err(fail("a tensor in no group"));
            }
        }
        Ok(ParameterSet {
            groups,
            group_of,
            states,
            members,
            scratch: std::iter::repeat_with(Scratch::default)
                .take(tensors.len())
                .collect(),
            tensor_steps: Vec::new(),
            tensors,
            steps,
        })
    }
}
