//! Distance over gradients: DoG and DoWG, gradient descent whose step size is learnt from the
//! distance travelled from the start and the gradients seen.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::{Buffers, fill};
use super::weight_decay::WeightDecay;
use crate::Real;
use crate::error::{Domain, Result, check};

/// How [`Dog`] chooses its first step, before it has travelled any distance (optax's
/// `init_step`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DogStart<F> {
    /// `r_ε = α (1 + ‖x₀‖)`: a small fraction `α` of the starting point's scale. The
    /// authors suggest `α = 1e-6`, or `1e-4` for models with batch normalisation.
    Heuristic(F),
    /// `r_ε` given: the first step is `r_ε / √(‖g₀‖² + ε)` long.
    Distance(F),
    /// The first step size `η₀` given (`r_ε = 0`): the first step is `η₀ g₀`.
    LearningRate(F),
}

rule_config! {
    /// Hyperparameters of [`Dog`] (optax's `contrib.dog` arguments and defaults).
    pub struct DogConfig<F> {
        /// Multiplier `γ` of the learnt step size, the loop's step size when it sets none
        /// (optax's `learning_rate`, for a schedule). Default `1`.
        pub lr: F = F::one() => NonNegative,
        /// How the first step is chosen. Default `Heuristic(1e-6)`.
        pub init_step: DogStart<F> = DogStart::Heuristic(F::lit(1e-6)),
        /// Term `ε > 0` added to the sum of squared gradient norms. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => Positive,
        /// L2 penalty `λ` added to the gradient before everything else (optax's
        /// `weight_decay`, applied by `add_decayed_weights`). Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
    }
}

/// DoG, "distance over gradients" (Ivgi, Hinder & Carmon, 2023): gradient descent whose step
/// size is the largest distance from the start so far over the root of the sum of squared
/// gradient norms.
///
/// This is `optax.contrib.dog`:
///
/// ```text
/// g_t = ∇f(x_t) + λ x_t
/// r̄_t = max(r̄_{t-1}, ‖x_t - x₀‖)        r̄_{-1} = r_ε
/// G_t = G_{t-1} + ‖g_t‖²                 G_{-1} = 0
/// η_t = r̄_t / √(G_t + ε)                 (η₀ given, with DogStart::LearningRate)
/// x_{t+1} = x_t - γ · (η_t g_t)
/// ```
///
/// Norms are over all coordinates: of the vector, or of every tensor of a parameter-set group
/// together. `γ` multiplies the learnt step (default `1`): the loop's step size or a schedule's
/// factor, as optax's `learning_rate`. The step count `t` starts at 0 here as in the paper; the
/// rule's first step is `t = 0`.
///
/// With `r_ε` small the first steps are tiny and grow geometrically until the distance
/// travelled reflects the distance to the solution. For convex Lipschitz (stochastic) problems
/// with iterates that stay bounded, DoG's averaged iterate is within a logarithmic factor of the
/// best-tuned SGD's rate. The authors recommend iterate averaging.
///
/// Defaults: `lr = 1`, `init_step = Heuristic(1e-6)`, `eps = 1e-8`, `weight_decay = 0`.
///
/// Reference: M. Ivgi, O. Hinder, Y. Carmon, "DoG is SGD's best friend: a parameter-free
/// dynamic step size schedule", ICML 2023.
///
/// ```
/// use gradus::{Dog, Optimizer};
/// use ndarray::array;
///
/// // The first step is r_ε / ‖g₀‖ long in the direction -g₀, with r_ε = 1e-6 (1 + ‖x₀‖).
/// let mut dog = Dog::default();
/// let mut x = array![3.0_f64, 4.0];
/// dog.step(x.view_mut(), array![6.0, 8.0].view(), 1.0)?;
/// let eta = 1e-6 * (1.0 + 5.0) / (100.0_f64 + 1e-8).sqrt();
/// assert!((x[0] - (3.0 - eta * 6.0)).abs() < 1e-15);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Dog<F> = Rule<DogConfig<F>>;

