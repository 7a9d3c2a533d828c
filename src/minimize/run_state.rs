//! The state a run leaves behind, from which another run goes on.

use ndarray::ArrayView1;

use super::oracle::Evaluations;
use super::run::State;
use super::stochastic::SamplerState;
use crate::Real;
use crate::error::{Error, Result};

/// Where a run stopped, with everything the loop needs to go on from there as if it had never
/// stopped: the iterate, its gradient and the previous iterate, the iteration and evaluation
/// counts, the values the criteria are relative to, the best iterate so far and early
/// stopping's count; and, for a minibatch run, the sampler (its generator, the permutation and
/// the position in the epoch, the epoch count and loss) and its estimator's SVRG snapshot or
/// SAGA table.
///
/// The [`Minimizer`](crate::Minimizer) keeps the state of its last run;
/// [`resume`](crate::Minimizer::resume) and
/// [`resume_finite_sum`](crate::Minimizer::resume_finite_sum) go on from it, so that `N`
/// iterations and then `M` more give the same bits as `N + M` in one run.
/// [`run_state`](crate::Minimizer::run_state), [`take_run_state`](crate::Minimizer::take_run_state)
/// and [`set_run_state`](crate::Minimizer::set_run_state) take it out and put it in, to keep it
/// in memory or (with the `serde` feature, which derives `Serialize` and `Deserialize` for it)
/// on disk.
///
/// It does not hold the update rule, the schedule or the line search, which keep their own
/// state inside the `Minimizer` (and go on too when the same `Minimizer` resumes): a run resumed
/// in another `Minimizer` gives the same bits only if its rule, schedule and line search carry
/// the same state.
///
/// ```
/// use gradus::prelude::*;
/// use gradus::problems::Rosenbrock;
/// use ndarray::array;
///
/// let f = Rosenbrock::new(2);
/// let x0 = array![-1.2, 1.0];
/// let mut whole = Minimizer::new(Adam::default()).lr(0.01).max_iterations(200);
/// let uninterrupted = whole.minimize(&f, x0.view())?;
///
/// let mut parts = Minimizer::new(Adam::default()).lr(0.01).max_iterations(100);
/// parts.minimize(&f, x0.view())?;
/// assert_eq!(parts.run_state().unwrap().iteration(), 100);
/// let resumed = parts.max_iterations(200).resume(&f)?;
/// assert_eq!(resumed.iterations, 200);
/// assert_eq!(resumed.x, uninterrupted.x); // bit for bit
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(deserialize = "F: serde::Deserialize<'de> + crate::Real"))
)]
pub struct RunState<F> {
    pub(super) state: State<F>,
    /// The evaluation counts of a full-batch run (a minibatch run's are in its sampler).
    pub(super) evaluations: Evaluations,
    /// The sampler of a minibatch run.
    pub(super) sampler: Option<SamplerState<F>>,
}

impl<F: Real> RunState<F> {
    /// Steps taken since the start of the run.
    pub fn iteration(&self) -> usize {
        self.state.iteration
    }

    /// Completed epochs of a minibatch run; `None` for a full-batch run.
    pub fn epoch(&self) -> Option<usize> {
        self.sampler.as_ref().map(SamplerState::epoch)
    }

    /// The current iterate.
    pub fn x(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&self.state.x[..])
    }

    /// `f` at the current iterate (for a minibatch run, the loss of the last minibatch), plus
    /// the penalty `h` there when the run has one.
    pub fn f(&self) -> F {
        self.state.f
    }

    /// Number of variables.
    pub fn dim(&self) -> usize {
        self.state.x.len()
    }

    /// `true` for the state of a minibatch run.
    pub fn is_minibatch(&self) -> bool {
        self.sampler.is_some()
    }

    /// Checks that the state is of the kind a resumed run needs (`minibatch`).
    ///
    /// # Errors
    /// [`Error::Incompatible`] naming the method that resumes it.
    pub(super) fn check_kind(&self, minibatch: bool) -> Result<()> {
        match (self.is_minibatch(), minibatch) {
            (true, false) => Err(Error::Incompatible {
                reason: "the run state is that of a minibatch run: resume it with \
                         resume_finite_sum, over the same finite sum",
            }),
            (false, true) => Err(Error::Incompatible {
                reason: "the run state is that of a full-batch run: resume it with resume, \
                         on the same objective",
            }),
            _ => Ok(()),
        }
    }
}

/// The error of a resume with no state to go on from.
pub(super) fn nothing_to_resume() -> Error {
    Error::Incompatible {
        reason: "there is no run to resume: run minimize or minimize_finite_sum first, or put a \
                 saved state in with set_run_state",
    }
}
