//! Properties that every update rule shares, checked on every rule and variant of the registry
//! (`tests/common/rules.rs`) with its options on: zero gradients, length checks, step-size
//! checks, `reset`, step counting, strided views and `f32`; and the registry's flags checked
//! against the rules (names, PyTorch's default step sizes, search directions, elementwise
//! updates, momentum).
//!
//! The values of each rule's first steps are checked against hand computations in the unit
//! tests of its own file (`src/optim/*.rs`).

mod common;

use approx::relative_eq;
use common::rules::{Rule, rules};
use gradus::line_search::Backtracking;
use gradus::{Error, FnObjective, Minimizer, Objective, Optimizer, Real};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array, s};

/// Every rule of the registry with its options on, and weight decay `wd` wherever it exists.
fn every_rule<F: Real>(wd: f64) -> Vec<Box<dyn Optimizer<F>>> {
    rules::<F>()
        .iter()
        .map(|r| (r.with_options)(F::lit(wd)))
        .collect()
}

/// A gradient sequence with mixed signs and scales, long enough to pass RAdam's warm-up.
fn gradient(k: usize) -> Array1<f64> {
    let k = k as f64;
    array![
        0.7 - 0.2 * k,
        (-1.0f64).powf(k) * (3.0 - 0.25 * k),
        0.01 * (k + 1.0)
    ]
}

#[test]
fn names_are_distinct_and_say_the_variant() {
    let registry = rules::<f64>();
    for (i, rule) in registry.iter().enumerate() {
        assert_eq!((rule.default)().name(), rule.name);
        assert_eq!((rule.with_options)(0.1).name(), rule.name);
        assert!(
            registry[..i].iter().all(|other| other.name != rule.name),
            "{} twice",
            rule.name
        );
    }
}

#[test]
fn default_lr_is_pytorchs_default() {
    let mut checked = 0;
    for rule in rules::<f64>() {
        if let Some(lr) = rule.pytorch_lr {
            assert_eq!((rule.default)().default_lr(), lr, "{}", rule.name);
            checked += 1;
        }
    }
    // Every rule but Barzilai-Borwein and Nesterov's accelerated gradient has a PyTorch twin.
    assert!(checked >= 17, "{checked}");
}

#[test]
fn zero_gradients_from_a_fresh_state_leave_x_unchanged() {
    // Without weight decay every rule's step is a multiple of its moments, which stay zero; a
    // rule that shrinks x moves it towards zero only. Not Yogi's: optax starts its first moment
    // at `initial_accumulator_value`, not zero.
    for entry in rules::<f64>() {
        if entry.name == "Yogi" {
            continue;
        }
        let mut rule = (entry.with_options)(0.0);
        let x0 = array![1.5, -2.0, 0.0];
        let mut x = x0.clone();
        for _ in 0..7 {
            rule.step(x.view_mut(), Array1::zeros(3).view(), 0.1)
                .unwrap();
        }
        if entry.shrinks {
            assert_ne!(x, x0, "{}", entry.name);
            for (x, x0) in x.iter().zip(&x0) {
                assert!(x.abs() <= x0.abs() && x * x0 >= 0.0, "{}", entry.name);
            }
        } else {
            assert_eq!(x, x0, "{}", rule.name());
        }
        assert_eq!(rule.steps_taken(), 7, "{}", rule.name());
    }
}

#[test]
fn a_zero_gradient_leaves_x_unchanged_after_any_history_for_rules_without_momentum() {
    // GradientDescent, RMSProp without momentum, AdaGrad and Adadelta move x by a positive
    // multiple of the current gradient, and L-BFGS and Barzilai-Borwein by a matrix or a number
    // times it, Rprop by a step size times its sign; rules with momentum keep moving on their
    // velocity or first moment, and ASGD shrinks x.
    for rule in rules::<f64>() {
        let mut optimizer = (rule.default)();
        let mut x = array![1.5, -2.0, 0.0];
        for k in 0..3 {
            optimizer
                .step(x.view_mut(), gradient(k).view(), 0.1)
                .unwrap();
        }
        let before = x.clone();
        optimizer
            .step(x.view_mut(), Array1::zeros(3).view(), 0.1)
            .unwrap();
        if rule.momentum || rule.shrinks {
            assert_ne!(
                x, before,
                "{} keeps moving on its momentum or shrinking",
                rule.name
            );
        } else {
            assert_eq!(x, before, "{}", rule.name);
        }
    }
}

