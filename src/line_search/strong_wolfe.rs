//! The strong Wolfe line search: bracketing, then zoom by safeguarded cubic interpolation.

use super::{LineFunction, LineSearch, LineSearchStep};
use crate::Real;
use crate::error::{Domain, Result, check, check_count, check_that};

/// Settings of [`StrongWolfe`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrongWolfeConfig<F> {
    /// Sufficient-decrease constant `c1`, in `(0, c2)`. Default `1e-4`.
    pub c1: F,
    /// Curvature constant `c2`, in `(c1, 1)`. Default `0.9`, the usual value for Newton and
    /// quasi-Newton directions; use `0.1` for nonlinear conjugate gradients, which need a more
    /// accurate search.
    pub c2: F,
    /// The first trial step `α₁`. Default `1`, the natural step of a quasi-Newton direction.
    pub initial_step: F,
    /// The largest step `α_max` tried while bracketing. Default `1e10`.
    pub max_step: F,
    /// The most evaluations of `φ` (each with its slope) in one search. Default `30`.
    pub max_evaluations: usize,
    /// Relative rounding level `τ` of the objective's values. Two values that differ by at most
    /// `τ |φ(0)|` are compared through their slopes instead (see [`StrongWolfe`]). Default
    /// `√ε / 100`: about `1.5e-10` for `f64`, `3.5e-6` for `f32`. `0` compares values only.
    pub value_tolerance: F,
}

impl<F: Real> Default for StrongWolfeConfig<F> {
    fn default() -> Self {
        StrongWolfeConfig {
            c1: F::lit(1e-4),
            c2: F::lit(0.9),
            initial_step: F::one(),
            max_step: F::lit(1e10),
            max_evaluations: 30,
            value_tolerance: F::epsilon().sqrt() * F::lit(0.01),
        }
    }
}

