//! Polynomial decay to zero.

use super::{Schedule, check_period};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Polynomial decay: the step size falls to zero over `total_iters` iterations.
///
/// ```text
/// γ_t = lr · (1 - min(t, total_iters) / total_iters)^power
/// ```
///
/// so `γ_t = 0` from `t = total_iters` on. This is PyTorch's
/// `PolynomialLR(optimizer, total_iters, power)` (defaults `total_iters = 5`, `power = 1`),
/// evaluated in its closed form; PyTorch's recursive form multiplies by the ratio of consecutive
/// factors and can differ in the last bits. optax: `polynomial_schedule(lr, 0, power,
/// total_iters)`.
///
/// ```
/// use gradus::schedule::{Polynomial, Schedule};
///
/// let mut s = Polynomial::new(0.1, 4, 2.0)?;
/// assert_eq!(s.step_size(0), 0.1);
/// assert_eq!(s.step_size(2), 0.1 * 0.25);
/// assert_eq!(s.step_size(4), 0.0);
/// assert_eq!(s.step_size(9), 0.0);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Polynomial<F> {
    lr: F,
    total_iters: usize,
    power: F,
}

impl<F: Real> Polynomial<F> {
    /// Polynomial decay from `lr` to `0` over `total_iters` iterations with exponent `power`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` or `power` is
    /// negative or not finite, or `total_iters` is `0`.
    pub fn new(lr: F, total_iters: usize, power: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check_period("total_iters", total_iters)?;
        check("power", power, Domain::NonNegative)?;
        Ok(Polynomial {
            lr,
            total_iters,
            power,
        })
    }
}

impl<F: Real> Schedule<F> for Polynomial<F> {
    fn step_size(&mut self, t: usize) -> F {
        let done = F::from_count(t.min(self.total_iters)) / F::from_count(self.total_iters);
        self.lr * (F::one() - done).powf(self.power)
    }
}
