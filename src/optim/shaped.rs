//! Rules that see each tensor's shape: [`ShapedRule`], and [`Shaped`], such a rule on one
//! vector.
//!
//! An [`ElementwiseRule`](super::ElementwiseRule) updates every coordinate from its own state, so
//! a tensor is to it a list of values in row-major order. Some rules use the tensor's shape:
//! Adafactor keeps the second moments of a matrix as row and column averages, Muon
//! orthogonalizes the momentum of a matrix by matrix products, SM3 keeps one accumulator per row
//! and one per column. Such a rule implements [`ShapedRule`]: it updates one tensor at a time,
//! knowing its shape, with a state per tensor.
//!
//! A [`ShapedParameterSet`](crate::params::ShapedParameterSet) runs a shaped rule over the
//! tensors of a model, with groups; [`Shaped`] runs it on one vector, a tensor of one dimension,
//! so that the rule is also an [`Optimizer`] for the [`Minimizer`](crate::Minimizer). Each rule
//! documents what it does with a vector.

use std::fmt::Debug;

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Optimizer;
use super::state::RuleState;
use crate::Real;
use crate::error::Result;

/// The hyperparameters of an update rule that sees the shape of each tensor it updates, and how
/// it updates one tensor.
///
/// The contract of the calls: the configuration passed [`validate`](ShapedRule::validate); the
/// state was started by [`start`](ShapedRule::start) for the tensor's shape, by this
/// configuration or another that passed `validate`, and updated by the previous steps of the same
/// tensor only; [`update`](ShapedRule::update) gets the step number `t` (1 on the first step), a
/// finite, non-negative step size, the tensor and its gradient as row-major slices of the
/// shape's number of values (at least one).
pub trait ShapedRule: Clone + Debug + Send + Sync {
    /// The floating-point type of the tensors.
    type Float: Real;

    /// The rule's state for one tensor (moments, accumulators, and the scratch its matrix
    /// products work in, allocated by [`start`](ShapedRule::start)).
    type State: Clone + Debug + Default + Send;

    /// Short name of the rule, for tables and messages (`"Adafactor"`, `"Muon"`, ...).
    fn name(&self) -> &'static str;

    /// The step size `lr` used when the caller sets none (the reference library's `lr`).
    fn lr(&self) -> Self::Float;

    /// Sets the step size `lr` (validated by [`validate`](ShapedRule::validate)).
    fn set_lr(&mut self, lr: Self::Float);

    /// The step size of a tensor of `ndim` dimensions when the caller sets none: `lr` for most
    /// rules. Muon takes AdamW's step size for the tensors that are not matrices.
    fn lr_for(&self, ndim: usize) -> Self::Float {
        let _ = ndim;
        self.lr()
    }

    /// Checks every hyperparameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first
    /// hyperparameter outside its domain.
    fn validate(&self) -> Result<()>;

    /// Gives `state` its starting value for a tensor of shape `shape`, reusing its buffers when
    /// they have the sizes needed already. The only call that may allocate.
    fn start(&self, state: &mut Self::State, shape: &[usize]);

    /// Whether `state` has the buffers, of the sizes, that [`start`](ShapedRule::start) gives
    /// for a tensor of shape `shape` (whose number of values does not overflow): the check of a
    /// state read from a file, and of a configuration replacing another. Computed from the
    /// shape, without allocating.
    fn fits(&self, state: &Self::State, shape: &[usize]) -> bool;

    /// Step `t` (from 1) of one tensor of shape `shape`: updates `x` in place from `grad` with
    /// step size `lr`, and the state. Both are the tensor's values in row-major order. Returns
    /// whether every value it wrote to its state is finite (`false` when a gradient component
    /// beyond about `√MAX` overflowed a squared-gradient accumulator: see
    /// [`ElementwiseRule`](super::ElementwiseRule#a-state-that-is-no-longer-finite)).
    #[must_use]
    fn update(
        &self,
        state: &mut Self::State,
        t: usize,
        shape: &[usize],
        x: &mut [Self::Float],
        grad: &[Self::Float],
        lr: Self::Float,
    ) -> bool;
}

/// A [`ShapedRule`] with its state for one vector: the [`Optimizer`] of every shaped rule, the
/// vector being a tensor of one dimension.
///
/// The rules are named by aliases: [`Adafactor<F>`](crate::Adafactor) is
/// `Shaped<AdafactorConfig<F>>`, [`Muon<F>`](crate::Muon) is `Shaped<MuonConfig<F>>` and
/// [`Sm3<F>`](crate::Sm3) is `Shaped<Sm3Config<F>>`. Each rule says what it does with a vector
/// (Adafactor's unfactored second moment, Muon's AdamW, SM3's accumulator per coordinate). The
/// state is allocated on the first step, for the length of `x`; a strided `x` or gradient is
/// read and written through copies kept in the rule, allocated on the first such step.
#[derive(Debug, Clone, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "ShapedParts<R>",
        bound(
            serialize = "R: serde::Serialize, R::State: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>, R::State: serde::Deserialize<'de>"
        )
    )
)]
pub struct Shaped<R: ShapedRule> {
    config: R,
    state: RuleState<R::State>,
    /// Copies of a strided `x` and gradient.
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: (Vec<R::Float>, Vec<R::Float>),
}

/// A [`Shaped`] as read from a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "R: serde::Deserialize<'de>, R::State: serde::Deserialize<'de>"))]
struct ShapedParts<R: ShapedRule> {
    config: R,
    state: RuleState<R::State>,
}

