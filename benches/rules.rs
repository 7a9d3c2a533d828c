//! Each elementwise rule against the memory traffic it cannot avoid, and one step of each rule
//! at several lengths.
//!
//! `vs-memory`: at n = 1e7, in f64 and f32, on one thread (both inside a one-thread rayon
//! pool) and on all threads, one step of a rule against a memory pass written here by hand:
//! plain slices, trivial arithmetic, reading `x`, `g` and as many state arrays as the rule keeps
//! and writing `x` and those arrays, which is all the rule must move through memory. A rule at
//! the memory bound takes as long as its pass. On a shared machine single runs scatter: compare
//! ratios over repeated runs.
//!
//! `cargo bench --bench rules -- vs-memory`   (the rules against their passes; about 6 minutes)
//! `cargo bench --bench rules -- step/`       (one step of each rule at n = 1e3, 1e5, 1e7)

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gradus::Real;
use gradus::optim::{MomentumConfig, RmsPropConfig};
use gradus::prelude::*;
use ndarray::Array1;
use rayon::prelude::*;

/// Every elementwise rule and the variants that move other arrays, with the number of state
/// arrays each reads and writes.
fn rules<F: Real>() -> Vec<(Box<dyn Optimizer<F> + Send>, usize)> {
    let centered = RmsProp::new(RmsPropConfig {
        centered: true,
        ..Default::default()
    });
    let momentum = Momentum::new(MomentumConfig::default());
    vec![
        (Box::new(GradientDescent::default()), 0),
        (Box::new(momentum.unwrap()), 1),
        (Box::new(RmsProp::default()), 1),
        (Box::new(centered.unwrap()), 2),
        (Box::new(Adam::default()), 2),
        (Box::new(Adam::amsgrad(F::lit(1e-3)).unwrap()), 3),
        (
            Box::new(Adam::adamw(F::lit(1e-3), F::lit(1e-2)).unwrap()),
            2,
        ),
        (Box::new(AdaGrad::default()), 1),
        (Box::new(Adamax::default()), 2),
        (Box::new(NAdam::default()), 2),
        (Box::new(RAdam::default()), 2),
        (Box::new(Adadelta::default()), 2),
        (Box::new(Adopt::default()), 2),
        (Box::new(Cocob::default()), 5),
    ]
}

fn inputs<F: Real>(n: usize) -> (Array1<F>, Array1<F>) {
    let x = Array1::from_shape_fn(n, |i| F::lit(((i % 97) as f64 - 48.0) / 97.0));
    let g = Array1::from_shape_fn(n, |i| F::lit(((i % 89) as f64 - 44.0) / 89.0));
    (x, g)
}

// The memory passes: for k = 0..=3 and 5 state arrays, one loop over plain slices that reads x,
// g and the k arrays and writes x and the k arrays, with a multiply and an add for each.

fn pass0<F: Real>(x: &mut [F], g: &[F]) {
    let h = F::lit(0.5);
    for (x, &g) in x.iter_mut().zip(g) {
        *x = *x * h + g;
    }
}

fn pass1<F: Real>(x: &mut [F], g: &[F], a: &mut [F]) {
    let h = F::lit(0.5);
    for ((x, &g), a) in x.iter_mut().zip(g).zip(a) {
        *a = *a * h + g;
        *x = *x * h + g;
    }
}

fn pass2<F: Real>(x: &mut [F], g: &[F], a: &mut [F], b: &mut [F]) {
    let h = F::lit(0.5);
    for (((x, &g), a), b) in x.iter_mut().zip(g).zip(a).zip(b) {
        *a = *a * h + g;
        *b = *b * h + g;
        *x = *x * h + g;
    }
}

fn pass3<F: Real>(x: &mut [F], g: &[F], a: &mut [F], b: &mut [F], c: &mut [F]) {
    let h = F::lit(0.5);
    for ((((x, &g), a), b), c) in x.iter_mut().zip(g).zip(a).zip(b).zip(c) {
        *a = *a * h + g;
        *b = *b * h + g;
        *c = *c * h + g;
        *x = *x * h + g;
    }
}

fn pass5<F: Real>(x: &mut [F], g: &[F], s: [&mut [F]; 5]) {
    let h = F::lit(0.5);
    let [a, b, c, d, e] = s;
    let state = a.iter_mut().zip(b).zip(c).zip(d).zip(e);
    for ((x, &g), ((((a, b), c), d), e)) in x.iter_mut().zip(g).zip(state) {
        *a = *a * h + g;
        *b = *b * h + g;
        *c = *c * h + g;
        *d = *d * h + g;
        *e = *e * h + g;
        *x = *x * h + g;
    }
}

