//! The learning-rate range test against what the mathematics of gradient descent on a quadratic
//! says: for `f(x) = (L/2)|x|²` a step of size `γ` multiplies `f` by `(1 - γL)²`, so the loss
//! falls while `γ < 2/L`, falls fastest near `γ = 1/L`, and blows up beyond `2/L`.

use approx::assert_relative_eq;
use gradus::problems::{Dataset, LeastSquares};
use gradus::solvers::{LrRangeTest, LrRangeTestConfig, RangeTestCurve, Spacing};
use gradus::{Adam, Error, FnObjective, GradientDescent, Minibatch, Objective, Optimizer};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

const L: f64 = 10.0;

/// `f(x) = (L/2)|x|²`.
fn bowl() -> impl Objective<f64> {
    FnObjective::new(
        3,
        |x: ArrayView1<'_, f64>| 0.5 * L * x.dot(&x),
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| g.assign(&(&x * L)),
    )
}

#[test]
fn step_sizes_grow_geometrically_or_linearly_from_min_to_max() {
    let test = LrRangeTest::<f64>::default();
    assert_eq!(test.lr(0), 1e-8);
    assert_relative_eq!(test.lr(99), 1.0, max_relative = 1e-14);
    let ratio = test.lr(1) / test.lr(0);
    for k in 1..99 {
        assert_relative_eq!(test.lr(k + 1) / test.lr(k), ratio, max_relative = 1e-12);
    }
    let linear = LrRangeTest::new(LrRangeTestConfig {
        min_lr: 0.1,
        max_lr: 1.1,
        steps: 11,
        spacing: Spacing::Linear,
        ..Default::default()
    })
    .unwrap();
    for k in 0..11 {
        assert_relative_eq!(linear.lr(k), 0.1 + 0.1 * k as f64, max_relative = 1e-14);
    }
}

#[test]
fn on_a_quadratic_the_loss_blows_up_only_beyond_two_over_l_and_the_suggestion_is_below_it() {
    let x0 = array![1.0, -2.0, 0.5];
    let rule = GradientDescent::default();
    // Five decades up to 100/L, so that the loss, after falling to about 1e-40 of its start
    // near γ = 1/L, grows back past the smoothed curve within the test.
    let test = LrRangeTest::new(LrRangeTestConfig {
        min_lr: 1e-4,
        max_lr: 10.0,
        ..Default::default()
    })
    .unwrap();
    let curve = test.run(&rule, &bowl(), x0.view()).unwrap();
    assert!(curve.diverged, "the step size reaches 100/L");
    assert!(curve.lrs.len() < 100);
    // Exact losses: f_{k+1} = (1 - γ_k L)² f_k.
    let mut f = 0.5 * L * x0.dot(&x0);
    for k in 0..curve.lrs.len() {
        assert_relative_eq!(curve.losses[k], f, max_relative = 1e-9, epsilon = 1e-300);
        f *= (1.0 - curve.lrs[k] * L).powi(2);
    }
    // The smoothed loss cannot rise while every step so far had γ < 2/L: the first rise comes
    // after a step beyond 2/L.
    let first_rise = (1..curve.smoothed.len())
        .find(|&k| curve.smoothed[k] > curve.smoothed[k - 1])
        .expect("the test stopped on a rise");
    assert!(curve.lrs[first_rise - 1] > 2.0 / L);
    let lr = curve.suggestion().unwrap();
    assert!(lr > 1e-4 && lr < 2.0 / L, "suggested {lr}");
    // The lowest raw loss follows steps near γ = 1/L, where one step lands on the minimiser;
    // the smoothed curve's lowest point lags behind it.
    let raw_best = (0..curve.losses.len())
        .min_by(|&a, &b| curve.losses[a].total_cmp(&curve.losses[b]))
        .unwrap();
    let after = curve.lrs[raw_best - 1];
    assert!(after > 0.1 / L && after < 2.0 / L, "lowest after {after}");
    assert!(curve.lr_at_minimum().unwrap() >= curve.lrs[raw_best]);
}

