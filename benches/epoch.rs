//! One epoch of minibatch gradients of logistic regression (200,000 examples x 100 features,
//! `f64`, 160 MB of features) on one thread and on all threads, against one read of the
//! feature matrix.
//!
//! Three batch sizes. The batch reducer cuts a batch into chunks of 256 examples: a batch of
//! 1024 is four chunks, 4096 sixteen, 16384 sixty-four. Every batch is one parallel step that
//! hands its chunks to the thread pool and waits for them, and on a virtual machine waking the
//! sleeping workers for it costs some 50–100 µs: a large part of a 1024-example batch (~180 µs of
//! work on one core), a small part of a 16384-example one. So the speedup grows with the batch.
//! A batch of 256 would be a single chunk and run on one core.
//!
//! `cargo bench --bench epoch`

use criterion::{Criterion, criterion_group, criterion_main};
use gradus::FiniteSum;
use gradus::finite_sum::Batch;
use gradus::problems::{Dataset, LogisticRegression};
use ndarray::Array1;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use std::hint::black_box;

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
    group.bench_function("read-features (sum of entries)", |b| {
        let x = p.dataset().features.as_slice().unwrap();
        b.iter(|| black_box(read(black_box(x))))
    });
    for batch_size in [1024, 4096, 16384] {
        group.bench_function(format!("epoch B={batch_size}, 1 thread"), |b| {
            b.iter(|| one.install(|| black_box(epoch(&p, &w, &order, batch_size, &mut g))))
        });
        group.bench_function(format!("epoch B={batch_size}, {threads} threads"), |b| {
            b.iter(|| black_box(epoch(&p, &w, &order, batch_size, &mut g)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