rule_config! {
    /// Hyperparameters of [`Dowg`] (optax's `contrib.dowg` arguments and defaults).
    pub struct DowgConfig<F> {
        /// Multiplier `γ` of the learnt step size, the loop's step size when it sets none
        /// (optax's `learning_rate`, for a schedule). Default `1`.
        pub lr: F = F::one(),
        /// First estimate `r̄²_{-1}` of the squared distance to a solution; `None` takes `ε`.
        /// Default `None`.
        pub init_estim_sq_dist: Option<F> = None,
        /// Term `ε > 0` added to the denominator of the step size. Default `1e-4`.
        pub eps: F = F::lit(1e-4),
        /// L2 penalty `λ` added to the gradient before everything else (optax's
        /// `weight_decay`). Default `0`.
        pub weight_decay: F = F::zero(),
    }
}

/// DoWG, "distance over weighted gradients" (Khaled, Mishchenko & Jin, 2023): DoG with the
/// gradients weighted by the squared distance estimate, which adapts to smoothness as well.
///
/// This is `optax.contrib.dowg`:
///
/// ```text
/// g_t  = ∇f(x_t) + λ x_t
/// r̄²_t = max(r̄²_{t-1}, ‖x_t - x₀‖²)        r̄²_{-1} = init_estim_sq_dist (or ε)
/// v_t  = v_{t-1} + r̄²_t ‖g_t‖²               v_{-1} = 0
/// η_t  = r̄²_t / (√v_t + ε)
/// x_{t+1} = x_t - γ · (η_t g_t)
/// ```
///
/// Norms are over all coordinates (of the vector, or of a parameter-set group); `γ` multiplies
/// the learnt step (default `1`). DoWG needs no step size and no bound on the smoothness or
/// Lipschitz constant: on smooth convex problems its iterates reach the rate of gradient
/// descent with the best step size `1/L`, and on non-smooth ones that of the best
/// subgradient method, up to logarithmic factors, for iterates that stay bounded.
///
/// Defaults: `lr = 1`, `init_estim_sq_dist = None` (that is, `ε`), `eps = 1e-4`,
/// `weight_decay = 0`.
///
/// Reference: A. Khaled, K. Mishchenko, C. Jin, "DoWG unleashed: an efficient universal
/// parameter-free gradient descent method", NeurIPS 2023.
///
/// ```
/// use gradus::{Dowg, Optimizer};
/// use ndarray::array;
///
/// // f(x) = x²/2 from x = 4: DoWG finds the step size itself.
/// let mut dowg = Dowg::default();
/// let mut x = array![4.0_f64];
/// for _ in 0..200 {
///     let g = x.clone();
///     dowg.step(x.view_mut(), g.view(), 1.0)?;
/// }
/// assert!(x[0].abs() < 1e-6);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Dowg<F> = Rule<DowgConfig<F>>;

/// The state of [`Dog`] and [`Dowg`]: the starting point, and the two running scalars.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DistanceState<F> {
    /// `x₀`, the point of the first step.
    x0: Vec<F>,
    /// `r̄`, the largest distance from `x₀` so far (DoG), or its square `r̄²` (DoWG).
    distance: F,
    /// `G`, the sum of squared gradient norms (DoG), or `v`, the weighted sum (DoWG).
    gradients: F,
}

impl<F: Real> DistanceState<F> {
    /// The largest distance from the starting point so far: `r̄` for DoG, `r̄²` for DoWG.
    pub fn distance(&self) -> F {
        self.distance
    }

    /// The sum of squared gradient norms so far: `G` for DoG, the weighted `v` for DoWG.
    pub fn gradients(&self) -> F {
        self.gradients
    }
}

/// One step of [`Dog`] or [`Dowg`]: before the sums, whether it is the first; after, the step
/// size.
#[derive(Debug, Clone, Copy)]
pub struct DistanceStep<F> {
    /// The first step, whose pass records `x₀`.
    first: bool,
    /// `γ`, the loop's multiplier.
    lr: F,
    /// `η_t`, once [`ElementwiseRule::settle`] has it.
    eta: F,
    weight_decay: WeightDecay<F>,
}