#[test]
fn the_rule_and_the_starting_point_are_left_as_they_were() {
    let x0 = array![1.0, -2.0, 0.5];
    let mut adam = Adam::<f64>::default();
    let mut x = x0.clone();
    adam.step(x.view_mut(), array![0.1, 0.2, 0.3].view(), 1e-2)
        .unwrap();
    let before = format!("{adam:?}");
    let curve = LrRangeTest::default()
        .run(&adam, &bowl(), x.view())
        .unwrap();
    assert!(!curve.losses.is_empty());
    assert_eq!(format!("{adam:?}"), before);
    assert_eq!(adam.steps_taken(), 1);
    // The test continues the rule's run (its second step uses the moments of the first).
    let mut fresh = Adam::<f64>::default();
    let fresh_curve = LrRangeTest::default()
        .run(&fresh, &bowl(), x.view())
        .unwrap();
    assert_ne!(curve.losses[1], fresh_curve.losses[1]);
    fresh.reset();
}

#[test]
fn on_a_finite_sum_each_step_uses_a_minibatch_and_the_same_seed_gives_the_same_curve() {
    let data = Dataset::<f64>::linear_regression(2_000, 10, 10.0, 0.1, 7).unwrap();
    let problem = LeastSquares::new(data).unwrap();
    let x0 = Array1::zeros(10);
    let minibatch = Minibatch {
        batch_size: 64,
        seed: 3,
        ..Default::default()
    };
    let test = LrRangeTest::new(LrRangeTestConfig {
        min_lr: 1e-6,
        max_lr: 10.0,
        ..Default::default()
    })
    .unwrap();
    let rule = GradientDescent::default();
    let a = test
        .run_finite_sum(&rule, &problem, x0.view(), minibatch.clone())
        .unwrap();
    let b = test
        .run_finite_sum(&rule, &problem, x0.view(), minibatch.clone())
        .unwrap();
    assert_eq!(a, b);
    assert!(a.diverged, "plain SGD diverges well before a step of 10");
    // One minibatch gradient per recorded loss but the last, none of them a full pass.
    assert!(a.gradient_evaluations <= a.lrs.len() + 1);
    let lr = a.suggestion().unwrap();
    assert!(lr > 1e-6 && lr < 10.0);
    let other_seed = test
        .run_finite_sum(
            &rule,
            &problem,
            x0.view(),
            Minibatch {
                seed: 4,
                ..minibatch
            },
        )
        .unwrap();
    assert_ne!(a.losses, other_seed.losses);
}

#[test]
fn a_curve_too_short_has_no_suggestion() {
    let curve = RangeTestCurve {
        lrs: vec![1e-3, 1e-2, 1e-1],
        losses: vec![3.0, 2.0, 1.0],
        smoothed: vec![3.0, 2.0, 1.0],
        diverged: false,
        function_evaluations: 3,
        gradient_evaluations: 3,
    };
    assert_eq!(curve.suggestion(), None);
    assert_eq!(curve.lr_at_minimum(), Some(1e-1));
}

#[test]
fn invalid_settings_are_named() {
    let bad = |config: LrRangeTestConfig<f64>, name: &str| {
        let err = LrRangeTest::new(config).unwrap_err();
        let named = match &err {
            Error::InvalidParameter { name, .. } | Error::InvalidCount { name, .. } => *name,
            _ => "",
        };
        assert_eq!(named, name, "{err}");
    };
    let d = LrRangeTestConfig::<f64>::default();
    bad(LrRangeTestConfig { min_lr: 0.0, ..d }, "min_lr");
    bad(LrRangeTestConfig { max_lr: 1e-9, ..d }, "max_lr");
    bad(
        LrRangeTestConfig {
            max_lr: f64::INFINITY,
            ..d
        },
        "max_lr",
    );
    bad(LrRangeTestConfig { steps: 1, ..d }, "steps");
    bad(
        LrRangeTestConfig {
            smoothing: 1.0,
            ..d
        },
        "smoothing",
    );
    bad(
        LrRangeTestConfig {
            divergence_threshold: Some(1.0),
            ..d
        },
        "divergence_threshold",
    );
}