/// A line search for a step satisfying the strong Wolfe conditions (Nocedal and Wright,
/// *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6):
///
/// ```text
/// φ(α)     <= φ(0) + c1 α φ'(0)        (sufficient decrease)
/// |φ'(α)|  <= c2 |φ'(0)|               (curvature)
/// ```
///
/// with `0 < c1 < c2 < 1`. Along a descent direction such steps exist whenever `f` is bounded
/// below along the line, and they guarantee `s'y > 0` for `s = α d`, `y = ∇f(x + α d) - ∇f(x)`,
/// which quasi-Newton updates (BFGS, L-BFGS) need to stay positive definite.
///
/// **Bracketing** (Algorithm 3.5). Trial steps `α₁ = initial_step < α₂ < ...` are evaluated
/// (value and slope together) until one of
/// - `α_i` satisfies both conditions: it is accepted;
/// - `φ(α_i)` violates sufficient decrease, or `φ(α_i) >= φ(α_{i-1})`: a minimiser lies in
///   `(α_{i-1}, α_i)`, zoom there;
/// - `φ'(α_i) >= 0`: a minimiser lies in `(α_{i-1}, α_i)`, zoom there with the ends swapped.
///
/// Otherwise the step grows: to the minimiser of the cubic through `(α_{i-1}, φ, φ')` and
/// `(α_i, φ, φ')`, kept within `[α_i + Δ, α_i + 4Δ]` with `Δ = α_i - α_{i-1}`, and at most
/// `max_step`.
///
/// **Zoom** (Algorithm 3.6). The bracket `(α_lo, α_hi)` always holds a step with sufficient
/// decrease and the lowest value so far at `α_lo`, with `φ'(α_lo)(α_hi - α_lo) < 0`. The trial
/// `α_j` is the minimiser of the cubic interpolating `φ` and `φ'` at both ends (Nocedal and Wright,
/// eq. 3.59); if that cubic has no minimiser, of the quadratic through `φ(α_lo)`, `φ'(α_lo)` and
/// `φ(α_hi)`; if neither exists (for instance when `φ(α_hi)` is not finite), the midpoint. The
/// trial is then kept at least a tenth of the bracket's width away from both ends, so the bracket
/// shrinks by a factor `0.9` or better at every trial. A trial with insufficient decrease (or a
/// NaN or infinite value or slope) becomes `α_hi`; otherwise it is accepted if it satisfies the
/// curvature condition, and becomes `α_lo` if not.
///
/// **Evaluations and the accepted point.** Every trial evaluates the value and the gradient
/// together, and an accepted step is always the last point evaluated, so the loop has the
/// gradient there at no extra cost. For an exact quadratic the interpolation is exact: a search
/// that has to zoom accepts the exact minimiser along the line after one more evaluation,
/// provided it lies in the safeguarded part of the bracket.
///
/// **Rounding.** Near a minimiser the decrease of `f` along a step falls below the rounding
/// error of `f` long before the gradient does, and the comparisons of values become noise. When
/// two values differ by at most `value_tolerance · |φ(0)|`, their difference is therefore
/// estimated from the slopes by the trapezoidal rule, `φ(a) - φ(b) ≈ (a - b)(φ'(a) + φ'(b)) / 2`,
/// which is exact for a quadratic. Sufficient decrease then reads `φ'(α) <= (2 c1 - 1) φ'(0)`: the
/// approximate Wolfe condition of Hager and Zhang (2005). Away from the rounding level (every
/// search where `f` still decreases by more than that tolerance) the tests are the exact ones
/// above.
///
/// **When the conditions cannot be met.** If the bracket collapses to rounding level, or
/// `max_evaluations` trials have been made, the search returns `α_lo` when it is positive (a step
/// with sufficient decrease, but possibly not the curvature condition; the loop then evaluates the
/// gradient there once more), and fails otherwise. A step that reaches `max_step` while `φ` still
/// decreases is returned as it is, provided its value is below `φ(0)`: values that stay equal all
/// the way out (a flat `f` with a non-zero gradient) give no step.
///
/// **Within the rounding level** the slopes decide, and a step may raise `f` by at most
/// `value_tolerance · |φ(0)|`. Slopes that keep promising a decrease the values never show come
/// from a gradient inconsistent with `f` (check it with [`check_gradient`](crate::check_gradient)):
/// the loop stops such a run after ten steps that lower neither `f` nor the gradient, with
/// [`Termination::LineSearchFailed`](crate::Termination::LineSearchFailed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrongWolfe<F> {
    config: StrongWolfeConfig<F>,
}

impl<F: Real> Default for StrongWolfe<F> {
    /// `c1 = 1e-4`, `c2 = 0.9`, `initial_step = 1`, `max_step = 1e10`, `max_evaluations = 30`,
    /// `value_tolerance = √ε / 100`.
    fn default() -> Self {
        StrongWolfe {
            config: StrongWolfeConfig::default(),
        }
    }
}

/// A point on the line: step, value, slope.
#[derive(Debug, Clone, Copy)]
struct Trial<F> {
    alpha: F,
    value: F,
    slope: F,
}

impl<F: Real> Trial<F> {
    /// Evaluates `φ` and `φ'` at `alpha`.
    fn at(phi: &mut dyn LineFunction<F>, alpha: F) -> Self {
        let (value, slope) = phi.value_and_slope(alpha);
        Trial {
            alpha,
            value,
            slope,
        }
    }

    fn is_finite(&self) -> bool {
        self.value.is_finite() && self.slope.is_finite()
    }
}

