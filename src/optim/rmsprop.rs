//! RMSProp: gradient steps scaled by a running root mean square of the gradients.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Optimizer, check_step, state};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Hyperparameters of [`RmsProp`] (PyTorch's `RMSprop` arguments and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig<F> {
    /// Step size `γ` used when the loop sets none. Default `1e-2`.
    pub lr: F,
    /// Smoothing constant `α` of the running averages, in `[0, 1)`. Default `0.99`.
    pub alpha: F,
    /// Term `ε > 0` added to the denominator. Default `1e-8`.
    pub eps: F,
    /// L2 penalty `λ` added to the gradient. Default `0`.
    pub weight_decay: F,
    /// Momentum factor `μ` of the scaled step, in `[0, 1)`. Default `0`.
    pub momentum: F,
    /// Normalise by an estimate of the gradient's variance instead of its second moment
    /// (Graves, 2013). Default `false`.
    pub centered: bool,
}

impl<F: Real> Default for RmsPropConfig<F> {
    fn default() -> Self {
        RmsPropConfig {
            lr: F::lit(1e-2),
            alpha: F::lit(0.99),
            eps: F::lit(1e-8),
            weight_decay: F::zero(),
            momentum: F::zero(),
            centered: false,
        }
    }
}

/// RMSProp (Tieleman & Hinton, 2012), optionally centered (Graves, 2013) and with momentum.
///
/// This is `torch.optim.RMSprop`:
///
/// ```text
/// g_t = ∇f(x_{t-1}) + λ x_{t-1}
/// v_t = α v_{t-1} + (1 - α) g_t²                   v_0 = 0
/// ḡ_t = α ḡ_{t-1} + (1 - α) g_t                    ḡ_0 = 0   (centered)
/// s_t = √(v_t - ḡ_t²) + ε   (centered)     s_t = √v_t + ε   (otherwise)
/// b_t = μ b_{t-1} + g_t / s_t                      b_0 = 0   (μ > 0)
/// x_t = x_{t-1} - γ b_t     (μ > 0)        x_t = x_{t-1} - γ g_t / s_t   (μ = 0)
/// ```
///
/// Squares, roots and divisions are taken element by element. Each coordinate moves by about
/// `γ` whatever the scale of its gradient, so the step size is a length in `x`-space.
///
/// Defaults: `lr = 1e-2`, `alpha = 0.99`, `eps = 1e-8`, `weight_decay = 0`, `momentum = 0`,
/// `centered = false`.
///
/// References: T. Tieleman, G. Hinton, "Lecture 6.5 — RMSProp: divide the gradient by a running
/// average of its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012;
/// A. Graves, "Generating sequences with recurrent neural networks", arXiv:1308.0850, 2013.
#[derive(Debug, Clone)]
pub struct RmsProp<F> {
    config: RmsPropConfig<F>,
    square_avg: Option<Array1<F>>,
    grad_avg: Option<Array1<F>>,
    momentum_buffer: Option<Array1<F>>,
    steps: usize,
}

impl<F: Real> RmsProp<F> {
    /// RMSProp with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, an `alpha` or `momentum` outside `[0, 1)`, or an `eps` that is not
    /// finite and positive.
    pub fn new(config: RmsPropConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("alpha", config.alpha, Domain::UnitInterval)?;
        check("eps", config.eps, Domain::Positive)?;
        check("weight_decay", config.weight_decay, Domain::NonNegative)?;
        check("momentum", config.momentum, Domain::UnitInterval)?;
        Ok(RmsProp {
            config,
            square_avg: None,
            grad_avg: None,
            momentum_buffer: None,
            steps: 0,
        })
    }

    /// RMSProp with step size `lr` and the other defaults.
    ///
    /// # Errors
    /// As [`new`](RmsProp::new).
    pub fn with_lr(lr: F) -> Result<Self> {
        Self::new(RmsPropConfig {
            lr,
            ..Default::default()
        })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &RmsPropConfig<F> {
        &self.config
    }
}

impl<F: Real> Default for RmsProp<F> {
    fn default() -> Self {
        RmsProp {
            config: RmsPropConfig::default(),
            square_avg: None,
            grad_avg: None,
            momentum_buffer: None,
            steps: 0,
        }
    }
}

impl<F: Real> Optimizer<F> for RmsProp<F> {
    fn name(&self) -> &'static str {
        if self.config.centered {
            "RMSProp (centered)"
        } else {
            "RMSProp"
        }
    }

    fn default_lr(&self) -> F {
        self.config.lr
    }

