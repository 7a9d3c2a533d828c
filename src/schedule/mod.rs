//! Step-size schedules: maps from the iteration number to a step size.
//!
//! A schedule holds its own base step size (as optax's schedules do) and answers, for every
//! iteration `t = 0, 1, 2, ...`, the step size `γ_t` the loop should use. Each schedule here
//! reproduces the PyTorch scheduler of the same name (`torch.optim.lr_scheduler`): the value at
//! iteration `t` is the learning rate PyTorch's optimizer holds after `t` calls of
//! `scheduler.step()` ([`ReduceOnPlateau`]: after one `scheduler.step(loss)` per observed loss).
//!
//! PyTorch computes most schedules *recursively* (each `step()` multiplies the previous learning
//! rate by a ratio); gradus evaluates the *closed form* (PyTorch's `_get_closed_form_lr`, used
//! when an epoch is passed to `step`) at every `t`. Both describe the same numbers; they can
//! differ in the last bits, because the recursion accumulates one rounding per step. Each
//! schedule's documentation says where that happens. Closed forms also let a schedule be asked
//! for any `t` in any order.
//!
//! The PyTorch column below is what each schedule reproduces; the last column names the nearest
//! optax or Keras relative, and each schedule's page says how close it is.
//!
//! | gradus | PyTorch | optax / Keras relative |
//! |---|---|---|
//! | [`Constant`] | (no scheduler) | `constant_schedule` |
//! | [`StepDecay`] | `StepLR` | `exponential_decay(staircase=True)` |
//! | [`MultiStep`] | `MultiStepLR` | `piecewise_constant_schedule` |
//! | [`Exponential`] | `ExponentialLR` | `exponential_decay` |
//! | [`InverseTime`] | — | Keras `InverseTimeDecay` |
//! | [`Polynomial`] | `PolynomialLR` | `polynomial_schedule` (`end_value = 0`) |
//! | [`CosineAnnealing`] | `CosineAnnealingLR` | `cosine_decay_schedule` (up to `T_max`) |
//! | [`CosineAnnealingWarmRestarts`] | `CosineAnnealingWarmRestarts` | `sgdr_schedule` |
//! | [`LinearWarmup`] | `LinearLR` + `SequentialLR` | `linear_schedule` + `join_schedules` |
//! | [`OneCycle`] | `OneCycleLR` | `cosine_onecycle_schedule` |
//! | [`PiecewiseConstant`] | — | `piecewise_constant_schedule`, Keras `PiecewiseConstantDecay` |
//! | [`ReduceOnPlateau`] | `ReduceLROnPlateau` | `contrib.reduce_on_plateau` |
//! | [`SwaLr`] | `swa_utils.SWALR` | — |
//!
//! Every constructor validates its arguments once and returns a typed [`Error`] naming the bad
//! value; after that, [`Schedule::step_size`] never fails, never panics, and returns a finite,
//! non-negative step size for every `t`.
//!
//! ```
//! use gradus::schedule::{CosineAnnealing, LinearWarmup, Schedule};
//!
//! // 5 steps of linear warmup from 0 to 0.1, then cosine annealing to 0 over 100 steps.
//! let mut s = LinearWarmup::from_value(CosineAnnealing::new(0.1_f64, 100, 0.0)?, 5, 0.0)?;
//! assert_eq!(s.step_size(0), 0.0);
//! assert!((s.step_size(3) - 0.06).abs() < 1e-15);
//! assert_eq!(s.step_size(5), 0.1);
//! assert!(s.step_size(105) < 1e-15);
//! # Ok::<(), gradus::Error>(())
//! ```

use crate::Real;
use crate::error::{Error, Result, check_count};

mod constant;
mod cosine;
mod exponential;
mod inverse_time;
mod multi_step;
mod one_cycle;
mod piecewise;
mod plateau;
mod polynomial;
mod step_decay;
mod swa;
mod warmup;

