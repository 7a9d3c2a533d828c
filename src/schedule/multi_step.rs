//! Multi-step decay: multiply by `gamma` at each milestone.

use super::{Schedule, check_increasing};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Multi-step decay: the step size is multiplied by `gamma` at each milestone.
///
/// ```text
/// γ_t = lr · gamma^|{ m ∈ milestones : m <= t }|
/// ```
///
/// This is PyTorch's `MultiStepLR(optimizer, milestones, gamma)`, evaluated in its closed form
/// `base_lr * gamma ** bisect_right(milestones, t)`; PyTorch's recursive form multiplies the
/// current rate by `gamma` at each milestone and can differ in the last bits. optax's
/// `piecewise_constant_schedule(lr, {m: gamma for m in milestones})` gives the same values, up to
/// the rounding of its running product.
///
/// ```
/// use gradus::schedule::{MultiStep, Schedule};
///
/// let mut s = MultiStep::new(0.05_f64, vec![30, 80], 0.1)?;
/// assert_eq!(s.step_size(29), 0.05);
/// assert!((s.step_size(30) - 0.005).abs() < 1e-17);
/// assert!((s.step_size(80) - 0.0005).abs() < 1e-18);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MultiStep<F> {
    lr: F,
    milestones: Vec<usize>,
    gamma: F,
}

impl<F: Real> MultiStep<F> {
    /// Multi-step decay from `lr`, by the factor `gamma` at each of the strictly increasing
    /// `milestones` (PyTorch's default `gamma` is `0.1`).
    ///
    /// # Errors
    /// [`Error::Empty`](crate::Error::Empty) if `milestones` is empty;
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` is negative or not
    /// finite, `gamma` is not in `(0, 1]`, or the milestones are not strictly increasing (the
    /// error names the first milestone out of order). PyTorch counts a repeated milestone twice;
    /// here a repeat is an error.
    pub fn new(lr: F, milestones: Vec<usize>, gamma: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check_increasing("milestones", &milestones, true)?;
        check("gamma", gamma, Domain::DecayFactor)?;
        Ok(MultiStep {
            lr,
            milestones,
            gamma,
        })
    }

    /// The milestones.
    pub fn milestones(&self) -> &[usize] {
        &self.milestones
    }
}

impl<F: Real> Schedule<F> for MultiStep<F> {
    fn step_size(&mut self, t: usize) -> F {
        let passed = self.milestones.partition_point(|&m| m <= t);
        self.lr * self.gamma.powf(F::from_count(passed))
    }
}
