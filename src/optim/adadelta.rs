//! Adadelta: steps whose units match those of `x`, from running averages of squared gradients
//! and squared updates.

use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip};

use super::{Optimizer, check_step, state};
use crate::Real;
use crate::error::{Domain, Result, check};

/// Hyperparameters of [`Adadelta`] (PyTorch's `Adadelta` arguments and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdadeltaConfig<F> {
    /// Factor `γ` scaling the update, used when the loop sets none. Default `1.0`.
    pub lr: F,
    /// Decay rate `ρ` of the running averages, in `[0, 1)`. Default `0.9`.
    pub rho: F,
    /// Term `ε > 0` added inside both roots. Default `1e-6`.
    pub eps: F,
    /// L2 penalty `λ` added to the gradient. Default `0`.
    pub weight_decay: F,
}

impl<F: Real> Default for AdadeltaConfig<F> {
    fn default() -> Self {
        AdadeltaConfig {
            lr: F::one(),
            rho: F::lit(0.9),
            eps: F::lit(1e-6),
            weight_decay: F::zero(),
        }
    }
}

/// Adadelta (Zeiler, 2012).
///
/// This is `torch.optim.Adadelta`:
///
/// ```text
/// g_t  = ∇f(x_{t-1}) + λ x_{t-1}
/// v_t  = ρ v_{t-1} + (1 - ρ) g_t²                    v_0 = 0
/// Δx_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
/// u_t  = ρ u_{t-1} + (1 - ρ) Δx_t²                   u_0 = 0
/// x_t  = x_{t-1} - γ Δx_t
/// ```
///
/// Squares, roots and divisions are taken element by element. The ratio of the two root mean
/// squares gives the update the units of `x`, so Zeiler's method needs no step size (`γ = 1`);
/// the steps start at about `√ε` and grow as the update average `u` builds up.
///
/// Defaults: `lr = 1.0`, `rho = 0.9`, `eps = 1e-6`, `weight_decay = 0`.
///
/// Reference: M. D. Zeiler, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701, 2012.
#[derive(Debug, Clone)]
pub struct Adadelta<F> {
    config: AdadeltaConfig<F>,
    square_avg: Option<Array1<F>>,
    acc_delta: Option<Array1<F>>,
    steps: usize,
}

impl<F: Real> Adadelta<F> {
    /// Adadelta with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a `rho` outside `[0, 1)`, or an `eps` that is not finite and
    /// positive.
    pub fn new(config: AdadeltaConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("rho", config.rho, Domain::UnitInterval)?;
        check("eps", config.eps, Domain::Positive)?;
        check("weight_decay", config.weight_decay, Domain::NonNegative)?;
        Ok(Adadelta {
            config,
            square_avg: None,
            acc_delta: None,
            steps: 0,
        })
    }

    /// Adadelta with the factor `lr` and the other defaults.
    ///
    /// # Errors
    /// As [`new`](Adadelta::new).
    pub fn with_lr(lr: F) -> Result<Self> {
        Self::new(AdadeltaConfig {
            lr,
            ..Default::default()
        })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &AdadeltaConfig<F> {
        &self.config
    }
}

impl<F: Real> Default for Adadelta<F> {
    fn default() -> Self {
        Adadelta {
            config: AdadeltaConfig::default(),
            square_avg: None,
            acc_delta: None,
            steps: 0,
        }
    }
}

impl<F: Real> Optimizer<F> for Adadelta<F> {
    fn name(&self) -> &'static str {
        "Adadelta"
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
        let AdadeltaConfig {
            rho,
            eps,
            weight_decay: wd,
            ..
        } = self.config;
        let one_minus_rho = F::one() - rho;
        let n = x.len();
        let v = state(&mut self.square_avg, n, F::zero());
        let u = state(&mut self.acc_delta, n, F::zero());
        Zip::from(x)
            .and(grad)
            .and(v)
            .and(u)
            .for_each(|x, &g, v, u| {
                let g = if wd != F::zero() { g + wd * *x } else { g };
                *v = rho * *v + one_minus_rho * (g * g);
                let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
                *u = rho * *u + one_minus_rho * (delta * delta);
                *x -= lr * delta;
            });
        self.steps += 1;
        Ok(())
    }

    fn reset(&mut self) {
        self.square_avg = None;
        self.acc_delta = None;
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

    #[test]
    fn adadelta_with_weight_decay_matches_hand_computed_first_three_steps() {
        let (lr, rho, eps, wd): (f64, f64, f64, f64) = (0.5, 0.8, 1e-2, 0.1);
        let grads = [[0.5, -2.0], [-0.3, 0.1], [0.2, 0.05]];
        let mut rule = Adadelta::new(AdadeltaConfig {
            lr: 1.0,
            rho,
            eps,
            weight_decay: wd,
        })
        .unwrap();
        let mut x = array![1.0, -2.0];
        let (mut hx, mut hv, mut hu) = ([1.0, -2.0], [0.0; 2], [0.0; 2]);
        for (k, g) in grads.iter().enumerate() {
            rule.step(x.view_mut(), array![g[0], g[1]].view(), lr)
                .unwrap();
            for i in 0..2 {
                let gi = g[i] + wd * hx[i];
                hv[i] = rho * hv[i] + (1.0 - rho) * gi * gi;
                let delta = ((hu[i] + eps) / (hv[i] + eps)).sqrt() * gi;
                hu[i] = rho * hu[i] + (1.0 - rho) * delta * delta;
                hx[i] -= lr * delta;
                assert!(
                    close(x[i], hx[i]),
                    "step {k}, x[{i}] = {} vs {}",
                    x[i],
                    hx[i]
                );
            }
        }
    }

    #[test]
    fn first_step_by_hand_numbers() {
        // ρ = 0.75, ε = 1/4, g = 1: v = 1/4, Δx = √(1/4) / √(1/2) = 1/√2.
        let mut rule = Adadelta::new(AdadeltaConfig {
            rho: 0.75,
            eps: 0.25,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![0.0_f64];
        rule.step(x.view_mut(), array![1.0].view(), 1.0).unwrap();
        assert!(close(x[0], -(0.5f64.sqrt())));
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let bad = [
            (
                "lr",
                AdadeltaConfig {
                    lr: -1.0,
                    ..Default::default()
                },
            ),
            (
                "rho",
                AdadeltaConfig {
                    rho: 1.0,
                    ..Default::default()
                },
            ),
            (
                "rho",
                AdadeltaConfig {
                    rho: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "eps",
                AdadeltaConfig {
                    eps: 0.0,
                    ..Default::default()
                },
            ),
            (
                "weight_decay",
                AdadeltaConfig {
                    weight_decay: -0.5,
                    ..Default::default()
                },
            ),
        ];
        for (name, config) in bad {
            match Adadelta::new(config) {
                Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: expected an error, got {other:?}"),
            }
        }
    }
}
