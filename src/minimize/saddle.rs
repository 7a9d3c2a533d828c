//! Leaving saddle points: when the gradient criterion would stop a run, the second-order
//! certificate is asked, and at a saddle the run steps along the direction of negative curvature
//! and goes on.

use super::Minimizer;
use super::oracle::Oracle;
use super::run::{State, view, view_mut};
use crate::Real;
use crate::curvature::{CurvatureConfig, PointKind};
use crate::error::{Domain, Result, check, check_count};
use crate::optim::Optimizer;

/// Settings of [`Minimizer::escape_saddles`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaddleEscape<F> {
    /// The certificate asked at each would-be stop (its gradient tolerance is not used: the
    /// run's criterion decides when to ask). Default [`CurvatureConfig::default`].
    pub curvature: CurvatureConfig<F>,
    /// The most escapes in one run. Default `10`.
    pub max_escapes: usize,
    /// The first trial length `α₀` of a step along the direction, relative to
    /// `max(1, |x|∞)`. Default `1`.
    pub initial_step: F,
}

impl<F: Real> Default for SaddleEscape<F> {
    fn default() -> Self {
        SaddleEscape {
            curvature: CurvatureConfig::default(),
            max_escapes: 10,
            initial_step: F::one(),
        }
    }
}

impl<F: Real> SaddleEscape<F> {
    /// Checks the settings.
    pub(super) fn validate(&self) -> Result<()> {
        check_count("max_escapes", self.max_escapes, 1)?;
        check("initial_step", self.initial_step, Domain::Positive)
    }
}

impl<F: Real, O: Optimizer<F>> Minimizer<'_, F, O> {
    /// At a point where the gradient criterion holds: certifies it, and at a saddle moves to
    /// `x + σ α u` along the unit direction of negative curvature `u`, with the sign `σ` and the
    /// first length `α = α₀ max(1, |x|∞), α₀/2, …` (at most 60 halvings) that lower `f`, then
    /// evaluates `f` and `∇f` there. Returns `true` if the run moved and goes on; `false` at a
    /// minimum or a degenerate point, when no trial lowered `f`, or when the escapes are spent.
    pub(super) fn escape_saddle<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        escape: &SaddleEscape<F>,
    ) -> Result<bool> {
        if s.escapes >= escape.max_escapes {
            return Ok(false);
        }
        let Some(certificate) = oracle.certify(view(&s.x), &escape.curvature) else {
            return Ok(false);
        };
        let PointKind::Saddle { direction } = certificate?.kind else {
            return Ok(false);
        };
        let f0 = s.f;
        s.keep_for_undo();
        let scale = s.x_prev.iter().fold(F::one(), |m, &v| m.max(v.abs()));
        let mut alpha = escape.initial_step * scale;
        for _ in 0..=60 {
            for sign in [F::one(), -F::one()] {
                for ((x, &origin), &u) in s.x.iter_mut().zip(&s.x_prev).zip(&direction) {
                    *x = origin + sign * alpha * u;
                }
                let f = oracle.value(view(&s.x));
                if f < f0 {
                    let smooth = oracle.value_and_gradient(view(&s.x), view_mut(&mut s.g));
                    s.set_values(smooth, s.h);
                    s.stationarity = self.stationarity(s, F::one());
                    s.escaped();
                    return Ok(true);
                }
            }
            alpha *= F::lit(0.5);
        }
        // No trial lowered f (a saddle at the rounding level of f): back to where it stood.
        let State { x, x_prev, .. } = s;
        x.copy_from_slice(x_prev);
        Ok(false)
    }
}
