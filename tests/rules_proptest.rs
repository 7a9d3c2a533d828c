//! Property tests of the update rules.
//!
//! 1. `step` never panics, whatever the iterate, the gradient, the step size and the
//!    hyperparameters (finite or not), for every rule and variant of the registry
//!    (`tests/common/rules.rs`); building a rule may fail, and then nothing is stepped.
//! 2. The first step of every rule and variant from a fresh state moves each coordinate against
//!    its gradient (or not at all): every rule's first direction is the gradient scaled by a
//!    positive factor per coordinate (`b₁ = g` for momentum, `m̂₁ = g` and `v̂₁ = g²` for the
//!    Adam family, RAdam's first step being a momentum step since `ρ₁ = 1 <= 5`; L-BFGS's
//!    `-min(1, 1/|g|) g` before any pair; Barzilai-Borwein's `-γ g` before any pair; the
//!    accelerated gradient's `y₁ - x₀ = -(1 + β) γ g` with `β >= 0`).
//! 3. Descent at every step on a convex quadratic `f(x) = ½ x'Ax`, for the rules that are descent
//!    methods with a small enough constant step:
//!    - gradient descent with `γ < 2/L` (`L` the largest eigenvalue of `A`): along every
//!      eigenvector the error is multiplied by `1 - γλ ∈ (-1, 1)`;
//!    - the heavy ball started from rest with `γ L <= (1 - √μ)²` and Nesterov's momentum with
//!      `γ L <= ((1 - μ)/(1 + μ))²`: the recurrence of each eigen-coordinate then has two real
//!      roots in `(0, 1)` (it is over-damped), and its solution from the first step `b₁ = g₁`
//!      stays positive and decreases (a short computation with the closed form
//!      `e_k = A r₁ᵏ + B r₂ᵏ`).
//!
//!    Weight decay `λ` adds `λx` to the gradient, so these rules then descend on
//!    `½ x'(A + λI)x`, which is what is checked. The adaptive rules (RMSProp, Adam and its
//!    variants, AdaGrad, Adadelta) are not descent methods for any fixed step: they move each
//!    coordinate by about `γ` whatever the size of its gradient, so close enough to the minimiser
//!    every step overshoots. Momentum with dampening is left out: its velocity is not started
//!    from rest in the same sense, and the bound above does not apply.
//!
//! `L` is bounded above by the Frobenius norm of `A`, so the step sizes below are safe.

mod common;

use common::rules::{Draw, rules};
use gradus::optim::{GradientDescentConfig, MomentumConfig};
use gradus::{GradientDescent, Momentum, Optimizer};
use ndarray::{Array1, Array2};
use proptest::prelude::*;

/// The number of rules and variants in the registry.
fn kinds() -> usize {
    rules::<f64>().len()
}

/// Any `f64`, with the special values made common.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => proptest::num::f64::ANY,
        4 => -10.0..10.0f64,
        2 => 0.0..1.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
    ]
}

/// Valid hyperparameters in the rules' domains: decay rates in `[0, 0.999]`, `eps` in
/// `[1e-10, 1e-2]`, weight decay zero.
fn valid_hyperparameters() -> impl Strategy<Value = Draw> {
    (
        0.0..0.999f64,
        0.0..0.999f64,
        -10.0..-2.0f64,
        0.0..1.0f64,
        0.0..0.01f64,
    )
        .prop_map(|(rate1, rate2, log_eps, lr_decay, momentum_decay)| Draw {
            rate1,
            rate2,
            eps: 10f64.powf(log_eps),
            lr_decay,
            momentum_decay,
        })
}

/// `½ x'Ax`.
fn quadratic(a: &Array2<f64>, x: &Array1<f64>) -> f64 {
    0.5 * x.dot(&a.dot(x))
}

/// A random symmetric positive definite `n × n` matrix `M'M + δI`.
fn spd() -> impl Strategy<Value = Array2<f64>> {
    (1usize..5).prop_flat_map(|n| {
        (proptest::collection::vec(-3.0..3.0f64, n * n), 0.01..1.0f64).prop_map(
            move |(m, delta)| {
                let m = Array2::from_shape_vec((n, n), m).unwrap();
                m.t().dot(&m) + Array2::<f64>::eye(n) * delta
            },
        )
    })
}

