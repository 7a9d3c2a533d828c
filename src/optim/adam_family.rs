//! What the Adam family (Adam, AdamW, AMSGrad, Adamax, NAdam, RAdam) shares: the validation of
//! its hyperparameters, the moment updates, the bias corrections and the weight decay (coupled
//! or decoupled, see [`WeightDecay`]).
//!
//! Every per-step scalar is computed once per step in `f64` and rounded once to `F`, so that an
//! `f32` run differs from an `f64` run only by the rounding of the per-coordinate arithmetic.

use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::{Domain, Result, check};

/// Validates the hyperparameters the Adam family shares: `lr` and `weight_decay` finite and
/// `>= 0`, both betas in `[0, 1)` (named `betas.0`, `betas.1`), `eps` finite and `> 0`.
pub(crate) fn check_adam_family<F: Real>(
    lr: F,
    betas: (F, F),
    eps: F,
    weight_decay: F,
) -> Result<()> {
    check("lr", lr, Domain::NonNegative)?;
    check("betas.0", betas.0, Domain::UnitInterval)?;
    check("betas.1", betas.1, Domain::UnitInterval)?;
    check("eps", eps, Domain::Positive)?;
    check("weight_decay", weight_decay, Domain::NonNegative)
}

/// Everything of one step of an Adam-family rule that is the same for all coordinates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyStep<F> {
    /// The moment updates.
    pub moments: Moments<F>,
    /// The weight decay, coupled or decoupled.
    pub weight_decay: WeightDecay<F>,
    /// `1 - β₁ᵗ`, in `f64`.
    pub bias_correction1: f64,
    /// `1 - β₂ᵗ`, in `f64`.
    pub bias_correction2: f64,
}

impl<F: Real> FamilyStep<F> {
    /// The scalars of step `t` (from 1) with step size `lr`.
    pub(crate) fn new(betas: (F, F), weight_decay: F, decoupled: bool, lr: F, t: usize) -> Self {
        let t = t as f64;
        FamilyStep {
            moments: Moments::new(betas),
            weight_decay: WeightDecay::new(weight_decay, decoupled, lr),
            bias_correction1: 1.0 - betas.0.as_f64().powf(t),
            bias_correction2: 1.0 - betas.1.as_f64().powf(t),
        }
    }

    /// The same step for a rule that maximizes when `maximize` is set (see
    /// `WeightDecay::maximizing`).
    pub(crate) fn maximizing(self, maximize: bool) -> Self {
        FamilyStep {
            weight_decay: self.weight_decay.maximizing(maximize),
            ..self
        }
    }
}

/// The exponential moving averages of the gradient and of its square:
///
/// ```text
/// m_t = β₁ m_{t-1} + (1 - β₁) g_t
/// v_t = β₂ v_{t-1} + (1 - β₂) g_t²
/// ```
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moments<F> {
    beta1: F,
    one_minus_beta1: F,
    beta2: F,
    one_minus_beta2: F,
}

impl<F: Real> Moments<F> {
    /// The averages with decay rates `betas = (β₁, β₂)`; `1 - β` is rounded once from `f64`.
    pub(crate) fn new(betas: (F, F)) -> Self {
        Moments {
            beta1: betas.0,
            one_minus_beta1: F::lit(1.0 - betas.0.as_f64()),
            beta2: betas.1,
            one_minus_beta2: F::lit(1.0 - betas.1.as_f64()),
        }
    }

    /// `m_t` from `m_{t-1}` and `g_t`.
    #[inline(always)]
    pub(crate) fn first(self, m: F, g: F) -> F {
        self.beta1 * m + self.one_minus_beta1 * g
    }

    /// `v_t` from `v_{t-1}` and `g_t`.
    #[inline(always)]
    pub(crate) fn second(self, v: F, g: F) -> F {
        self.beta2 * v + self.one_minus_beta2 * (g * g)
    }
}
