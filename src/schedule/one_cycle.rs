//! The 1cycle policy.

use super::{Schedule, check_period, finite_between};
use crate::Real;
use crate::error::{Domain, Error, Result, check};

/// How [`OneCycle`] moves between two values within a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Anneal {
    /// `b + (a - b) (1 + cos(π x)) / 2` from `a` at `x = 0` to `b` at `x = 1` (PyTorch's `"cos"`).
    #[default]
    Cos,
    /// `a + (b - a) x` (PyTorch's `"linear"`).
    Linear,
}

/// Settings of [`OneCycle`], with PyTorch's `OneCycleLR` defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OneCycleConfig<F> {
    /// Fraction `p` of the cycle spent raising the step size. Default `0.3`.
    pub pct_start: F,
    /// Shape of each phase. Default [`Anneal::Cos`].
    pub anneal: Anneal,
    /// The cycle starts at `max_lr / div_factor`. Default `25`.
    pub div_factor: F,
    /// The cycle ends at `max_lr / (div_factor · final_div_factor)`. Default `1e4`.
    pub final_div_factor: F,
    /// Three phases (up, down to the initial value, down to the final value, as in Smith's
    /// paper) instead of two (up, down to the final value, as in fastai). Default `false`.
    pub three_phase: bool,
}

impl<F: Real> Default for OneCycleConfig<F> {
    fn default() -> Self {
        OneCycleConfig {
            pct_start: F::lit(0.3),
            anneal: Anneal::Cos,
            div_factor: F::lit(25.0),
            final_div_factor: F::lit(1e4),
            three_phase: false,
        }
    }
}

/// One phase: from `from` just after the previous phase's end to `to` at `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Phase<F> {
    end: F,
    from: F,
    to: F,
}

/// The 1cycle policy (Smith and Topin, *Super-Convergence: Very Fast Training of Neural Networks
/// Using Large Learning Rates*, 2019): the step size rises from a small value to `max_lr` and
/// falls to a much smaller one, over one cycle of `T = total_steps` iterations.
///
/// With `γ₀ = max_lr / div_factor`, `γ_min = γ₀ / final_div_factor` and `p = pct_start`, the
/// phases end at iterations (real numbers, as in PyTorch)
///
/// ```text
/// two phases (default):  e₁ = p T - 1  (γ₀ → max_lr),   e₂ = T - 1       (max_lr → γ_min)
/// three phases:          e₁ = p T - 1  (γ₀ → max_lr),   e₂ = 2 p T - 2   (max_lr → γ₀),
///                        e₃ = T - 1    (γ₀ → γ_min)
/// ```
///
/// Iteration `t` belongs to the first phase `i` with `t <= e_i` (or to the last), and with
/// `e₀ = 0` for the first phase and `e_{i-1}` otherwise as its start,
///
/// ```text
/// γ_t = anneal(from_i, to_i, (t - e_{i-1}) / (e_i - e_{i-1}))
/// cos:     anneal(a, b, x) = b + (a - b) / 2 · (1 + cos(π x))
/// linear:  anneal(a, b, x) = a + (b - a) x
/// ```
///
/// This is PyTorch's `OneCycleLR(optimizer, max_lr, total_steps, pct_start, anneal_strategy,
/// div_factor=25, final_div_factor=1e4, three_phase)` with the same expressions in the same
/// order (it has no recursive form). Two edge cases differ, where PyTorch fails:
///
/// * for `t >= T` PyTorch raises an error (or, at exactly `t = T`, extrapolates the last phase
///   beyond its end); here the step size holds its value at `t = T - 1`, which is `γ_min` unless
///   `three_phase` with `p > 1/2` never reaches the last phase;
/// * when `p T = 1` exactly, the first phase has length zero and PyTorch divides zero by zero at
///   `t = 0`; here that phase counts as complete (`γ_0 = max_lr`).
///
/// optax's `cosine_onecycle_schedule` is the same two-phase cosine shape with its phase ends at
/// `⌊p T⌋` and `T` instead of `p T - 1` and `T - 1`, so its values are close but not equal.
///
/// PyTorch's `OneCycleLR` also cycles the momentum inversely; a schedule gives only the step
/// size, so momentum is left to the rule.
///
/// ```
/// use gradus::schedule::{OneCycle, OneCycleConfig, Schedule};
///
/// let mut s = OneCycle::new(1.0_f64, 100, OneCycleConfig::default())?;
/// assert!((s.step_size(0) - 1.0 / 25.0).abs() < 1e-15); // max_lr / div_factor
/// assert_eq!(s.step_size(29), 1.0); // the peak, at p T - 1
/// assert_eq!(s.step_size(99), 1.0 / 25.0 / 1e4); // the end, at T - 1
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OneCycle<F> {
    total_steps: usize,
    config: OneCycleConfig<F>,
    phases: [Phase<F>; 3],
    n_phases: usize,
}

