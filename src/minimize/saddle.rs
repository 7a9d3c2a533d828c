//! Leaving saddle points: when the gradient criterion would stop a run, the second-order
//! certificate is asked, and at a saddle the run steps along the direction of negative curvature
//! and goes on.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use super::Minimizer;
use super::oracle::Oracle;
use super::run::{State, view, view_mut};
use crate::Real;
use crate::curvature::{CurvatureConfig, PointKind};
use crate::error::{Domain, Result, check, check_count};
use crate::optim::Optimizer;

/// How [`Minimizer::escape_saddles`] leaves a point where the gradient is small.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EscapeMethod<F> {
    /// Certify the point by its curvature, and at a saddle step along the direction of negative
    /// curvature (the default): costs a few Hessian-vector products per would-be stop, and
    /// stops at once at a minimum.
    NegativeCurvature,
    /// Perturbed gradient descent (Jin, Ge, Netrapalli, Kakade & Jordan, 2017): add a point
    /// drawn uniformly from the ball of radius `radius` (seeded by `seed` and the escape's
    /// number) and go on; at the next would-be stop, if `f` has not fallen by more than
    /// `decrease` below its value where the perturbation was added, the point was a minimum (to
    /// that precision) and the run stops. Needs no second-order information.
    Perturbation {
        /// The radius `r` of the ball.
        radius: F,
        /// The decrease `f_thres` that shows a saddle was left.
        decrease: F,
        /// The seed of the draws.
        seed: u64,
    },
}

/// Settings of [`Minimizer::escape_saddles`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaddleEscape<F> {
    /// How to leave. Default [`EscapeMethod::NegativeCurvature`].
    pub method: EscapeMethod<F>,
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
            method: EscapeMethod::NegativeCurvature,
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
        check("initial_step", self.initial_step, Domain::Positive)?;
        if let EscapeMethod::Perturbation {
            radius, decrease, ..
        } = self.method
        {
            check("radius", radius, Domain::Positive)?;
            check("decrease", decrease, Domain::NonNegative)?;
        }
        Ok(())
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
        if let EscapeMethod::Perturbation {
            radius,
            decrease,
            seed,
        } = escape.method
        {
            return Ok(self.perturb(oracle, s, radius, decrease, seed));
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

    /// One perturbation of perturbed gradient descent (see [`EscapeMethod::Perturbation`]):
    /// `false` when the last one led to no decrease of `f` (the point is a minimum).
    fn perturb<Or: Oracle<F>>(
        &mut self,
        oracle: &mut Or,
        s: &mut State<F>,
        radius: F,
        decrease: F,
        seed: u64,
    ) -> bool {
        if s.escapes > 0 && s.f > s.perturbed_at - decrease {
            return false;
        }
        // Uniform in the ball: a Gaussian direction, and a radius r U^(1/n).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            seed ^ (s.escapes as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let n = s.x.len();
        let xi: Vec<F> = (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                F::lit(z)
            })
            .collect();
        let u: f64 = rng.random();
        let length = crate::linalg::norm(view(&xi));
        let scale = radius * F::lit(u.powf(1.0 / n as f64)) / length;
        s.perturbed_at = s.f;
        s.keep_for_undo();
        for (x, &d) in s.x.iter_mut().zip(&xi) {
            *x += scale * d;
        }
        let smooth = oracle.value_and_gradient(view(&s.x), view_mut(&mut s.g));
        s.set_values(smooth, s.h);
        s.stationarity = self.stationarity(s, F::one());
        s.escaped();
        true
    }
}
