//! ASGD: stochastic gradient descent with a decaying step size and a running average of the
//! iterates (Polyak-Ruppert averaging), as PyTorch implements it.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`Asgd`] (PyTorch's `ASGD` arguments and defaults).
    pub struct AsgdConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-2`.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Decay `λ`: the step size decays as `γ / (1 + λγt)^α`, and `x` shrinks by `1 - λη` at
        /// every step. Default `1e-4`.
        pub lambd: F = F::lit(1e-4) => NonNegative,
        /// Power `α` of the step size's decay. Default `0.75`.
        pub alpha: F = F::lit(0.75) => NonNegative,
        /// When the average starts: until step `t0 + 2` the average is the iterate itself, and
        /// from there on the mean of the iterates since that step. Default `1e6`.
        pub t0: F = F::lit(1e6) => NonNegative,
        /// L2 penalty `λ_wd` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// Averaged stochastic gradient descent (Polyak & Juditsky, 1992), with the decaying step size
/// of Bottou (2012), as `torch.optim.ASGD` computes it.
///
/// The iterate `x` moves by gradient descent with a step size `η` that decays and a shrinking
/// by `1 - λη`; the average `a` of the iterates since step `t0` is kept beside it. The scalars
/// `η` and `μ` of step `t` are those step `t - 1` computed (PyTorch keeps them in the state):
///
/// ```text
/// g_t = ∇f(x_{t-1}) + λ_wd x_{t-1}         (-∇f(x_{t-1}) + λ_wd x_{t-1} with maximize)
/// x_t = (1 - λ η_{t-1}) x_{t-1} - η_{t-1} g_t
/// a_t = x_t                                 (μ_{t-1} = 1)
/// a_t = a_{t-1} + μ_{t-1} (x_t - a_{t-1})   (otherwise)
/// η_t = γ / (1 + λ γ t)^α                   η_0 = γ
/// μ_t = 1 / max(1, t - t0)                  μ_0 = 1
/// ```
///
/// So, for an integer `t0`, `a_t` is the iterate `x_t` itself while `t <= t0 + 2`, and the mean
/// of `x_{t0+2}, …, x_t` after that. `γ` is the step size passed to the step (the loop's, or `lr`):
/// the first step uses it as `η_0`, and each step computes the next `η` from its own `γ`.
/// (PyTorch's single-tensor code computes `η_t` as written above; its `foreach` code takes
/// `1 + λγ t^α` instead. gradus follows the first, which is also what PyTorch documents.)
///
/// ## The average
///
/// The average is the point with the guarantee of Polyak and Juditsky. PyTorch users read it
/// from the state (`state["ax"]`); here it is [`AsgdState::average`], through
/// [`Rule::state`], and it is also the rule's
/// [evaluation point](crate::Optimizer::evaluation_point): the
/// [`Minimizer`](crate::Minimizer) reports the average at the end of a run, and `f` there, as
/// for the schedule-free rules, while the iterate the rule moves stays the one gradients are
/// taken at. With the default `t0 = 1e6` the average is the iterate on any shorter run; set
/// `t0` two steps before the averaging should start (`0` averages all but the first step).
///
/// Defaults: `lr = 1e-2`, `lambd = 1e-4`, `alpha = 0.75`, `t0 = 1e6`, `weight_decay = 0`,
/// `maximize = false`.
///
/// References: B. T. Polyak, A. B. Juditsky, "Acceleration of stochastic approximation by
/// averaging", SIAM J. Control Optim. 30(4), 1992; L. Bottou, "Stochastic gradient descent
/// tricks", Neural Networks: Tricks of the Trade, 2012.
///
/// ```
/// use gradus::optim::AsgdConfig;
/// use gradus::{Asgd, Optimizer};
/// use ndarray::array;
///
/// // t0 = 0 averages from the second step on: after three steps, the mean of x₂ and x₃.
/// let mut asgd = Asgd::new(AsgdConfig { lambd: 0.0, t0: 0.0, ..Default::default() })?;
/// let mut x = array![1.0_f64];
/// for _ in 0..3 {
///     let g = x.clone(); // f(x) = x²/2
///     asgd.step(x.view_mut(), g.view(), 0.5)?;
/// }
/// assert_eq!(x[0], 0.125);
/// assert_eq!(asgd.state().average(), [0.1875]);
/// let mut point = array![0.0];
/// assert!(asgd.evaluation_point(x.view(), point.view_mut())?);
/// assert_eq!(point[0], 0.1875);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Asgd<F> = Rule<AsgdConfig<F>>;

