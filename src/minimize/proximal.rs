//! The proximal step of the loop: the penalty's prox after the rule's step, the backtracking of
//! Beck and Teboulle on the smooth part, and FISTA's extrapolation with adaptive restart.
//!
//! ```text
//! ISTA, constant step:     x_{k+1} = prox_{γh}(rule(x_k, ∇f(x_k), γ))          (run.rs: step)
//! ISTA, backtracking:      x_{k+1} = prox_{γ_k h}(x_k + γ_k d_k),  γ_k the first of
//!                          γ_{k-1}, ηγ_{k-1}, η²γ_{k-1}, ... that passes the test below
//! FISTA:                   y_k = x_k + β_k (x_k - x_{k-1}),  x_{k+1} = the step above from y_k
//! ```
//!
//! The backtracking test is the quadratic upper bound of the smooth part at the origin `y` of
//! the step (the descent lemma, which holds for every `γ <= 1/L`):
//!
//! ```text
//! f(z) <= f(y) + ∇f(y)ᵀ(z - y) + |z - y|² / (2γ),     z = prox_{γh}(y + γ d) .
//! ```

use ndarray::ArrayViewMut1;

use super::oracle::Oracle;
use super::run::{State, view, view_mut};
use super::{Minimizer, Termination};
use crate::Real;
use crate::error::{Domain, Error, Result, check};
use crate::linalg::dot_slices;
use crate::optim::Optimizer;
use crate::prox::Prox;

/// The backtracking of Beck and Teboulle (2009, FISTA with backtracking, and §3 for ISTA) on
/// the smooth part of a proximal step: a step size strategy of the loop
/// ([`Minimizer::prox_backtracking`]) that needs no Lipschitz constant.
///
/// Each iteration starts from the step `γ` of the one before (`initial` at the first) and
/// multiplies it by `shrink` (Beck and Teboulle's `1/η`) until the point
/// `z = prox_{γh}(y + γ d)` passes the test
///
/// ```text
/// f(z) <= f(y) + ∇f(y)ᵀ(z - y) + |z - y|² / (2γ)
/// ```
///
/// on the smooth part `f` alone (the penalty `h` is handled exactly by its prox, so the test
/// is not an Armijo condition on `f + h`). Here `y` is the iterate (ISTA) or the extrapolated
/// point (FISTA, [`Minimizer::accelerate`]) and `d` the rule's search direction, `-∇f(y)` for
/// [`GradientDescent`](crate::GradientDescent). The test holds for every `γ <= 1/L`, so the steps
/// never fall below `shrink / L` (unless `initial` does) and never grow: the `O(1/k)` and
/// `O(1/k²)` bounds hold with `L` replaced by `1/γ_k <= max(1/initial, L/shrink)`.
///
/// Near a minimiser both sides of the test agree to the rounding level of `f`; the test then
/// allows `16 ε |f(y)|` of rounding (`ε` the machine epsilon), so that rounding alone never
/// shrinks the step. A step that needs more than 100 reductions stops the run with
/// [`Termination::LineSearchFailed`](crate::Termination::LineSearchFailed) (a gradient
/// inconsistent with `f`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProxBacktracking<F> {
    /// The first step `γ_0` (`1/L_0`). Default `1`.
    pub initial: F,
    /// The factor `η ∈ (0, 1)` that shrinks a step that fails the test. Default `0.5`.
    pub shrink: F,
}

impl<F: Real> Default for ProxBacktracking<F> {
    fn default() -> Self {
        ProxBacktracking {
            initial: F::one(),
            shrink: F::lit(0.5),
        }
    }
}

impl<F: Real> ProxBacktracking<F> {
    /// The backtracking from the step `initial`, halving.
    pub fn from(initial: F) -> Self {
        ProxBacktracking {
            initial,
            ..Default::default()
        }
    }

    /// Checks the settings (when a run starts).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for an `initial` step that
    /// is not finite and `> 0`, or a `shrink` outside `(0, 1)`.
    pub(super) fn validate(&self) -> Result<()> {
        check("initial", self.initial, Domain::Positive)?;
        check("shrink", self.shrink, Domain::OpenUnitInterval)
    }
}

/// When an accelerated run ([`Minimizer::accelerate`]) drops its momentum (O'Donoghue &
/// Candès, "Adaptive restart for accelerated gradient schemes", Foundations of Computational
/// Mathematics 15, 2015).
///
/// A restart after the step to `x_{k+1}` sets `t_{k+1} = 1`, so that the next step starts
/// afresh from `x_{k+1}` with no momentum. Restarting when the momentum points uphill
/// recovers, without knowing the strong-convexity constant `μ`, a linear rate close to the
/// optimal `(1 - √(μ/L))^k` on functions that are (locally) strongly convex, where the plain
/// method oscillates with a period of order `√(L/μ)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Restart {
    /// Never restart: FISTA as Beck and Teboulle wrote it.
    Never,
    /// The function scheme: restart when `F(x_{k+1}) > F(x_k)`, `F = f + h`.
    FunctionValue,
    /// The gradient scheme: restart when `(y_k - x_{k+1})ᵀ(x_{k+1} - x_k) > 0`, that is when
    /// the step makes an obtuse angle with the proximal gradient mapping
    /// `G(y_k) = (y_k - x_{k+1})/γ` (for `h = 0`: `∇f(y_k)ᵀ(x_{k+1} - x_k) > 0`). It costs a
    /// dot product and no evaluation.
    Gradient,
}