/// A rule read from a file is checked as [`Shaped::new`] checks its configuration, and its
/// state against the state the configuration starts for the length recorded.
#[cfg(feature = "serde")]
impl<R: ShapedRule> TryFrom<ShapedParts<R>> for Shaped<R> {
    type Error = crate::Error;

    fn try_from(parts: ShapedParts<R>) -> Result<Self> {
        let ShapedParts { config, state } = parts;
        config.validate()?;
        if state.steps() > 0 {
            let fits = state.len().is_some_and(|n| config.fits(state.get(), &[n]));
            if !fits {
                return Err(crate::Error::Checkpoint {
                    reason: format!(
                        "{}: the state's buffers are not those of the length it records; the \
                         file was edited or holds another rule's state",
                        config.name()
                    ),
                });
            }
        }
        Ok(Shaped {
            config,
            state,
            scratch: Default::default(),
        })
    }
}

impl<R: ShapedRule> Shaped<R> {
    /// The rule with hyperparameters `config`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first
    /// hyperparameter outside its domain.
    pub fn new(config: R) -> Result<Self> {
        config.validate()?;
        Ok(Shaped {
            config,
            state: RuleState::default(),
            scratch: Default::default(),
        })
    }

    /// The rule with step size `lr` and the other hyperparameters at their defaults.
    ///
    /// # Errors
    /// As [`new`](Shaped::new), for a negative or non-finite `lr`.
    pub fn with_lr(lr: R::Float) -> Result<Self>
    where
        R: Default,
    {
        let mut config = R::default();
        config.set_lr(lr);
        Self::new(config)
    }

    /// The hyperparameters.
    pub fn config(&self) -> &R {
        &self.config
    }

    /// The state as the last step left it (empty buffers before the first step).
    pub fn state(&self) -> &R::State {
        self.state.get()
    }
}

impl<R: ShapedRule> Optimizer<R::Float> for Shaped<R> {
    fn name(&self) -> &'static str {
        self.config.name()
    }

    /// The step size of a vector: [`ShapedRule::lr_for`] one dimension.
    fn default_lr(&self) -> R::Float {
        self.config.lr_for(1)
    }

    fn step(
        &mut self,
        mut x: ArrayViewMut1<'_, R::Float>,
        grad: ArrayView1<'_, R::Float>,
        lr: R::Float,
    ) -> Result<()> {
        let config = &self.config;
        let n = x.len();
        let (t, state) = self.state.advance_by(n, grad.len(), lr, true, |state, n| {
            config.start(state, &[n])
        })?;
        let shape = [n];
        let (xs, gs) = &mut self.scratch;
        let finite = match (x.as_slice_mut(), grad.as_slice()) {
            (Some(x), Some(g)) => config.update(state, t, &shape, x, g, lr),
            (x_slice, g_slice) => {
                let g = match g_slice {
                    Some(g) => g,
                    None => {
                        gs.clear();
                        gs.extend(grad.iter().copied());
                        &gs[..]
                    }
                };
                match x_slice {
                    Some(x) => config.update(state, t, &shape, x, g, lr),
                    None => {
                        xs.clear();
                        xs.extend(x.iter().copied());
                        let finite = config.update(state, t, &shape, xs, g, lr);
                        x.iter_mut().zip(xs.iter()).for_each(|(x, &v)| *x = v);
                        finite
                    }
                }
            }
        };
        if finite {
            Ok(())
        } else {
            Err(crate::error::non_finite_state(config.name(), None))
        }
    }

    fn reset(&mut self) {
        self.state.reset();
    }

    fn steps_taken(&self) -> usize {
        self.state.steps()
    }
}

/// `a + w (b - a)` computed as PyTorch's `lerp` does: from `a` when `|w| < 1/2`, and as
/// `b - (b - a)(1 - w)` otherwise, so that `w = 1` gives `b` exactly.
#[inline(always)]
pub(crate) fn lerp<F: Real>(a: F, b: F, w: F) -> F {
    if w.abs() < F::lit(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (F::one() - w)
    }
}

/// The number of values of a tensor of shape `shape` (1 for a scalar).
#[inline]
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Sets `buffer` to `n` zeros, in place when it has that length already.
pub(crate) fn zeros<F: Real>(buffer: &mut Vec<F>, n: usize) {
    super::state::fill(buffer, n, F::zero());
}

/// Helpers for the shaped rules' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::ShapedRule;
    use crate::Real;

    /// Steps a tensor of shape `shape` from `x0` with each of `grads` (row-major) and step size
    /// `lr` by `config`, and checks every iterate against `expected` (a reference
    /// implementation's, or values computed by hand) to a relative `tol` (absolute near zero).
    #[track_caller]
    pub(crate) fn assert_tensor_iterates<F: Real, R: ShapedRule<Float = F>>(
        config: &R,
        shape: &[usize],
        lr: f64,
        x0: &[f64],
        grads: &[&[f64]],
        expected: &[&[f64]],
        tol: f64,
    ) {
        assert_eq!(grads.len(), expected.len());
        let mut state = R::State::default();
        config.start(&mut state, shape);
        let mut x: Vec<F> = x0.iter().map(|&v| F::lit(v)).collect();
        for (t, (g, want)) in grads.iter().zip(expected).enumerate() {
            let g: Vec<F> = g.iter().map(|&v| F::lit(v)).collect();
            assert!(config.update(&mut state, t + 1, shape, &mut x, &g, F::lit(lr)));
            for (i, (&got, &want)) in x.iter().zip(want.iter()).enumerate() {
                let got = got.as_f64();
                assert!(
                    (got - want).abs() <= tol * want.abs().max(1.0),
                    "step {}, value {i}: {got} vs {want}",
                    t + 1
                );
            }
        }
    }
}
