//! One step of each update rule at n = 1e3, 1e5, 1e7 (f64 and f32), and Adam against a
//! memory-traffic baseline: one pass that reads 4 arrays and writes 3 of the same size with
//! trivial arithmetic, which is all an Adam step must move through memory.
//!
//! `cargo bench --bench rules`              (everything; several minutes)
//! `cargo bench --bench rules -- adam-vs`   (the Adam targets only)

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gradus::Real;
use gradus::prelude::*;
use ndarray::Array1;
use rayon::prelude::*;
use std::hint::black_box;

fn rules<F: Real>() -> Vec<Box<dyn Optimizer<F>>> {
    vec![
        Box::new(GradientDescent::default()),
        Box::new(Momentum::default()),
        Box::new(RmsProp::default()),
        Box::new(Adam::default()),
        Box::new(AdaGrad::default()),
        Box::new(Adamax::default()),
        Box::new(NAdam::default()),
        Box::new(RAdam::default()),
        Box::new(Adadelta::default()),
    ]
}

fn inputs<F: Real>(n: usize) -> (Array1<F>, Array1<F>) {
    let x = Array1::from_shape_fn(n, |i| F::lit(((i % 97) as f64 - 48.0) / 97.0));
    let g = Array1::from_shape_fn(n, |i| F::lit(((i % 89) as f64 - 44.0) / 89.0));
    (x, g)
}

fn one_step_of_each_rule<F: Real>(c: &mut Criterion, label: &str) {
    for n in [1_000usize, 100_000, 10_000_000] {
        let mut group = c.benchmark_group(format!("step/{label}/n={n}"));
        if n >= 10_000_000 {
            group.sample_size(10);
        }
        for mut rule in rules::<F>() {
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

/// Reads x, g, m, v and writes x, m, v once, with trivial arithmetic.
fn memory_pass<F: Real>(x: &mut [F], g: &[F], m: &mut [F], v: &mut [F]) {
    let (a, b) = (F::lit(0.5), F::lit(0.25));
    for (((x, &g), m), v) in x.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = *m * a + g;
        *v = *v * b + g;
        *x += g;
    }
}

fn memory_pass_parallel<F: Real>(x: &mut [F], g: &[F], m: &mut [F], v: &mut [F]) {
    const BLOCK: usize = 1 << 16;
    x.par_chunks_mut(BLOCK)
        .zip(g.par_chunks(BLOCK))
        .zip(m.par_chunks_mut(BLOCK))
        .zip(v.par_chunks_mut(BLOCK))
        .for_each(|(((x, g), m), v)| memory_pass(x, g, m, v));
}

fn adam_against_memory_traffic<F: Real>(c: &mut Criterion, label: &str) {
    let n = 10_000_000;
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("adam-vs-memory/{label}/n={n}"));
    group.sample_size(20);
    let (mut x, g) = inputs::<F>(n);
    let mut m = Array1::from_elem(n, F::lit(0.1));
    let mut v = Array1::from_elem(n, F::lit(0.2));
    let mut adam = Adam::<F>::default();
    adam.step(x.view_mut(), g.view(), F::lit(1e-6)).unwrap();
    for threads in ["1-thread", "all-threads"] {
        let one = threads == "1-thread";
        group.bench_function(BenchmarkId::new("memory-pass", threads), |b| {
            let (xs, gs) = (x.as_slice_mut().unwrap(), g.as_slice().unwrap());
            let (ms, vs) = (m.as_slice_mut().unwrap(), v.as_slice_mut().unwrap());
            if one {
                b.iter(|| memory_pass(black_box(&mut *xs), gs, &mut *ms, &mut *vs))
            } else {
                b.iter(|| memory_pass_parallel(black_box(&mut *xs), gs, &mut *ms, &mut *vs))
            }
        });
        group.bench_function(BenchmarkId::new("adam-step", threads), |b| {
            let mut step = || adam.step(x.view_mut(), g.view(), F::lit(1e-6)).unwrap();
            if one {
                b.iter(|| single.install(&mut step))
            } else {
                b.iter(&mut step)
            }
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    adam_against_memory_traffic::<f64>(c, "f64");
    adam_against_memory_traffic::<f32>(c, "f32");
    one_step_of_each_rule::<f64>(c, "f64");
    one_step_of_each_rule::<f32>(c, "f32");
}

criterion_group!(rule_benches, benches);
criterion_main!(rule_benches);