impl<F: Real> DistanceStep<F> {
    fn new(first: bool, lr: F, weight_decay: F) -> Self {
        DistanceStep {
            first,
            lr,
            eta: F::zero(),
            weight_decay: WeightDecay::coupled(weight_decay),
        }
    }
}

/// The first pass of DoG and DoWG: on the first step `x₀ ← x` and `[‖x‖², ‖g‖²]`, later
/// `[‖x - x₀‖², ‖g‖²]`, with `g` the gradient with the L2 penalty.
fn distance_sums<F: Real>(
    s: DistanceStep<F>,
    x: ArrayView1<'_, F>,
    grad: ArrayView1<'_, F>,
    state: Buffers<'_, F>,
) -> [F; 2] {
    let [x0, ..] = state.into_array();
    let wd = s.weight_decay;
    if s.first {
        kernel::gather(
            x,
            grad,
            [x0],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [x0]| {
                *x0 = x;
                let g = wd.gradient(g, x);
                [x * x, g * g]
            },
        )
    } else {
        kernel::gather(
            x,
            grad,
            [x0],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, [x0]| {
                let d = *x0 - x;
                let g = wd.gradient(g, x);
                [d * d, g * g]
            },
        )
    }
}

/// The move of DoG and DoWG: `x ← x - γ (η g)`.
fn distance_move<F: Real>(s: DistanceStep<F>, x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>) {
    let DistanceStep {
        lr,
        eta,
        weight_decay: wd,
        ..
    } = s;
    kernel::apply(
        x,
        grad,
        [],
        Simd::Streaming,
        #[inline(always)]
        move |x, g, []| {
            let g = wd.gradient(g, *x);
            *x -= lr * (eta * g);
        },
    );
}

/// The items DoG and DoWG implement alike: the starting point as their one buffer, the step's
/// scalars, the first pass ([`distance_sums`]) and the move ([`distance_move`]).
macro_rules! distance_rule_passes {
    () => {
        fn buffers(state: &mut DistanceState<F>) -> Buffers<'_, F> {
            Buffers::new([&mut state.x0[..]])
        }

        fn prepare(&self, _state: &mut DistanceState<F>, t: usize, lr: F) -> DistanceStep<F> {
            DistanceStep::new(t == 1, lr, self.weight_decay)
        }

        fn gather(
            &self,
            step: DistanceStep<F>,
            x: ArrayView1<'_, F>,
            grad: ArrayView1<'_, F>,
            state: Buffers<'_, F>,
        ) -> [F; 2] {
            distance_sums(step, x, grad, state)
        }

        fn apply(
            &self,
            step: DistanceStep<F>,
            x: ArrayViewMut1<'_, F>,
            grad: ArrayView1<'_, F>,
            _state: Buffers<'_, F>,
        ) -> bool {
            distance_move(step, x, grad);
            true
        }
    };
}

impl<F: Real> ElementwiseRule for DogConfig<F> {
    rule_types!(DistanceState<F>, DistanceStep<F>, [F; 2]);

    fn name(&self) -> &'static str {
        "DoG"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, an `eps` or an `init_step` value that is not finite and positive
    /// (named `init_step`).
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        let (DogStart::Heuristic(v) | DogStart::Distance(v) | DogStart::LearningRate(v)) =
            self.init_step;
        check("init_step", v, Domain::Positive)?;
        Ok(())
    }

    fn start(&self, state: &mut DistanceState<F>, n: usize) {
        fill(&mut state.x0, n, F::zero());
        state.distance = F::zero();
        state.gradients = F::zero();
    }

    distance_rule_passes!();

    fn settle(
        &self,
        state: &mut DistanceState<F>,
        mut step: DistanceStep<F>,
        [squared_distance, squared_gradient]: [F; 2],
    ) -> DistanceStep<F> {
        if step.first {
            state.distance = match self.init_step {
                DogStart::Heuristic(alpha) => alpha * (F::one() + squared_distance.sqrt()),
                DogStart::Distance(r) => r,
                DogStart::LearningRate(_) => F::zero(),
            };
        } else {
            state.distance = state.distance.max(squared_distance.sqrt());
        }
        state.gradients += squared_gradient;
        step.eta = match self.init_step {
            DogStart::LearningRate(eta) if step.first => eta,
            _ => state.distance / (state.gradients + self.eps).sqrt(),
        };
        step
    }
}

