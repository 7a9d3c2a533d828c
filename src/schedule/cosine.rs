//! Cosine annealing, without and with warm restarts (SGDR).

use super::{Schedule, check_period, cosine_between};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Cosine annealing from `lr` to `eta_min` over `t_max` iterations
/// (Loshchilov and Hutter, *SGDR: Stochastic Gradient Descent with Warm Restarts*, ICLR 2017).
///
/// ```text
/// γ_t = η_min + (lr - η_min) (1 + cos(π t / T_max)) / 2
/// ```
///
/// This is PyTorch's `CosineAnnealingLR(optimizer, T_max, eta_min)` in its closed form,
/// evaluated in the same order, so `γ_{T_max} = η_min`. As in PyTorch the formula is not
/// stopped at `T_max`: past it the cosine goes on and the step size climbs back to `lr` at
/// `2 T_max` (PyTorch's recursive form follows the same curve, up to the rounding it accumulates
/// over the steps). optax's `cosine_decay_schedule(lr, T_max, alpha = η_min / lr)` gives the same
/// values up to `T_max` (up to rounding) and holds `η_min` after it.
///
/// ```
/// use gradus::schedule::{CosineAnnealing, Schedule};
///
/// let mut s = CosineAnnealing::new(0.1_f64, 10, 0.001)?;
/// assert_eq!(s.step_size(0), 0.1);
/// assert!((s.step_size(5) - 0.0505).abs() < 1e-15);
/// assert!((s.step_size(10) - 0.001).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CosineAnnealing<F> {
    lr: F,
    t_max: usize,
    eta_min: F,
}

impl<F: Real> CosineAnnealing<F> {
    /// Cosine annealing from `lr` down to `eta_min` over `t_max` iterations (PyTorch's default
    /// `eta_min` is `0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` or `eta_min` is
    /// negative or not finite, or `t_max` is `0`.
    pub fn new(lr: F, t_max: usize, eta_min: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check_period("t_max", t_max)?;
        check("eta_min", eta_min, Domain::NonNegative)?;
        Ok(CosineAnnealing { lr, t_max, eta_min })
    }
}

impl<F: Real> Schedule<F> for CosineAnnealing<F> {
    fn step_size(&mut self, t: usize) -> F {
        cosine_between(self.lr, self.eta_min, t, self.t_max)
    }
}

/// Cosine annealing with warm restarts, SGDR (Loshchilov and Hutter, *SGDR: Stochastic Gradient
/// Descent with Warm Restarts*, ICLR 2017).
///
/// The iterations are cut into cycles of lengths `T_0, T_0·T_mult, T_0·T_mult², ...`; in each
/// cycle the step size anneals from `lr` towards `eta_min` and then jumps back to `lr`:
///
/// ```text
/// γ_t = η_min + (lr - η_min) (1 + cos(π T_cur / T_i)) / 2
/// ```
///
/// where `T_i` is the length of the cycle that `t` falls in and `T_cur` the number of
/// iterations since that cycle began (`T_cur = t mod T_0` when `T_mult = 1`). This is PyTorch's
/// `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult, eta_min)` stepped once per iteration;
/// gradus finds the cycle with integer arithmetic, which is what PyTorch's per-step counter does
/// (its fractional-epoch path uses a floating-point logarithm instead). optax's `sgdr_schedule`
/// with cycles of these lengths and no warmup gives the same values up to rounding.
///
/// ```
/// use gradus::schedule::{CosineAnnealingWarmRestarts, Schedule};
///
/// // Cycles of 2, 4, 8, ... iterations.
/// let mut s = CosineAnnealingWarmRestarts::new(1.0_f64, 2, 2, 0.0)?;
/// assert_eq!(s.step_size(0), 1.0);
/// assert!((s.step_size(1) - 0.5).abs() < 1e-15);
/// assert_eq!(s.step_size(2), 1.0); // restart
/// assert!((s.step_size(4) - 0.5).abs() < 1e-15); // middle of the second cycle
/// assert_eq!(s.step_size(6), 1.0); // restart
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CosineAnnealingWarmRestarts<F> {
    lr: F,
    t_0: usize,
    t_mult: usize,
    eta_min: F,
}

impl<F: Real> CosineAnnealingWarmRestarts<F> {
    /// Warm restarts with a first cycle of `t_0` iterations, each cycle `t_mult` times longer
    /// than the one before (PyTorch's defaults: `t_mult = 1`, `eta_min = 0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr` or `eta_min` is
    /// negative or not finite, or `t_0` or `t_mult` is `0`.
    pub fn new(lr: F, t_0: usize, t_mult: usize, eta_min: F) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check_period("t_0", t_0)?;
        check_period("t_mult", t_mult)?;
        check("eta_min", eta_min, Domain::NonNegative)?;
        Ok(CosineAnnealingWarmRestarts {
            lr,
            t_0,
            t_mult,
            eta_min,
        })
    }

    /// `(T_cur, T_i)`: the position of `t` in its cycle and the length of that cycle; `None`
    /// for periods of zero, which the constructor refuses but an edited file may hold (the
    /// cycles would never advance).
    fn cycle(&self, t: usize) -> Option<(usize, usize)> {
        if self.t_0 == 0 || self.t_mult == 0 {
            return None;
        }
        Some(self.cycle_of(t))
    }

    fn cycle_of(&self, t: usize) -> (usize, usize) {
        if self.t_mult == 1 {
            return (t % self.t_0, self.t_0);
        }
        let (mut start, mut len) = (0usize, self.t_0);
        loop {
            match start.checked_add(len) {
                Some(end) if t >= end => {
                    start = end;
                    match len.checked_mul(self.t_mult) {
                        Some(next) => len = next,
                        // The next cycle is longer than any count: t lies in it.
                        None => return (t - start, usize::MAX),
                    }
                }
                _ => return (t - start, len),
            }
        }
    }
}

impl<F: Real> Schedule<F> for CosineAnnealingWarmRestarts<F> {
    fn step_size(&mut self, t: usize) -> F {
        match self.cycle(t) {
            Some((t_cur, t_i)) => cosine_between(self.lr, self.eta_min, t_cur, t_i),
            // A step size the loop refuses with a typed error.
            None => F::nan(),
        }
    }
}
