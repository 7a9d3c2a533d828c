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

mod clip;

use ndarray::{ArrayView1, ArrayViewD, ArrayViewMut1, ArrayViewMutD};

use crate::Real;
use crate::error::{Domain, Error, Result, check};
use crate::optim::ElementwiseRule;

pub use clip::{clip_grad_norm, clip_grad_value};

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
    serde(bound(
        serialize = "C: serde::Serialize, C::State: serde::Serialize, C::Float: serde::Serialize",
        deserialize = "C: serde::Deserialize<'de>, C::State: serde::Deserialize<'de>, \
                       C::Float: serde::Deserialize<'de>"
    ))
)]
pub struct ParameterSet<C: ElementwiseRule> {
    /// The configuration of each group; group 0 is the default group.
    groups: Vec<C>,
    /// The group of each tensor placed in a group by [`group`](ParameterSet::group); tensors
    /// beyond its length, or marked `0`, are in the default group.
    group_of: Vec<usize>,
    /// The state of each tensor, once the first step has fixed their number.
    tensors: Vec<TensorState<C::State, C::Float>>,
    /// Steps taken since construction or the last reset.
    steps: usize,
}

/// What the set keeps for one tensor.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct TensorState<S, F> {
    /// The rule's state for the tensor's values in row-major order.
    rule: S,
    /// The shape the tensor had on the first step.
    shape: Vec<usize>,
    /// Its number of values.
    len: usize,
    /// Copies of a tensor and its gradient that are not both contiguous in row-major order, for
    /// the rule to run on (allocated on the first such step, reused after).
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: Scratch<F>,
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
            tensors: Vec::new(),
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
        if self.steps > 0 {
            return Err(Error::Incompatible {
                reason: "groups are fixed once the parameter set has taken a step; add them \
                         before the first step, or call reset() first",
            });
        }
        let group = self.groups.len();
        for (k, i) in tensors.into_iter().enumerate() {
            if i >= self.group_of.len() {
                self.group_of.resize(i + 1, 0);
            }
            if self.group_of[i] != 0 {
                return Err(Error::InvalidEntry {
                    name: "tensors of the group",
                    index: k,
                    value: i as f64,
                    expected: "the position of a tensor in no other group, given once",
                });
            }
            self.group_of[i] = group;
        }
        self.groups.push(config);
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
    /// hyperparameter of `config` outside its domain. The set is unchanged then.
    pub fn set_group_config(&mut self, group: usize, config: C) -> Result<()> {
        if group >= self.groups.len() {
            return Err(Error::InvalidCount {
                name: "group",
                value: group,
                expected: "the number of an existing group (0 is the default group)",
            });
        }
        config.validate()?;
        self.groups[group] = config;
        Ok(())
    }

    /// The group of the tensor at position `tensor` (0 is the default group).
    pub fn group_of(&self, tensor: usize) -> usize {
        self.group_of.get(tensor).copied().unwrap_or(0)
    }

    /// The rule's state for the tensor at position `tensor`, once a step has been taken.
    pub fn state(&self, tensor: usize) -> Option<&C::State> {
        self.tensors
            .get(tensor)
            .filter(|_| self.steps > 0)
            .map(|s| &s.rule)
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
        let (groups, group_of) = (&self.groups, &self.group_of);
        update_all(x, grad, &mut self.tensors, 0, &|i, x, g, state| {
            let config = &groups[group_of.get(i).copied().unwrap_or(0)];
            update_tensor(config, state, t, x, g, config.lr() * scale);
        });
        Ok(())
    }

    /// The checks of [`step_scaled`](ParameterSet::step_scaled).
    fn check_step(
        &self,
        x: &[ArrayViewMutD<'_, C::Float>],
        grad: &[ArrayViewD<'_, C::Float>],
        scale: C::Float,
    ) -> Result<()> {
        check("scale", scale, Domain::NonNegative)?;
        // A set read from a file edited by hand may name groups it does not have.
        if let Some(&g) = self.group_of.iter().find(|&&g| g >= self.groups.len()) {
            return Err(Error::InvalidCount {
                name: "group of a tensor",
                value: g,
                expected: "the number of an existing group (the set's groups do not match)",
            });
        }
        for config in &self.groups {
            check("lr x scale", config.lr() * scale, Domain::NonNegative)?;
        }
        crate::error::check_len("gradients vs tensors", x.len(), grad.len())?;
        if self.steps > 0 {
            crate::error::check_len(
                "tensors vs the optimizer state (call reset() to change the tensors)",
                self.tensors.len(),
                x.len(),
            )?;
        } else if self.group_of.len() > x.len() {
            return Err(Error::DimensionMismatch {
                what: "tensors vs the positions placed in groups (a group names a tensor \
                       beyond the last one given)",
                expected: self.group_of.len(),
                found: x.len(),
            });
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
            if self.steps > 0 && !same_shape(x.shape(), &self.tensors[i].shape) {
                return Err(Error::ShapeMismatch {
                    what: "tensor vs the shape it had on the first step (a tensor keeps its \
                           shape while the optimizer keeps its state: call reset() to start \
                           over)",
                    index: i,
                    expected: self.tensors[i].shape.clone(),
                    found: x.shape().to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Starts the state of every tensor of the first step, reusing the buffers of the states
    /// kept from before a reset.
    fn start(&mut self, x: &[ArrayViewMutD<'_, C::Float>]) {
        self.tensors.resize_with(x.len(), TensorState::default);
        for (i, (x, state)) in x.iter().zip(&mut self.tensors).enumerate() {
            let group = self.group_of.get(i).copied().unwrap_or(0);
            self.groups[group].start(&mut state.rule, x.len());
            state.shape.clear();
            state.shape.extend_from_slice(x.shape());
            state.len = x.len();
        }
    }
}

/// Runs `update(i, x[i], grad[i], state[i])` for every tensor, `first` being the position of
/// `x[0]` in the whole list: in order on one thread, or, with the `parallel` feature and more
/// than [`PARALLEL_THRESHOLD`](crate::optim::kernel::PARALLEL_THRESHOLD) values in all, split
/// into two halves of about equal numbers of values run on the pool, recursively. Each tensor is
/// updated by the same arithmetic whatever the split.
fn update_all<F: Real, S: Send>(
    x: &mut [ArrayViewMutD<'_, F>],
    grad: &[ArrayViewD<'_, F>],
    states: &mut [TensorState<S, F>],
    first: usize,
    update: &(
         impl Fn(usize, &mut ArrayViewMutD<'_, F>, &ArrayViewD<'_, F>, &mut TensorState<S, F>) + Sync
     ),
) {
    #[cfg(feature = "parallel")]
    if x.len() > 1 && rayon::current_num_threads() > 1 {
        let total: usize = states.iter().map(|s| s.len).sum();
        if total >= crate::optim::kernel::PARALLEL_THRESHOLD {
            // The first position where the values before it reach half of the total.
            let mut before = 0;
            let mid = states
                .iter()
                .position(|s| {
                    before += s.len;
                    2 * before >= total
                })
                .map_or(x.len() / 2, |i| (i + 1).min(x.len() - 1))
                .max(1);
            let (x_left, x_right) = x.split_at_mut(mid);
            let (g_left, g_right) = grad.split_at(mid);
            let (s_left, s_right) = states.split_at_mut(mid);
            rayon::join(
                || update_all(x_left, g_left, s_left, first, update),
                || update_all(x_right, g_right, s_right, first + mid, update),
            );
            return;
        }
    }
    for (k, ((x, g), state)) in x.iter_mut().zip(grad).zip(states).enumerate() {
        update(first + k, x, g, state);
    }
}

/// Whether two shapes are equal (a loop the compiler inlines: shapes are short).
#[inline]
fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a == b)
}

/// Step `t` of one tensor: the rule on its values in row-major order, from slices when the
/// tensor and its gradient are both contiguous in that order, and from copies otherwise.
fn update_tensor<C: ElementwiseRule>(
    config: &C,
    state: &mut TensorState<C::State, C::Float>,
    t: usize,
    x: &mut ArrayViewMutD<'_, C::Float>,
    g: &ArrayViewD<'_, C::Float>,
    lr: C::Float,
) {
    if x.is_empty() {
        return;
    }
    if let (Some(xs), Some(gs)) = (x.as_slice_mut(), g.as_slice()) {
        config.update(
            &mut state.rule,
            t,
            ArrayViewMut1::from(xs),
            ArrayView1::from(gs),
            lr,
        );
        return;
    }
    let Scratch { x: xs, g: gs } = &mut state.scratch;
    xs.clear();
    xs.extend(x.iter().copied());
    gs.clear();
    gs.extend(g.iter().copied());
    config.update(
        &mut state.rule,
        t,
        ArrayViewMut1::from(&mut xs[..]),
        ArrayView1::from(&gs[..]),
        lr,
    );
    x.iter_mut().zip(xs.iter()).for_each(|(x, &v)| *x = v);
}