    fn step(&mut self, x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        check_step(
            x.len(),
            grad.len(),
            lr,
            self.square_avg.as_ref().map(Array1::len),
        )?;
        let RmsPropConfig {
            alpha,
            eps,
            weight_decay: wd,
            momentum: mu,
            centered,
            ..
        } = self.config;
        let n = x.len();
        let one_minus_alpha = F::one() - alpha;
        let v = state(&mut self.square_avg, n, F::zero());
        // The optional states exist only when their option is on.
        let centered_avg = centered.then(|| state(&mut self.grad_avg, n, F::zero()));
        let buffer = (mu > F::zero()).then(|| state(&mut self.momentum_buffer, n, F::zero()));
        let update = |x: &mut F, g: F, v: &mut F, gbar: Option<&mut F>, b: Option<&mut F>| {
            let g = if wd != F::zero() { g + wd * *x } else { g };
            *v = alpha * *v + one_minus_alpha * (g * g);
            let s = match gbar {
                Some(gbar) => {
                    *gbar = alpha * *gbar + one_minus_alpha * g;
                    (*v - *gbar * *gbar).sqrt() + eps
                }
                None => v.sqrt() + eps,
            };
            match b {
                Some(b) => {
                    *b = mu * *b + g / s;
                    *x -= lr * *b;
                }
                None => *x -= lr * (g / s),
            }
        };
        match (centered_avg, buffer) {
            (None, None) => Zip::from(x)
                .and(grad)
                .and(v)
                .for_each(|x, &g, v| update(x, g, v, None, None)),
            (Some(centered_avg), None) => Zip::from(x)
                .and(grad)
                .and(v)
                .and(centered_avg)
                .for_each(|x, &g, v, a| update(x, g, v, Some(a), None)),
            (None, Some(buffer)) => Zip::from(x)
                .and(grad)
                .and(v)
                .and(buffer)
                .for_each(|x, &g, v, b| update(x, g, v, None, Some(b))),
            (Some(centered_avg), Some(buffer)) => Zip::from(x)
                .and(grad)
                .and(v)
                .and(centered_avg)
                .and(buffer)
                .for_each(|x, &g, v, a, b| update(x, g, v, Some(a), Some(b))),
        }
        self.steps += 1;
        Ok(())
    }

    fn reset(&mut self) {
        self.square_avg = None;
        self.grad_avg = None;
        self.momentum_buffer = None;
        self.steps = 0;
    }

    fn steps_taken(&self) -> usize {
        self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use ndarray::array;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    fn check_against_hand(centered: bool, mu: f64) {
        let (lr, alpha, eps, wd) = (0.01, 0.9, 1e-3, 0.1);
        let grads = [[0.5, -1.0], [-0.3, 2.0], [0.2, 0.4]];
        let mut rule = RmsProp::new(RmsPropConfig {
            lr: 1.0,
            alpha,
            eps,
            weight_decay: wd,
            momentum: mu,
            centered,
        })
        .unwrap();
        let mut x = array![1.0, -2.0];
        let (mut hx, mut hv, mut hg, mut hb) = ([1.0, -2.0], [0.0; 2], [0.0; 2], [0.0; 2]);
        for (t, g) in grads.iter().enumerate() {
            rule.step(x.view_mut(), array![g[0], g[1]].view(), lr)
                .unwrap();
            for i in 0..2 {
                let gi = g[i] + wd * hx[i];
                hv[i] = alpha * hv[i] + (1.0 - alpha) * gi * gi;
                hg[i] = alpha * hg[i] + (1.0 - alpha) * gi;
                let s = if centered {
                    (hv[i] - hg[i] * hg[i]).sqrt() + eps
                } else {
                    hv[i].sqrt() + eps
                };
                if mu > 0.0 {
                    hb[i] = mu * hb[i] + gi / s;
                    hx[i] -= lr * hb[i];
                } else {
                    hx[i] -= lr * gi / s;
                }
                assert!(
                    close(x[i], hx[i]),
                    "step {t}, x[{i}] = {} vs {}",
                    x[i],
                    hx[i]
                );
            }
        }
    }

    #[test]
    fn centered_with_momentum_and_weight_decay_matches_hand_computed_first_three_steps() {
        check_against_hand(true, 0.7);
    }

    #[test]
    fn every_option_combination_matches_hand_computed_first_three_steps() {
        check_against_hand(false, 0.0);
        check_against_hand(true, 0.0);
        check_against_hand(false, 0.7);
    }

    #[test]
    fn first_step_by_hand_numbers() {
        // α = 0.99: v = 0.01 g², so the first step is γ g / (0.1 |g| + ε) ≈ 10 γ sign(g).
        let mut rule = RmsProp::default();
        let mut x = array![0.0_f64, 0.0];
        rule.step(x.view_mut(), array![2.0, -0.5].view(), 0.01)
            .unwrap();
        assert!(close(x[0], -0.01 * 2.0 / (0.2 + 1e-8)));
        assert!(close(x[1], 0.01 * 0.5 / (0.05 + 1e-8)));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let bad = [
            (
                "lr",
                RmsPropConfig {
                    lr: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "alpha",
                RmsPropConfig {
                    alpha: 1.0,
                    ..Default::default()
                },
            ),
            (
                "alpha",
                RmsPropConfig {
                    alpha: -0.1,
                    ..Default::default()
                },
            ),
            (
                "eps",
                RmsPropConfig {
                    eps: 0.0,
                    ..Default::default()
                },
            ),
            (
                "weight_decay",
                RmsPropConfig {
                    weight_decay: -1.0,
                    ..Default::default()
                },
            ),
            (
                "momentum",
                RmsPropConfig {
                    momentum: 1.2,
                    ..Default::default()
                },
            ),
        ];
        for (name, config) in bad {
            match RmsProp::new(config) {
                Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: expected an error, got {other:?}"),
            }
        }
    }
}
