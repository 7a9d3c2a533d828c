//! Iterate averaging around any rule: Polyak-Ruppert, exponential moving average, stochastic
//! weight averaging.
//!
//! [`Averaged`] steps its inner rule as it would step alone, and keeps beside it a running
//! average `x̄` of the iterates; the average is the rule's
//! [evaluation point](crate::Optimizer::evaluation_point), so that the
//! [`Minimizer`](crate::Minimizer) reports it (and `f` there) at the end of a run, with the last
//! iterate beside it in [`Report::last_iterate`](crate::Report::last_iterate).

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_len};
use crate::optim::{Optimizer, check_step};

/// How [`Averaged`] averages the iterates `x_0, x_1, ...` (`x_k` is the iterate after `k` steps;
/// `x_0` the point the first step starts from).
///
/// Every mode starts the average by copying the first iterate it takes in, as PyTorch's
/// `torch.optim.swa_utils.AveragedModel` does when its count `n_averaged` is `0`; before that,
/// there is no average, and the model is evaluated at the iterate itself.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Averaging<F> {
    /// Polyak-Ruppert averaging (Polyak & Juditsky, 1992; Ruppert, 1988): the uniform average of
    /// the iterates from step `start` on,
    ///
    /// `x̄_k = (x_start + ... + x_k) / (k - start + 1)`, computed as
    /// `x̄_k = x̄_{k-1} + (x_k - x̄_{k-1}) / (k - start + 1)`.
    ///
    /// Before `start`, the average is the iterate itself (no evaluation point). `start = 0`
    /// includes the starting point `x_0`; a `start` beyond the first iterates discards the
    /// transient, where the iterates are still far from the solution ("tail averaging").
    PolyakRuppert {
        /// The first iterate averaged.
        start: usize,
    },
    /// Exponential moving average, with the semantics of PyTorch's
    /// `torch.optim.swa_utils.get_ema_multi_avg_fn(decay)` in an `AveragedModel` updated after
    /// every step: the first iterate after a step, `x_1`, is copied (`n_averaged = 0`), then
    ///
    /// `x̄ ← decay · x̄ + (1 - decay) · x_k`, computed as PyTorch's `lerp`:
    /// `x̄ ← x̄ + (1 - decay) (x_k - x̄)`.
    ///
    /// The weight of `x_j` in `x̄_k` falls as `decay^(k - j)`: the average forgets the iterates
    /// older than about `1 / (1 - decay)` steps. `decay` in `[0, 1)` (`0` gives the iterate).
    Ema {
        /// The weight of the average in each update, in `[0, 1)` (PyTorch's default `0.999`).
        decay: F,
    },
    /// Stochastic weight averaging (Izmailov, Podoprikhin, Garipov, Vetrov & Wilson, 2018,
    /// "Averaging weights leads to wider optima and better generalization"): the uniform average
    /// of the iterates taken every `every` steps from step `start` on, `x_start`,
    /// `x_{start + every}`, `x_{start + 2 every}`, ..., as PyTorch's `AveragedModel` with its
    /// default averaging function when `update_parameters` is called at those steps:
    ///
    /// `x̄ ← x̄ + (x_k - x̄) / (n + 1)`, `n` the number of iterates averaged so far.
    ///
    /// `every = 1` is [`PolyakRuppert`](Averaging::PolyakRuppert) with the same `start`. SWA is
    /// meant with a cyclic or a high constant step size in the averaging phase (PyTorch's
    /// `swa_utils.SWALR`).
    Swa {
        /// The first iterate averaged.
        start: usize,
        /// Steps between two iterates averaged, at least 1.
        every: usize,
    },
}

impl<F: Real> Averaging<F> {
    /// Checks the parameters: `decay` in `[0, 1)`, `every >= 1`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a `decay` outside `[0, 1)` (or NaN);
    /// [`Error::InvalidCount`] for `every = 0`.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Averaging::PolyakRuppert { .. } => Ok(()),
            Averaging::Ema { decay } => check("decay", decay, Domain::UnitInterval),
            Averaging::Swa { every, .. } => crate::error::check_count("every", every, 1),
        }
    }

    /// `true` if the iterate `x_k` joins the average.
    #[inline]
    fn takes(&self, k: usize) -> bool {
        match *self {
            Averaging::PolyakRuppert { start } => k >= start,
            Averaging::Ema { .. } => k >= 1,
            Averaging::Swa { start, every } => k >= start && (k - start).is_multiple_of(every),
        }
    }
}

