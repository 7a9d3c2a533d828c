//! Linear warmup in front of any schedule.

use super::{Schedule, finite_between};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Where a [`LinearWarmup`] starts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum Start<F> {
    /// `start_factor · γ_peak` (PyTorch's `LinearLR`).
    Factor(F),
    /// A fixed value (optax's `linear_schedule`).
    Value(F),
}

/// Linear warmup in front of any schedule: the step size rises linearly over `warmup`
/// iterations to the first value of the inner schedule, which then runs, shifted by `warmup`.
///
/// With `γ_peak = inner(0)` and `W = warmup`:
///
/// ```text
/// γ_t = start ramp (below)   for t < W
/// γ_t = inner(t - W)         for t >= W
/// ```
///
/// The ramp comes in two forms, each evaluated in the order its library uses:
///
/// * [`from_factor`](LinearWarmup::from_factor): `γ_t = γ_peak · (s + (1 - s) · t / W)`,
///   starting from `s · γ_peak`. This is PyTorch's
///   `SequentialLR([LinearLR(start_factor=s, end_factor=1, total_iters=W), inner],
///   milestones=[W])` with the inner scheduler's base rate as the optimizer's `lr`: `LinearLR`
///   up to `W`, then the inner scheduler restarted at its epoch 0. This is the combination
///   gradus reproduces exactly: the ramp is `LinearLR`'s closed form and the inner schedule its
///   own closed form, the same expressions in the same order, so they give PyTorch's
///   `_get_closed_form_lr` values; PyTorch's default recursive stepping of both agrees with
///   them up to rounding.
/// * [`from_value`](LinearWarmup::from_value): `γ_t = (v₀ - γ_peak) · (1 - t / W) + γ_peak`,
///   starting from `v₀`. This is optax's `join_schedules([linear_schedule(v₀, γ_peak, W), inner],
///   [W])`. With a [`CosineAnnealing`](super::CosineAnnealing) inner schedule of
///   `T_max = decay_steps - W` and `η_min = end_value` it is optax's
///   `warmup_cosine_decay_schedule(v₀, γ_peak, W, decay_steps, end_value)`: the warmup is the
///   same expression (so the same values), the cosine the same values up to rounding until
///   `decay_steps`, after which optax holds `end_value` while the PyTorch cosine climbs again.
///
/// `warmup = 0` means no warmup: `γ_t = inner(t)`.
///
/// Observed losses are passed on to the inner schedule only once it is in charge, that is
/// after the step size of iteration `W - 1` has been asked for, so that a loss-driven inner
/// schedule (such as [`ReduceOnPlateau`](super::ReduceOnPlateau)) starts at `t = W` as if
/// it had run alone from there. [`reset`](Schedule::reset) resets the inner schedule.
///
/// ```
/// use gradus::schedule::{LinearWarmup, Schedule, StepDecay};
///
/// // Warm up from 0.1 · 0.2 = 0.02 to 0.2 over 4 steps, then halve every 10 steps.
/// let mut s = LinearWarmup::from_factor(StepDecay::new(0.2_f64, 10, 0.5)?, 4, 0.1)?;
/// assert!((s.step_size(0) - 0.02).abs() < 1e-16);
/// assert!((s.step_size(2) - 0.11).abs() < 1e-16);
/// assert_eq!(s.step_size(4), 0.2);
/// assert_eq!(s.step_size(14), 0.1);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearWarmup<F, S> {
    inner: S,
    warmup: usize,
    start: Start<F>,
    /// One past the last iteration whose step size was asked for.
    next: usize,
}

impl<F: Real, S: Schedule<F>> LinearWarmup<F, S> {
    /// Warmup from `start_factor · inner(0)` to `inner(0)` over `warmup` iterations, then
    /// `inner(t - warmup)` (PyTorch's `LinearLR` + `SequentialLR`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `start_factor` is not in
    /// `[0, 1]`. (PyTorch's `LinearLR` rejects `0` because of its recursive form; the closed
    /// form used here has no trouble with it.)
    pub fn from_factor(inner: S, warmup: usize, start_factor: F) -> Result<Self> {
        check("start_factor", start_factor, Domain::ClosedUnitInterval)?;
        Ok(Self::build(inner, warmup, Start::Factor(start_factor)))
    }

    /// Warmup from `start_value` to `inner(0)` over `warmup` iterations, then
    /// `inner(t - warmup)` (optax's `linear_schedule` + `join_schedules`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `start_value` is negative
    /// or not finite.
    pub fn from_value(inner: S, warmup: usize, start_value: F) -> Result<Self> {
        check("start_value", start_value, Domain::NonNegative)?;
        Ok(Self::build(inner, warmup, Start::Value(start_value)))
    }

    fn build(inner: S, warmup: usize, start: Start<F>) -> Self {
        LinearWarmup {
            inner,
            warmup,
            start,
            next: 0,
        }
    }

    /// The inner schedule.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Gives the inner schedule back.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<F: Real, S: Schedule<F>> Schedule<F> for LinearWarmup<F, S> {
    fn step_size(&mut self, t: usize) -> F {
        self.next = t.saturating_add(1);
        if t >= self.warmup {
            return self.inner.step_size(t - self.warmup);
        }
        let peak = self.inner.step_size(0);
        let (t, w) = (F::from_count(t), F::from_count(self.warmup));
        match self.start {
            // PyTorch's order: base_lr * (s + (e - s) * t / W) with e = 1.
            Start::Factor(s) => finite_between(peak * (s + (F::one() - s) * t / w), peak, peak),
            // optax's order: (init - end) * (1 - t / W) + end.
            Start::Value(v) => finite_between((v - peak) * (F::one() - t / w) + peak, v, peak),
        }
    }

    fn observe(&mut self, loss: F) {
        if self.next >= self.warmup {
            self.inner.observe(loss);
        }
    }

    fn reset(&mut self) {
        self.next = 0;
        self.inner.reset();
    }
}