impl<F: Real> OneCycle<F> {
    /// The 1cycle policy peaking at `max_lr`, over `total_steps` iterations.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `max_lr` is negative or
    /// not finite, `total_steps` is `0`, `pct_start` is not in `[0, 1]`, `div_factor` or
    /// `final_div_factor` is not finite and positive, or the initial or final step size they
    /// give is not finite.
    pub fn new(max_lr: F, total_steps: usize, config: OneCycleConfig<F>) -> Result<Self> {
        check("max_lr", max_lr, Domain::NonNegative)?;
        check_period("total_steps", total_steps)?;
        let p = config.pct_start;
        check("pct_start", p, Domain::ClosedUnitInterval)?;
        check("div_factor", config.div_factor, Domain::Positive)?;
        check(
            "final_div_factor",
            config.final_div_factor,
            Domain::Positive,
        )?;
        let initial = max_lr / config.div_factor;
        let min = initial / config.final_div_factor;
        if !initial.is_finite() {
            return Err(too_small("div_factor", config.div_factor));
        }
        if !min.is_finite() {
            return Err(too_small("final_div_factor", config.final_div_factor));
        }

        let (one, two) = (F::one(), F::lit(2.0));
        let total = F::from_count(total_steps);
        let last = total - one;
        let up = Phase {
            end: p * total - one,
            from: initial,
            to: max_lr,
        };
        let (phases, n_phases) = if config.three_phase {
            let down = Phase {
                end: two * p * total - two,
                from: max_lr,
                to: initial,
            };
            let tail = Phase {
                end: last,
                from: initial,
                to: min,
            };
            ([up, down, tail], 3)
        } else {
            let down = Phase {
                end: last,
                from: max_lr,
                to: min,
            };
            ([up, down, down], 2)
        };
        Ok(OneCycle {
            total_steps,
            config,
            phases,
            n_phases,
        })
    }

    /// The settings.
    pub fn config(&self) -> &OneCycleConfig<F> {
        &self.config
    }
}

fn too_small(name: &'static str, value: impl Real) -> Error {
    Error::InvalidParameter {
        name,
        value: value.as_f64(),
        expected: "large enough that max_lr divided by it is finite",
    }
}

impl<F: Real> Schedule<F> for OneCycle<F> {
    fn step_size(&mut self, t: usize) -> F {
        let t = F::from_count(t.min(self.total_steps - 1));
        let phases = &self.phases[..self.n_phases];
        let mut start = F::zero();
        for (i, phase) in phases.iter().enumerate() {
            if t <= phase.end || i + 1 == phases.len() {
                let span = phase.end - start;
                // A phase of length zero is complete as soon as it begins.
                let x = if span > F::zero() {
                    (t - start) / span
                } else {
                    F::one()
                };
                let value = match self.config.anneal {
                    Anneal::Cos => {
                        let cos_out = (F::lit(std::f64::consts::PI) * x).cos() + F::one();
                        phase.to + (phase.from - phase.to) / F::lit(2.0) * cos_out
                    }
                    Anneal::Linear => (phase.to - phase.from) * x + phase.from,
                };
                return finite_between(value, phase.from, phase.to);
            }
            start = phase.end;
        }
        // Unreachable: the last phase always answers.
        F::zero()
    }
}
