//! Lookahead (Zhang, Lucas, Hinton & Ba, 2019): any rule's fast weights, pulled back every `k`
//! steps towards slow weights that move by a fraction of the way.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_len};
use crate::optim::{Optimizer, check_step};

/// Lookahead around any rule: "k steps forward, 1 step back".
///
/// The rule takes its steps on the fast weights `x` (the iterate the loop holds); every
/// `sync_period` steps, the slow weights `φ` move a fraction `α = slow_step_size` of the way
/// to the fast ones, and the fast weights start again from there:
///
/// ```text
/// φ₀ = x₀
/// x_t = rule step of x_{t-1}                          (every step)
/// every k = sync_period steps:  φ ← φ + α (x_t - φ),   x_t ← φ
/// ```
///
/// This is `optax.lookahead(fast_optimizer, sync_period, slow_step_size, reset_state)`: with
/// `reset_state`, the inner rule is [reset](Optimizer::reset) at every synchronisation (its
/// moments start over). optax asks for `sync_period` and `slow_step_size`; the defaults here are
/// the paper's, `k = 5` and `α = 0.5`.
///
/// The slow weights are the point to evaluate the model at (optax's `params.slow`): they are the
/// rule's [evaluation point](Optimizer::evaluation_point), so the
/// [`Minimizer`](crate::Minimizer) reports `x` and `f` there (and judges a target there). Before
/// the first step they are the starting point.
///
/// Reference: M. R. Zhang, J. Lucas, G. Hinton, J. Ba, "Lookahead optimizer: k steps forward,
/// 1 step back", NeurIPS 2019.
///
/// ```
/// use gradus::optim::LookaheadConfig;
/// use gradus::{GradientDescent, Lookahead, Optimizer};
/// use ndarray::array;
///
/// // f(x) = x²/2 from x = 1, gradient descent with step 0.5, synchronised every 2 steps.
/// let config = LookaheadConfig { sync_period: 2, slow_step_size: 0.5, reset_state: false };
/// let mut rule = Lookahead::new(GradientDescent::default(), config)?;
/// let mut x = array![1.0_f64];
/// for _ in 0..2 {
///     let g = x.clone();
///     rule.step(x.view_mut(), g.view(), 0.5)?;
/// }
/// // Fast: 1 → 0.5 → 0.25; then φ = 1 + 0.5 (0.25 - 1) = 0.625, and x = φ.
/// assert_eq!(x[0], 0.625);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "LookaheadParts<F, O>",
        bound(
            serialize = "F: serde::Serialize, O: serde::Serialize",
            deserialize = "F: Real + serde::Deserialize<'de>, O: serde::Deserialize<'de>"
        )
    )
)]
pub struct Lookahead<F, O> {
    inner: O,
    config: LookaheadConfig<F>,
    /// Steps since the last synchronisation (optax's `steps_since_sync`).
    since_sync: usize,
    /// The slow weights `φ`: empty before the first step, of the iterate's length from then on.
    slow: Vec<F>,
}

/// A [`Lookahead`] as read from a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "F: serde::Deserialize<'de>, O: serde::Deserialize<'de>"))]
struct LookaheadParts<F, O> {
    inner: O,
    config: LookaheadConfig<F>,
    since_sync: usize,
    slow: Vec<F>,
}

/// A lookahead read from a file is checked as [`Lookahead::new`] checks its settings, and its
/// count of steps since the last synchronisation against the period.
#[cfg(feature = "serde")]
impl<F: Real, O> TryFrom<LookaheadParts<F, O>> for Lookahead<F, O> {
    type Error = Error;

    fn try_from(p: LookaheadParts<F, O>) -> Result<Self> {
        p.config.validate()?;
        if p.since_sync >= p.config.sync_period {
            return Err(Error::Checkpoint {
                reason: format!(
                    "Lookahead: {} steps since the last synchronisation, with a period of {}; \
                     the file was edited or holds another rule's state",
                    p.since_sync, p.config.sync_period
                ),
            });
        }
        Ok(Lookahead {
            inner: p.inner,
            config: p.config,
            since_sync: p.since_sync,
            slow: p.slow,
        })
    }
}

/// The settings of [`Lookahead`] (optax's `lookahead` arguments; the paper's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LookaheadConfig<F> {
    /// `k`: the inner rule's steps between two synchronisations, at least 1. Default `5`.
    pub sync_period: usize,
    /// `α`: the fraction of the way the slow weights move towards the fast ones, in `[0, 1]`.
    /// Default `0.5`.
    pub slow_step_size: F,
    /// Reset the inner rule's state at every synchronisation. Default `false`.
    pub reset_state: bool,
}

