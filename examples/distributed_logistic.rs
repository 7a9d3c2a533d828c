//! The `logistic` example's problem (L2-regularised logistic regression, 200,000 examples of
//! 100 features) trained over MPI: each process reads its own rows of the data from `.npy`
//! files, and every process runs the same methods. The table is the same, bit for bit, for any
//! number of processes; only the times change.
//!
//! ```text
//! mpirun -np 4 --oversubscribe cargo run --release --features mpi --example distributed_logistic
//! ```
//!
//! (As root, OpenMPI also wants `--allow-run-as-root`.) With one process it runs without
//! `mpirun` too. The data files are written once, by rank 0, to
//! `target/gradus-data/logistic-200000x100/`.

use std::path::PathBuf;
use std::time::Instant;

use gradus::distributed::{Collective, DistributedSum, Mpi, shard_rows};
use gradus::finite_sum::FullBatch;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression, read_npy_rows};
use gradus::schedule::Exponential;
use mpi::traits::CommunicatorCollectives;
use ndarray::Array1;

const N: usize = 200_000;
const D: usize = 100;
const LAMBDA: f64 = 1e-4;
const TOL: f64 = 1e-4;
/// Examples per block of the fixed summation order: blocks of 4096 let a few examples of a
/// shuffled minibatch share a call of the shard (about twice as fast as blocks of 256, see
/// docs/scaling.md), and still cut the 200,000 examples into up to 48 shards.
const BLOCK: usize = 4096;

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

    // Rank 0 writes the data set of the `logistic` example once; then every process reads its
    // own rows, and only those.
    let dir = PathBuf::from("target/gradus-data/logistic-200000x100");
    let (features, labels) = (dir.join("features.npy"), dir.join("labels.npy"));
    if rank == 0 && !(features.exists() && labels.exists()) {
        let t = Instant::now();
        let data = Dataset::<f64>::classification(N, D, 2026)?;
        std::fs::create_dir_all(&dir).expect("a directory for the data");
        ndarray_npy::write_npy(&features, &data.features).expect("features written");
        ndarray_npy::write_npy(&labels, &data.targets).expect("labels written");
        println!("data written to {} ({:.2?})", dir.display(), t.elapsed());
    }
    comm.barrier();
    let t = Instant::now();
    let rows = shard_rows(N, BLOCK, rank, size)?;
    let shard = read_npy_rows::<f64>(&features, rows.clone())
        .and_then(|x| Ok((x, read_npy_rows::<f64>(&labels, rows.clone())?)))
        .and_then(|(x, y)| Dataset::new(x, y.column(0).to_owned()))
        .and_then(|data| LogisticRegression::new(data, LAMBDA));
    let problem = DistributedSum::new(&world, shard, rows.clone(), BLOCK)?;
    say(format!(
        "logistic regression: N = {N}, d = {D}, lambda = {LAMBDA:e}, over {size} process(es); \
         rank 0 holds rows {}..{} (read in {:.2?})",
        rows.start,
        rows.end,
        t.elapsed()
    ));
    let full = FullBatch::new(&problem);
    let x0 = Array1::<f64>::zeros(D);

    // f* by L-BFGS to a gradient of 1e-10, and L, the largest curvature (the Hessian at 0, where
    // the logistic loss is most curved), by power iteration on gradient differences.
    let t = Instant::now();
    let reference = Minimizer::new(Lbfgs::default())
        .gradient_tolerance(1e-10)
        .max_iterations(1_000)
        .minimize(&full, x0.view())?;
    let f_star = reference.f;
    let lipschitz = largest_curvature(&full);
    say(format!(
        "f* = {f_star:.12} (L-BFGS, |grad f| = {:.1e}, {} iterations), L = {lipschitz:.4} \
         ({:.2?})\n",
        reference.stationarity,
        reference.iterations,
        t.elapsed()
    ));

    let criteria = || Criteria {
        stationarity: None,
        target: Some(f_star + TOL),
        max_iterations: Some(1_000_000),
        ..Criteria::default()
    };
    let minibatch = |batch_size: usize, estimator: Estimator| Minibatch {
        batch_size,
        seed: 7,
        estimator,
        full_check_every: Some(1),
        ..Minibatch::default()
    };
    let decaying = |batch_size| Minibatch {
        schedule_per_epoch: true,
        ..minibatch(batch_size, Estimator::Minibatch)
    };
    let rows: Vec<(&str, Report<f64>)> = vec![
        (
            "GD (full batch, 1/L)",
            Minimizer::new(GradientDescent::default())
                .lr(1.0 / lipschitz)
                .with_criteria(criteria())
                .minimize(&full, x0.view())?,
        ),
        (
            "SGD (B=256, 0.1)",
            Minimizer::new(GradientDescent::default())
                .lr(0.1)
                .with_criteria(criteria())
                .minibatch(minibatch(256, Estimator::Minibatch))
                .max_epochs(15)
                .minimize_finite_sum(&problem, x0.view())?,
        ),
        (
            "SGD (B=256, 1.0·0.6^epoch)",
            Minimizer::new(GradientDescent::default())
                .schedule(Exponential::new(1.0, 0.6)?)
                .with_criteria(criteria())
                .minibatch(decaying(256))
                .max_epochs(50)
                .minimize_finite_sum(&problem, x0.view())?,
        ),
        (
            "Adam (1e-2·0.6^epoch)",
            Minimizer::new(Adam::default())
                .schedule(Exponential::new(1e-2, 0.6)?)
                .with_criteria(criteria())
                .minibatch(decaying(256))
                .max_epochs(50)
                .minimize_finite_sum(&problem, x0.view())?,
        ),
        (
            "SVRG (B=64, 0.5)",
            Minimizer::new(GradientDescent::default())
                .lr(0.5)
                .with_criteria(criteria())
                .minibatch(minibatch(
                    64,
                    Estimator::Svrg {
                        snapshot_every: None,
                    },
                ))
                .max_epochs(50)
                .minimize_finite_sum(&problem, x0.view())?,
        ),
        (
            "SAGA (B=64, 0.5)",
            Minimizer::new(GradientDescent::default())
                .lr(0.5)
                .with_criteria(criteria())
                .minibatch(minibatch(64, Estimator::Saga))
                .max_epochs(50)
                .minimize_finite_sum(&problem, x0.view())?,
        ),
    ];
    if let Some(e) = problem.failure() {
        return Err(e);
    }

    say(format!(
        "{:<28} {:>7} {:>10} {:>10} {:>16} {:>10}  {:<16} {:>16}",
        "method", "epochs", "grads / N", "time", "final loss", "f - f*", "stop", "x fingerprint"
    ));
    for (name, r) in &rows {
        let (epochs, passes) = match r.sampling {
            Some(s) => (s.epochs, s.example_gradients as f64 / N as f64),
            None => (r.iterations, r.gradient_evaluations as f64),
        };
        // Collective: every process evaluates the final loss.
        let f = full.value(r.x.view());
        say(format!(
            "{:<28} {:>7} {:>10.1} {:>10.2?} {:>16.12} {:>10.2e}  {:<16} {:>16x}",
            name,
            epochs,
            passes,
            r.elapsed,
            f,
            f - f_star,
            format!("{:?}", r.termination),
            fingerprint(&r.x)
        ));
    }
    say(
        "\nThe fingerprint hashes the bits of the final x: the same for any number of processes."
            .into(),
    );
    Ok(())
}

/// The largest eigenvalue of the Hessian at 0, by power iteration on `(∇f(εv) - ∇f(0)) / ε`
/// (exact for the quadratic model of the loss at 0; every process computes the same numbers).
fn largest_curvature(f: &impl Objective<f64>) -> f64 {
    let eps = 1e-4;
    let mut g0 = Array1::zeros(D);
    f.gradient(Array1::zeros(D).view(), g0.view_mut());
    let mut v = Array1::from_elem(D, 1.0 / (D as f64).sqrt());
    let mut g = Array1::zeros(D);
    let mut estimate = 0.0;
    for _ in 0..50 {
        f.gradient((&v * eps).view(), g.view_mut());
        let hv = (&g - &g0) / eps;
        estimate = v.dot(&hv);
        let norm = hv.dot(&hv).sqrt();
        v = hv / norm;
    }
    estimate
}

/// FNV-1a over the bits of `x`.
fn fingerprint(x: &Array1<f64>) -> u64 {
    x.iter().fold(0xcbf2_9ce4_8422_2325, |h, v| {
        (h ^ v.to_bits()).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
