//! Observers: callbacks that see every iteration and may stop the run.

use std::io::Write;

use ndarray::ArrayView1;

use crate::Real;

/// What an observer sees at each iteration: the current iterate and what the loop knows of it.
///
/// For a rule with an [evaluation point](crate::Optimizer::evaluation_point) (the schedule-free
/// rules), the iterate is the point `y` where the rule takes gradients, and `f` is `f(y)`, not
/// `f` at the rule's evaluation point, which the [`Report`](crate::Report) gives at the end of
/// the run.
///
/// Built by the loop only (`#[non_exhaustive]`: fields may be added).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct IterationState<'s, F> {
    /// Number of steps taken so far (`0` at the starting point; in a resumed run, counted from
    /// the start of the run it continues).
    pub iteration: usize,
    /// Completed epochs (passes of the sampler over the data) of a minibatch run; `None` in a
    /// full-batch run.
    pub epoch: Option<usize>,
    /// `f(x)` (for a minibatch run, the loss of the last minibatch); with a penalty `h`
    /// ([`Minimizer::prox`](crate::Minimizer::prox)), `f(x) + h(x)`.
    pub f: F,
    /// The mean minibatch loss of the last completed epoch: the mean of the losses of its
    /// batches, each at the iterate where it was drawn (as PyTorch and Keras report a training
    /// epoch). `None` before the first epoch ends, and in full-batch runs.
    pub epoch_mean_loss: Option<F>,
    /// The last validation loss (see [`Minimizer::validation`](crate::Minimizer::validation)),
    /// evaluated at this iterate or at an earlier one; `None` before the first, or with no
    /// validation.
    pub validation_loss: Option<F>,
    /// The stationarity measure at `x`: the gradient norm, or the norm of the (proximal)
    /// gradient mapping with a penalty or a set (see
    /// [`Criteria`](crate::Criteria#the-stationarity-measure)).
    pub stationarity: F,
    /// The step size of the step that led to `x` (`0` at the starting point).
    pub step_size: F,
    /// The current iterate.
    pub x: ArrayView1<'s, F>,
    /// The gradient at `x` (for stochastic runs, the last minibatch gradient; for an
    /// [accelerated](crate::Minimizer::accelerate) run, the gradient at the extrapolated point
    /// the step to `x` was taken from).
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
/// A closure is the usual observer, given to [`Minimizer::observer`](crate::Minimizer::observer)
/// with no type annotation:
///
/// ```
/// use gradus::prelude::*;
/// use gradus::problems::Sphere;
/// use ndarray::Array1;
///
/// let mut best = f64::INFINITY;
/// let report = Minimizer::new(GradientDescent::default())
///     .lr(0.1)
///     .observer(|s| {
///         best = best.min(s.f);
///         if s.iteration == 5 { Control::Stop } else { Control::Continue }
///     })
///     .minimize(&Sphere::new(3), Array1::ones(3).view())
///     .unwrap();
/// assert_eq!(report.iterations, 5);
/// ```
///
/// A type that implements the trait (as [`Progress`] does) is given, and moved, to
/// [`Minimizer::observe_with`](crate::Minimizer::observe_with) (one that must be read after the
/// run is lent through a closure instead: `.observer(|s| counter.observe(s))`):
///
/// ```
/// use gradus::prelude::*;
/// use gradus::problems::Sphere;
/// use ndarray::Array1;
///
/// /// Stops the run once `f` has fallen below `1/4` of its first value.
/// struct Quarter { first: Option<f64> }
///
/// impl Observer<f64> for Quarter {
///     fn observe(&mut self, s: &IterationState<'_, f64>) -> Control {
///         let first = *self.first.get_or_insert(s.f);
///         if s.f < 0.25 * first { Control::Stop } else { Control::Continue }
///     }
/// }
///
/// // GD with step 1/4 on |x|² halves x: f_k = 4^-k, below 1/4 first at k = 2.
/// let report = Minimizer::new(GradientDescent::default())
///     .lr(0.25)
///     .observe_with(Quarter { first: None })
///     .minimize(&Sphere::new(1), Array1::ones(1).view())
///     .unwrap();
/// assert_eq!((report.termination, report.iterations), (Termination::StoppedByObserver, 2));
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
