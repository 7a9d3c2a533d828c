//! Exponential decay: multiply by `gamma` at every iteration.

use super::Schedule;
use crate::Real;
use crate::error::{Domain, Result, check};

/// Exponential decay: the step size is multiplied by `gamma` at every iteration.
///
/// ```text
/// γ_t = lr · gamma^t
/// ```
///
/// This is PyTorch's `ExponentialLR(optimizer, gamma)`, evaluated in its closed form
/// `base_lr * gamma ** t` (optax: `exponential_decay` with `transition_steps = 1`,
/// `decay_rate = gamma`). PyTorch's recursive form multiplies by `gamma` at every step, one
/// rounding per step, so its values drift from the closed form in the last bits as `t` grows.
///
/// ```
/// use gradus::schedule::{Exponential, Schedule};
///
/// let mut s = Exponential::new(1.0, 0.5)?;
/// assert_eq!(s.step_size(0), 1.0);
/// assert_eq!(s.step_size(3), 0.125);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Exponential<F> {
    lr: F,
    gamma: F,
}

impl<F: Real> Exponential<F> {
    /// Exponential decay from `lr` by the factor `gamma` per iteration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` is negative or not
    /// finite, or `gamma` is not in `(0, 1]`.
    pub fn new(lr: F, gamma: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check("gamma", gamma, Domain::DecayFactor)?;
        Ok(Exponential { lr, gamma })
    }
}

impl<F: Real> Schedule<F> for Exponential<F> {
    fn step_size(&mut self, t: usize) -> F {
        self.lr * self.gamma.powf(F::from_count(t))
    }
}