/// The state of [`Asgd`]: the average, and the step size and averaging weight of the next
/// step.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AsgdState<F> {
    /// `a_t`, the average of the iterates (PyTorch's `ax`).
    ax: Vec<F>,
    /// `η_t`, the step size of the next step.
    eta: F,
    /// `μ_t`, the weight of the next iterate in the average.
    mu: F,
}

impl<F: Real> AsgdState<F> {
    /// `a_t`, the average of the iterates after the last step (PyTorch's `ax`; empty before
    /// the first step).
    pub fn average(&self) -> &[F] {
        &self.ax
    }

    /// `η_t`, the step size the next step will use (PyTorch's `eta`).
    pub fn eta(&self) -> F {
        self.eta
    }

    /// `μ_t`, the weight the next step will give its iterate in the average (PyTorch's `mu`).
    pub fn mu(&self) -> F {
        self.mu
    }
}

/// The scalars of one ASGD step.
#[derive(Debug, Clone, Copy)]
pub struct AsgdStep<F> {
    /// `η_{t-1}`.
    eta: F,
    /// `1 - λ η_{t-1}`, rounded once from `f64`.
    decay: F,
    /// `μ_{t-1}`.
    mu: F,
    /// Whether `μ_{t-1} = 1`, so that the average is the iterate itself.
    copy: bool,
    weight_decay: WeightDecay<F>,
}

impl<F: Real> ElementwiseRule for AsgdConfig<F> {
    rule_types!("ASGD", AsgdState<F>, AsgdStep<F>);

    fn start(&self, state: &mut AsgdState<F>, n: usize) {
        fill(&mut state.ax, n, F::zero());
        state.eta = self.lr;
        state.mu = F::one();
    }