#[test]
fn a_gradient_of_another_length_is_an_error_and_changes_nothing() {
    for mut rule in every_rule::<f64>(0.1) {
        let mut x = array![1.0, 2.0, 3.0];
        let err = rule.step(x.view_mut(), array![1.0, 2.0].view(), 0.1);
        assert!(
            matches!(
                err,
                Err(Error::DimensionMismatch {
                    expected: 3,
                    found: 2,
                    ..
                })
            ),
            "{}: {err:?}",
            rule.name()
        );
        assert_eq!(x, array![1.0, 2.0, 3.0]);
        assert_eq!(rule.steps_taken(), 0);
    }
}

#[test]
fn a_step_of_another_length_after_the_first_is_an_error_not_a_panic() {
    // A stateless rule takes any length at any step.
    for mut rule in every_rule::<f64>(0.1)
        .into_iter()
        .zip(rules::<f64>())
        .filter_map(|(optimizer, rule)| rule.stateful.then_some(optimizer))
    {
        let mut x = array![1.0, 2.0, 3.0];
        rule.step(x.view_mut(), gradient(0).view(), 0.1).unwrap();
        let mut y = array![1.0, 2.0];
        let err = rule.step(y.view_mut(), array![0.5, 0.5].view(), 0.1);
        assert!(
            matches!(
                err,
                Err(Error::DimensionMismatch {
                    expected: 3,
                    found: 2,
                    ..
                })
            ),
            "{}: {err:?}",
            rule.name()
        );
        assert_eq!(y, array![1.0, 2.0], "{}", rule.name());
        assert_eq!(rule.steps_taken(), 1, "{}", rule.name());
        // The rule goes on with the old length as if nothing had happened, and after a reset
        // it takes the new one.
        rule.step(x.view_mut(), gradient(1).view(), 0.1).unwrap();
        rule.reset();
        rule.step(y.view_mut(), array![0.5, 0.5].view(), 0.1)
            .unwrap();
    }
}

#[test]
fn a_negative_or_non_finite_step_size_is_an_error_naming_lr() {
    for mut rule in every_rule::<f64>(0.1) {
        for lr in [-1e-3, f64::NAN, f64::INFINITY] {
            let mut x = array![1.0, 2.0, 3.0];
            match rule.step(x.view_mut(), gradient(0).view(), lr) {
                Err(Error::InvalidParameter { name: "lr", .. }) => {}
                other => panic!("{} with lr {lr}: {other:?}", rule.name()),
            }
            assert_eq!(x, array![1.0, 2.0, 3.0]);
        }
        assert_eq!(rule.steps_taken(), 0);
    }
}

#[test]
fn reset_makes_the_next_steps_equal_those_of_a_fresh_rule() {
    let used = every_rule::<f64>(0.1);
    let fresh = every_rule::<f64>(0.1);
    for (mut used, mut fresh) in used.into_iter().zip(fresh) {
        let mut x = array![0.3, -0.7, 2.0];
        for k in 0..8 {
            used.step(x.view_mut(), gradient(k).view(), 0.05).unwrap();
        }
        used.reset();
        assert_eq!(used.steps_taken(), 0, "{}", used.name());
        let (mut a, mut b) = (array![1.0, 1.0, -1.0], array![1.0, 1.0, -1.0]);
        for k in 0..8 {
            used.step(a.view_mut(), gradient(k).view(), 0.05).unwrap();
            fresh.step(b.view_mut(), gradient(k).view(), 0.05).unwrap();
        }
        assert_eq!(a, b, "{}", used.name());
        assert_eq!(used.steps_taken(), 8);
    }
}

#[test]
fn steps_on_strided_views_equal_steps_on_contiguous_arrays() {
    let strided = every_rule::<f64>(0.1);
    let contiguous = every_rule::<f64>(0.1);
    for (mut s, mut c) in strided.into_iter().zip(contiguous) {
        let mut x = array![0.3, -0.7, 2.0];
        let mut wide = Array1::zeros(6);
        let mut gwide = Array1::zeros(6);
        wide.slice_mut(s![..;2]).assign(&x);
        for k in 0..8 {
            gwide.slice_mut(s![..;2]).assign(&gradient(k));
            c.step(x.view_mut(), gradient(k).view(), 0.05).unwrap();
            s.step(wide.slice_mut(s![..;2]), gwide.slice(s![..;2]), 0.05)
                .unwrap();
        }
        assert_eq!(wide.slice(s![..;2]), x, "{}", s.name());
    }
}

