//! A gradient component whose square overflows (`|g|` beyond about `√MAX`) makes the state of a
//! rule that squares the gradient infinite, which would freeze that coordinate for good. Every
//! such rule says so with `Error::NonFiniteState` after the step (the other coordinates moved as
//! they should), a parameter set names the tensor, and the loop undoes the step and stops with
//! `Termination::StateOverflow`. Rules that do not square the gradient keep working.

mod common;

use common::rules::{Boxed, rules};
use gradus::optim::{
    AdaGradConfig, AdadeltaConfig, AdamConfig, AdoptConfig, ElementwiseRule, NAdamConfig,
    RAdamConfig, RmsPropConfig,
};
use gradus::params::ParameterSet;
use gradus::{Error, FnObjective, Minimizer, Objective, Optimizer, Real, Termination};
use ndarray::{Array1, ArrayD, ArrayView1, ArrayViewMut1, IxDyn, array, s};
use std::cell::Cell;

/// The gradient components tried: harmless, large, and the two sides of `√MAX`, and `MAX`.
fn magnitudes<F: Real>() -> [F; 5] {
    let root = F::max_value().sqrt();
    [
        F::one(),
        F::lit(1e10),
        root / F::lit(2.0),
        root * F::lit(2.0),
        F::max_value(),
    ]
}

/// Whether `v²` overflows.
fn overflows<F: Real>(v: F) -> bool {
    (v * v).is_infinite()
}

/// One step of `rule` on `x = (1, -2, 0.5)` with gradient `(v, 0.5, -0.25)`, and of `reference`
/// (a rule made the same way) on the last two coordinates alone.
fn step_with<F: Real>(
    rule: &mut Boxed<F>,
    reference: &mut Boxed<F>,
    x: &mut Array1<F>,
    y: &mut Array1<F>,
    v: F,
) -> gradus::Result<()> {
    let g = array![v, F::lit(0.5), F::lit(-0.25)];
    reference
        .step(y.view_mut(), g.slice(s![1..]), F::lit(1e-3))
        .unwrap();
    rule.step(x.view_mut(), g.view(), F::lit(1e-3))
}

fn direct_steps<F: Real>() {
    for entry in rules::<F>().into_iter().filter(|r| r.elementwise) {
        let squares = entry.squares_gradient;
        let makers: [&dyn Fn() -> Boxed<F>; 2] =
            [&entry.default, &|| (entry.with_options)(F::lit(0.01))];
        for make in makers {
            for v in magnitudes::<F>() {
                let (mut rule, mut reference) = (make(), make());
                let mut x = array![F::one(), F::lit(-2.0), F::lit(0.5)];
                let mut y = x.slice(s![1..]).to_owned();
                let result = step_with(&mut rule, &mut reference, &mut x, &mut y, v);
                let what = format!("{} with g = {v:e}", entry.name);
                // The other coordinates moved as the rule moves them, error or not.
                assert_eq!(x.slice(s![1..]), y, "{what}");
                if squares && overflows(v) {
                    let err = result.unwrap_err();
                    assert_eq!(
                        err,
                        Error::NonFiniteState {
                            rule: entry.name,
                            tensor: None
                        },
                        "{what}"
                    );
                    let message = err.to_string();
                    for part in [entry.name, "overflowed", "1.3e154", "1.8e19", "reset()"] {
                        assert!(message.contains(part), "{what}: {message}");
                    }
                    assert_eq!(rule.steps_taken(), 1, "{what}: the step is counted");
                    // The state stays infinite: the next step says so again, and moves the
                    // other coordinates as before.
                    let again = step_with(&mut rule, &mut reference, &mut x, &mut y, F::one());
                    assert!(matches!(again, Err(Error::NonFiniteState { .. })), "{what}");
                    assert_eq!(x.slice(s![1..]), y, "{what}");
                    // After a reset, the rule is as new.
                    rule.reset();
                    reference.reset();
                    let mut x = array![F::one(), F::lit(-2.0), F::lit(0.5)];
                    let mut y = x.slice(s![1..]).to_owned();
                    step_with(&mut rule, &mut reference, &mut x, &mut y, F::one())
                        .unwrap_or_else(|e| panic!("{what}: after reset: {e}"));
                    assert_eq!(x.slice(s![1..]), y, "{what}");
                } else {
                    result.unwrap_or_else(|e| panic!("{what}: {e}"));
                    // The arithmetic stays finite up to 2√MAX (beyond, Nesterov's g + μb
                    // overflows, which is arithmetic, not state).
                    if v <= F::max_value().sqrt() * F::lit(2.0) {
                        assert!(x.iter().all(|v| v.is_finite()), "{what}: {x}");
                    }
                }
            }
        }
    }
}