    fn buffers(state: &mut AsgdState<F>) -> Buffers<'_, F> {
        Buffers::new([&mut state.ax[..]])
    }

    /// Also computes `η_t` and `μ_t` for the next step.
    fn prepare(&self, state: &mut AsgdState<F>, t: usize, lr: F) -> AsgdStep<F> {
        if t == 1 {
            state.eta = lr;
            state.mu = F::one();
        }
        let (eta, mu) = (state.eta, state.mu);
        let (lambd, lr64, t64) = (self.lambd.as_f64(), lr.as_f64(), t as f64);
        state.eta = F::lit(lr64 / (1.0 + lambd * lr64 * t64).powf(self.alpha.as_f64()));
        state.mu = F::lit(1.0 / (t64 - self.t0.as_f64()).max(1.0));
        AsgdStep {
            eta,
            decay: F::lit(1.0 - lambd * eta.as_f64()),
            mu,
            copy: mu == F::one(),
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
        }
    }

    fn apply(
        &self,
        s: AsgdStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        state: Buffers<'_, F>,
    ) -> bool {
        let [ax, ..] = state.into_array();
        let AsgdStep {
            eta,
            decay,
            mu,
            copy,
            weight_decay: wd,
        } = s;
        if copy {
            kernel::apply(
                x,
                grad,
                [ax],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [a]| {
                    let g = wd.gradient(g, *x);
                    *x = *x * decay - eta * g;
                    *a = *x;
                },
            );
        } else {
            kernel::apply(
                x,
                grad,
                [ax],
                Simd::Streaming,
                #[inline(always)]
                move |x, g, [a]| {
                    let g = wd.gradient(g, *x);
                    *x = *x * decay - eta * g;
                    *a += (*x - *a) * mu;
                },
            );
        }
        true
    }

    fn has_evaluation_point(&self) -> bool {
        true
    }

    /// The average `a_t`.
    fn evaluation_point(
        &self,
        state: &AsgdState<F>,
        offset: usize,
        y: ArrayView1<'_, F>,
        x: ArrayViewMut1<'_, F>,
    ) -> bool {
        let average = &state.ax[offset..offset + y.len()];
        Zip::from(x)
            .and(ArrayView1::from(average))
            .for_each(|x, &a| *x = a);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    #[test]
    fn asgd_matches_hand_computed_steps_before_and_after_t0() {
        let (lr, lambd, alpha, t0, wd) = (0.1, 0.5, 0.75, 2.0, 0.2);
        let grads = [
            [0.5, -2.0],
            [-0.3, 0.1],
            [0.2, 0.05],
            [1.0, -1.0],
            [0.4, 0.3],
        ];
        let mut rule = Asgd::new(AsgdConfig {
            lr: 1.0,
            lambd,
            alpha,
            t0,
            weight_decay: wd,
            maximize: false,
        })
        .unwrap();
        let mut ax = [[0.0; 2]; 5];
        let (mut eta, mut mu) = ([lr; 2], [1.0; 2]);
        let mut k = 0;
        assert_matches_hand(&mut rule, lr, [1.0, -2.0], &grads, |t, i, g, x| {
            let g = g + wd * *x;
            *x = *x * (1.0 - lambd * eta[i]) - eta[i] * g;
            let previous = if t > 1.0 { ax[t as usize - 2][i] } else { 0.0 };
            ax[t as usize - 1][i] = if mu[i] == 1.0 {
                *x
            } else {
                previous + (*x - previous) * mu[i]
            };
            eta[i] = lr / (1.0 + lambd * lr * t).powf(alpha);
            mu[i] = 1.0 / (t - t0).max(1.0);
            k += 1;
        });
        assert_eq!(k, 10);
        // Steps 1 to 4 copy the iterate (μ = 1), step 5 weighs it by 1/2.
        for (&average, &hand) in rule.state().average().iter().zip(&ax[4]) {
            assert_close!(average, hand);
        }
        assert_close!(rule.state().mu(), 1.0 / 3.0);
        assert_close!(
            rule.state().eta(),
            lr / (1.0 + lambd * lr * 5.0).powf(alpha)
        );
    }

    #[test]
    fn the_average_is_the_mean_of_the_iterates_after_t0() {
        let mut rule = Asgd::new(AsgdConfig {
            lambd: 0.0,
            t0: 0.0,
            ..Default::default()
        })
        .unwrap();
        let mut x = array![0.0_f64];
        let mut iterates = vec![];
        for k in 0..6 {
            rule.step(x.view_mut(), array![k as f64 - 2.0].view(), 0.5)
                .unwrap();
            iterates.push(x[0]);
        }
        // μ_1 = 1 as well: the mean of x₂ … x₆.
        let mean = iterates[1..].iter().sum::<f64>() / 5.0;
        assert_close!(rule.state().average()[0], mean);
        let mut point = array![f64::NAN];
        assert!(rule.evaluation_point(x.view(), point.view_mut()).unwrap());
        assert_close!(point[0], mean);
    }

    #[test]
    fn with_the_default_t0_the_average_is_the_iterate() {
        let mut rule = Asgd::<f64>::default();
        let mut x = array![1.0, -1.0];
        for _ in 0..4 {
            let g = x.mapv(|v| 3.0 * v);
            rule.step(x.view_mut(), g.view(), 0.1).unwrap();
        }
        assert_eq!(rule.state().average(), x.as_slice().unwrap());
        let mut point = array![0.0, 0.0];
        assert!(rule.evaluation_point(x.view(), point.view_mut()).unwrap());
        assert_eq!(point, x);
        let fresh = Asgd::<f64>::default();
        assert!(!fresh.evaluation_point(x.view(), point.view_mut()).unwrap());
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            Asgd::new,
            AsgdConfig {
                weight_decay: 0.1,
                lambd: 0.5,
                t0: 1.0,
                ..Default::default()
            }
        );
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Asgd::<f64>::new, {
            lr: [-1e-2],
            lambd: [-1.0],
            alpha: [f64::NAN],
            t0: [f64::INFINITY],
            weight_decay: [-0.1],
        });
    }
}
