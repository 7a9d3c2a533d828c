//! Observers: callbacks that see every iteration and may stop the run.

use std::io::Write;

use ndarray::ArrayView1;

use crate::Real;

/// What an observer sees at each iteration: the current iterate and what the loop knows of it.
#[derive(Debug, Clone, Copy)]
pub struct IterationState<'s, F> {
    /// Number of steps taken so far (`0` at the starting point).
    pub iteration: usize,
    /// `f(x)`.
    pub f: F,
    /// The stationarity measure at `x`: the gradient norm, or the norm of the gradient mapping
    /// when projecting (see [`Criteria`](crate::Criteria#the-stationarity-measure)).
    pub stationarity: F,
    /// The step size of the step that led to `x` (`0` at the starting point).
    pub step_size: F,
    /// The current iterate.
    pub x: ArrayView1<'s, F>,
    /// The gradient at `x` (for stochastic runs, the last minibatch gradient).
    pub gradient: ArrayView1<'s, F>,
    /// Function evaluations so far.
    pub function_evaluations: usize,
    /// Gradient evaluations so far.
    pub gradient_evaluations: usize,
}

/// An observer's answer: go on, or stop the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop with [`Termination::StoppedByObserver`](crate::Termination::StoppedByObserver).
    Stop,
}

/// A callback run once per iteration, before the convergence checks.
///
/// Any `FnMut(&IterationState<F>) -> Control` closure is an observer:
///
/// ```
/// use gradus::{Control, GradientDescent, Minimizer, problems::Sphere};
/// use ndarray::Array1;
///
/// let mut best = f64::INFINITY;
/// let report = Minimizer::new(GradientDescent::default())
///     .lr(0.1)
///     .observer(|s: &gradus::IterationState<f64>| {
///         best = best.min(s.f);
///         if s.iteration == 5 { Control::Stop } else { Control::Continue }
///     })
///     .minimize(&Sphere::new(3), Array1::ones(3).view())
///     .unwrap();
/// assert_eq!(report.iterations, 5);
/// ```
pub trait Observer<F: Real> {
    /// Called with the state of the current iterate; return [`Control::Stop`] to end the run.
    fn observe(&mut self, state: &IterationState<'_, F>) -> Control;
}

impl<F: Real, T: FnMut(&IterationState<'_, F>) -> Control> Observer<F> for T {
    fn observe(&mut self, state: &IterationState<'_, F>) -> Control {
        self(state)
    }
}

/// Prints one line every `every` iterations to standard error:
/// iteration, `f`, stationarity, step size and evaluations.
#[derive(Debug, Clone)]
pub struct Progress {
    every: usize,
}

impl Progress {
    /// Prints every `every` iterations (`0` is taken as `1`).
    pub fn every(every: usize) -> Self {
        Progress {
            every: every.max(1),
        }
    }
}

impl<F: Real> Observer<F> for Progress {
    fn observe(&mut self, s: &IterationState<'_, F>) -> Control {
        if s.iteration.is_multiple_of(self.every) {
            let mut err = std::io::stderr().lock();
            // A failed write to stderr must not stop the optimisation.
            let _ = writeln!(
                err,
                "iter {:>8}  f {:>14.6e}  stationarity {:>10.3e}  step {:>10.3e}  evals {:>8}",
                s.iteration, s.f, s.stationarity, s.step_size, s.function_evaluations
            );
        }
        Control::Continue
    }
}