#[test]
fn direct_steps_report_an_overflowed_state_after_moving_the_other_coordinates_f64() {
    direct_steps::<f64>();
}

#[test]
fn direct_steps_report_an_overflowed_state_after_moving_the_other_coordinates_f32() {
    direct_steps::<f32>();
}

/// A check run on one configuration of a squaring rule, whatever its type.
trait ConfigCheck<F: Real> {
    fn config<C: ElementwiseRule<Float = F>>(&mut self, config: C);
}

/// Every squaring rule as a configuration, each variant with its options on.
fn every_squaring_config<F: Real>(check: &mut impl ConfigCheck<F>) {
    let wd = F::lit(0.01);
    for amsgrad in [false, true] {
        for adamw in [false, true] {
            let base = if adamw {
                AdamConfig::adamw()
            } else {
                AdamConfig::default()
            };
            check.config(AdamConfig {
                amsgrad,
                weight_decay: wd,
                ..base
            });
        }
    }
    for decoupled_weight_decay in [false, true] {
        check.config(NAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        });
        check.config(RAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        });
    }
    for centered in [false, true] {
        check.config(RmsPropConfig {
            centered,
            momentum: F::lit(0.5),
            weight_decay: wd,
            ..Default::default()
        });
    }
    check.config(AdaGradConfig {
        weight_decay: wd,
        lr_decay: F::lit(0.1),
        ..Default::default()
    });
    check.config(AdadeltaConfig {
        weight_decay: wd,
        ..Default::default()
    });
    for nesterov in [false, true] {
        check.config(AdoptConfig {
            nesterov,
            use_clipping: nesterov,
            ..Default::default()
        });
    }
    check.config(gradus::optim::AdanConfig {
        weight_decay: wd,
        ..Default::default()
    });
    for nesterov in [false, true] {
        check.config(gradus::optim::AdaBeliefConfig {
            nesterov,
            ..Default::default()
        });
    }
    check.config(gradus::optim::YogiConfig::default());
    check.config(gradus::optim::LambConfig {
        weight_decay: wd,
        ..Default::default()
    });
}