/// FISTA's momentum sequence, kept in the run's state so that a resumed run goes on with it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) struct Momentum<F> {
    /// `t_k` (`1` at the start and after a restart).
    pub(super) t: F,
    /// Restarts so far.
    pub(super) restarts: usize,
}

impl<F: Real> Default for Momentum<F> {
    fn default() -> Self {
        Momentum {
            t: F::one(),
            restarts: 0,
        }
    }
}

/// The most reductions of the step a backtracking makes in one iteration.
const MAX_REDUCTIONS: usize = 100;

/// The allowance of the backtracking test for the rounding of `f`, in units of `ε |f(y)|`.
const ROUNDING_ULPS: f64 = 16.0;

/// `f + h`, written so that a zero penalty (a set's indicator) leaves `f` to the bit.
#[inline(always)]
pub(super) fn composite<F: Real>(f: F, h: F) -> F {
    if h == F::zero() { f } else { f + h }
}

/// The origin of a backtracking: `y`, the smooth part `f(y)`, its gradient and the direction.
struct Origin<'o, F> {
    y: &'o [F],
    f: F,
    g: &'o [F],
    d: &'o [F],
}

/// The accepted trial of a backtracking: its step, `h` and the smooth part `f` there.
struct Accepted<F> {
    step: F,
    h: F,
    f: F,
}