/// Iterate averaging around any update rule: the rule's steps, and a running average `x̄` of its
/// iterates as the point where the model is evaluated.
///
/// Each [`step`](Optimizer::step) steps the inner rule as it would step alone (the iterates are
/// those of the rule), then takes the new iterate into the average as [`Averaging`] says. The
/// average lives in a buffer allocated on the first step; later steps allocate nothing, and a
/// [`reset`](Optimizer::reset) forgets the inner rule's state and the average but keeps the
/// memory.
///
/// The average is the rule's [evaluation point](Optimizer::evaluation_point): in the
/// [`Minimizer`](crate::Minimizer), the report's `x`, `f` and stationarity are those of the
/// average, the criteria on `f` judge `f` there, and the last iterate is in
/// [`Report::last_iterate`](crate::Report::last_iterate) (see
/// [`Minimizer`](crate::Minimizer#rules-with-an-evaluation-point-schedule-free)). The name, the
/// default step size and the search direction are the inner rule's (averaging a line-search
/// method is allowed). The loop's averaging option is this wrapper:
/// `Minimizer::new(Averaged::new(rule, averaging)?)`.
///
/// # Why average
///
/// With a stochastic gradient and a constant step size `γ`, the iterates of SGD do not converge:
/// on a `μ`-strongly convex objective they reach, at a linear rate, a noise floor where
/// `E f(x_k) - f* = O(γ σ²)` (`σ²` the variance of the gradient estimate) and wander there
/// (Bottou, Curtis & Nocedal, 2018, "Optimization methods for large-scale machine learning",
/// SIAM Review, Theorem 4.6). Their average cancels much of that wandering:
///
/// - **constant step**: the Polyak-Ruppert average's suboptimality decays as `O(1/k)` down to a
///   floor of the order of the noise floor's square (`O(γ²)`, the bias of the stationary
///   distribution: Dieuleveut, Durmus & Bach, 2020, "Bridging the gap between constant step
///   size stochastic gradient descent and Markov chains", Annals of Statistics), far below the
///   last iterate's `O(γ)`; for least squares there is no floor at
///   all: averaged SGD with a constant step `γ ≤ 1/(4R²)` reaches `O(d σ² / k)` (Bach & Moulines,
///   2013, "Non-strongly-convex smooth stochastic approximation with convergence rate O(1/n)";
///   Bach & Moulines, 2011, "Non-asymptotic analysis of stochastic approximation algorithms for
///   machine learning");
/// - **decaying step** `γ_k ∝ k^{-α}`, `α ∈ (1/2, 1)`: the Polyak-Ruppert average attains the
///   optimal `O(1/k)` rate, with the asymptotically optimal constant (the Cramér-Rao bound), with
///   no knowledge of the strong-convexity constant (Polyak & Juditsky, 1992, "Acceleration of
///   stochastic approximation by averaging", SIAM J. Control Optim.).
///
/// [`Ema`](Averaging::Ema) weighs recent iterates more and forgets the transient by itself;
/// [`Swa`](Averaging::Swa) averages a few iterates far apart, as in deep learning, where it
/// finds flatter minima (Izmailov et al., 2018).
///
/// For a rule that has an evaluation point of its own (the schedule-free rules), the wrapper
/// averages the iterates the rule takes gradients at, and its average replaces the rule's
/// evaluation point.
///
/// ```
/// use gradus::{Averaged, Averaging, GradientDescent, Optimizer};
/// use ndarray::{array, Array1};
///
/// // Gradient descent on f(x) = x²/2 with step 1/2 halves x: 1, 1/2, 1/4, 1/8.
/// let mut rule = Averaged::new(GradientDescent::default(), Averaging::PolyakRuppert { start: 0 })?;
/// let mut x = array![1.0_f64];
/// for _ in 0..3 {
///     let g = x.clone();
///     rule.step(x.view_mut(), g.view(), 0.5)?;
/// }
/// assert_eq!(x[0], 0.125);
/// // The mean of x_0, ..., x_3.
/// assert_eq!(rule.average().unwrap()[0], (1.0 + 0.5 + 0.25 + 0.125) / 4.0);
/// let mut at = Array1::zeros(1);
/// assert!(rule.evaluation_point(x.view(), at.view_mut())?);
/// assert_eq!(at[0], 0.46875);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// In the loop, the report is at the average, with the last iterate beside it:
///
/// ```
/// use gradus::prelude::*;
/// use gradus::{Averaged, Averaging};
/// use gradus::problems::Sphere;
/// use ndarray::array;
///
/// let rule = Averaged::new(GradientDescent::default(), Averaging::Ema { decay: 0.5 })?;
/// let report = Minimizer::new(rule)
///     .lr(0.25)
///     .max_iterations(2)
///     .minimize(&Sphere::new(1), array![1.0_f64].view())?;
/// // f = x², step 1/4: x_1 = 1/2, x_2 = 1/4; the average 1/2 + (1/4 - 1/2)/2 = 3/8.
/// assert_eq!(report.x[0], 0.375);
/// assert_eq!(report.f, 0.375 * 0.375);
/// let last = report.last_iterate.unwrap();
/// assert_eq!((last.x[0], last.f), (0.25, 0.0625));
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "AveragedParts<F, O>",
        bound(
            serialize = "F: serde::Serialize, O: serde::Serialize",
            deserialize = "F: Real + serde::Deserialize<'de>, O: serde::Deserialize<'de>"
        )
    )
)]
pub struct Averaged<F, O> {
    inner: O,
    averaging: Averaging<F>,
    /// Steps taken since construction or the last reset (the `k` of the iterate `x_k`).
    steps: usize,
    /// How many iterates the average holds (PyTorch's `n_averaged`).
    averaged: usize,
    /// The average `x̄`: empty before the first step (its memory kept by a reset), of the
    /// iterate's length from then on.
    average: Vec<F>,
}

