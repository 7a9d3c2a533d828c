//! The step size of stochastic weight averaging.

use super::{Anneal, Schedule, finite_between};
use crate::Real;
use crate::error::{Domain, Result, check};

/// The schedule of stochastic weight averaging (Izmailov et al., 2018): anneals the step size
/// from `lr` to `swa_lr` over `anneal_epochs` iterations, then holds `swa_lr`,
///
/// ```text
/// γ_t = swa_lr · α(s) + lr · (1 - α(s)),   s = min(t, anneal_epochs) / anneal_epochs
/// α(s) = (1 - cos(π s)) / 2  (Anneal::Cos),   α(s) = s  (Anneal::Linear)
/// ```
///
/// and `γ_t = swa_lr` for every `t` when `anneal_epochs = 0`. This is PyTorch's
/// `torch.optim.swa_utils.SWALR(optimizer, swa_lr, anneal_epochs, anneal_strategy)` (defaults
/// `anneal_epochs = 10`, `"cos"`), with `lr` the learning rate the optimizer held when the
/// scheduler was built (PyTorch recovers it at each step from the current one): the value at
/// `t` is the learning rate after `t` calls of `scheduler.step()`. PyTorch's recursive form can
/// differ from this closed form in the last bits.
///
/// It is the schedule of the averaging phase of [`Averaging::Swa`](crate::Averaging::Swa): a
/// high constant (or cyclic) step size whose iterates [`Averaged`](crate::Averaged) averages.
/// Before the averaging phase, another schedule is in charge; in the loop, the step count `t`
/// starts at the run's first iteration.
///
/// ```
/// use gradus::schedule::{Anneal, Schedule, SwaLr};
///
/// // From 0.1 to 0.05 over 4 iterations, linearly.
/// let mut s = SwaLr::new(0.1_f64, 0.05, 4, Anneal::Linear)?;
/// assert_eq!(s.step_size(0), 0.1);
/// assert!((s.step_size(2) - 0.075).abs() < 1e-15);
/// assert_eq!(s.step_size(4), 0.05);
/// assert_eq!(s.step_size(100), 0.05);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SwaLr<F> {
    lr: F,
    swa_lr: F,
    anneal_epochs: usize,
    anneal: Anneal,
}

impl<F: Real> SwaLr<F> {
    /// Anneals from `lr` to `swa_lr` over `anneal_epochs` iterations (`0`: `swa_lr` at once) as
    /// `anneal` says (PyTorch's `anneal_strategy`: [`Anneal::Cos`] is `"cos"`, the default).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` or `swa_lr` is
    /// negative or not finite.
    pub fn new(lr: F, swa_lr: F, anneal_epochs: usize, anneal: Anneal) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check("swa_lr", swa_lr, Domain::NonNegative)?;
        Ok(SwaLr {
            lr,
            swa_lr,
            anneal_epochs,
            anneal,
        })
    }
}

impl<F: Real> Schedule<F> for SwaLr<F> {
    fn step_size(&mut self, t: usize) -> F {
        // PyTorch: step = max(1, step) when anneal_epochs = 0, so that t = 1 at once.
        let s = if self.anneal_epochs == 0 {
            F::one()
        } else {
            F::from_count(t.min(self.anneal_epochs)) / F::from_count(self.anneal_epochs)
        };
        let alpha = match self.anneal {
            Anneal::Cos => (F::one() - (F::lit(std::f64::consts::PI) * s).cos()) / F::lit(2.0),
            Anneal::Linear => s,
        };
        let value = self.swa_lr * alpha + self.lr * (F::one() - alpha);
        // Rounding may leave the interval by an ulp (at an end, α is exactly 0 or 1).
        finite_between(value, self.lr, self.swa_lr).max(F::zero())
    }
}
