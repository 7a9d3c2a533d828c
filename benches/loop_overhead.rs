//! The shared loop's cost per iteration against a hand-written loop, on 2-D Rosenbrock with a
//! fixed step: both run the same objective and the same rule, so the difference is the loop's
//! bookkeeping (criteria, the copy of the previous iterate, finiteness checks, observers).
//!
//! `cargo bench --bench loop_overhead`

use criterion::{Criterion, criterion_group, criterion_main};
use gradus::prelude::*;
use gradus::problems::Rosenbrock;
use ndarray::{Array1, array};
use std::hint::black_box;

const STEPS: usize = 1000;

fn hand_written(c: &mut Criterion) {
    let f = Rosenbrock::new(2);
    let mut group = c.benchmark_group("loop-overhead-1000-steps");
    group.bench_function("hand-written", |b| {
        let mut gd = GradientDescent::<f64>::default();
        let mut x = array![-1.2, 1.0];
        let mut g = Array1::<f64>::zeros(2);
        b.iter(|| {
            x.assign(&array![-1.2, 1.0]);
            let mut value = 0.0;
            for _ in 0..STEPS {
                value = f.value_and_gradient(x.view(), g.view_mut());
                if g.dot(&g).sqrt() <= 1e-12 {
                    break;
                }
                gd.step(x.view_mut(), g.view(), 1e-4).unwrap();
            }
            black_box(value)
        })
    });
    group.bench_function("minimizer", |b| {
        let mut m = Minimizer::new(GradientDescent::<f64>::default())
            .lr(1e-4)
            .gradient_tolerance(1e-12)
            .max_iterations(STEPS);
        let x0 = array![-1.2, 1.0];
        b.iter(|| black_box(m.minimize(&f, x0.view()).unwrap().f))
    });
    group.finish();
}

criterion_group!(benches, hand_written);
criterion_main!(benches);