/// An [`Averaged`] as read from a file, before its state is checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "F: serde::Deserialize<'de>, O: serde::Deserialize<'de>"))]
struct AveragedParts<F, O> {
    inner: O,
    averaging: Averaging<F>,
    steps: usize,
    averaged: usize,
    average: Vec<F>,
}

/// A state read from a file must hold together: valid parameters, and an average of some
/// length once an iterate is in it.
#[cfg(feature = "serde")]
impl<F: Real, O> TryFrom<AveragedParts<F, O>> for Averaged<F, O> {
    type Error = Error;

    fn try_from(p: AveragedParts<F, O>) -> Result<Self> {
        p.averaging.validate()?;
        if (p.averaged > 0 && p.average.is_empty()) || p.averaged > p.steps.saturating_add(1) {
            return Err(Error::Checkpoint {
                reason: format!(
                    "Averaged: {} iterates averaged after {} steps, in an average of {} values; \
                     the file was edited or holds another rule's state",
                    p.averaged,
                    p.steps,
                    p.average.len()
                ),
            });
        }
        Ok(Averaged {
            inner: p.inner,
            averaging: p.averaging,
            steps: p.steps,
            averaged: p.averaged,
            average: p.average,
        })
    }
}

impl<F: Real, O: Optimizer<F>> Averaged<F, O> {
    /// Wraps `rule`, averaging its iterates as `averaging` says. The rule is taken as it is (a
    /// rule that has taken steps goes on from its state); the average starts with the next step.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an [`Ema`](Averaging::Ema) `decay` outside `[0, 1)`;
    /// [`Error::InvalidCount`] for a [`Swa`](Averaging::Swa) `every` of `0`.
    pub fn new(rule: O, averaging: Averaging<F>) -> Result<Self> {
        averaging.validate()?;
        Ok(Averaged {
            inner: rule,
            averaging,
            steps: 0,
            averaged: 0,
            average: Vec::new(),
        })
    }
}

impl<F: Real, O> Averaged<F, O> {
    /// The running average `x̄` of the iterates; `None` before the first iterate is averaged
    /// (before `start`, or before the first step), when the average is the iterate itself.
    pub fn average(&self) -> Option<ArrayView1<'_, F>> {
        (self.averaged > 0).then(|| ArrayView1::from(&self.average[..]))
    }

    /// How many iterates the average holds (PyTorch's `n_averaged`).
    pub fn averaged(&self) -> usize {
        self.averaged
    }

    /// The averaging mode.
    pub fn averaging(&self) -> Averaging<F> {
        self.averaging
    }

    /// The inner rule.
    pub fn inner(&self) -> &O {
        &self.inner
    }

    /// The inner rule, mutably (to change its hyperparameters between runs).
    pub fn inner_mut(&mut self) -> &mut O {
        &mut self.inner
    }

    /// The inner rule, the average dropped.
    pub fn into_inner(self) -> O {
        self.inner
    }

    /// Takes the iterate `x` into the average (PyTorch's `update_parameters`): a copy for the
    /// first one, then the mode's update.
    fn take(&mut self, x: ArrayView1<'_, F>) {
        let mut average = ArrayViewMut1::from(&mut self.average[..]);
        if self.averaged == 0 {
            average.assign(&x);
        } else {
            match self.averaging {
                Averaging::Ema { decay } => {
                    let weight = F::one() - decay;
                    Zip::from(&mut average)
                        .and(x)
                        .for_each(|a, &xi| *a = *a + weight * (xi - *a));
                }
                Averaging::PolyakRuppert { .. } | Averaging::Swa { .. } => {
                    let n = F::from_count(self.averaged.saturating_add(1));
                    Zip::from(&mut average)
                        .and(x)
                        .for_each(|a, &xi| *a = *a + (xi - *a) / n);
                }
            }
        }
        self.averaged = self.averaged.saturating_add(1);
    }
}