impl<F: Real> ElementwiseRule for DowgConfig<F> {
    rule_types!(DistanceState<F>, DistanceStep<F>, [F; 2]);

    fn name(&self) -> &'static str {
        "DoWG"
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, or an `eps` or `init_estim_sq_dist` that is not finite and
    /// positive.
    fn validate(&self) -> Result<()> {
        check("lr", self.lr, Domain::NonNegative)?;
        if let Some(r2) = self.init_estim_sq_dist {
            check("init_estim_sq_dist", r2, Domain::Positive)?;
        }
        check("eps", self.eps, Domain::Positive)?;
        check("weight_decay", self.weight_decay, Domain::NonNegative)
    }

    fn start(&self, state: &mut DistanceState<F>, n: usize) {
        fill(&mut state.x0, n, F::zero());
        state.distance = self.init_estim_sq_dist.unwrap_or(self.eps);
        state.gradients = F::zero();
    }

    distance_rule_passes!();

    fn settle(
        &self,
        state: &mut DistanceState<F>,
        mut step: DistanceStep<F>,
        [squared_distance, squared_gradient]: [F; 2],
    ) -> DistanceStep<F> {
        // On the first step x = x₀: the distance travelled is zero.
        if !step.first {
            state.distance = state.distance.max(squared_distance);
        }
        state.gradients = state.distance * squared_gradient + state.gradients;
        step.eta = state.distance / (state.gradients.sqrt() + self.eps);
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::{Array1, array};

    /// Three steps of a rule from `x0` with `grads`, against `hand(t, x, g) -> η_t` that keeps
    /// the rule's scalars written out by hand from whole vectors; `x` moves by `-γ η g`.
    fn check_steps(
        rule: &mut dyn Optimizer<f64>,
        lr: f64,
        wd: f64,
        x0: [f64; 3],
        grads: &[[f64; 3]],
        mut eta: impl FnMut(usize, &[f64; 3], &[f64; 3]) -> f64,
    ) {
        let mut x = Array1::from(x0.to_vec());
        let mut hand = x0;
        for (t, g) in grads.iter().enumerate() {
            let with_decay: [f64; 3] = std::array::from_fn(|i| g[i] + wd * hand[i]);
            let e = eta(t, &hand, &with_decay);
            rule.step(x.view_mut(), Array1::from(g.to_vec()).view(), lr)
                .unwrap();
            for i in 0..3 {
                hand[i] -= lr * (e * with_decay[i]);
                assert_close!(x[i], hand[i], "step {t}, coordinate {i}");
            }
        }
    }

    fn norm2(v: &[f64; 3]) -> f64 {
        v.iter().map(|v| v * v).sum()
    }

    fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
        a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum()
    }

    const X0: [f64; 3] = [1.0, -2.0, 0.5];
    const GRADS: [[f64; 3]; 3] = [[0.5, -2.0, 1.0], [-0.3, 0.1, 0.4], [0.2, 0.05, -1.5]];

    #[test]
    fn dog_matches_hand_computed_steps_for_every_start() {
        let (lr, wd, eps) = (0.7, 0.1, 1e-3);
        for init_step in [
            DogStart::Heuristic(0.2),
            DogStart::Distance(0.3),
            DogStart::LearningRate(0.05),
        ] {
            let mut rule = Dog::new(DogConfig {
                lr: 1.0,
                init_step,
                eps,
                weight_decay: wd,
            })
            .unwrap();
            let (mut r, mut big_g) = (0.0_f64, 0.0);
            check_steps(&mut rule, lr, wd, X0, &GRADS, |t, x, g| {
                if t == 0 {
                    r = match init_step {
                        DogStart::Heuristic(a) => a * (1.0 + norm2(&X0).sqrt()),
                        DogStart::Distance(r) => r,
                        DogStart::LearningRate(_) => 0.0,
                    };
                }
                r = r.max(dist2(x, &X0).sqrt());
                big_g += norm2(g);
                match init_step {
                    DogStart::LearningRate(eta) if t == 0 => eta,
                    _ => r / (big_g + eps).sqrt(),
                }
            });
        }
    }

