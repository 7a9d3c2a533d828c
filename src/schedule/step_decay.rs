//! Step decay: multiply by `gamma` every `step_size` iterations.

use super::{Schedule, check_period};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Step decay: the step size is multiplied by `gamma` every `step_size` iterations.
///
/// ```text
/// γ_t = lr · gamma^⌊t / step_size⌋
/// ```
///
/// This is PyTorch's `StepLR(optimizer, step_size, gamma)` with the optimizer's `lr`, evaluated
/// in its closed form `base_lr * gamma ** (t // step_size)` (optax: `exponential_decay` with
/// `staircase=True`, `transition_steps = step_size`, `decay_rate = gamma`). PyTorch's recursive
/// form multiplies the current rate by `gamma` at each boundary, so after `k` decays its value
/// can differ from `lr · gamma^k` in the last bits.
///
/// ```
/// use gradus::schedule::{Schedule, StepDecay};
///
/// let mut s = StepDecay::new(0.1_f64, 30, 0.1)?;
/// assert_eq!(s.step_size(29), 0.1);
/// assert!((s.step_size(30) - 0.01).abs() < 1e-17);
/// assert!((s.step_size(60) - 0.001).abs() < 1e-18);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepDecay<F> {
    lr: F,
    step_size: usize,
    gamma: F,
}

impl<F: Real> StepDecay<F> {
    /// Step decay from `lr`, by the factor `gamma` every `step_size` iterations
    /// (PyTorch's default `gamma` is `0.1`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` is negative or not
    /// finite, `step_size` is `0`, or `gamma` is not in `(0, 1]`.
    pub fn new(lr: F, step_size: usize, gamma: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check_period("step_size", step_size)?;
        check("gamma", gamma, Domain::DecayFactor)?;
        Ok(StepDecay {
            lr,
            step_size,
            gamma,
        })
    }
}

impl<F: Real> Schedule<F> for StepDecay<F> {
    fn step_size(&mut self, t: usize) -> F {
        // `step_size >= 1` by construction; a schedule read from an edited file may have 0,
        // which gives NaN (a step size the loop refuses with a typed error), not a panic.
        match t.checked_div(self.step_size) {
            Some(drops) => self.lr * self.gamma.powf(F::from_count(drops)),
            None => F::nan(),
        }
    }
}