impl<F: Real, O: Optimizer<F>> Optimizer<F> for Averaged<F, O> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn default_lr(&self) -> F {
        self.inner.default_lr()
    }

    /// Steps the inner rule, then takes the new iterate into the average.
    ///
    /// # Errors
    /// As the inner rule's [`step`](Optimizer::step), the lengths checked against the average's
    /// first. After [`Error::NonFiniteState`] (the step applied and counted), the iterate is
    /// averaged as any other.
    fn step(&mut self, mut x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        let state_len = (!self.average.is_empty()).then_some(self.average.len());
        check_step(x.len(), grad.len(), lr, state_len)?;
        let first = state_len.is_none();
        if first {
            // The one allocation (none after a reset to the same length).
            self.average.resize(x.len(), F::zero());
            self.steps = 0;
            self.averaged = 0;
            if self.averaging.takes(0) {
                self.take(x.view());
            }
        }
        let stepped = self.inner.step(x.view_mut(), grad, lr);
        match stepped {
            Ok(()) | Err(Error::NonFiniteState { .. }) => {
                self.steps = self.steps.saturating_add(1);
                if self.averaging.takes(self.steps) {
                    self.take(x.view());
                }
                stepped
            }
            Err(e) => {
                // Nothing moved: a first step leaves no state either.
                if first {
                    self.average.clear();
                    self.averaged = 0;
                }
                Err(e)
            }
        }
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.steps = 0;
        self.averaged = 0;
        self.average.clear();
    }

    fn steps_taken(&self) -> usize {
        self.inner.steps_taken()
    }

    fn has_search_direction(&self) -> bool {
        self.inner.has_search_direction()
    }

    /// The inner rule's search direction at `x`; then `x`, the iterate a line search starts
    /// from, joins the average, as the iterate after a [`step`](Optimizer::step) does.
    ///
    /// In a run with a line search (where the loop, not the rule, moves `x`), the average is thus
    /// that of the iterates the directions were taken at, `x_0, ..., x_{k-1}` after `k`
    /// iterations: the last iterate, whose direction is never asked, is not in it. The loop
    /// resets the rule when its direction is not a descent direction, which restarts the
    /// average too.
    ///
    /// # Errors
    /// As the inner rule's, the lengths checked against the average's first.
    fn search_direction(
        &mut self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) -> Result<()> {
        let state_len = (!self.average.is_empty()).then_some(self.average.len());
        check_step(x.len(), grad.len(), F::zero(), state_len)?;
        self.inner.search_direction(x, grad, direction)?;
        if state_len.is_none() {
            self.average.resize(x.len(), F::zero());
            self.steps = 0;
            self.averaged = 0;
        } else {
            self.steps = self.steps.saturating_add(1);
        }
        if self.averaging.takes(self.steps) {
            self.take(x);
        }
        Ok(())
    }

    fn has_evaluation_point(&self) -> bool {
        true
    }

    /// Writes the average `x̄` into `x` and returns `Ok(true)`; `Ok(false)`, writing nothing,
    /// before the first iterate is averaged (the model is then evaluated at the iterate).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `x` and `y` differ in length, or differ from the
    /// average's (once it holds an iterate); `x` is left as it was.
    fn evaluation_point(&self, y: ArrayView1<'_, F>, mut x: ArrayViewMut1<'_, F>) -> Result<bool> {
        check_len("evaluation point vs iterate", y.len(), x.len())?;
        if self.averaged == 0 {
            return Ok(false);
        }
        check_len(
            "iterate vs the average (call reset() to change size)",
            self.average.len(),
            y.len(),
        )?;
        x.assign(&ArrayView1::from(&self.average[..]));
        Ok(true)
    }
}