impl<F: Real> StrongWolfe<F> {
    /// A strong Wolfe search with the given settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless `0 < c1 < c2 < 1`,
    /// `initial_step` is finite and positive, `max_step` is finite and at least `initial_step`,
    /// `max_evaluations >= 1`, and `value_tolerance` is finite and non-negative.
    pub fn new(config: StrongWolfeConfig<F>) -> Result<Self> {
        check("c1", config.c1, Domain::OpenUnitInterval)?;
        check_that(
            "c2",
            config.c2,
            "in (c1, 1)",
            config.c2 > config.c1 && config.c2 < F::one(),
        )?;
        check("initial_step", config.initial_step, Domain::Positive)?;
        check_that(
            "max_step",
            config.max_step,
            "finite and >= initial_step",
            config.max_step.is_finite() && config.max_step >= config.initial_step,
        )?;
        check_count("max_evaluations", config.max_evaluations, 1)?;
        check(
            "value_tolerance",
            config.value_tolerance,
            Domain::NonNegative,
        )?;
        Ok(StrongWolfe { config })
    }

    /// The default search with curvature constant `c2` (for example `0.1` for nonlinear
    /// conjugate gradients).
    ///
    /// # Errors
    /// As [`new`](StrongWolfe::new).
    pub fn with_c2(c2: F) -> Result<Self> {
        Self::new(StrongWolfeConfig {
            c2,
            ..Default::default()
        })
    }

    /// The settings.
    pub fn config(&self) -> &StrongWolfeConfig<F> {
        &self.config
    }

    /// The curvature bound `c2 |φ'(0)|` and the rounding level `τ |φ(0)|` of a search from
    /// `start`.
    fn thresholds(&self, start: Trial<F>) -> (F, F) {
        let c = &self.config;
        (-c.c2 * start.slope, c.value_tolerance * start.value.abs())
    }

    /// `true` if `trial` is not finite or fails sufficient decrease from `start`.
    fn lacks_decrease(&self, trial: Trial<F>, start: Trial<F>, tolerance: F) -> bool {
        !trial.is_finite()
            || difference(trial, start, tolerance) > self.config.c1 * trial.alpha * start.slope
    }

    /// Algorithm 3.6: shrinks the bracket `(lo, hi)` until a trial satisfies both conditions.
    fn zoom(
        &self,
        phi: &mut dyn LineFunction<F>,
        start: Trial<F>,
        mut lo: Trial<F>,
        mut hi: Trial<F>,
        mut evaluations: usize,
    ) -> Option<LineSearchStep<F>> {
        let c = &self.config;
        let (curvature, tolerance) = self.thresholds(start);
        while evaluations < c.max_evaluations {
            let width = (hi.alpha - lo.alpha).abs();
            // The bracket has collapsed to rounding level (or its width is NaN).
            if width.is_nan() || width <= F::epsilon() * lo.alpha.abs().max(hi.alpha.abs()) {
                break;
            }
            let trial = Trial::at(phi, interpolate(lo, hi));
            evaluations += 1;
            if self.lacks_decrease(trial, start, tolerance)
                || difference(trial, lo, tolerance) >= F::zero()
            {
                hi = trial;
            } else {
                if trial.slope.abs() <= curvature {
                    return Some(LineSearchStep {
                        alpha: trial.alpha,
                        value: trial.value,
                    });
                }
                if trial.slope * (hi.alpha - lo.alpha) >= F::zero() {
                    hi = lo;
                }
                lo = trial;
            }
        }
        (lo.alpha > F::zero()).then_some(LineSearchStep {
            alpha: lo.alpha,
            value: lo.value,
        })
    }
}

/// `φ(a) - φ(b)`: the difference of the values, or, when it is within `tolerance` (rounding
/// level), the trapezoidal estimate `(a - b)(φ'(a) + φ'(b)) / 2` from the slopes.
fn difference<F: Real>(a: Trial<F>, b: Trial<F>, tolerance: F) -> F {
    let d = a.value - b.value;
    if d.abs() > tolerance {
        return d;
    }
    let estimate = (a.alpha - b.alpha) * (a.slope + b.slope) * F::lit(0.5);
    if estimate.is_finite() { estimate } else { d }
}