impl<F: Real> Default for LookaheadConfig<F> {
    fn default() -> Self {
        LookaheadConfig {
            sync_period: 5,
            slow_step_size: F::lit(0.5),
            reset_state: false,
        }
    }
}

impl<F: Real> LookaheadConfig<F> {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidCount`] for a `sync_period` of `0`; [`Error::InvalidParameter`] for a
    /// `slow_step_size` outside `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if self.sync_period == 0 {
            return Err(Error::InvalidCount {
                name: "sync_period",
                value: 0,
                expected: "at least 1 (the inner rule's steps between synchronisations)",
            });
        }
        check(
            "slow_step_size",
            self.slow_step_size,
            Domain::ClosedUnitInterval,
        )
    }
}

impl<F: Real, O: Optimizer<F>> Lookahead<F, O> {
    /// Wraps `rule` with the settings `config`; the slow weights start at the point of the next
    /// step.
    ///
    /// # Errors
    /// As [`LookaheadConfig::validate`].
    pub fn new(rule: O, config: LookaheadConfig<F>) -> Result<Self> {
        config.validate()?;
        Ok(Lookahead {
            inner: rule,
            config,
            since_sync: 0,
            slow: Vec::new(),
        })
    }
}

impl<F: Real, O> Lookahead<F, O> {
    /// The slow weights `φ`; `None` before the first step.
    pub fn slow(&self) -> Option<ArrayView1<'_, F>> {
        (!self.slow.is_empty()).then(|| ArrayView1::from(&self.slow[..]))
    }

    /// The settings.
    pub fn config(&self) -> LookaheadConfig<F> {
        self.config
    }

    /// The inner rule.
    pub fn inner(&self) -> &O {
        &self.inner
    }
}

