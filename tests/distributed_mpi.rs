//! Distributed finite sums over MPI: run under `mpirun` with any number of processes (`.ci/run`
//! runs it with 1, 2 and 3), every process checks its own results and the program exits with a
//! failure if one is wrong.
//!
//! ```text
//! cargo test --features mpi,serde --test distributed_mpi --no-run   # prints the binary's path
//! mpirun -np 3 --oversubscribe target/debug/deps/distributed_mpi-...
//! ```
//!
//! Each process compares the runs over MPI with the same runs over the one-process transport,
//! bit for bit (the distributed sum's guarantee), and with the undistributed problem to
//! rounding; then the failures: a process that cannot load its data, a shard of another
//! width, a seed that differs on one process; then a checkpoint written by rank 0 and resumed
//! by every process.

mod common;

use common::distributed::{BLOCK, D, LAMBDA, N, data, distributed, runs, whole};
use gradus::distributed::{Collective, DistributedSum, Mpi, SingleProcess, shard_rows};
use gradus::prelude::*;
use gradus::problems::LogisticRegression;
use ndarray::Array1;

fn bits(x: &Array1<f64>) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = Mpi::new(universe.world());
    let (rank, size) = (world.rank(), world.size());
    let say = |what: &str| {
        if rank == 0 {
            println!("{size} process(es): {what}");
        }
    };

    // The runs: the same bits as on one process, and the undistributed problem's to rounding.
    let reference = runs(&distributed(SingleProcess).unwrap());
    let plain = runs(&whole());
    let here = runs(&distributed(&world).unwrap());
    for (((name, a), (_, b)), (_, c)) in here.iter().zip(&reference).zip(&plain) {
        assert_eq!(bits(a), bits(b), "{name} on rank {rank} of {size}");
        let gap = (a - c).mapv(f64::abs).fold(0.0, |m: f64, &v| m.max(v));
        assert!(gap < 1e-10, "{name}: {gap:e} from the undistributed run");
        say(&format!(
            "{name}: same bits as one process, {gap:.1e} from undistributed"
        ));
    }

    // A process that cannot load its data: every process gets the error, none waits.
    let bad = size - 1;
    let rows = shard_rows(N, BLOCK, rank, size).unwrap();
    let shard = if rank == bad {
        Err(gradus::Error::Data {
            source: format!("shard-{bad}.csv"),
            line: 3,
            reason: "field 2 is not a number".into(),
        })
    } else {
        data()
            .rows(rows.clone())
            .and_then(|d| LogisticRegression::new(d, LAMBDA))
    };
    let e = DistributedSum::<_, _, f64>::new(&world, shard, rows.clone(), BLOCK).unwrap_err();
    assert!(
        matches!(e, gradus::Error::Distributed { rank: Some(r), .. } if r == bad),
        "{e}"
    );
    assert!(
        e.to_string().contains(&format!("shard-{bad}.csv, line 3")),
        "{e}"
    );
    say(&format!("a failed load stops every process: {e}"));

    if size > 1 {
        // A shard of another width.
        let d = if rank == bad { D + 2 } else { D };
        let shard = gradus::problems::Dataset::classification(rows.len(), d, 3)
            .and_then(|data| LogisticRegression::new(data, LAMBDA));
        let e = DistributedSum::<_, _, f64>::new(&world, shard, rows, BLOCK).unwrap_err();
        assert!(
            e.to_string().contains(&format!("{} features", D + 2)),
            "{e}"
        );
        say(&format!("shards of different widths are refused: {e}"));

        // A seed that differs on one process: every process stops at the first batch.
        let sum = distributed(&world).unwrap();
        let report = Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .minibatch(Minibatch {
                batch_size: 30,
                seed: if rank == bad { 2 } else { 1 },
                ..Minibatch::default()
            })
            .max_epochs(2)
            .minimize_finite_sum(&sum, Array1::zeros(D).view())
            .unwrap();
        assert_eq!(report.termination, Termination::NonFinite);
        let e = sum.failure().unwrap();
        assert!(e.to_string().contains("Minibatch::seed"), "{e}");
        say(&format!("a seed that differs stops every process: {e}"));
    }

    // A checkpoint written by rank 0 after 2 epochs, read by every process, resumed to 4: the
    // bits of 4 epochs in one go on one process.
    checkpoint(&world);
    say("a checkpoint written by rank 0 resumes on every process, bit for bit");
}

#[cfg(feature = "serde")]
fn checkpoint(world: &Mpi) {
    use gradus::checkpoint::{load, save};
    use mpi::traits::CommunicatorCollectives;
    let settings = Minibatch {
        batch_size: 50,
        seed: 9,
        ..Minibatch::default()
    };
    let x0 = Array1::<f64>::zeros(D);
    let one = distributed(SingleProcess).unwrap();
    let whole_run = Minimizer::new(Adam::default())
        .lr(1e-2)
        .minibatch(settings.clone())
        .max_epochs(4)
        .minimize_finite_sum(&one, x0.view())
        .unwrap()
        .x;
    let sum = distributed(world).unwrap();
    let mut m = Minimizer::new(Adam::default())
        .lr(1e-2)
        .minibatch(settings.clone())
        .max_epochs(2);
    m.minimize_finite_sum(&sum, x0.view()).unwrap();
    let path = std::env::temp_dir().join("gradus-distributed-mpi.ckpt");
    if world.rank() == 0 {
        save(&path, &(m.optimizer(), m.run_state().unwrap())).unwrap();
    }
    let comm = world.communicator().unwrap();
    comm.barrier();
    let (rule, state): (gradus::Adam<f64>, RunState<f64>) = load(&path).unwrap();
    let mut m = Minimizer::new(rule)
        .lr(1e-2)
        .minibatch(settings)
        .max_epochs(4);
    m.set_run_state(state);
    let x = m.resume_finite_sum(&sum).unwrap().x;
    assert_eq!(bits(&x), bits(&whole_run));
    comm.barrier();
    if world.rank() == 0 {
        std::fs::remove_file(&path).unwrap();
    }
}

#[cfg(not(feature = "serde"))]
fn checkpoint(_: &Mpi) {}
