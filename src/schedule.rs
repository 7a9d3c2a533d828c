//! Step-size schedules: maps from the iteration number to a step size.

use crate::Real;

/// A step-size schedule: the step size `γ_t` to use at iteration `t` (`t = 0` is the first step).
///
/// Schedules hold their own base step size (as optax does), so a schedule alone says which step
/// sizes a run uses. Those that react to the loss (reduce-on-plateau) receive every observed
/// loss through [`observe`](Schedule::observe) before the step size of the next iteration is
/// asked for.
pub trait Schedule<F: Real> {
    /// The step size for iteration `t`.
    fn step_size(&mut self, t: usize) -> F;

    /// Receives the loss observed at the current iterate; the default ignores it.
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