/// Three tensors, the middle one with gradient `v` at one coordinate, the last in a group of
/// its own: the set moves every tensor as one rule per tensor does, and names tensor 1 when
/// `v²` overflows.
struct InASet<F>(Vec<&'static str>, std::marker::PhantomData<F>);

impl<F: Real> ConfigCheck<F> for InASet<F> {
    fn config<C: ElementwiseRule<Float = F>>(&mut self, config: C) {
        let name = config.name();
        self.0.push(name);
        let shapes = [vec![2, 2], vec![3], vec![2, 3]];
        for v in magnitudes::<F>() {
            let mut other = config.clone();
            other.set_lr(config.lr() * F::lit(2.0));
            let mut set = ParameterSet::new(config.clone())
                .unwrap()
                .group([2], other.clone())
                .unwrap();
            let mut rules: Vec<_> = [&config, &config, &other]
                .into_iter()
                .map(|c| gradus::optim::Rule::new(c.clone()).unwrap())
                .collect();
            let mut x: Vec<ArrayD<F>> = shapes
                .iter()
                .enumerate()
                .map(|(t, s)| ArrayD::from_elem(IxDyn(s), F::lit(0.5 - t as f64)))
                .collect();
            let mut flat: Vec<Array1<F>> = x.iter().map(|x| x.iter().copied().collect()).collect();
            let mut g: Vec<ArrayD<F>> = shapes
                .iter()
                .map(|s| ArrayD::from_elem(IxDyn(s), F::lit(-0.25)))
                .collect();
            g[1][[1]] = v;
            let mut views: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
            let gviews: Vec<_> = g.iter().map(|g| g.view()).collect();
            let result = set.step(&mut views, &gviews);
            for ((rule, x), g) in rules.iter_mut().zip(&mut flat).zip(&g) {
                let g: Array1<F> = g.iter().copied().collect();
                let lr = rule.default_lr();
                let _ = rule.step(x.view_mut(), g.view(), lr);
            }
            let what = format!("{name} with g = {v:e}");
            if overflows(v) {
                assert_eq!(
                    result,
                    Err(Error::NonFiniteState {
                        rule: name,
                        tensor: Some(1)
                    }),
                    "{what}"
                );
            } else {
                assert_eq!(result, Ok(()), "{what}");
            }
            // Every tensor moved as its own rule moves it, bit for bit.
            for (t, (x, y)) in x.iter().zip(&flat).enumerate() {
                for (k, (a, b)) in x.iter().zip(y).enumerate() {
                    assert_eq!(
                        a.as_f64().to_bits(),
                        b.as_f64().to_bits(),
                        "{what}: tensor {t}[{k}]"
                    );
                }
            }
            assert_eq!(set.steps_taken(), 1, "{what}");
        }
    }
}

fn sets<F: Real>() {
    let mut check = InASet::<F>(Vec::new(), std::marker::PhantomData);
    every_squaring_config(&mut check);
    let mut names = check.0;
    names.sort();
    // Muon and SM3 run on shaped sets (tests/shaped_rules.rs checks their overflow there).
    let mut squaring: Vec<&str> = rules::<F>()
        .into_iter()
        .filter(|r| r.squares_gradient && !["Muon", "SM3"].contains(&r.name))
        .map(|r| r.name)
        .collect();
    squaring.sort();
    assert_eq!(names, squaring);
}

#[test]
fn a_parameter_set_names_the_tensor_whose_state_overflowed_f64() {
    sets::<f64>();
}

#[test]
fn a_parameter_set_names_the_tensor_whose_state_overflowed_f32() {
    sets::<f32>();
}

#[test]
fn a_large_set_split_over_threads_names_the_first_tensor_whose_state_overflowed() {
    // 2^18 values and more: the set is split over the pool, by tensors and within the largest.
    let shapes = [vec![1000], vec![600, 500], vec![7]];
    let root = f64::MAX.sqrt();
    for (bad, first) in [
        (vec![(1, 250_000)], 1),
        (vec![(1, 299_999), (2, 3)], 1),
        (vec![(2, 6), (0, 999), (1, 7)], 0),
    ] {
        let mut set = ParameterSet::new(AdamConfig::<f64>::default()).unwrap();
        let mut x: Vec<ArrayD<f64>> = shapes
            .iter()
            .map(|s| ArrayD::from_elem(IxDyn(s), 1.0))
            .collect();
        let mut g: Vec<ArrayD<f64>> = shapes
            .iter()
            .map(|s| ArrayD::from_elem(IxDyn(s), 0.5))
            .collect();
        for &(t, k) in &bad {
            g[t].as_slice_mut().unwrap()[k] = 4.0 * root;
        }
        let mut views: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
        let gviews: Vec<_> = g.iter().map(|g| g.view()).collect();
        let err = set.step(&mut views, &gviews).unwrap_err();
        assert_eq!(
            err,
            Error::NonFiniteState {
                rule: "Adam",
                tensor: Some(first)
            }
        );
        // Adam's first step moves every other coordinate by lr g / (|g| + eps).
        let moved = 1.0 - 1e-3 * 0.5 / (0.5 + 1e-8);
        for (t, x) in x.iter().enumerate() {
            for (k, &v) in x.iter().enumerate() {
                if !bad.contains(&(t, k)) {
                    assert_eq!(v, moved, "tensor {t}[{k}]");
                }
            }
        }
    }
}

/// `f(x) = |x|²/2`, whose gradient is `x`, but for the gradient's first component, which is
/// `huge` from the `from`-th gradient evaluation on.
fn quadratic_turning_huge<F: Real>(
    huge: F,
    from: usize,
    calls: &Cell<usize>,
) -> impl Objective<F> + '_ {
    FnObjective::new(
        3,
        |x: ArrayView1<'_, F>| x.dot(&x) / F::lit(2.0),
        move |x: ArrayView1<'_, F>, mut g: ArrayViewMut1<'_, F>| {
            calls.set(calls.get() + 1);
            g.assign(&x);
            if calls.get() >= from {
                g[0] = huge;
            }
        },
    )
}