/// Elements per thread's piece in the all-threads passes, as in the crate's kernel.
const BLOCK: usize = 1 << 16;

/// The pass for `s.len()` state arrays, on one thread or on all.
fn memory_pass<F: Real>(x: &mut [F], g: &[F], s: &mut [Vec<F>], all_threads: bool) {
    match (s, all_threads) {
        ([], false) => pass0(x, g),
        ([a], false) => pass1(x, g, a),
        ([a, b], false) => pass2(x, g, a, b),
        ([a, b, c], false) => pass3(x, g, a, b, c),
        ([], true) => x
            .par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .for_each(|(x, g)| pass0(x, g)),
        ([a], true) => x
            .par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .for_each(|((x, g), a)| pass1(x, g, a)),
        ([a, b], true) => x
            .par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .zip(b.par_chunks_mut(BLOCK))
            .for_each(|(((x, g), a), b)| pass2(x, g, a, b)),
        ([a, b, c], true) => x
            .par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .zip(b.par_chunks_mut(BLOCK))
            .zip(c.par_chunks_mut(BLOCK))
            .for_each(|((((x, g), a), b), c)| pass3(x, g, a, b, c)),
        ([a, b, c, d, e], false) => pass5(x, g, [a, b, c, d, e]),
        ([a, b, c, d, e], true) => x
            .par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .zip(b.par_chunks_mut(BLOCK))
            .zip(c.par_chunks_mut(BLOCK))
            .zip(d.par_chunks_mut(BLOCK))
            .zip(e.par_chunks_mut(BLOCK))
            .for_each(|((((((x, g), a), b), c), d), e)| pass5(x, g, [a, b, c, d, e])),
        (s, _) => unreachable!("no pass for {} state arrays", s.len()),
    }
}

fn rules_against_memory_passes<F: Real>(c: &mut Criterion, label: &str) {
    let n = 10_000_000;
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let lr = F::lit(1e-6);
    for (mut rule, k) in rules::<F>() {
        let mut group = c.benchmark_group(format!("vs-memory/{label}/{}", rule.name()));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        let (mut x, g) = inputs::<F>(n);
        let mut state = vec![vec![F::lit(0.1); n]; k];
        // The first step allocates the rule's state; measure the steps after it.
        rule.step(x.view_mut(), g.view(), lr).unwrap();
        for threads in ["1-thread", "all-threads"] {
            let all = threads == "all-threads";
            group.bench_function(BenchmarkId::new("memory-pass", threads), |b| {
                let (xs, gs) = (x.as_slice_mut().unwrap(), g.as_slice().unwrap());
                let mut pass = || memory_pass(black_box(&mut *xs), gs, &mut state, all);
                if all {
                    b.iter(&mut pass)
                } else {
                    // On the pool's thread, as the rule's step below.
                    b.iter(|| single.install(&mut pass))
                }
            });
            group.bench_function(BenchmarkId::new("step", threads), |b| {
                let mut step = || rule.step(x.view_mut(), g.view(), lr).unwrap();
                if all {
                    b.iter(&mut step)
                } else {
                    b.iter(|| single.install(&mut step))
                }
            });
        }
        group.finish();
    }
}

fn one_step_of_each_rule<F: Real>(c: &mut Criterion, label: &str) {
    for n in [1_000usize, 100_000, 10_000_000] {
        let mut group = c.benchmark_group(format!("step/{label}/n={n}"));
        if n >= 10_000_000 {
            group.sample_size(10);
        }
        for (mut rule, _) in rules::<F>() {
            let (mut x, g) = inputs::<F>(n);
            // The first step allocates the state; measure the steps after it.
            rule.step(x.view_mut(), g.view(), F::lit(1e-6)).unwrap();
            group.bench_function(rule.name(), |b| {
                b.iter(|| rule.step(x.view_mut(), g.view(), F::lit(1e-6)).unwrap())
            });
        }
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    rules_against_memory_passes::<f64>(c, "f64");
    rules_against_memory_passes::<f32>(c, "f32");
    one_step_of_each_rule::<f64>(c, "f64");
    one_step_of_each_rule::<f32>(c, "f32");
}

criterion_group!(rule_benches, benches);
criterion_main!(rule_benches);