#[test]
fn f32_steps_agree_with_f64_steps_to_single_precision() {
    let single = every_rule::<f32>(0.1);
    let double = every_rule::<f64>(0.1);
    for (mut s, mut d) in single.into_iter().zip(double) {
        let mut xs = array![0.3f32, -0.7, 2.0];
        let mut xd = array![0.3f64, -0.7, 2.0];
        for k in 0..8 {
            let g = gradient(k);
            s.step(xs.view_mut(), g.mapv(|v| v as f32).view(), 0.05)
                .unwrap();
            d.step(xd.view_mut(), g.view(), 0.05).unwrap();
        }
        for i in 0..3 {
            let (a, b) = (f64::from(xs[i]), xd[i]);
            assert!(
                relative_eq!(a, b, epsilon = 1e-5, max_relative = 1e-5),
                "{}: x[{i}] = {a} in f32, {b} in f64",
                s.name()
            );
        }
    }
}

/// `f(x) = ½ Σ (i + 1) x_i²`, for runs through the loop.
fn diagonal() -> impl Objective<f64> {
    FnObjective::new(
        3,
        |x: ArrayView1<'_, f64>| (0..3).map(|i| 0.5 * (i + 1) as f64 * x[i] * x[i]).sum(),
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| {
            for i in 0..3 {
                g[i] = (i + 1) as f64 * x[i];
            }
        },
    )
}

#[test]
fn the_search_direction_flag_is_what_the_rule_says() {
    for rule in rules::<f64>() {
        for optimizer in [(rule.default)(), (rule.with_options)(0.1)] {
            assert_eq!(
                optimizer.has_search_direction(),
                rule.has_search_direction,
                "{}",
                rule.name
            );
        }
    }
}

#[test]
fn rules_with_a_search_direction_follow_a_line_search_and_the_others_refuse_one() {
    let f = diagonal();
    let x0 = array![1.0, -1.0, 2.0];
    for rule in rules::<f64>() {
        let result = Minimizer::new((rule.default)())
            .line_search(Backtracking::default())
            .max_iterations(20)
            .minimize(&f, x0.view());
        if rule.has_search_direction {
            // Armijo's condition makes every accepted step a decrease: f(x0) = 4.5.
            let report = result.unwrap();
            assert!(report.f < 4.5 * 1e-2, "{}: f = {}", rule.name, report.f);
        } else {
            assert!(
                matches!(result, Err(Error::Incompatible { .. })),
                "{}: {result:?}",
                rule.name
            );
        }
    }
}

#[test]
fn elementwise_rules_step_a_vector_as_its_pieces() {
    // An elementwise update of x_i reads only x_i, g_i and the state of coordinate i: the rule on
    // (x_a, x_b) moves both pieces exactly as two copies of the rule on x_a and on x_b.
    let elementwise: Vec<Rule<f64>> = rules().into_iter().filter(|r| r.elementwise).collect();
    assert!(elementwise.len() >= 16);
    for rule in elementwise {
        let (mut whole, mut head, mut tail) = (
            (rule.with_options)(0.1),
            (rule.with_options)(0.1),
            (rule.with_options)(0.1),
        );
        let mut x = array![0.3, -0.7, 2.0, 1.1, -0.4, 0.9];
        let (mut a, mut b) = (x.slice(s![..2]).to_owned(), x.slice(s![2..]).to_owned());
        for k in 0..8 {
            let g = ndarray::concatenate![ndarray::Axis(0), gradient(k), gradient(k + 3)];
            whole.step(x.view_mut(), g.view(), 0.05).unwrap();
            head.step(a.view_mut(), g.slice(s![..2]), 0.05).unwrap();
            tail.step(b.view_mut(), g.slice(s![2..]), 0.05).unwrap();
        }
        assert_eq!(x.slice(s![..2]), a, "{}", rule.name);
        assert_eq!(x.slice(s![2..]), b, "{}", rule.name);
    }
}
