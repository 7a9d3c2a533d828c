//! One epoch of minibatch gradients of logistic regression (200,000 examples x 100 features,
//! `f64`, 160 MB of features) on one thread and on all threads, against one full gradient (a
//! pass over the rows in order) and one read of the feature matrix.
//!
//! Two measurements per batch size `B`:
//!
//! - `gradients`: the `⌈N/B⌉` batch gradients of a shuffled epoch, called directly;
//! - `SGD epoch`: an epoch of plain SGD through [`Minimizer::minimize_finite_sum`], with its
//!   sampling (a shuffle per epoch), its per-step work and the update: the time of a two-epoch
//!   run less that of a one-epoch run, which cancels the set-up and the final full evaluation.
//!
//! In a shuffled batch every row is somewhere else in memory, so an epoch of batches costs more
//! than a full pass in row order; the batch reducer cuts a batch into chunks of 256 examples, and
//! spreads the chunks of batches of at least `2^16` entries (here `B >= 1024`) over the thread
//! pool. A batch of 256 is a single chunk and runs on one core.
//!
//! `cargo bench --bench epoch`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gradus::FiniteSum;
use gradus::finite_sum::Batch;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression};
use ndarray::Array1;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

const N: usize = 200_000;
const D: usize = 100;

/// `Σ_B |B| f_B(w)` over the batches of a shuffled epoch, writing each batch gradient.
fn epoch(
    p: &LogisticRegression<f64>,
    w: &Array1<f64>,
    order: &[usize],
    batch_size: usize,
    g: &mut Array1<f64>,
) -> f64 {
    let mut total = 0.0;
    for batch in order.chunks(batch_size) {
        total += p.batch_value_and_gradient(w.view(), Batch::Indices(batch), g.view_mut())
            * batch.len() as f64;
    }
    total
}

/// The time of a run of plain SGD (step 0.1) for `epochs` epochs of batches of `batch_size`.
fn sgd(p: &LogisticRegression<f64>, batch_size: usize, epochs: usize) -> Duration {
    let x0 = Array1::zeros(D);
    let mut minimizer = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .minibatch(Minibatch {
            batch_size,
            seed: 7,
            ..Minibatch::default()
        })
        .max_epochs(epochs)
        .max_iterations(usize::MAX);
    let t = Instant::now();
    black_box(minimizer.minimize_finite_sum(p, x0.view()).unwrap());
    t.elapsed()
}

/// The sum of all entries of a slice, with eight running sums so that memory, not the latency
/// of the additions, sets the pace.
fn read(x: &[f64]) -> f64 {
    let mut s = [0.0; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            s[k] += c[k];
        }
    }
    s.iter().sum::<f64>() + chunks.remainder().iter().sum::<f64>()
}

fn bench(c: &mut Criterion) {
    let data = Dataset::<f64>::classification(N, D, 2026).unwrap();
    let p = LogisticRegression::new(data, 1e-4).unwrap();
    let w = Array1::from_shape_fn(D, |j| ((j % 7) as f64 - 3.0) * 0.02);
    let mut order: Vec<usize> = (0..N).collect();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(1));
    let mut g = Array1::zeros(D);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let threads = rayon::current_num_threads();

    let mut group = c.benchmark_group("logistic-200000x100-epoch");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("read-features (sum of entries)", |b| {
        let x = p.dataset().features.as_slice().unwrap();
        b.iter(|| black_box(read(black_box(x))))
    });
    let full =
        |g: &mut Array1<f64>| p.batch_value_and_gradient(w.view(), Batch::all(N), g.view_mut());
    group.bench_function("full gradient, 1 thread", |b| {
        b.iter(|| one.install(|| black_box(full(&mut g))))
    });
    group.bench_function(format!("full gradient, {threads} threads"), |b| {
        b.iter(|| black_box(full(&mut g)))
    });
    for batch_size in [256, 1024, 4096, 16384] {
        group.bench_function(format!("gradients B={batch_size}, 1 thread"), |b| {
            b.iter(|| one.install(|| black_box(epoch(&p, &w, &order, batch_size, &mut g))))
        });
        group.bench_function(
            format!("gradients B={batch_size}, {threads} threads"),
            |b| b.iter(|| black_box(epoch(&p, &w, &order, batch_size, &mut g))),
        );
        let marginal = |iters: u64, in_one: bool| {
            let run = |epochs| {
                if in_one {
                    one.install(|| sgd(&p, batch_size, epochs))
                } else {
                    sgd(&p, batch_size, epochs)
                }
            };
            (0..iters)
                .map(|_| run(2).saturating_sub(run(1)))
                .sum::<Duration>()
        };
        group.bench_function(format!("SGD epoch B={batch_size}, 1 thread"), |b| {
            b.iter_custom(|iters| marginal(iters, true))
        });
        group.bench_function(
            format!("SGD epoch B={batch_size}, {threads} threads"),
            |b| b.iter_custom(|iters| marginal(iters, false)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
