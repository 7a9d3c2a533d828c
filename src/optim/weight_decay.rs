//! Weight decay, as every rule applies it: an L2 penalty `λx` added to the gradient (coupled), or
//! a shrinking of `x` by `1 - γλ` before the step (decoupled, as AdamW); and [`rule_config!`],
//! which writes every rule's configuration with its defaults.

use crate::Real;

/// Weight decay `λ` folded into two per-step coefficients: `l2 = λ, decay = 1` for the coupled
/// penalty (Adam's L2 term `g + λx`), `l2 = 0, decay = 1 - γλ` for the decoupled decay (AdamW's
/// shrinking of `x`), and `l2 = 0, decay = 1` without weight decay; with the sign `±1` of the
/// gradient, `-1` when the rule maximizes (PyTorch's `maximize`, which negates the gradient
/// before the penalty is added).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WeightDecay<F> {
    l2: F,
    decay: F,
    sign: F,
}

impl<F: Real> WeightDecay<F> {
    /// The coupled penalty `λ = weight_decay`.
    pub(crate) fn coupled(weight_decay: F) -> Self {
        WeightDecay {
            l2: weight_decay,
            decay: F::one(),
            sign: F::one(),
        }
    }

    /// The penalty `λ = weight_decay`, decoupled or not, for step size `γ = lr` (`1 - γλ` is
    /// computed in `f64` and rounded once).
    pub(crate) fn new(weight_decay: F, decoupled: bool, lr: F) -> Self {
        let (l2, decay) = if decoupled {
            (0.0, 1.0 - lr.as_f64() * weight_decay.as_f64())
        } else {
            (weight_decay.as_f64(), 1.0)
        };
        WeightDecay {
            l2: F::lit(l2),
            decay: F::lit(decay),
            sign: F::one(),
        }
    }

    /// The same decay for a rule that maximizes when `maximize` is set: the gradient is then
    /// negated before the penalty is added. Without it the gradient is multiplied by `1`, which
    /// is exact, so a rule that minimizes takes the same steps to the bit as without the sign.
    pub(crate) fn maximizing(self, maximize: bool) -> Self {
        WeightDecay {
            sign: if maximize { -F::one() } else { F::one() },
            ..self
        }
    }

    /// The gradient as the rule descends along it: `g`, or `-g` for a rule that maximizes.
    #[inline(always)]
    pub(crate) fn signed(self, g: F) -> F {
        g * self.sign
    }

    /// The gradient (negated for a rule that maximizes) with the coupled penalty, `g + λx`; `g`
    /// itself when there is none, as in PyTorch (so a gradient of `-0` stays `-0`, and an infinite `x` adds nothing).
    #[inline(always)]
    pub(crate) fn gradient(self, g: F, x: F) -> F {
        let g = self.signed(g);
        if self.l2 != F::zero() {
            g + self.l2 * x
        } else {
            g
        }
    }

    /// The gradient with the coupled penalty, `g + λx`, added even when `λ = 0` (Adam's
    /// branch-free form). It differs from [`gradient`](Self::gradient) only for a gradient of
    /// `-0` (which becomes `+0`) or a non-finite `x`.
    #[inline(always)]
    pub(crate) fn gradient_always(self, g: F, x: F) -> F {
        self.signed(g) + self.l2 * x
    }

    /// `x` shrunk by the decoupled decay, `(1 - γλ) x` (`x` itself, exactly, otherwise).
    #[inline(always)]
    pub(crate) fn shrink(self, x: F) -> F {
        x * self.decay
    }
}