#[cfg(test)]
mod tests;

pub use constant::Constant;
pub use cosine::{CosineAnnealing, CosineAnnealingWarmRestarts};
pub use exponential::Exponential;
pub use inverse_time::InverseTime;
pub use multi_step::MultiStep;
pub use one_cycle::{Anneal, OneCycle, OneCycleConfig};
pub use piecewise::PiecewiseConstant;
pub use plateau::{PlateauMode, ReduceOnPlateau, ReduceOnPlateauConfig, ThresholdMode};
pub use polynomial::Polynomial;
pub use step_decay::StepDecay;
pub use swa::SwaLr;
pub use warmup::LinearWarmup;

/// A step-size schedule: the step size `γ_t` to use at iteration `t` (`t = 0` is the first step).
///
/// Schedules hold their own base step size (as optax does), so a schedule alone says which step
/// sizes a run uses. Those that react to the loss (reduce-on-plateau) receive every observed
/// loss through [`observe`](Schedule::observe) before the step size of the next iteration is
/// asked for.
///
/// The methods have no precondition: every `t` (up to `usize::MAX`, in any order) and every
/// loss (NaN and infinities included) are accepted, and the schedules of this module return
/// a finite step size `>= 0` for each.
pub trait Schedule<F: Real> {
    /// The step size for iteration `t`.
    fn step_size(&mut self, t: usize) -> F;

    /// Receives the loss observed at the current iterate; the default ignores it. A NaN loss
    /// is never an improvement.
    fn observe(&mut self, loss: F) {
        let _ = loss;
    }

    /// Forgets any state gathered from [`observe`](Schedule::observe).
    fn reset(&mut self) {}
}

impl<F: Real, S: Schedule<F> + ?Sized> Schedule<F> for Box<S> {
    fn step_size(&mut self, t: usize) -> F {
        (**self).step_size(t)
    }
    fn observe(&mut self, loss: F) {
        (**self).observe(loss)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// Validates a count of iterations that is a period or a length: at least 1.
fn check_period(name: &'static str, value: usize) -> Result<()> {
    check_count(name, value, 1)
}

/// Validates a list of iteration numbers: not empty when `nonempty`, strictly increasing.
fn check_increasing(name: &'static str, values: &[usize], nonempty: bool) -> Result<()> {
    if nonempty && values.is_empty() {
        return Err(Error::Empty { what: name });
    }
    match (1..values.len()).find(|&i| values[i] <= values[i - 1]) {
        None => Ok(()),
        Some(index) => Err(Error::InvalidEntry {
            name,
            index,
            value: values[index] as f64,
            expected: "larger than the one before (strictly increasing)",
        }),
    }
}

/// `η_min + (η_max - η_min) (1 + cos(π c / T)) / 2`, evaluated in PyTorch's order. When that
/// order overflows (step sizes near the largest float), the halving is done first and the result
/// kept between `η_min` and `η_max`, where it lies mathematically.
fn cosine_between<F: Real>(eta_max: F, eta_min: F, c: usize, period: usize) -> F {
    let pi = F::lit(std::f64::consts::PI);
    let two = F::lit(2.0);
    let one_plus_cos = F::one() + (pi * F::from_count(c) / F::from_count(period)).cos();
    let value = eta_min + (eta_max - eta_min) * one_plus_cos / two;
    if value.is_finite() {
        value
    } else {
        let (lo, hi) = (eta_min.min(eta_max), eta_min.max(eta_max));
        (eta_min + (eta_max - eta_min) * (one_plus_cos / two))
            .min(hi)
            .max(lo)
    }
}

/// `value`, an interpolation between `a` and `b`; if rounding carried it past the largest float
/// (only possible when `a` or `b` is within an ulp or so of it), the larger of `a` and `b`.
fn finite_between<F: Real>(value: F, a: F, b: F) -> F {
    if value.is_finite() { value } else { a.max(b) }
}