/// The backtracking of [`ProxBacktracking`] from `gamma`: writes the accepted point into `z`
/// (and the gradient there into `z_gradient`, when given); `None` after [`MAX_REDUCTIONS`]
/// failed reductions.
fn backtrack<F: Real, Or: Oracle<F>>(
    mut prox: Option<&mut (dyn Prox<F> + '_)>,
    oracle: &mut Or,
    origin: &Origin<'_, F>,
    z: &mut [F],
    mut z_gradient: Option<&mut [F]>,
    gamma: F,
    shrink: F,
) -> Option<Accepted<F>> {
    let allowance = F::lit(ROUNDING_ULPS) * F::epsilon() * origin.f.abs();
    let mut step = gamma;
    for _ in 0..=MAX_REDUCTIONS {
        for ((z, &y), &d) in z.iter_mut().zip(origin.y).zip(origin.d) {
            *z = y + step * d;
        }
        let h = match prox.as_deref_mut() {
            Some(p) => p.prox(view_mut(z), step),
            None => F::zero(),
        };
        let f = match z_gradient.as_deref_mut() {
            Some(gz) => oracle.value_and_gradient(view(z), view_mut(gz)),
            None => oracle.value(view(z)),
        };
        let (mut linear, mut squared) = (F::zero(), F::zero());
        for ((&z, &y), &g) in z.iter().zip(origin.y).zip(origin.g) {
            let s = z - y;
            linear += g * s;
            squared += s * s;
        }
        let bound = origin.f + linear + squared / (step + step);
        // A NaN value or bound fails the test, and the step shrinks.
        if f <= bound + allowance {
            return Some(Accepted { step, h, f });
        }
        step *= shrink;
    }
    None
}

impl<F: Real, O: Optimizer<F>> Minimizer<'_, F, O> {
    /// `x ← prox_{γh}(x)`, returning `h` there (`0` without a penalty).
    #[inline]
    pub(super) fn apply_prox(&mut self, x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        match self.prox.as_mut() {
            Some(p) => p.prox(x, gamma),
            None => F::zero(),
        }
    }

    /// Writes the rule's search direction at `origin` into `d`, or `-g` when the rule's is not
    /// a descent direction (resetting the rule's model, as a line search does).
    fn direction(&mut self, origin: &[F], g: &[F], d: &mut [F]) -> Result<()> {
        self.optimizer
            .search_direction(view(origin), view(g), view_mut(d))?;
        let slope = dot_slices(g, d);
        // Only a negative slope is a descent direction (a NaN slope is not).
        if slope.partial_cmp(&F::zero()) != Some(std::cmp::Ordering::Less) {
            self.optimizer.reset();
            for (d, &g) in d.iter_mut().zip(g) {
                *d = -g;
            }
        }
        Ok(())
    }

    /// One step of ISTA with backtracking from `x_k`: `x_{k+1} = prox_{γh}(x_k + γ d)`, with
    /// `f`, `∇f` and `h` there. Returns `false`, with `x` left at `x_k`, when no step passes.
    pub(super) fn backtracking_step<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        backtracking: ProxBacktracking<F>,
    ) -> Result<bool> {
        self.direction(&s.x, &s.g, &mut s.work)?;
        s.keep_for_undo_by_swap();
        let gamma = if s.step_size > F::zero() {
            s.step_size
        } else {
            backtracking.initial
        };
        let origin = Origin {
            y: &s.x_prev,
            f: s.smooth_value(),
            g: &s.g,
            d: &s.work,
        };
        let accepted = backtrack(
            self.prox.as_deref_mut(),
            oracle,
            &origin,
            &mut s.x,
            Some(&mut s.trial_gradient),
            gamma,
            backtracking.shrink,
        );
        match accepted {
            Some(a) => {
                std::mem::swap(&mut s.g, &mut s.trial_gradient);
                s.set_values(a.f, a.h);
                s.step_size = a.step;
                Ok(true)
            }
            None => {
                std::mem::swap(&mut s.x, &mut s.x_prev);
                Ok(false)
            }
        }
    }

    /// One step of FISTA from `x_k` (with `x_{k-1}` and `t_k`): extrapolates to `y_k`, evaluates
    /// `∇f(y_k)`, steps to `x_{k+1}` with the step `lr` (the rule's step), or by
    /// `backtracking` along the rule's direction, evaluates `F(x_{k+1})`, and restarts the
    /// momentum when `restart` says so. Returns why the run stops, with `x` left at `x_k`, when
    /// no backtracking step passes or the rule's state overflows.
    pub(super) fn accelerated_step<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        restart: Restart,
        step: AcceleratedStep<F>,
    ) -> Result<Option<Termination>> {
        let t = s.momentum.t;
        let t_next = (F::one() + (F::one() + F::lit(4.0) * t * t).sqrt()) * F::lit(0.5);
        let beta = (t - F::one()) / t_next;
        if beta == F::zero() {
            // No momentum (the first step, or after a restart): y_k = x_k, whatever x_{k-1}.
            s.y.copy_from_slice(&s.x);
        } else {
            for ((y, &x), &xp) in s.y.iter_mut().zip(&s.x).zip(&s.x_prev) {
                *y = x + beta * (x - xp);
            }
        }
        s.keep_for_undo_by_swap();
        let (gamma, h, f) = match step {
            AcceleratedStep::Rule(lr) => {
                oracle.gradient(view(&s.y), view_mut(&mut s.g));
                s.x.copy_from_slice(&s.y);
                // `lr` was checked where it was chosen (see `Minimizer::step`).
                match self
                    .optimizer
                    .step_with_checked_lr(view_mut(&mut s.x), view(&s.g), lr)
                {
                    // The rule has moved `x` when it finds its state overflowed: back to `x_k`.
                    Err(Error::NonFiniteState { .. }) => {
                        std::mem::swap(&mut s.x, &mut s.x_prev);
                        return Ok(Some(Termination::StateOverflow));
                    }
                    other => other?,
                }
                let h = self.apply_prox(view_mut(&mut s.x), lr);
                (lr, h, oracle.value(view(&s.x)))
            }
            AcceleratedStep::Backtracking(backtracking) => {
                let f_y = oracle.value_and_gradient(view(&s.y), view_mut(&mut s.g));
                self.direction(&s.y, &s.g, &mut s.work)?;
                let gamma = if s.step_size > F::zero() {
                    s.step_size
                } else {
                    backtracking.initial
                };
                let origin = Origin {
                    y: &s.y,
                    f: f_y,
                    g: &s.g,
                    d: &s.work,
                };
                let accepted = backtrack(
                    self.prox.as_deref_mut(),
                    oracle,
                    &origin,
                    &mut s.x,
                    None,
                    gamma,
                    backtracking.shrink,
                );
                match accepted {
                    Some(a) => (a.step, a.h, a.f),
                    None => {
                        std::mem::swap(&mut s.x, &mut s.x_prev);
                        s.gradient_at_y = true;
                        return Ok(Some(Termination::LineSearchFailed));
                    }
                }
            }
        };
        s.set_values(f, h);
        s.step_size = gamma;
        s.gradient_at_y = true;
        let restarted = match restart {
            Restart::Never => false,
            Restart::FunctionValue => s.f > s.previous.0,
            Restart::Gradient => {
                let mut angle = F::zero();
                for ((&y, &x), &xp) in s.y.iter().zip(&s.x).zip(&s.x_prev) {
                    angle += (y - x) * (x - xp);
                }
                angle > F::zero()
            }
        };
        if restarted {
            s.momentum.t = F::one();
            s.momentum.restarts += 1;
        } else {
            s.momentum.t = t_next;
        }
        Ok(None)
    }
}

/// How an accelerated step moves from `y_k`.
#[derive(Clone, Copy)]
pub(super) enum AcceleratedStep<F> {
    /// The rule's step with this step size (a constant, or a schedule's).
    Rule(F),
    /// The backtracking along the rule's direction.
    Backtracking(ProxBacktracking<F>),
}

/// The proximal gradient mapping at FISTA's extrapolated point, `|y - x| / γ` with
/// `x = prox_{γh}(y - γ∇f(y))` the step just taken from `y`.
#[inline]
pub(super) fn mapping_at_extrapolation<F: Real>(y: &[F], x: &[F], gamma: F) -> F {
    let gamma = if gamma > F::zero() { gamma } else { F::one() };
    crate::linalg::norm_of(y.iter().zip(x).map(|(&y, &x)| y - x)) / gamma
}
