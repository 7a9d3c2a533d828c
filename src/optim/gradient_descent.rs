//! Plain gradient descent.

use ndarray::{ArrayView1, ArrayViewMut1, Zip};

use super::config::rule_config;
use super::kernel::{self, Simd};
use super::rule::{ElementwiseRule, Rule, rule_types};
use super::state::Buffers;
use super::weight_decay::WeightDecay;
use crate::Real;

rule_config! {
    /// Hyperparameters of [`GradientDescent`].
    pub struct GradientDescentConfig<F> {
        /// Step size `γ` used when the loop sets none. Default `1e-3` (PyTorch's `SGD`).
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// L2 penalty `λ` added to the gradient. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// before anything else, weight decay included. The [`Minimizer`](crate::Minimizer)
        /// always minimizes `f`, so this is for stepping the rule by hand on a function to
        /// increase, or for a gradient function that returns the gradient of `-f`. Default
        /// `false`.
        pub maximize: bool = false,
    }
}

/// Gradient descent (Cauchy, 1847), with optional L2 weight decay.
///
/// ```text
/// g_t     = ∇f(x_{t-1}) + λ x_{t-1}
/// x_t     = x_{t-1} - γ g_t
/// ```
///
/// This is `torch.optim.SGD` with `momentum = 0`. On an `L`-smooth convex function the step
/// `γ = 1/L` decreases `f` at every step and reaches `f - f* <= ε` in `O(L/ε)` steps, and in
/// `O(κ log(1/ε))` steps when `f` is also `μ`-strongly convex (`κ = L/μ`). Its search direction is
/// `-g_t`, so it also runs with a line search.
pub type GradientDescent<F> = Rule<GradientDescentConfig<F>>;

/// The scalars of one gradient-descent step: the step size and the weight decay.
#[derive(Debug, Clone, Copy)]
pub struct GradientDescentStep<F> {
    lr: F,
    weight_decay: WeightDecay<F>,
}

impl<F: Real> ElementwiseRule for GradientDescentConfig<F> {
    rule_types!("GradientDescent", (), GradientDescentStep<F>);

    fn start(&self, _state: &mut (), _n: usize) {}

    fn buffers(_state: &mut ()) -> Buffers<'_, F> {
        Buffers::new([])
    }

    #[inline]
    fn prepare(&self, _state: &mut (), _t: usize, lr: F) -> GradientDescentStep<F> {
        GradientDescentStep {
            lr,
            weight_decay: WeightDecay::coupled(self.weight_decay).maximizing(self.maximize),
        }
    }

    #[inline]
    fn apply(
        &self,
        s: GradientDescentStep<F>,
        x: ArrayViewMut1<'_, F>,
        grad: ArrayView1<'_, F>,
        _state: Buffers<'_, F>,
    ) -> bool {
        kernel::apply(
            x,
            grad,
            [],
            Simd::Streaming,
            #[inline(always)]
            move |x, g, _| *x -= s.lr * s.weight_decay.gradient_always(g, *x),
        );
        true
    }

    fn has_search_direction(&self) -> bool {
        true
    }

    /// `d = -(g + λx)`.
    fn search_direction(
        &self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) {
        let wd = WeightDecay::coupled(self.weight_decay).maximizing(self.maximize);
        Zip::from(direction)
            .and(x)
            .and(grad)
            .for_each(|d, &x, &g| *d = -wd.gradient_always(g, x));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::tests::*;
    use ndarray::array;

    #[test]
    fn the_search_direction_of_a_maximizing_rule_ascends() {
        // d = -(-g + λx) = g - λx.
        let mut rule = GradientDescent::new(GradientDescentConfig {
            weight_decay: 0.5,
            maximize: true,
            ..Default::default()
        })
        .unwrap();
        let mut d = array![0.0, 0.0];
        rule.search_direction(
            array![2.0, -1.0].view(),
            array![1.0, 3.0].view(),
            d.view_mut(),
        )
        .unwrap();
        assert_eq!(d, array![0.0, 3.5]);
    }

    #[test]
    fn maximize_steps_as_the_negated_gradient_does() {
        assert_maximize!(
            GradientDescent::new,
            GradientDescentConfig {
                weight_decay: 0.1,
                ..Default::default()
            }
        );
    }
}
