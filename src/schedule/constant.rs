//! The constant schedule.

use super::Schedule;
use crate::Real;
use crate::error::{Domain, Result, check};

/// The same step size at every iteration: `γ_t = lr`.
///
/// optax's `constant_schedule`; in PyTorch, an optimizer without a scheduler.
///
/// ```
/// use gradus::schedule::{Constant, Schedule};
///
/// let mut s = Constant::new(0.01)?;
/// assert_eq!(s.step_size(0), 0.01);
/// assert_eq!(s.step_size(1_000_000), 0.01);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Constant<F> {
    lr: F,
}

impl<F: Real> Constant<F> {
    /// The constant step size `lr`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` is negative or not
    /// finite.
    pub fn new(lr: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        Ok(Constant { lr })
    }
}

impl<F: Real> Schedule<F> for Constant<F> {
    fn step_size(&mut self, _t: usize) -> F {
        self.lr
    }
}