/// The minimiser of the cubic through `(a.α, a.φ, a.φ')` and `(b.α, b.φ, b.φ')` (Nocedal and
/// Wright, eq. 3.59), if it exists and is finite.
fn cubic_minimizer<F: Real>(a: Trial<F>, b: Trial<F>) -> Option<F> {
    let d1 = a.slope + b.slope - F::lit(3.0) * (a.value - b.value) / (a.alpha - b.alpha);
    let radicand = d1 * d1 - a.slope * b.slope;
    if radicand.is_nan() || radicand < F::zero() {
        return None;
    }
    let d2 = (b.alpha - a.alpha).signum() * radicand.sqrt();
    let t = b.alpha - (b.alpha - a.alpha) * (b.slope + d2 - d1) / (b.slope - a.slope + d2 + d2);
    t.is_finite().then_some(t)
}

/// The minimiser of the quadratic through `φ(a)`, `φ'(a)` and `φ(b)`, if it is convex.
fn quadratic_minimizer<F: Real>(a: Trial<F>, b: Trial<F>) -> Option<F> {
    let w = b.alpha - a.alpha;
    let curvature = b.value - a.value - a.slope * w;
    if curvature.is_nan() || curvature <= F::zero() {
        return None;
    }
    let t = a.alpha - a.slope * w * w / (curvature + curvature);
    t.is_finite().then_some(t)
}

/// The zoom trial in the bracket `(lo, hi)`: cubic, else quadratic, else midpoint, then kept a
/// tenth of the width away from both ends.
fn interpolate<F: Real>(lo: Trial<F>, hi: Trial<F>) -> F {
    let guess = if hi.is_finite() {
        cubic_minimizer(lo, hi).or_else(|| quadratic_minimizer(lo, hi))
    } else if hi.value.is_finite() {
        quadratic_minimizer(lo, hi)
    } else {
        None
    };
    let (left, right) = if lo.alpha < hi.alpha {
        (lo.alpha, hi.alpha)
    } else {
        (hi.alpha, lo.alpha)
    };
    let margin = F::lit(0.1) * (right - left);
    match guess {
        Some(t) => t.max(left + margin).min(right - margin),
        None => F::lit(0.5) * (left + right),
    }
}

impl<F: Real> LineSearch<F> for StrongWolfe<F> {
    fn search(
        &mut self,
        phi: &mut dyn LineFunction<F>,
        value0: F,
        slope0: F,
    ) -> Option<LineSearchStep<F>> {
        let c = self.config;
        let start = Trial {
            alpha: F::zero(),
            value: value0,
            slope: slope0,
        };
        let (curvature, tolerance) = self.thresholds(start);
        let mut prev = start;
        let mut alpha = c.initial_step;
        let mut evaluations = 0;
        loop {
            let trial = Trial::at(phi, alpha);
            let (value, slope) = (trial.value, trial.slope);
            evaluations += 1;
            if self.lacks_decrease(trial, start, tolerance)
                || (evaluations > 1 && difference(trial, prev, tolerance) >= F::zero())
            {
                return self.zoom(phi, start, prev, trial, evaluations);
            }
            if slope.abs() <= curvature {
                return Some(LineSearchStep { alpha, value });
            }
            if slope >= F::zero() {
                return self.zoom(phi, start, trial, prev, evaluations);
            }
            if alpha >= c.max_step || evaluations >= c.max_evaluations {
                // Sufficient decrease holds and `φ` still decreases: take the step as it is,
                // provided the values show the decrease. Values that stay equal all the way out
                // (a flat `f` with a non-zero gradient) give no step.
                return (value < value0).then_some(LineSearchStep { alpha, value });
            }
            // Extrapolate: the cubic's minimiser beyond `α`, within [α + Δ, α + 4Δ].
            let delta = alpha - prev.alpha;
            let (low, high) = (alpha + delta, alpha + F::lit(4.0) * delta);
            let next = match cubic_minimizer(prev, trial) {
                Some(t) if t > alpha => t.max(low).min(high),
                _ => high,
            };
            prev = trial;
            alpha = next.min(c.max_step);
        }
    }
}
