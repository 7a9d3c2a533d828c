//! One Adam step over a parameter set against one step over a single vector of the same total
//! length, in the same run: the cost of keeping a state per tensor and of walking the tensors.
//!
//! - `1e7`: 100 tensors of 1e5 values (matrices 250 x 400) against one vector of 1e7;
//! - `1e6`: 10,000 tensors of 100 values (matrices 10 x 10) against one vector of 1e6.
//!
//! Both are stepped in every iteration of both benchmarks, alternately, and each benchmark times
//! its own half: measured separately, minutes apart, the two drift with the load of a shared
//! machine by more than the difference being measured.
//!
//! The rules that see a tensor's shape have no single-vector twin to compare with: `shaped/*`
//! times one step of Adafactor (factored), Muon (five Newton-Schulz iterations per matrix) and,
//! as the baseline of the same run, AdamW (a `ParameterSet`), on 8 matrices of 256 x 256.
//!
//! `cargo bench --bench parameter_sets`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gradus::optim::{AdafactorConfig, AdamConfig, MuonConfig};
use gradus::params::{ParameterSet, ShapedParameterSet};
use gradus::{Adam, Optimizer};
use ndarray::{Array1, Array2, ArrayViewD, ArrayViewMutD};

fn compare(c: &mut Criterion, label: &str, tensors: usize, rows: usize, cols: usize) {
    let n = tensors * rows * cols;
    let mut group = c.benchmark_group(format!("adam-set/{label}"));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4));

    let mut x = Array1::from_shape_fn(n, |i| (i % 97) as f64 / 97.0);
    let g = Array1::from_shape_fn(n, |i| (i % 89) as f64 / 89.0 - 0.5);
    let mut adam = Adam::default();

    let mut xs: Vec<Array2<f64>> = (0..tensors)
        .map(|t| {
            Array2::from_shape_fn((rows, cols), |(i, j)| {
                ((t + i * cols + j) % 97) as f64 / 97.0
            })
        })
        .collect();
    let gs: Vec<Array2<f64>> = (0..tensors)
        .map(|t| {
            Array2::from_shape_fn((rows, cols), |(i, j)| {
                ((t + i + j) % 89) as f64 / 89.0 - 0.5
            })
        })
        .collect();
    let mut set = ParameterSet::new(AdamConfig::default()).unwrap();
    // The lists of views are built once, as a training loop that keeps them would.
    let mut views: Vec<ArrayViewMutD<f64>> =
        xs.iter_mut().map(|x| x.view_mut().into_dyn()).collect();
    let gviews: Vec<ArrayViewD<f64>> = gs.iter().map(|g| g.view().into_dyn()).collect();
    // Each iteration takes one step of both, one after the other, and each benchmark times its
    // own: the two see the same machine at the same moments, so that a shared, noisy machine
    // moves both alike and their ratio holds still.
    let mut both = |timed_set: bool, iters: u64| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            adam.step(x.view_mut(), g.view(), 1e-3).unwrap();
            let vector = start.elapsed();
            let start = Instant::now();
            set.step(black_box(&mut views), &gviews).unwrap();
            let set_time = start.elapsed();
            total += if timed_set { set_time } else { vector };
        }
        total
    };
    group.bench_function("one-vector", |b| b.iter_custom(|iters| both(false, iters)));
    group.bench_function("parameter-set", |b| {
        b.iter_custom(|iters| both(true, iters))
    });
    group.finish();
}

/// One step of Adafactor, Muon and AdamW on `tensors` matrices of `rows x cols`.
fn shaped(c: &mut Criterion, tensors: usize, rows: usize, cols: usize) {
    let mut group = c.benchmark_group(format!("shaped/{tensors}x{rows}x{cols}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6));
    let mut xs: Vec<Array2<f64>> = (0..tensors)
        .map(|t| {
            Array2::from_shape_fn((rows, cols), |(i, j)| {
                ((t + i * cols + j) % 97) as f64 / 97.0 - 0.5
            })
        })
        .collect();
    let gs: Vec<Array2<f64>> = (0..tensors)
        .map(|t| {
            Array2::from_shape_fn((rows, cols), |(i, j)| {
                ((t * 7 + i * 3 + j) % 89) as f64 / 89.0 - 0.5
            })
        })
        .collect();
    let mut views: Vec<ArrayViewMutD<f64>> =
        xs.iter_mut().map(|x| x.view_mut().into_dyn()).collect();
    let gviews: Vec<ArrayViewD<f64>> = gs.iter().map(|g| g.view().into_dyn()).collect();
    let mut adamw = ParameterSet::new(AdamConfig::adamw()).unwrap();
    let mut adafactor = ShapedParameterSet::new(AdafactorConfig::default()).unwrap();
    let mut muon = ShapedParameterSet::new(MuonConfig::default()).unwrap();
    group.bench_function("adamw", |b| {
        b.iter(|| adamw.step(black_box(&mut views), &gviews).unwrap())
    });
    group.bench_function("adafactor", |b| {
        b.iter(|| adafactor.step(black_box(&mut views), &gviews).unwrap())
    });
    group.bench_function("muon", |b| {
        b.iter(|| muon.step(black_box(&mut views), &gviews).unwrap())
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    compare(c, "1e7", 100, 250, 400);
    compare(c, "1e6", 10_000, 10, 10);
    shaped(c, 8, 256, 256);
}

criterion_group!(parameter_sets, benches);
criterion_main!(parameter_sets);
