//! Reduce the step size when the loss stops improving.

use super::Schedule;
use crate::Real;
use crate::error::{Domain, Result, check};

/// Whether [`ReduceOnPlateau`] watches a quantity that should fall or rise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PlateauMode {
    /// Improvement means a smaller value (a loss). PyTorch's `"min"`.
    #[default]
    Min,
    /// Improvement means a larger value (an accuracy). PyTorch's `"max"`.
    Max,
}

/// How [`ReduceOnPlateau`] decides that a value improves on the best so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ThresholdMode {
    /// Better than `best · (1 ∓ threshold)`. PyTorch's `"rel"`.
    #[default]
    Rel,
    /// Better than `best ∓ threshold`. PyTorch's `"abs"`.
    Abs,
}

/// Settings of [`ReduceOnPlateau`], with PyTorch's `ReduceLROnPlateau` defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReduceOnPlateauConfig<F> {
    /// Watch for a minimum or a maximum. Default [`PlateauMode::Min`].
    pub mode: PlateauMode,
    /// Factor the step size is multiplied by on a plateau, in `[0, 1)`. Default `0.1`.
    pub factor: F,
    /// Number of non-improving observations tolerated; one more reduces the step size.
    /// Default `10`.
    pub patience: usize,
    /// Margin a value must beat the best by to count as an improvement. Default `1e-4`.
    pub threshold: F,
    /// Whether `threshold` is relative or absolute. Default [`ThresholdMode::Rel`].
    pub threshold_mode: ThresholdMode,
    /// Number of observations after a reduction during which non-improving values are not
    /// counted. Default `0`.
    pub cooldown: usize,
    /// Lower bound on the step size. Default `0`.
    pub min_lr: F,
    /// A reduction smaller than `eps` is skipped. Default `1e-8`.
    pub eps: F,
}

impl<F: Real> Default for ReduceOnPlateauConfig<F> {
    fn default() -> Self {
        ReduceOnPlateauConfig {
            mode: PlateauMode::Min,
            factor: F::lit(0.1),
            patience: 10,
            threshold: F::lit(1e-4),
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: F::zero(),
            eps: F::lit(1e-8),
        }
    }
}

/// Reduce the step size when the observed loss stops improving: PyTorch's `ReduceLROnPlateau`.
///
/// The schedule starts at `lr` and watches every loss passed to
/// [`observe`](Schedule::observe). For each observed value `a`:
///
/// ```text
/// improved = a < best · (1 - threshold)   (Min, Rel)      a > best · (1 + threshold)   (Max, Rel)
///            a < best - threshold         (Min, Abs)      a > best + threshold         (Max, Abs)
/// if improved { best = a; bad = 0 } else { bad += 1 }
/// if cooling down { cooldown_left -= 1; bad = 0 }
/// if bad > patience {
///     new = max(γ · factor, min_lr);  if γ - new > eps { γ = new }
///     cooldown_left = cooldown; bad = 0
/// }
/// ```
///
/// with `best` starting at `+∞` (`-∞` for [`PlateauMode::Max`]). A NaN loss never improves.
/// [`step_size`](Schedule::step_size) returns the current `γ`, whatever `t`: after observing
/// `l₀, ..., l_k` it is the learning rate PyTorch's optimizer holds after
/// `scheduler.step(l₀), ..., scheduler.step(l_k)`. The same steps, in the same order, with the
/// same comparisons, so the numbers agree exactly. As in PyTorch, with negative losses the
/// relative threshold loosens rather than tightens the test (use [`ThresholdMode::Abs`]).
///
/// [`reset`](Schedule::reset) restores `γ = lr` and forgets the best value and the counters
/// (PyTorch's own `_reset` keeps the reduced rate).
///
/// ```
/// use gradus::schedule::{ReduceOnPlateau, ReduceOnPlateauConfig, Schedule};
///
/// let config = ReduceOnPlateauConfig { patience: 1, factor: 0.5, ..Default::default() };
/// let mut s = ReduceOnPlateau::new(1.0, config)?;
/// for loss in [3.0, 2.0, 2.0] {
///     s.observe(loss);
/// }
/// assert_eq!(s.step_size(2), 1.0); // one bad observation: within patience
/// s.observe(2.0);
/// assert_eq!(s.step_size(3), 0.5); // two: reduced
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReduceOnPlateau<F> {
    lr: F,
    config: ReduceOnPlateauConfig<F>,
    current: F,
    best: F,
    bad: usize,
    cooldown_left: usize,
}

impl<F: Real> ReduceOnPlateau<F> {
    /// Starts at `lr` and reduces it on plateaus of the observed loss.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `lr`, `threshold`,
    /// `min_lr` or `eps` is negative or not finite, or `factor` is not in `[0, 1)`.
    pub fn new(lr: F, config: ReduceOnPlateauConfig<F>) -> Result<Self> {
        check("lr", lr, Domain::NonNegative)?;
        check("factor", config.factor, Domain::UnitInterval)?;
        check("threshold", config.threshold, Domain::NonNegative)?;
        check("min_lr", config.min_lr, Domain::NonNegative)?;
        check("eps", config.eps, Domain::NonNegative)?;
        let mut s = ReduceOnPlateau {
            lr,
            config,
            current: lr,
            best: F::zero(),
            bad: 0,
            cooldown_left: 0,
        };
        s.reset();
        Ok(s)
    }

    /// The settings.
    pub fn config(&self) -> &ReduceOnPlateauConfig<F> {
        &self.config
    }

    /// The best value observed so far (`±∞` before the first observation).
    pub fn best(&self) -> F {
        self.best
    }

    /// Number of consecutive non-improving observations counted so far.
    pub fn num_bad(&self) -> usize {
        self.bad
    }

    fn improves(&self, a: F) -> bool {
        let c = &self.config;
        let best = self.best;
        match (c.mode, c.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (F::one() - c.threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - c.threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (c.threshold + F::one()),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + c.threshold,
        }
    }
}

impl<F: Real> Schedule<F> for ReduceOnPlateau<F> {
    fn step_size(&mut self, _t: usize) -> F {
        self.current
    }

    fn observe(&mut self, loss: F) {
        if self.improves(loss) {
            self.best = loss;
            self.bad = 0;
        } else {
            self.bad = self.bad.saturating_add(1);
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad = 0;
        }
        if self.bad > self.config.patience {
            let new = (self.current * self.config.factor).max(self.config.min_lr);
            if self.current - new > self.config.eps {
                self.current = new;
            }
            self.cooldown_left = self.config.cooldown;
            self.bad = 0;
        }
    }

    fn reset(&mut self) {
        self.current = self.lr;
        self.best = match self.config.mode {
            PlateauMode::Min => F::infinity(),
            PlateauMode::Max => F::neg_infinity(),
        };
        self.bad = 0;
        self.cooldown_left = 0;
    }
}
