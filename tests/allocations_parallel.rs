//! Work split over the thread pool — every elementwise rule above the parallel threshold,
//! minibatch runs whose batches are large — allocates nothing of its own per step, on any
//! thread. The counting allocator here counts every thread's allocations, so this file holds a
//! single test, with no other test running beside it.
//!
//! One allocation is not ours: a parallel call made from outside rayon's pool goes through the
//! pool's global job queue (crossbeam's `Injector`), which allocates a new block of 63 slots
//! every 63 calls. The bounds below allow that, and nothing per call.

use gradus::prelude::*;
use gradus::problems::{Dataset, LeastSquares};
use ndarray::Array1;

mod common;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// The allocations the pool's job queue may make for `calls` parallel calls.
fn queue_blocks(calls: usize) -> usize {
    calls.div_ceil(63)
}

#[test]
fn parallel_work_allocates_nothing_per_step() {
    // The length (2^18) from which elementwise updates run on all cores.
    let n = 1 << 18;
    let g = Array1::from_shape_fn(n, |i| ((i % 64) as f64 - 32.0) / 64.0);
    let rules: Vec<Box<dyn Optimizer<f64>>> = vec![
        Box::new(GradientDescent::default()),
        Box::new(Momentum::default()),
        Box::new(RmsProp::default()),
        Box::new(Adam::default()),
        Box::new(Adam::amsgrad(1e-3).unwrap()),
        Box::new(AdaGrad::default()),
        Box::new(Adamax::default()),
        Box::new(NAdam::default()),
        Box::new(RAdam::default()),
        Box::new(Adadelta::default()),
        Box::new(Adopt::default()),
        Box::new(Cocob::default()),
        Box::new(BarzilaiBorwein::default()),
        Box::new(AcceleratedGradient::default()),
    ];
    let (steps, mut calls, mut total) = (10, 0, 0);
    for mut rule in rules {
        let mut x = Array1::from_elem(n, 0.5);
        // The first step allocates the state, and the thread pool starts on first use.
        rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
        rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
        let before = common::counting::allocations_on_all_threads();
        for _ in 0..steps {
            rule.step(x.view_mut(), g.view(), 1e-3).unwrap();
        }
        let during = common::counting::allocations_on_all_threads() - before;
        assert!(during < steps, "{}: {during} in {steps} steps", rule.name());
        (calls, total) = (calls + steps + 2, total + during);
    }
    // The queue's blocks are counted over all the parallel calls, so the bound is on the sum;
    // the pool's threads (waking, stealing) now and then allocate once more, a few times in a
    // run at most.
    assert!(
        total <= queue_blocks(calls) + 4,
        "{total} allocations in {calls} steps"
    );

    // A minibatch run whose batches are split over the pool (2048 x 20 entries a batch, 4
    // batches an epoch): 38 more epochs cost no more than the queue's blocks for 152 calls.
    let data = Dataset::linear_regression(8192, 20, 10.0, 0.1, 7).unwrap();
    let problem = LeastSquares::new(data).unwrap();
    let run = |epochs: usize| {
        let mut m = Minimizer::new(Adam::default())
            .minibatch(Minibatch {
                batch_size: 2048,
                ..Minibatch::default()
            })
            .max_epochs(epochs);
        let x0 = Array1::zeros(20);
        let before = common::counting::allocations_on_all_threads();
        let report = m.minimize_finite_sum(&problem, x0.view()).unwrap();
        assert_eq!(report.termination, Termination::MaxEpochs);
        common::counting::allocations_on_all_threads() - before
    };
    run(1);
    let short = run(2);
    let long = run(40);
    assert!(
        long <= short + queue_blocks(38 * 4),
        "2 epochs: {short} allocations, 40 epochs: {long}"
    );
}
