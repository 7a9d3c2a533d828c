//! A parameter set for the rules that see each tensor's shape.

use ndarray::{ArrayViewD, ArrayViewMutD, Dimension, IxDyn};

use super::{Scratch, add_group, check_group, check_tensors};
use crate::error::{Domain, Error, Result, check};
use crate::optim::ShapedRule;

/// One [`ShapedRule`] (Adafactor, Muon, SM3) over a list of tensors, with groups of their own
/// hyperparameters and a state per tensor: the [`ParameterSet`](super::ParameterSet) of the
/// rules that see the shape of each tensor.
///
/// Its API and guarantees are [`ParameterSet`](super::ParameterSet)'s: tensors and gradients
/// given at each step as views of any shape, groups by position with their own configurations,
/// the number of tensors and their shapes fixed by the first step until
/// [`reset`](ShapedParameterSet::reset), everything checked before any tensor moves, schedules
/// by [`step_scaled`](ShapedParameterSet::step_scaled). Each tensor is updated exactly as the
/// rule updates it alone, with its shape: the matrices of Adafactor and SM3 keep row and column
/// statistics, Muon orthogonalizes its matrices and gives the other tensors to AdamW. A tensor
/// that is not contiguous in row-major order is updated through a copy, allocated on the first
/// such step. The first step allocates the states; later steps allocate nothing. With the
/// `parallel` feature, sets of at least [2^18 values](crate::optim#speed) update their tensors on
/// all cores, each tensor by the same arithmetic.
///
/// ```
/// use gradus::optim::{AdamConfig, MuonConfig};
/// use gradus::params::ShapedParameterSet;
/// use ndarray::{Array1, Array2};
///
/// // A two-layer perceptron: Muon for the weight matrices, AdamW (lr 3e-4, no weight decay)
/// // for the biases, in a group of their own.
/// let (mut w1, mut b1) = (Array2::<f32>::from_elem((8, 4), 0.1), Array1::<f32>::zeros(8));
/// let (mut w2, mut b2) = (Array2::<f32>::from_elem((1, 8), 0.1), Array1::<f32>::zeros(1));
/// let (g1, gb1) = (Array2::from_elem((8, 4), 0.01), Array1::from_elem(8, 0.01));
/// let (g2, gb2) = (Array2::from_elem((1, 8), 0.01), Array1::from_elem(1, 0.01));
/// let adamw = AdamConfig { lr: 3e-4, weight_decay: 0.0, ..AdamConfig::adamw() };
/// let mut set = ShapedParameterSet::new(MuonConfig { lr: 0.02, ..Default::default() })?
///     .group([1, 3], MuonConfig { adamw, ..Default::default() })?;
/// for _ in 0..3 {
///     set.step(
///         &mut [
///             w1.view_mut().into_dyn(),
///             b1.view_mut().into_dyn(),
///             w2.view_mut().into_dyn(),
///             b2.view_mut().into_dyn(),
///         ],
///         &[g1.view().into_dyn(), gb1.view().into_dyn(), g2.view().into_dyn(), gb2.view().into_dyn()],
///     )?;
/// }
/// assert!(w1.iter().all(|&v| v < 0.1) && b1.iter().all(|&v| v < 0.0));
/// assert_eq!(set.steps_taken(), 3);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "Saved<R>",
        bound(
            serialize = "R: serde::Serialize, R::State: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>, R::State: serde::Deserialize<'de>"
        )
    )
)]
pub struct ShapedParameterSet<R: ShapedRule> {
    /// The configuration of each group; group 0 is the default group.
    groups: Vec<R>,
    /// The group of each tensor placed in a group by [`group`](ShapedParameterSet::group);
    /// tensors beyond its length, or marked `0`, are in the default group.
    group_of: Vec<usize>,
    /// The state of each tensor, once the first step has fixed the tensors.
    states: Vec<R::State>,
    /// The shape of each tensor on the first step (held inline up to four dimensions).
    shapes: Vec<IxDyn>,
    /// Row-major copies of each tensor and its gradient, for tensors that are not both
    /// contiguous in that order (allocated on the first such step, reused after).
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: Vec<Scratch<R::Float>>,
    /// Steps taken since construction or the last reset.
    steps: usize,
}