impl<F: Real, O: Optimizer<F>> Optimizer<F> for Lookahead<F, O> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn default_lr(&self) -> F {
        self.inner.default_lr()
    }

    /// The inner rule's step on the fast weights `x`; every `sync_period` steps, the slow weights
    /// move to `φ + α (x - φ)` and `x` is set to them.
    ///
    /// # Errors
    /// As the inner rule's [`step`](Optimizer::step), the lengths checked against the slow
    /// weights' first. After [`Error::NonFiniteState`] (the step applied and counted), the
    /// step counts towards the synchronisation as any other.
    fn step(&mut self, mut x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        let state_len = (!self.slow.is_empty()).then_some(self.slow.len());
        check_step(x.len(), grad.len(), lr, state_len)?;
        let first = state_len.is_none();
        if first {
            // The one allocation (none after a reset to the same length): φ₀ = x₀.
            self.slow.clear();
            self.slow.extend(x.iter().copied());
            self.since_sync = 0;
        }
        let stepped = self.inner.step(x.view_mut(), grad, lr);
        if let Err(e) = &stepped
            && !matches!(e, Error::NonFiniteState { .. })
        {
            if first {
                self.slow.clear();
            }
            return stepped;
        }
        self.since_sync += 1;
        if self.since_sync == self.config.sync_period {
            let alpha = self.config.slow_step_size;
            Zip::from(&mut x)
                .and(ArrayViewMut1::from(&mut self.slow[..]))
                .for_each(|x, slow| {
                    *slow = *slow + alpha * (*x - *slow);
                    *x = *slow;
                });
            self.since_sync = 0;
            if self.config.reset_state {
                self.inner.reset();
            }
        }
        stepped
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.since_sync = 0;
        self.slow.clear();
    }

    fn steps_taken(&self) -> usize {
        self.inner.steps_taken()
    }

    fn has_evaluation_point(&self) -> bool {
        true
    }

    /// Writes the slow weights `φ` into `x` and returns `Ok(true)`; `Ok(false)` before the
    /// first step (the model is then evaluated at the iterate).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `x` and `y` differ in length, or differ from the slow
    /// weights'; `x` is left as it was.
    fn evaluation_point(&self, y: ArrayView1<'_, F>, mut x: ArrayViewMut1<'_, F>) -> Result<bool> {
        check_len("evaluation point vs iterate", y.len(), x.len())?;
        if self.slow.is_empty() {
            return Ok(false);
        }
        check_len(
            "iterate vs the slow weights (call reset() to change size)",
            self.slow.len(),
            y.len(),
        )?;
        x.assign(&ArrayView1::from(&self.slow[..]));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, GradientDescent};
    use ndarray::{Array1, array};

    /// Steps on `f(x) = ½|x|²` (gradient `x`) with step size `lr`.
    fn run(rule: &mut impl Optimizer<f64>, x: &mut Array1<f64>, steps: usize, lr: f64) {
        for _ in 0..steps {
            let g = x.clone();
            rule.step(x.view_mut(), g.view(), lr).unwrap();
        }
    }

    #[test]
    fn gradient_descent_with_lookahead_matches_the_recurrence_by_hand() {
        // Fast GD on x²/2 with step γ multiplies x by (1 - γ) per step; every k steps
        // φ ← φ + α (x - φ) and x ← φ.
        let (gamma, k, alpha) = (0.3, 3, 0.4);
        let config = LookaheadConfig {
            sync_period: k,
            slow_step_size: alpha,
            reset_state: false,
        };
        let mut rule = Lookahead::new(GradientDescent::default(), config).unwrap();
        let mut x = array![2.0, -1.0];
        let mut hand = [2.0_f64, -1.0];
        let mut slow = hand;
        for t in 1..=10 {
            run(&mut rule, &mut x, 1, gamma);
            for i in 0..2 {
                hand[i] -= gamma * hand[i];
                if t % k == 0 {
                    slow[i] += alpha * (hand[i] - slow[i]);
                    hand[i] = slow[i];
                }
                assert!((x[i] - hand[i]).abs() <= 1e-15, "step {t}");
                assert!(
                    (rule.slow().unwrap()[i] - slow[i]).abs() <= 1e-15,
                    "step {t}"
                );
            }
        }
    }

    #[test]
    fn a_full_slow_step_is_the_inner_rule_and_a_zero_one_stays_at_the_start() {
        let mut plain = GradientDescent::default();
        let mut x_plain = array![1.0, 3.0];
        run(&mut plain, &mut x_plain, 7, 0.2);
        let full = LookaheadConfig {
            sync_period: 2,
            slow_step_size: 1.0,
            reset_state: false,
        };
        let mut rule = Lookahead::new(GradientDescent::default(), full).unwrap();
        let mut x = array![1.0, 3.0];
        run(&mut rule, &mut x, 7, 0.2);
        assert_eq!(x, x_plain);
        let none = LookaheadConfig {
            slow_step_size: 0.0,
            ..full
        };
        let mut rule = Lookahead::new(GradientDescent::default(), none).unwrap();
        let mut x = array![1.0, 3.0];
        run(&mut rule, &mut x, 8, 0.2);
        assert_eq!(x, array![1.0, 3.0]);
    }

    #[test]
    fn reset_state_resets_the_inner_rule_at_each_synchronisation() {
        let config = LookaheadConfig {
            sync_period: 2,
            slow_step_size: 0.5,
            reset_state: true,
        };
        let mut rule = Lookahead::new(Adam::default(), config).unwrap();
        let mut x = array![1.0, -1.0];
        run(&mut rule, &mut x, 2, 0.1);
        assert_eq!(rule.inner().steps_taken(), 0);
        run(&mut rule, &mut x, 1, 0.1);
        assert_eq!(rule.inner().steps_taken(), 1);
    }

    #[test]
    fn the_evaluation_point_is_the_slow_weights() {
        let mut rule =
            Lookahead::new(GradientDescent::default(), LookaheadConfig::default()).unwrap();
        let mut out = array![0.0, 0.0];
        let y = array![1.0, 2.0];
        assert!(!rule.evaluation_point(y.view(), out.view_mut()).unwrap());
        let mut x = y.clone();
        run(&mut rule, &mut x, 3, 0.1);
        assert!(rule.evaluation_point(x.view(), out.view_mut()).unwrap());
        assert_eq!(out, y, "no synchronisation yet: φ = x₀");
        assert!(
            rule.evaluation_point(x.view(), Array1::zeros(3).view_mut())
                .is_err()
        );
    }

    #[test]
    fn invalid_settings_are_named() {
        let bad_period = LookaheadConfig::<f64> {
            sync_period: 0,
            ..Default::default()
        };
        assert!(matches!(
            Lookahead::new(GradientDescent::default(), bad_period),
            Err(Error::InvalidCount {
                name: "sync_period",
                ..
            })
        ));
        let bad_alpha = LookaheadConfig::<f64> {
            slow_step_size: 1.5,
            ..Default::default()
        };
        assert!(matches!(
            Lookahead::new(GradientDescent::default(), bad_alpha),
            Err(Error::InvalidParameter {
                name: "slow_step_size",
                ..
            })
        ));
    }
}