fn frobenius(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn step_never_panics(
        kind in 0..kinds(),
        h in proptest::array::uniform6(any_f64()),
        n in 0usize..5,
        xs in proptest::collection::vec(any_f64(), 5),
        grads in proptest::collection::vec(proptest::collection::vec(any_f64(), 0..6), 1..5),
        lrs in proptest::collection::vec(any_f64(), 4),
    ) {
        if let Some(mut rule) = (rules()[kind].from_raw)(&h) {
            let mut x = Array1::from_vec(xs[..n].to_vec());
            for (k, g) in grads.iter().enumerate() {
                let g = Array1::from_vec(g.clone());
                let _ = rule.step(x.view_mut(), g.view(), lrs[k % lrs.len()]);
                let _ = rule.steps_taken();
            }
            rule.reset();
            let _ = rule.step(x.view_mut(), Array1::zeros(n).view(), 0.1);
        }
    }

    #[test]
    fn the_first_step_moves_every_coordinate_against_its_gradient(
        kind in 0..kinds(),
        d in valid_hyperparameters(),
        xg in proptest::collection::vec((-1e3..1e3f64, -1e3..1e3f64), 1..6),
        lr in 0.0..10.0f64,
    ) {
        let entry = &rules()[kind];
        let mut rule = (entry.from_draw)(&d);
        let x0: Array1<f64> = xg.iter().map(|p| p.0).collect();
        let g: Array1<f64> = xg.iter().map(|p| p.1).collect();
        let mut x = x0.clone();
        rule.step(x.view_mut(), g.view(), lr).unwrap();
        for i in 0..x.len() {
            // A rule that also shrinks x (Fromage) may move a coordinate with its gradient,
            // but then towards zero, without crossing it.
            let shrunk = entry.shrinks && x[i].abs() <= x0[i].abs() && x[i] * x0[i] >= 0.0;
            prop_assert!(
                ((x[i] - x0[i]) * g[i] <= 0.0 || shrunk) && x[i].is_finite(),
                "{}: x0 {} -> {} with g {}", rule.name(), x0[i], x[i], g[i]
            );
        }
    }

    #[test]
    fn gradient_descent_with_a_step_below_2_over_l_never_increases_a_convex_quadratic(
        a in spd(),
        x0 in proptest::collection::vec(-10.0..10.0f64, 4),
        fraction in 0.01..0.999f64,
        wd in prop_oneof![Just(0.0), 0.0..1.0f64],
    ) {
        let n = a.nrows();
        let aug = &a + &(Array2::<f64>::eye(n) * wd);
        let lr = fraction * 2.0 / frobenius(&aug);
        let mut rule = GradientDescent::new(GradientDescentConfig { lr, weight_decay: wd, maximize: false }).unwrap();
        let mut x = Array1::from_vec(x0[..n].to_vec());
        let mut f = quadratic(&aug, &x);
        for _ in 0..20 {
            let g = a.dot(&x);
            rule.step(x.view_mut(), g.view(), lr).unwrap();
            let f_next = quadratic(&aug, &x);
            prop_assert!(f_next <= f * (1.0 + 1e-12) + 1e-300, "f went from {f} to {f_next}");
            f = f_next;
        }
    }

    #[test]
    fn over_damped_momentum_never_increases_a_convex_quadratic(
        a in spd(),
        x0 in proptest::collection::vec(-10.0..10.0f64, 4),
        mu in 0.01..0.99f64,
        fraction in 0.01..1.0f64,
        nesterov in any::<bool>(),
        wd in prop_oneof![Just(0.0), 0.0..1.0f64],
    ) {
        let n = a.nrows();
        let aug = &a + &(Array2::<f64>::eye(n) * wd);
        let bound = if nesterov {
            ((1.0 - mu) / (1.0 + mu)).powi(2)
        } else {
            (1.0 - mu.sqrt()).powi(2)
        };
        let lr = fraction * bound / frobenius(&aug);
        let mut rule = Momentum::new(MomentumConfig {
            lr,
            momentum: mu,
            weight_decay: wd,
            nesterov,
            ..Default::default()
        })
        .unwrap();
        let mut x = Array1::from_vec(x0[..n].to_vec());
        let mut f = quadratic(&aug, &x);
        for _ in 0..30 {
            let g = a.dot(&x);
            rule.step(x.view_mut(), g.view(), lr).unwrap();
            let f_next = quadratic(&aug, &x);
            prop_assert!(f_next <= f * (1.0 + 1e-12) + 1e-300, "{}: f went from {f} to {f_next}", rule.name());
            f = f_next;
        }
    }
}