    #[test]
    fn dowg_matches_hand_computed_steps() {
        let (lr, wd, eps) = (0.7, 0.1, 1e-3);
        for init in [None, Some(0.4)] {
            let mut rule = Dowg::new(DowgConfig {
                lr: 1.0,
                init_estim_sq_dist: init,
                eps,
                weight_decay: wd,
            })
            .unwrap();
            let (mut r2, mut v) = (init.unwrap_or(eps), 0.0_f64);
            check_steps(&mut rule, lr, wd, X0, &GRADS, |_, x, g| {
                r2 = r2.max(dist2(x, &X0));
                v += r2 * norm2(g);
                r2 / (v.sqrt() + eps)
            });
        }
    }

    #[test]
    fn optax_docstring_figures_for_dowg() {
        // optax's example: f(x) = Σ x², x = (1, 2, 3), five steps of contrib.dowg().
        let mut rule = Dowg::default();
        let mut x = array![1.0_f32, 2.0, 3.0];
        let mut values = Vec::new();
        for _ in 0..5 {
            let g = x.mapv(|v| 2.0 * v);
            rule.step(x.view_mut(), g.view(), 1.0).unwrap();
            values.push(x.dot(&x));
        }
        let expected = [13.925367, 13.872763, 13.775433, 13.596172, 13.268837];
        for (v, e) in values.iter().zip(expected) {
            assert!((v - e).abs() < 2e-5, "{values:?}");
        }
    }

    #[test]
    fn a_zero_gradient_at_the_start_and_a_zero_start_stay_finite() {
        for mut rule in [
            Box::new(Dog::<f64>::default()) as Box<dyn Optimizer<f64>>,
            Box::new(Dowg::<f64>::default()),
        ] {
            let mut x = Array1::zeros(3);
            rule.step(x.view_mut(), Array1::zeros(3).view(), 1.0)
                .unwrap();
            assert_eq!(x, Array1::<f64>::zeros(3), "{}", rule.name());
            rule.step(x.view_mut(), array![1.0, -1.0, 0.0].view(), 1.0)
                .unwrap();
            assert!(x.iter().all(|v| v.is_finite()), "{}", rule.name());
            assert!(x[0] < 0.0 && x[1] > 0.0, "{}", rule.name());
        }
    }

    #[test]
    fn sums_over_a_strided_view_are_those_of_a_contiguous_one() {
        let mut a = Dog::<f64>::default();
        let mut b = a.clone();
        let mut x = Array1::from_shape_fn(1000, |i| (i as f64).sin());
        let mut wide = Array1::zeros(2000);
        wide.slice_mut(ndarray::s![..;2]).assign(&x);
        for k in 0..3 {
            let g = Array1::from_shape_fn(1000, |i| ((i * (k + 3)) as f64).cos());
            let mut gwide = Array1::zeros(2000);
            gwide.slice_mut(ndarray::s![..;2]).assign(&g);
            a.step(x.view_mut(), g.view(), 1.0).unwrap();
            b.step(
                wide.slice_mut(ndarray::s![..;2]),
                gwide.slice(ndarray::s![..;2]),
                1.0,
            )
            .unwrap();
        }
        assert_eq!(x, wide.slice(ndarray::s![..;2]));
        assert_eq!(a.state().distance(), b.state().distance());
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_rejects_fields!(Dog::<f64>::new, {
            lr: [-1.0],
            init_step: [DogStart::Heuristic(0.0), DogStart::LearningRate(f64::NAN)],
            eps: [0.0],
            weight_decay: [-0.1],
        });
        assert_rejects_fields!(Dowg::<f64>::new, {
            lr: [f64::INFINITY],
            init_estim_sq_dist: [Some(-1.0)],
            eps: [-1e-4],
        });
    }
}
