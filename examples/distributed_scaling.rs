//! Measures what `docs/scaling.md` models: the time of MPI's all-reduce and all-gather for
//! vectors of 1e2 to 1e7 values (fitted to the alpha-beta model `t = α + β·bytes`), and an
//! epoch of the 200,000 x 100 logistic problem through a `DistributedSum`, full-batch and in
//! minibatches of 256.
//!
//! ```text
//! cargo build --release --features mpi --example distributed_scaling
//! RAYON_NUM_THREADS=1 mpirun -np 2 target/release/examples/distributed_scaling
//! ```

use std::time::Instant;

use gradus::distributed::{Collective, DistributedSum, Mpi, shard_rows};
use gradus::finite_sum::Batch;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression};
use mpi::collective::SystemOperation;
use mpi::traits::CommunicatorCollectives;
use ndarray::Array1;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

const N: usize = 200_000;
const D: usize = 100;
/// Examples per block of the fixed summation order: the finest, and a coarser one.
const BLOCKS: [usize; 2] = [256, 4096];

fn main() -> Result<(), gradus::Error> {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = Mpi::new(universe.world());
    let (rank, size) = (world.rank(), world.size());
    let comm = world.communicator().expect("the thread that made it");
    let say = |line: String| {
        if rank == 0 {
            println!("{line}");
        }
    };
    say(format!(
        "{size} process(es), {} rayon thread(s) each",
        rayon::current_num_threads()
    ));

    // The collectives alone: the median of repeated calls, per size.
    say(format!(
        "{:>10} {:>14} {:>14}",
        "values", "all-reduce", "all-gather"
    ));
    let mut points = Vec::new();
    for exponent in 2..=7 {
        let n = 10usize.pow(exponent);
        let send = vec![1.0f64; n];
        let mut reduced = vec![0.0f64; n];
        let mut gathered = vec![0.0f64; n * size];
        let reps = (2_000_000 / n).clamp(5, 2_000);
        let time = |op: &mut dyn FnMut()| {
            let mut t = Vec::with_capacity(reps);
            for _ in 0..reps {
                comm.barrier();
                let s = Instant::now();
                op();
                t.push(s.elapsed().as_secs_f64());
            }
            t.sort_by(f64::total_cmp);
            t[reps / 2]
        };
        let reduce =
            time(&mut || comm.all_reduce_into(&send[..], &mut reduced[..], SystemOperation::sum()));
        let gather = time(&mut || comm.all_gather_into(&send[..], &mut gathered[..]));
        say(format!(
            "{n:>10} {:>12.1}µs {:>12.1}µs",
            reduce * 1e6,
            gather * 1e6
        ));
        points.push(((n * 8) as f64, reduce));
    }
    // The alpha-beta model in two regimes: α from the smallest message, β from the slope
    // between 1e3 and 1e5 values (in cache) and between 1e6 and 1e7 (from memory).
    let slope = |a: (f64, f64), b: (f64, f64)| (b.1 - a.1) / (b.0 - a.0);
    let alpha = points[0].1;
    let beta = slope(points[1], points[3]);
    let beta_memory = slope(points[4], points[5]);
    say(format!(
        "all-reduce: alpha = {:.2} µs; beta = {:.3} ns/byte ({:.2} GB/s) in cache, {:.3} \
         ns/byte ({:.2} GB/s) from memory",
        alpha * 1e6,
        beta * 1e9,
        1.0 / beta / 1e9,
        beta_memory * 1e9,
        1.0 / beta_memory / 1e9
    ));

    // An epoch of the logistic problem through the distributed sum, for two block sizes.
    let data = Dataset::<f64>::classification(N, D, 2026)?;
    let x = Array1::from_elem(D, 0.01);
    let mut g = Array1::zeros(D);
    let reps = 10;
    let mut order: Vec<usize> = (0..N).collect();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(1));
    for block in BLOCKS {
        let rows = shard_rows(N, block, rank, size)?;
        let shard = data
            .rows(rows.clone())
            .and_then(|d| LogisticRegression::new(d, 1e-4));
        let problem = DistributedSum::new(&world, shard, rows, block)?;
        comm.barrier();
        let s = Instant::now();
        for _ in 0..reps {
            problem.batch_value_and_gradient(x.view(), Batch::all(N), g.view_mut());
        }
        let full = s.elapsed().as_secs_f64() / reps as f64;
        comm.barrier();
        let s = Instant::now();
        for _ in 0..3 {
            for batch in order.chunks(256) {
                problem.batch_value_and_gradient(x.view(), Batch::Indices(batch), g.view_mut());
            }
        }
        let epoch = s.elapsed().as_secs_f64() / 3.0;
        say(format!(
            "block {block}: full gradient {:.2} ms; an epoch of minibatches of 256 ({} steps) \
             {:.1} ms ({:.1} µs per step)",
            full * 1e3,
            N.div_ceil(256),
            epoch * 1e3,
            epoch / N.div_ceil(256) as f64 * 1e6
        ));
    }
    // The same in one process without the distributed sum, for comparison.
    if rank == 0 {
        let whole = LogisticRegression::new(data, 1e-4)?;
        let s = Instant::now();
        for _ in 0..reps {
            whole.batch_value_and_gradient(x.view(), Batch::all(N), g.view_mut());
        }
        let full = s.elapsed().as_secs_f64() / reps as f64;
        let s = Instant::now();
        for batch in order.chunks(256) {
            whole.batch_value_and_gradient(x.view(), Batch::Indices(batch), g.view_mut());
        }
        let epoch = s.elapsed().as_secs_f64();
        println!(
            "undistributed, rank 0 alone: full gradient {:.2} ms; epoch of minibatches {:.1} ms",
            full * 1e3,
            epoch * 1e3
        );
    }
    Ok(())
}