impl<R: ShapedRule> ShapedParameterSet<R> {
    /// A set whose tensors are all in the default group, with hyperparameters `config`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first hyperparameter of `config` outside its
    /// domain.
    pub fn new(config: R) -> Result<Self> {
        config.validate()?;
        Ok(ShapedParameterSet {
            groups: vec![config],
            group_of: Vec::new(),
            states: Vec::new(),
            shapes: Vec::new(),
            scratch: Vec::new(),
            steps: 0,
        })
    }

    /// Adds a group: the tensors at positions `tensors` (in the lists given to
    /// [`step`](ShapedParameterSet::step)) are updated with hyperparameters `config`. Returns
    /// the set, for chaining; the new group's number is the number of groups before it.
    ///
    /// # Errors
    /// As [`ParameterSet::group`](super::ParameterSet::group).
    pub fn group(mut self, tensors: impl IntoIterator<Item = usize>, config: R) -> Result<Self> {
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
    pub fn groups(&self) -> &[R] {
        &self.groups
    }

    /// Replaces the hyperparameters of group `group` (0 is the default group), as setting
    /// `optimizer.param_groups[g]["lr"]` does in PyTorch; the tensors' states are kept.
    ///
    /// # Errors
    /// [`Error::InvalidCount`] if there is no such group; [`Error::InvalidParameter`] for a
    /// hyperparameter of `config` outside its domain; [`Error::Incompatible`] once the set has
    /// taken a step, if `config` keeps other state for one of the group's tensors than the
    /// configuration it replaces (Muon's AdamW switched to AMSGrad: call
    /// [`reset`](ShapedParameterSet::reset) first). The set is unchanged then.
    pub fn set_group_config(&mut self, group: usize, config: R) -> Result<()> {
        check_group(group, self.groups.len())?;
        config.validate()?;
        if self.steps > 0 {
            for (i, (state, shape)) in self.states.iter().zip(&self.shapes).enumerate() {
                if self.group_of(i) == group && !config.fits(state, shape.slice()) {
                    return Err(Error::Incompatible {
                        reason: "the new configuration of the group keeps other state than \
                                 the one it replaces; call reset() first",
                    });
                }
            }
        }
        self.groups[group] = config;
        Ok(())
    }

    /// The group of the tensor at position `tensor` (0 is the default group).
    pub fn group_of(&self, tensor: usize) -> usize {
        self.group_of.get(tensor).copied().unwrap_or(0)
    }

    /// The rule's state for the tensor at position `tensor`, once a step has been taken.
    pub fn tensor_state(&self, tensor: usize) -> Option<&R::State> {
        self.states.get(tensor).filter(|_| self.steps > 0)
    }

    /// Steps taken since construction or the last [`reset`](ShapedParameterSet::reset).
    pub fn steps_taken(&self) -> usize {
        self.steps
    }

    /// Forgets every tensor's state and the step count: the next step is taken as by a new
    /// set, and may have other tensors. The groups are kept, and so is the memory of the states,
    /// which the next step refills in place where the shapes agree.
    pub fn reset(&mut self) {
        self.steps = 0;
    }

    /// One step of every tensor `x[i]` from its gradient `grad[i]`, each group with its own
    /// learning rate.
    ///
    /// # Errors
    /// As [`step_scaled`](ShapedParameterSet::step_scaled).
    pub fn step(
        &mut self,
        x: &mut [ArrayViewMutD<'_, R::Float>],
        grad: &[ArrayViewD<'_, R::Float>],
    ) -> Result<()> {
        self.step_scaled(x, grad, num_traits::One::one())
    }

    /// One step of every tensor `x[i]` from its gradient `grad[i]`, with each group's learning
    /// rate multiplied by `scale`: the factor of a schedule, as PyTorch's schedulers scale every
    /// group's initial `lr`. The learning rate of a tensor is its group's
    /// [`lr_for`](ShapedRule::lr_for) its number of dimensions (Muon's AdamW has its own).
    ///
    /// Everything is checked before any tensor moves, so an error leaves the tensors and the
    /// states as they were.
    ///
    /// # Errors
    /// As [`ParameterSet::step_scaled`](super::ParameterSet::step_scaled): invalid `scale` or
    /// scaled learning rates, lists of other lengths, shapes that differ, and
    /// [`Error::NonFiniteState`] *after* the step, naming the first tensor whose state is no
    /// longer finite.
    pub fn step_scaled(
        &mut self,
        x: &mut [ArrayViewMutD<'_, R::Float>],
        grad: &[ArrayViewD<'_, R::Float>],
        scale: R::Float,
    ) -> Result<()> {
        check("scale", scale, Domain::NonNegative)?;
        for (i, x) in x.iter().enumerate() {
            let config = &self.groups[self.group_of(i)];
            check(
                "lr x scale",
                config.lr_for(x.ndim()) * scale,
                Domain::NonNegative,
            )?;
        }
        check_tensors(
            x,
            grad,
            &self.group_of,
            (self.steps > 0).then_some((self.shapes.len(), |i: usize| self.shapes[i].slice())),
        )?;
        if self.steps == 0 {
            self.start(x);
        }
        self.steps += 1;
        let t = self.steps;
        let tensors = Tensors {
            groups: &self.groups,
            group_of: &self.group_of,
            shapes: &self.shapes,
            t,
            scale,
        };
        let overflowed = tensors.update(x, grad, &mut self.states, &mut self.scratch, 0);
        match overflowed {
            None => Ok(()),
            Some(i) => Err(crate::error::non_finite_state(
                self.groups[self.group_of(i)].name(),
                Some(i),
            )),
        }
    }

    /// Records the shapes of the first step and starts every tensor's state with its group's
    /// configuration (reusing the memory kept from before a reset).
    fn start(&mut self, x: &[ArrayViewMutD<'_, R::Float>]) {
        self.states.resize_with(x.len(), Default::default);
        self.shapes.resize_with(x.len(), IxDyn::default);
        self.scratch.resize_with(x.len(), Scratch::default);
        for (i, x) in x.iter().enumerate() {
            self.shapes[i] = IxDyn(x.shape());
            let config = &self.groups[self.group_of(i)];
            config.start(&mut self.states[i], x.shape());
        }
    }
}

/// What every tensor's step reads: the groups, the shapes, the step number and the schedule's
/// factor.
struct Tensors<'s, R: ShapedRule> {
    groups: &'s [R],
    group_of: &'s [usize],
    shapes: &'s [IxDyn],
    t: usize,
    scale: R::Float,
}

impl<R: ShapedRule> Tensors<'_, R> {
    /// Steps the tensors `x` (those from position `first` on) with their states and scratch:
    /// in order, or, with the `parallel` feature and at least
    /// [`PARALLEL_THRESHOLD`](crate::optim::kernel::PARALLEL_THRESHOLD) values, in two halves
    /// run on the pool, recursively. Returns the first position whose state is no longer
    /// finite, if any.
    fn update(
        &self,
        x: &mut [ArrayViewMutD<'_, R::Float>],
        grad: &[ArrayViewD<'_, R::Float>],
        states: &mut [R::State],
        scratch: &mut [Scratch<R::Float>],
        first: usize,
    ) -> Option<usize> {
        #[cfg(feature = "parallel")]
        if x.len() > 1
            && rayon::current_num_threads() > 1
            && x.iter().map(|x| x.len()).sum::<usize>() >= crate::optim::kernel::PARALLEL_THRESHOLD
        {
            let mid = x.len() / 2;
            let (x_left, x_right) = x.split_at_mut(mid);
            let (g_left, g_right) = grad.split_at(mid);
            let (s_left, s_right) = states.split_at_mut(mid);
            let (c_left, c_right) = scratch.split_at_mut(mid);
            let (left, right) = rayon::join(
                || self.update(x_left, g_left, s_left, c_left, first),
                || self.update(x_right, g_right, s_right, c_right, first + mid),
            );
            return left.or(right);
        }
        let mut overflowed = None;
        for (k, (((x, g), state), scratch)) in
            x.iter_mut().zip(grad).zip(states).zip(scratch).enumerate()
        {
            let i = first + k;
            let config = &self.groups[self.group_of.get(i).copied().unwrap_or(0)];
            let shape = self.shapes[i].slice();
            let lr = config.lr_for(shape.len()) * self.scale;
            if !update_tensor(config, state, self.t, shape, scratch, x, g, lr) {
                overflowed = overflowed.or(Some(i));
            }
        }
        overflowed
    }
}

/// One tensor's step: the rule on its values in row-major order, from slices when the tensor
/// and its gradient are both contiguous in that order, and from copies otherwise.
#[allow(clippy::too_many_arguments)]
fn update_tensor<R: ShapedRule>(
    config: &R,
    state: &mut R::State,
    t: usize,
    shape: &[usize],
    scratch: &mut Scratch<R::Float>,
    x: &mut ArrayViewMutD<'_, R::Float>,
    g: &ArrayViewD<'_, R::Float>,
    lr: R::Float,
) -> bool {
    if x.is_empty() {
        return true;
    }
    let Scratch { x: xs, g: gs } = scratch;
    let g = match g.as_slice() {
        Some(g) => g,
        None => {
            gs.clear();
            gs.extend(g.iter().copied());
            &gs[..]
        }
    };
    if let Some(x) = x.as_slice_mut() {
        return config.update(state, t, shape, x, g, lr);
    }
    xs.clear();
    xs.extend(x.iter().copied());
    let finite = config.update(state, t, shape, xs, g, lr);
    x.iter_mut().zip(xs.iter()).for_each(|(x, &v)| *x = v);
    finite
}

/// A shaped parameter set as read from a file, before [`ShapedParameterSet::try_from`] checks
/// that its parts agree.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "R: serde::Deserialize<'de>, R::State: serde::Deserialize<'de>"))]
struct Saved<R: ShapedRule> {
    groups: Vec<R>,
    group_of: Vec<usize>,
    states: Vec<R::State>,
    shapes: Vec<IxDyn>,
    steps: usize,
}

#[cfg(feature = "serde")]
impl<R: ShapedRule> TryFrom<Saved<R>> for ShapedParameterSet<R> {
    type Error = Error;

    /// The set, if its parts agree: so that a file edited by hand (or written by another
    /// configuration type) is refused when read, not met as a panic in a later step.
    fn try_from(saved: Saved<R>) -> Result<Self> {
        let Saved {
            groups,
            group_of,
            states,
            shapes,
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
        super::check_saved_groups(groups.len(), &group_of).map_err(fail)?;
        if steps > 0 {
            if states.len() != shapes.len() {
                return Err(fail("not one state per tensor"));
            }
            if group_of.len() > shapes.len() {
                return Err(fail("a group names a tensor beyond the last one"));
            }
            for (i, (state, shape)) in states.iter().zip(&shapes).enumerate() {
                let config = &groups[group_of.get(i).copied().unwrap_or(0)];
                let size = shape
                    .slice()
                    .iter()
                    .try_fold(1usize, |n, &d| n.checked_mul(d));
                if size.is_none() || !config.fits(state, shape.slice()) {
                    return Err(fail("a tensor's state is not one of its shape"));
                }
            }
        }
        Ok(ShapedParameterSet {
            scratch: std::iter::repeat_with(Scratch::default)
                .take(shapes.len())
                .collect(),
            groups,
            group_of,
            states,
            shapes,
            steps,
        })
    }
}
