//! Properties that every update rule shares, checked on every rule with its options on: zero
//! gradients, length checks, step-size checks, `reset`, step counting and `f32`.
//!
//! The values of each rule's first steps are checked against hand computations in the unit
//! tests of its own file (`src/optim/*.rs`).

use gradus::optim::{
    AdaGradConfig, AdadeltaConfig, AdamConfig, AdamaxConfig, GradientDescentConfig, MomentumConfig,
    NAdamConfig, RAdamConfig, RmsPropConfig,
};
use gradus::{
    AdaGrad, Adadelta, Adam, Adamax, Error, GradientDescent, Momentum, NAdam, Optimizer, RAdam,
    Real, RmsProp,
};
use ndarray::{Array1, array};

/// Every rule, each variant with its options on, and weight decay `wd` wherever it exists.
fn every_rule<F: Real>(wd: f64) -> Vec<Box<dyn Optimizer<F>>> {
    let l = F::lit;
    let wd = l(wd);
    vec![
        Box::new(
            GradientDescent::new(GradientDescentConfig {
                lr: l(0.1),
                weight_decay: wd,
            })
            .unwrap(),
        ),
        Box::new(
            Momentum::new(MomentumConfig {
                momentum: l(0.8),
                dampening: l(0.1),
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Momentum::new(MomentumConfig {
                momentum: l(0.8),
                weight_decay: wd,
                nesterov: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            RmsProp::new(RmsPropConfig {
                alpha: l(0.9),
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            RmsProp::new(RmsPropConfig {
                alpha: l(0.9),
                weight_decay: wd,
                momentum: l(0.5),
                centered: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adam::new(AdamConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adam::new(AdamConfig {
                weight_decay: wd,
                amsgrad: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adam::new(AdamConfig {
                weight_decay: wd,
                amsgrad: true,
                decoupled_weight_decay: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            AdaGrad::new(AdaGradConfig {
                lr_decay: l(0.1),
                weight_decay: wd,
                initial_accumulator_value: l(0.1),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adamax::new(AdamaxConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            NAdam::new(NAdamConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            NAdam::new(NAdamConfig {
                weight_decay: wd,
                decoupled_weight_decay: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            RAdam::new(RAdamConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            RAdam::new(RAdamConfig {
                weight_decay: wd,
                decoupled_weight_decay: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adadelta::new(AdadeltaConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
    ]
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
    let names: Vec<_> = every_rule::<f64>(0.1).iter().map(|r| r.name()).collect();
    assert_eq!(
        names,
        [
            "GradientDescent",
            "Momentum",
            "Nesterov",
            "RMSProp",
            "RMSProp (centered)",
            "Adam",
            "AMSGrad",
            "AMSGradW",
            "AdaGrad",
            "Adamax",
            "NAdam",
            "NAdamW",
            "RAdam",
            "RAdamW",
            "Adadelta"
        ]
    );
}

#[test]
fn default_lr_is_pytorchs_default() {
    let pairs: [(Box<dyn Optimizer<f64>>, f64); 9] = [
        (Box::new(Momentum::default()), 1e-3),
        (Box::new(RmsProp::default()), 1e-2),
        (Box::new(Adam::default()), 1e-3),
        (Box::new(Adam::new(AdamConfig::adamw()).unwrap()), 1e-3),
        (Box::new(AdaGrad::default()), 1e-2),
        (Box::new(Adamax::default()), 2e-3),
        (Box::new(NAdam::default()), 2e-3),
        (Box::new(RAdam::default()), 1e-3),
        (Box::new(Adadelta::default()), 1.0),
    ];
    for (rule, lr) in pairs {
        assert_eq!(rule.default_lr(), lr, "{}", rule.name());
    }
}

#[test]
fn zero_gradients_from_a_fresh_state_leave_x_unchanged() {
    // Without weight decay every rule's step is a multiple of its moments, which stay zero.
    for mut rule in every_rule::<f64>(0.0) {
        let x0 = array![1.5, -2.0, 0.0];
        let mut x = x0.clone();
        for _ in 0..7 {
            rule.step(x.view_mut(), Array1::zeros(3).view(), 0.1)
                .unwrap();
        }
        assert_eq!(x, x0, "{}", rule.name());
        assert_eq!(rule.steps_taken(), 7, "{}", rule.name());
    }
}

#[test]
fn a_zero_gradient_leaves_x_unchanged_after_any_history_for_rules_without_momentum() {
    // GradientDescent, RMSProp without momentum, AdaGrad and Adadelta move x by a positive
    // multiple of the current gradient; rules with momentum keep moving on their velocity.
    let without: [Box<dyn Optimizer<f64>>; 4] = [
        Box::new(GradientDescent::default()),
        Box::new(RmsProp::default()),
        Box::new(AdaGrad::default()),
        Box::new(Adadelta::default()),
    ];
    for mut rule in without {
        let mut x = array![1.5, -2.0, 0.0];
        for k in 0..3 {
            rule.step(x.view_mut(), gradient(k).view(), 0.1).unwrap();
        }
        let before = x.clone();
        rule.step(x.view_mut(), Array1::zeros(3).view(), 0.1)
            .unwrap();
        assert_eq!(x, before, "{}", rule.name());
    }
    let mut adam = Adam::default();
    let mut x = array![1.5, -2.0, 0.0];
    adam.step(x.view_mut(), gradient(0).view(), 0.1).unwrap();
    let before = x.clone();
    adam.step(x.view_mut(), Array1::zeros(3).view(), 0.1)
        .unwrap();
    assert_ne!(x, before, "Adam keeps moving on its first moment");
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
    for mut rule in every_rule::<f64>(0.1) {
        if rule.name() == "GradientDescent" {
            continue; // stateless: any length is fine at any step
        }
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
        wide.slice_mut(ndarray::s![..;2]).assign(&x);
        for k in 0..8 {
            gwide.slice_mut(ndarray::s![..;2]).assign(&gradient(k));
            c.step(x.view_mut(), gradient(k).view(), 0.05).unwrap();
            s.step(
                wide.slice_mut(ndarray::s![..;2]),
                gwide.slice(ndarray::s![..;2]),
                0.05,
            )
            .unwrap();
        }
        assert_eq!(wide.slice(ndarray::s![..;2]), x, "{}", s.name());
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
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{}: x[{i}] = {a} in f32, {b} in f64",
                s.name()
            );
        }
    }
}