fn loop_runs<F: Real>() {
    let huge = F::max_value().sqrt() * F::lit(4.0);
    let x0 = array![F::one(), F::lit(-0.5), F::lit(2.0)];
    for entry in rules::<F>().into_iter().filter(|r| r.squares_gradient) {
        for from in [1, 6] {
            let calls = Cell::new(0);
            let objective = quadratic_turning_huge(huge, from, &calls);
            let report = Minimizer::new((entry.default)())
                .max_iterations(50)
                .minimize(&objective, x0.view())
                .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            let what = format!("{} (huge from evaluation {from})", entry.name);
            assert_eq!(report.termination, Termination::StateOverflow, "{what}");
            assert!(!report.termination.is_converged());
            assert_eq!(report.termination.label(), "state-overflow");
            // The overflowing step was undone: the report holds the last iterate the rule
            // reached with finite state, which the same rule reaches on the plain quadratic.
            assert_eq!(report.iterations, from - 1, "{what}");
            let plain = Cell::new(0);
            let reference = Minimizer::new((entry.default)())
                .max_iterations(from - 1)
                .minimize(&quadratic_turning_huge(huge, usize::MAX, &plain), x0.view())
                .unwrap();
            assert_eq!(report.x, reference.x, "{what}");
            assert!(report.x.iter().all(|v| v.is_finite()), "{what}");
            assert_eq!(report.f, reference.f, "{what}");
        }
    }
}

#[test]
fn the_loop_undoes_the_step_and_stops_on_an_overflowed_state_f64() {
    loop_runs::<f64>();
}

#[test]
fn the_loop_undoes_the_step_and_stops_on_an_overflowed_state_f32() {
    loop_runs::<f32>();
}

#[test]
fn strided_views_and_long_vectors_are_watched_too() {
    let root = f64::MAX.sqrt();
    for n in [5, 40, 300_000] {
        // A strided view (every other value) and a contiguous vector longer than a block.
        let mut wide = Array1::<f64>::ones(2 * n);
        let mut g = Array1::<f64>::from_elem(2 * n, 0.5);
        g[2 * (n - 1)] = 3.0 * root;
        let mut rule = gradus::RmsProp::<f64>::default();
        let err = rule
            .step(wide.slice_mut(s![..;2]), g.slice(s![..;2]), 1e-2)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::NonFiniteState {
                rule: "RMSProp",
                ..
            }
        ));
        let mut x = Array1::<f64>::ones(n);
        let mut rule = gradus::RmsProp::<f64>::default();
        let err = rule
            .step(x.view_mut(), g.slice(s![..;2]).to_owned().view(), 1e-2)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::NonFiniteState {
                rule: "RMSProp",
                ..
            }
        ));
        assert_eq!(x.slice(s![..n - 1]), wide.slice(s![..2 * (n - 1);2]));
    }
}
