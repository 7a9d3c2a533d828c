//! The runs that a distributed sum must reproduce for any number of processes, shared by the
//! tests over threads (`tests/distributed.rs`) and over MPI (`tests/distributed_mpi.rs`), and
//! a transport whose processes are threads of one test.

use std::sync::{Arc, Barrier, Mutex};

use gradus::distributed::{Collective, DistributedSum, shard_rows};
use gradus::finite_sum::FullBatch;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression};
use ndarray::Array1;

/// Examples, features, the L2 weight and the block of the runs.
pub const N: usize = 3_000;
pub const D: usize = 8;
pub const LAMBDA: f64 = 1e-3;
pub const BLOCK: usize = 64;

/// The whole data set (every process can make it: it is seeded).
pub fn data() -> Dataset<f64> {
    Dataset::classification(N, D, 11).unwrap()
}

/// The problem of every example, in one process, without a distributed sum.
pub fn whole() -> LogisticRegression<f64> {
    LogisticRegression::new(data(), LAMBDA).unwrap()
}

/// This process's share of the problem, over `comm`.
pub fn distributed<C: Collective>(
    comm: C,
) -> gradus::Result<DistributedSum<LogisticRegression<f64>, C, f64>> {
    let rows = shard_rows(N, BLOCK, comm.rank(), comm.size())?;
    let shard = data()
        .rows(rows.clone())
        .and_then(|d| LogisticRegression::new(d, LAMBDA));
    DistributedSum::new(comm, shard, rows, BLOCK)
}

fn minibatch(batch_size: usize, sampling: Sampling, estimator: Estimator) -> Minibatch {
    Minibatch {
        batch_size,
        sampling,
        estimator,
        seed: 5,
        ..Minibatch::default()
    }
}

/// The runs, each with its final iterate: minibatch SGD, Adam (sampling with replacement),
/// SVRG and SAGA, and full-batch L-BFGS with its line search.
pub fn runs<P: FiniteSum<f64>>(problem: &P) -> Vec<(&'static str, Array1<f64>)> {
    let x0 = Array1::<f64>::zeros(D);
    let mut out = Vec::new();
    let sgd = Minimizer::new(GradientDescent::default())
        .lr(0.2)
        .minibatch(minibatch(50, Sampling::Shuffle, Estimator::Minibatch))
        .max_epochs(3)
        .minimize_finite_sum(problem, x0.view())
        .unwrap();
    out.push(("SGD", sgd.x));
    let adam = Minimizer::new(Adam::default())
        .lr(1e-2)
        .minibatch(minibatch(
            40,
            Sampling::WithReplacement,
            Estimator::Minibatch,
        ))
        .max_epochs(3)
        .minimize_finite_sum(problem, x0.view())
        .unwrap();
    out.push(("Adam", adam.x));
    let svrg = Minimizer::new(GradientDescent::default())
        .lr(0.3)
        .minibatch(minibatch(
            32,
            Sampling::Shuffle,
            Estimator::Svrg {
                snapshot_every: None,
            },
        ))
        .max_epochs(2)
        .minimize_finite_sum(problem, x0.view())
        .unwrap();
    out.push(("SVRG", svrg.x));
    let saga = Minimizer::new(GradientDescent::default())
        .lr(0.3)
        .minibatch(minibatch(16, Sampling::Shuffle, Estimator::Saga))
        .max_epochs(1)
        .minimize_finite_sum(problem, x0.view())
        .unwrap();
    out.push(("SAGA", saga.x));
    // Batches of 200 drawn with replacement from 3,000 examples repeat examples.
    let saga = Minimizer::new(GradientDescent::default())
        .lr(0.3)
        .minibatch(minibatch(200, Sampling::WithReplacement, Estimator::Saga))
        .max_epochs(2)
        .minimize_finite_sum(problem, x0.view())
        .unwrap();
    out.push(("SAGA, with replacement", saga.x));
    let lbfgs = Minimizer::new(Lbfgs::default())
        .max_iterations(25)
        .minimize(&FullBatch::new(problem), x0.view())
        .unwrap();
    out.push(("L-BFGS", lbfgs.x));
    out
}

/// A transport whose processes are threads: [`Threads::group`] makes the ranks of one group,
/// each moved to its own thread.
pub struct Threads {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    size: usize,
    barrier: Barrier,
    words: Mutex<Vec<Vec<u64>>>,
    values: Mutex<Vec<Vec<f64>>>,
}

impl Threads {
    /// The `size` ranks of one group.
    pub fn group(size: usize) -> Vec<Threads> {
        let shared = Arc::new(Shared {
            size,
            barrier: Barrier::new(size),
            words: Mutex::new(vec![Vec::new(); size]),
            values: Mutex::new(vec![Vec::new(); size]),
        });
        (0..size)
            .map(|rank| Threads {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    /// Runs `body` on every rank of a group of `size`, each on its own thread, and returns
    /// what each returned, in rank order.
    pub fn run<T: Send>(size: usize, body: impl Fn(Threads) -> T + Sync) -> Vec<T> {
        std::thread::scope(|s| {
            let handles: Vec<_> = Threads::group(size)
                .into_iter()
                .map(|t| s.spawn(|| body(t)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn gather<T: Copy>(&self, slots: &Mutex<Vec<Vec<T>>>, send: &[T], recv: &mut [T]) {
        slots.lock().unwrap()[self.rank] = send.to_vec();
        self.shared.barrier.wait();
        {
            let slots = slots.lock().unwrap();
            let mut at = 0;
            for s in slots.iter() {
                recv[at..at + s.len()].copy_from_slice(s);
                at += s.len();
            }
            assert_eq!(at, recv.len());
        }
        self.shared.barrier.wait();
    }
}

impl Collective for Threads {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.size
    }

    fn all_gather(&self, send: &[u64], recv: &mut [u64]) -> gradus::Result<()> {
        self.gather(&self.shared.words, send, recv);
        Ok(())
    }

    fn all_gather_varcount(
        &self,
        send: &[f64],
        counts: &[usize],
        recv: &mut [f64],
    ) -> gradus::Result<()> {
        assert_eq!(counts[self.rank], send.len());
        self.gather(&self.shared.values, send, recv);
        Ok(())
    }
}
