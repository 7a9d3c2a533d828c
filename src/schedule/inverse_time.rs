//! Inverse time decay.

use super::{Schedule, check_period};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Inverse time decay: the step size decays like `1/t`.
///
/// ```text
/// γ_t = lr / (1 + decay_rate · p),    p = t / decay_steps        (continuous)
///                                      p = ⌊t / decay_steps⌋      (staircase)
/// ```
///
/// This is Keras's `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`
/// (and TensorFlow 1's `inverse_time_decay`), evaluated in the same order. PyTorch has no such
/// scheduler (`LambdaLR` with this factor gives it). With `decay_steps = 1` and no staircase it is
/// the classical Robbins–Monro step `γ_t = lr / (1 + decay_rate · t)` of stochastic
/// approximation (Robbins and Monro, 1951), whose steps sum to infinity while their squares
/// sum to a finite value.
///
/// ```
/// use gradus::schedule::{InverseTime, Schedule};
///
/// let mut s = InverseTime::new(1.0, 0.5, 10, false)?;
/// assert_eq!(s.step_size(0), 1.0);
/// assert_eq!(s.step_size(20), 0.5); // 1 / (1 + 0.5 · 2)
/// let mut stairs = InverseTime::new(1.0, 0.5, 10, true)?;
/// assert_eq!(stairs.step_size(19), 1.0 / 1.5);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InverseTime<F> {
    lr: F,
    decay_rate: F,
    decay_steps: usize,
    staircase: bool,
}

impl<F: Real> InverseTime<F> {
    /// Inverse time decay from `lr` with rate `decay_rate` per `decay_steps` iterations; with
    /// `staircase`, `t / decay_steps` is rounded down, so the step changes only every
    /// `decay_steps` iterations.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` or `decay_rate` is
    /// negative or not finite, or `decay_steps` is `0`.
    pub fn new(lr: F, decay_rate: F, decay_steps: usize, staircase: bool) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check("decay_rate", decay_rate, Domain::NonNegative)?;
        check_period("decay_steps", decay_steps)?;
        Ok(InverseTime {
            lr,
            decay_rate,
            decay_steps,
            staircase,
        })
    }
}

impl<F: Real> Schedule<F> for InverseTime<F> {
    fn step_size(&mut self, t: usize) -> F {
        let p = if self.staircase {
            // `decay_steps >= 1` by construction; 0 (from an edited file) gives NaN, not a panic.
            match t.checked_div(self.decay_steps) {
                Some(q) => F::from_count(q),
                None => return F::nan(),
            }
        } else {
            F::from_count(t) / F::from_count(self.decay_steps)
        };
        self.lr / (F::one() + self.decay_rate * p)
    }
}
