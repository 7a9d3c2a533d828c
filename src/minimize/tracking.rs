//! What a run keeps besides its iterate: the best iterate so far, and the validation loss with
//! the patience count of early stopping.
//!
//! The best iterate is kept without a copy per iteration. While the current iterate is the best
//! one, it is not copied at all; when the loop moves on from it to a point that is not better,
//! the best one still sits in the loop's previous-iterate buffer, and is copied from there into
//! a buffer allocated once for the run. So each improvement costs at most one copy of `n`
//! values, made once the improved iterate is about to be overwritten, and none when the next
//! iterate improves again (a descent method that improves at every step copies nothing).

use ndarray::ArrayView1;

use crate::Real;

/// What the best iterate of a run is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) enum BestBy {
    /// The validation loss, where it is evaluated.
    Validation,
    /// `f`: at every iterate of a full-batch run, at the full checks of a minibatch run.
    Loss,
}

/// Where the best iterate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) enum BestAt {
    /// No iterate has been judged yet (or none had a value below `+∞`).
    Nowhere,
    /// The current iterate `x_k` is the best one.
    Current,
    /// The best iterate is in the tracking buffer.
    Buffer,
}

/// The best iterate so far, and the state of early stopping.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) struct Tracking<F> {
    /// What the best iterate is judged by; `None`: nothing is tracked.
    pub(super) by: Option<BestBy>,
    /// The best value so far (`+∞` before any).
    pub(super) value: F,
    /// The iteration of the best iterate.
    pub(super) iteration: usize,
    pub(super) at: BestAt,
    /// The best iterate when `at` is [`BestAt::Buffer`]: `n` values when anything is tracked,
    /// allocated once, when the run starts.
    pub(super) buffer: Vec<F>,
    /// The last validation loss.
    pub(super) validation_loss: Option<F>,
    /// The reference of early stopping: the last validation loss that improved on the reference
    /// before it by more than `min_delta` (`+∞` before any).
    pub(super) reference: F,
    /// Validation evaluations since the reference last improved.
    pub(super) wait: usize,
}

impl<F: Real> Tracking<F> {
    /// Nothing judged yet; a buffer of `n` values when `by` is set.
    pub(super) fn new(by: Option<BestBy>, n: usize) -> Self {
        Tracking {
            by,
            value: F::infinity(),
            iteration: 0,
            at: BestAt::Nowhere,
            buffer: vec![F::zero(); if by.is_some() { n } else { 0 }],
            validation_loss: None,
            reference: F::infinity(),
            wait: 0,
        }
    }

    /// The value the best iterate is judged by at the current iterate, if it has one:
    /// `validation` when a validation loss was evaluated there, `measured` when the loop knows
    /// `f` of the full objective there.
    #[inline]
    pub(super) fn candidate(&self, validation: Option<F>, measured: Option<F>) -> Option<F> {
        match self.by {
            Some(BestBy::Validation) => validation,
            Some(BestBy::Loss) => measured,
            None => None,
        }
    }

    /// Judges the starting point (`iteration` of the run so far).
    pub(super) fn at_start(&mut self, candidate: Option<F>, iteration: usize) {
        if let Some(v) = candidate
            && v < self.value
        {
            self.value = v;
            self.iteration = iteration;
            self.at = BestAt::Current;
        }
    }

    /// Judges the iterate just reached by an accepted step, the previous one being in `x_prev`:
    /// it becomes the best one if it has a value below the best so far (a NaN never does);
    /// otherwise, if the previous iterate was the best one, that one is copied out of `x_prev`
    /// before the next step overwrites it.
    #[inline]
    pub(super) fn after_step(&mut self, candidate: Option<F>, iteration: usize, x_prev: &[F]) {
        if let Some(v) = candidate
            && v < self.value
        {
            self.value = v;
            self.iteration = iteration;
            self.at = BestAt::Current;
        } else if self.at == BestAt::Current {
            self.buffer.copy_from_slice(x_prev);
            self.at = BestAt::Buffer;
        }
    }

    /// Takes the validation loss `v` of the current iterate into account for early stopping:
    /// `v` improves on the reference when `v < reference - min_delta` (a NaN never does), and
    /// then becomes the reference; otherwise one more evaluation without improvement is counted.
    #[inline]
    pub(super) fn validated(&mut self, v: F, min_delta: F) {
        self.validation_loss = Some(v);
        if v < self.reference - min_delta {
            self.reference = v;
            self.wait = 0;
        } else {
            self.wait += 1;
        }
    }

    /// The best iterate, given the current one `x`.
    pub(super) fn best<'s>(&'s self, x: &'s [F]) -> Option<ArrayView1<'s, F>> {
        match self.at {
            BestAt::Nowhere => None,
            BestAt::Current => Some(ArrayView1::from(x)),
            BestAt::Buffer => Some(ArrayView1::from(&self.buffer[..])),
        }
    }
}
