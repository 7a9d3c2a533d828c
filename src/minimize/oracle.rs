//! What the loop evaluates: the objective itself, or minibatches of a finite sum.

use crate::curvature::{self, CurvatureConfig, SecondOrderCertificate};
use crate::error::Result;
use ndarray::{ArrayView1, ArrayViewMut1};

use super::SamplingReport;
use crate::Real;
use crate::objective::Objective;

/// Evaluation counters of a run.
#[derive(Debug, Default, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) struct Evaluations {
    pub(super) function: usize,
    pub(super) gradient: usize,
}

/// What the loop evaluates: the full objective ([`Full`]) or minibatches of a finite sum
/// ([`Sampled`](super::stochastic::Sampled)). The loop is the same for both.
pub(super) trait Oracle<F: Real> {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// `f` and `∇f` at `x` (for a sampled oracle: on the next minibatch).
    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) -> F;
    /// `f` at `x` (used by line searches, which only exact oracles allow).
    fn value(&mut self, x: ArrayView1<'_, F>) -> F;
    /// `∇f` at `x`.
    fn gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>);
    /// (function evaluations, gradient evaluations) so far.
    fn counts(&self) -> (usize, usize);
    /// `true` if values are minibatch estimates.
    fn is_sampled(&self) -> bool {
        false
    }
    /// Completed epochs.
    fn epoch(&self) -> usize {
        0
    }
    /// The mean minibatch loss of the last completed epoch, if one has been completed.
    fn epoch_mean_loss(&self) -> Option<F> {
        None
    }
    /// After an evaluation: the mean minibatch loss of the epoch that just ended, if one did.
    fn end_of_epoch(&mut self) -> Option<F> {
        None
    }
    /// `true` if a full check of a sampled run is due now (`at_start`: at the starting point).
    fn full_check_due(&self, at_start: bool) -> bool {
        let _ = at_start;
        false
    }
    /// The full `f` at `x`, leaving the full gradient in [`full_gradient`](Oracle::full_gradient).
    fn full_evaluation(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
    /// The full gradient computed by the last [`full_evaluation`](Oracle::full_evaluation).
    fn full_gradient(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&[])
    }
    /// Sampling statistics for the report.
    fn sampling_report(&self) -> Option<SamplingReport> {
        None
    }

    /// The second-order certificate of `x` (its gradient evaluations counted), for an exact
    /// oracle; `None` for minibatches.
    fn certify(
        &mut self,
        x: ArrayView1<'_, F>,
        config: &CurvatureConfig<F>,
    ) -> Option<Result<SecondOrderCertificate<F>>> {
        let _ = (x, config);
        None
    }
}

/// The exact oracle: the objective itself.
pub(super) struct Full<'o, F, Obj: ?Sized> {
    pub(super) objective: &'o Obj,
    pub(super) evals: Evaluations,
    /// Lent to [`Objective::value_with_scratch`] where the value alone is needed (empty unless
    /// the run has a line search).
    scratch: Vec<F>,
}

impl<'o, F: Real, Obj: Objective<F> + ?Sized> Full<'o, F, Obj> {
    /// The oracle of `objective` with the counts `evals` so far, and a scratch buffer for
    /// value-only evaluations when `values_alone` (a line search asks for them).
    pub(super) fn new(objective: &'o Obj, evals: Evaluations, values_alone: bool) -> Self {
        Full {
            objective,
            evals,
            scratch: vec![F::zero(); if values_alone { objective.dim() } else { 0 }],
        }
    }
}

impl<F: Real, Obj: Objective<F> + ?Sized> Oracle<F> for Full<'_, F, Obj> {
    #[inline]
    fn dim(&self) -> usize {
        self.objective.dim()
    }
    #[inline]
    fn value_and_gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) -> F {
        self.evals.function += 1;
        self.evals.gradient += 1;
        self.objective.value_and_gradient(x, g)
    }
    #[inline]
    fn value(&mut self, x: ArrayView1<'_, F>) -> F {
        self.evals.function += 1;
        if self.scratch.len() == x.len() {
            self.objective
                .value_with_scratch(x, ArrayViewMut1::from(&mut self.scratch[..]))
        } else {
            self.objective.value(x)
        }
    }
    #[inline]
    fn gradient(&mut self, x: ArrayView1<'_, F>, g: ArrayViewMut1<'_, F>) {
        self.evals.gradient += 1;
        self.objective.gradient(x, g)
    }
    #[inline]
    fn counts(&self) -> (usize, usize) {
        (self.evals.function, self.evals.gradient)
    }

    fn certify(
        &mut self,
        x: ArrayView1<'_, F>,
        config: &CurvatureConfig<F>,
    ) -> Option<Result<SecondOrderCertificate<F>>> {
        let certificate = curvature::certify(self.objective, x, config);
        if let Ok(c) = &certificate {
            self.evals.gradient += c.gradient_evaluations;
        }
        Some(certificate)
    }
}
