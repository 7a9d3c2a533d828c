//! No heap allocation per iteration once a run has started: a counting global allocator shows
//! that a long run allocates exactly as much as a short one.

use gradus::prelude::*;
use gradus::problems::Rosenbrock;
use ndarray::{Array1, array};

mod common;

use common::counting::allocations_during as allocations;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// Allocations of a run of `iterations` steps of the minimizer built by `make`.
fn run_allocations<O: Optimizer<f64>>(
    make: &dyn Fn() -> Minimizer<'static, f64, O>,
    iterations: usize,
) -> usize {
    let f = Rosenbrock::new(2);
    let x0 = array![-1.2, 1.0];
    let mut m = make().max_iterations(iterations);
    allocations(|| {
        let report = m.minimize(&f, x0.view()).unwrap();
        assert_eq!(report.iterations, iterations, "{}", report.termination);
    })
}

#[test]
fn the_loop_allocates_nothing_per_iteration() {
    let constant = || {
        Minimizer::new(GradientDescent::default())
            .lr(1e-4)
            .gradient_tolerance(0.0)
    };
    assert_eq!(
        run_allocations(&constant, 10),
        run_allocations(&constant, 10_000)
    );
    let line_search = || {
        Minimizer::new(GradientDescent::default())
            .line_search(Backtracking::default())
            .gradient_tolerance(0.0)
    };
    assert_eq!(
        run_allocations(&line_search, 10),
        run_allocations(&line_search, 2_000)
    );
    // A rule with an evaluation point: the end of the run allocates for the report's point and
    // the gradient there, once, whatever the length of the run.
    let schedule_free = || {
        Minimizer::new(ScheduleFreeAdamW::default())
            .lr(1e-4)
            .gradient_tolerance(0.0)
    };
    assert_eq!(
        run_allocations(&schedule_free, 10),
        run_allocations(&schedule_free, 10_000)
    );
    // The counter itself works: recording the iterates allocates one array per iteration.
    let recording = || constant().record_iterates(true);
    assert!(run_allocations(&recording, 1_000) >= run_allocations(&recording, 10) + 990);
}

/// Allocations of `steps` hand-driven steps of `rule` on `n` variables, after its first step.
fn step_allocations(rule: &mut dyn Optimizer<f64>, n: usize, steps: usize) -> usize {
    let mut x = Array1::from_elem(n, 0.5);
    let g = Array1::from_shape_fn(n, |i| ((i % 64) as f64 - 32.0) / 64.0);
    rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
    allocations(|| {
        for _ in 0..steps {
            rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
        }
    })
}

/// Every rule of the registry (`tests/common/rules.rs`), at its defaults and with every option
/// on (the variants that keep other state), each with whether it keeps per-coordinate state;
/// then the rules the registry leaves out, all with state: the schedule-free rules and the
/// wrappers of another rule.
fn every_rule() -> Vec<(bool, Box<dyn Optimizer<f64>>)> {
    let mut all: Vec<(bool, Box<dyn Optimizer<f64>>)> = common::rules::rules::<f64>()
        .into_iter()
        .flat_map(|r| {
            [
                (r.stateful, (r.default)()),
                (r.stateful, (r.with_options)(1e-2)),
            ]
        })
        .collect();
    let outside: [Box<dyn Optimizer<f64>>; 5] = [
        Box::new(ScheduleFreeSgd::default()),
        Box::new(ScheduleFreeAdamW::default()),
        Box::new(Averaged::new(Adam::default(), Averaging::PolyakRuppert { start: 0 }).unwrap()),
        Box::new(Averaged::new(Momentum::default(), Averaging::Ema { decay: 0.99 }).unwrap()),
        Box::new(
            Lookahead::new(
                Adam::default(),
                gradus::optim::LookaheadConfig {
                    sync_period: 3,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
    ];
    all.extend(outside.map(|rule| (true, rule)));
    all
}

#[test]
fn every_rule_allocates_only_on_its_first_step() {
    for (_, mut rule) in every_rule() {
        assert_eq!(
            step_allocations(rule.as_mut(), 64, 1_000),
            0,
            "{}",
            rule.name()
        );
    }
}

#[test]
fn a_reset_keeps_the_state_so_that_only_a_new_length_allocates() {
    for (stateful, mut rule) in every_rule() {
        let name = rule.name();
        let steps = |rule: &mut dyn Optimizer<f64>, n: usize| {
            let mut x = Array1::from_elem(n, 0.5);
            let g = Array1::from_shape_fn(n, |i| ((i % 8) as f64 - 4.0) / 8.0);
            allocations(|| {
                for _ in 0..3 {
                    rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
                }
            })
        };
        steps(rule.as_mut(), 64);
        rule.reset();
        // The first step after a reset refills the state of the same length in place.
        assert_eq!(steps(rule.as_mut(), 64), 0, "{name}");
        rule.reset();
        // The rules without state allocate nothing at any length.
        if stateful {
            assert!(
                steps(rule.as_mut(), 32) > 0,
                "{name}: a new length, new buffers"
            );
        }
    }
}

/// Allocations of `steps` steps of a shaped parameter set (Adafactor, Muon, SM3) on a model of
/// matrices, a stack of matrices, biases and a strided view, after its first step.
fn shaped_set_allocations<R: gradus::optim::ShapedRule<Float = f64>>(
    config: R,
    steps: usize,
) -> usize {
    use gradus::params::ShapedParameterSet;
    use ndarray::{Array2, Array3, s};
    let (mut w1, mut b1) = (Array2::from_elem((16, 8), 0.3), Array1::from_elem(16, 0.1));
    let (mut w2, mut stack) = (
        Array2::from_elem((4, 16), -0.2),
        Array3::from_elem((2, 3, 5), 0.4),
    );
    let gw1 = Array2::from_shape_fn((16, 8), |(i, j)| ((i * 8 + j) as f64).sin());
    let gb1 = Array1::from_shape_fn(16, |i| (i as f64).cos());
    let gw2 = Array2::from_shape_fn((4, 16), |(i, j)| ((i + j) as f64).sin());
    let gstack = Array3::from_shape_fn((2, 3, 5), |(i, j, k)| ((i + j * k) as f64).cos());
    let mut set = ShapedParameterSet::new(config).unwrap();
    let mut step = |set: &mut ShapedParameterSet<R>| {
        set.step(
            &mut [
                w1.view_mut().into_dyn(),
                b1.view_mut().into_dyn(),
                w2.view_mut().reversed_axes().into_dyn(),
                stack.slice_mut(s![.., .., ..;2]).into_dyn(),
            ],
            &[
                gw1.view().into_dyn(),
                gb1.view().into_dyn(),
                gw2.t().into_dyn(),
                gstack.slice(s![.., .., ..;2]).into_dyn(),
            ],
        )
        .unwrap();
    };
    step(&mut set);
    allocations(|| {
        for _ in 0..steps {
            step(&mut set);
        }
    })
}

#[test]
fn shaped_sets_allocate_only_on_their_first_step() {
    use gradus::optim::{AdafactorConfig, MuonConfig, Sm3Config};
    assert_eq!(shaped_set_allocations(AdafactorConfig::default(), 200), 0);
    assert_eq!(shaped_set_allocations(MuonConfig::default(), 200), 0);
    assert_eq!(shaped_set_allocations(Sm3Config::default(), 200), 0);
}
