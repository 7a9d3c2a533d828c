//! Finite sums spread over processes: each process holds a shard of the examples, and the
//! loop, the rules and the schedules run unchanged on every process.
//!
//! A data set too large for one machine is cut into shards of consecutive examples (rows), one
//! per process, each loaded by its process alone ([`shard_rows`] says which rows, and the
//! row-range readers of [`problems`](crate::problems) read just those). A
//! [`DistributedSum`] wraps the shard's own [`FiniteSum`](crate::FiniteSum) and is the
//! [`FiniteSum`](crate::FiniteSum) of all the examples: asked for the mean over a batch of
//! global example indices, each process evaluates the examples of the batch it owns and the
//! processes exchange their partial sums. Every
//! process then starts the same run, with the same settings and seed: they draw the same
//! batches from the shared seed over the global indices, receive the same gradients, and take
//! the same steps. Minibatch runs, SVRG, SAGA, full checks and full-batch runs (L-BFGS with its
//! line search, through [`FullBatch`](crate::finite_sum::FullBatch)) work as in one process.
//!
//! ## What is guaranteed: the same bits for any number of processes
//!
//! The order of the additions is fixed by the batch and the block size alone, never by the
//! number of processes or by which process owns what. The examples are grouped into blocks of
//! `block` consecutive indices; a block's term is its examples of the batch, in increasing
//! index order, evaluated by the shard in one call (their mean, times their number); and the
//! block terms are added along a fixed binary tree over the block indices (a node is the sum of
//! its two children, or its one non-empty child). Each process computes the largest subtrees
//! within its rows, and every process combines the subtrees of all in the same tree. So, given
//! the same blocks:
//!
//! - every process receives the same bits (the processes never drift apart);
//! - a run on 1, 2, 3 or 1,024 processes gives the same iterates, bit for bit, when the shards
//!   are cut at block boundaries ([`shard_rows`] cuts them so; [`DistributedSum::new`] checks
//!   it);
//! - against the same problem in one process without a `DistributedSum`, the value and the
//!   gradient of a batch agree to rounding (a pairwise sum over blocks instead of a running
//!   sum), and so the iterates of a short run agree to about the precision of the type.
//!
//! The processes exchange, per evaluation, at most about `2 log2(blocks)` partial sums each, of
//! `dim + 1` values: see `docs/scaling.md` in the repository for what this costs. The block size
//! trades speed for granularity: with blocks of 256 almost every example of a shuffled minibatch
//! is a block of its own (one call of the shard each), with blocks of 4096 a few examples share
//! a call, about twice as fast, but the examples can be cut into at most `N / block` shards.
//!
//! ## Checkpoints
//!
//! The loop's run state does not depend on the number of processes: one process writes it
//! (with the rule, through `gradus::checkpoint` of the `serde` feature), and any number of
//! processes read it and resume, bit for bit. SAGA is the exception: its table of per-example
//! gradients is sharded, so each process saves its own run state and a SAGA run resumes on the
//! same shards.
//!
//! ## Failures end every process
//!
//! [`DistributedSum::new`] is collective: every process says whether its shard loaded and what
//! it holds, so a process that could not load its data, a shard with another number of
//! features, or rows that leave a gap make every process return the same
//! [`Error::Distributed`], naming the rank. During the run, each evaluation also compares the
//! batch and the iterate of every process; if they differ (a seed or a start that differs
//! between processes), every process returns NaN at the same evaluation, the loop stops with
//! [`Termination::NonFinite`](crate::Termination::NonFinite) everywhere, and
//! [`DistributedSum::failure`] says what differed.
//!
//! ## Transport
//!
//! [`Collective`] is the two operations the sum needs. [`SingleProcess`] is the trivial
//! transport (one process, which owns everything), and, with the `mpi` feature, `Mpi` runs
//! over an MPI communicator (the `mpi` crate, rsmpi):
//!
//! ```text
//! cargo run --release --features mpi --example distributed_logistic         # 1 process
//! mpirun -np 4 --oversubscribe cargo run --release --features mpi \
//!     --example distributed_logistic                                         # 4 processes
//! ```
//!
//! A run on one process without MPI:
//!
//! ```
//! use gradus::distributed::{DistributedSum, SingleProcess, shard_rows};
//! use gradus::prelude::*;
//! use gradus::problems::{Dataset, LogisticRegression};
//! use ndarray::Array1;
//!
//! let data = Dataset::<f64>::classification(1_000, 5, 7)?;
//! let (rank, size) = (0, 1);
//! let rows = shard_rows(data.len(), 64, rank, size)?;
//! // A failure to load is passed to `new`, not returned early: every process must call it.
//! let shard = data.rows(rows.clone()).and_then(|d| LogisticRegression::new(d, 1e-3));
//! let sum = DistributedSum::new(SingleProcess, shard, rows, 64)?;
//! let report = Minimizer::new(Adam::default())
//!     .lr(1e-2)
//!     .minibatch(Minibatch { batch_size: 100, seed: 1, ..Minibatch::default() })
//!     .max_epochs(5)
//!     .minimize_finite_sum(&sum, Array1::zeros(5).view())?;
//! assert!(report.f.is_finite() && sum.failure().is_none());
//! # Ok::<(), gradus::Error>(())
//! ```

mod sum;
mod tree;

#[cfg(feature = "mpi")]
mod mpi;

use std::ops::Range;

use crate::error::{Error, Result};

#[cfg(feature = "mpi")]
pub use self::mpi::Mpi;
pub use sum::DistributedSum;

/// The collective operations a [`DistributedSum`] needs: every process contributes a buffer and
/// every process receives all of them, in rank order.
///
/// Every process must call the same operations in the same order with consistent lengths (the
/// sum does so by construction); an implementation may block until all have called.
pub trait Collective: Sync {
    /// This process's rank, from `0` to `size() - 1`.
    fn rank(&self) -> usize;

    /// The number of processes.
    fn size(&self) -> usize;

    /// Every process's `send` (of the same length on all), in rank order, into `recv` (of
    /// `size() * send.len()` values).
    ///
    /// # Errors
    /// [`Error::Distributed`] when the transport cannot carry the buffers.
    fn all_gather(&self, send: &[u64], recv: &mut [u64]) -> Result<()>;

    /// Every process's `send`, in rank order, into `recv`: `counts[r]` is the length of rank
    /// `r`'s buffer (known to every process), and `recv` holds their sum.
    ///
    /// # Errors
    /// [`Error::Distributed`] when the transport cannot carry the buffers.
    fn all_gather_varcount(&self, send: &[f64], counts: &[usize], recv: &mut [f64]) -> Result<()>;
}

/// The transport of a run in one process: rank 0 of 1, which owns every example.
///
/// A [`DistributedSum`] over it computes what it computes over any number of processes, the
/// same bits: a way to compare with a distributed run, and to run the same program with or
/// without MPI.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleProcess;

impl Collective for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, send: &[u64], recv: &mut [u64]) -> Result<()> {
        recv.copy_from_slice(send);
        Ok(())
    }

    fn all_gather_varcount(&self, send: &[f64], _counts: &[usize], recv: &mut [f64]) -> Result<()> {
        recv.copy_from_slice(send);
        Ok(())
    }
}

impl<C: Collective + ?Sized> Collective for &C {
    fn rank(&self) -> usize {
        (**self).rank()
    }
    fn size(&self) -> usize {
        (**self).size()
    }
    fn all_gather(&self, send: &[u64], recv: &mut [u64]) -> Result<()> {
        (**self).all_gather(send, recv)
    }
    fn all_gather_varcount(&self, send: &[f64], counts: &[usize], recv: &mut [f64]) -> Result<()> {
        (**self).all_gather_varcount(send, counts, recv)
    }
}

/// The rows (example indices) of process `rank` of `size` when `examples` examples are cut into
/// shards of whole blocks of `block` examples, as even as blocks allow: the first
/// `blocks mod size` processes get one block more. The shards tile `0..examples` in rank order.
///
/// # Errors
/// [`Error::InvalidCount`] for a `block` of 0, for a `size` of 0 or a `rank` not below it, and
/// when there are fewer blocks than processes (some process would get no example: take a
/// smaller block, or fewer processes).
///
/// ```
/// use gradus::distributed::shard_rows;
///
/// // 1,000 examples in blocks of 64 (16 blocks: 15 full, the last of 40) over 3 processes.
/// assert_eq!(shard_rows(1_000, 64, 0, 3)?, 0..384);
/// assert_eq!(shard_rows(1_000, 64, 1, 3)?, 384..704);
/// assert_eq!(shard_rows(1_000, 64, 2, 3)?, 704..1_000);
/// # Ok::<(), gradus::Error>(())
/// ```
pub fn shard_rows(examples: usize, block: usize, rank: usize, size: usize) -> Result<Range<usize>> {
    if block == 0 {
        return Err(Error::InvalidCount {
            name: "block",
            value: 0,
            expected: "at least 1 (examples per block)",
        });
    }
    if size == 0 {
        return Err(Error::InvalidCount {
            name: "size",
            value: 0,
            expected: "at least 1 (processes)",
        });
    }
    if rank >= size {
        return Err(Error::InvalidCount {
            name: "rank",
            value: rank,
            expected: "below the number of processes (size)",
        });
    }
    let blocks = examples.div_ceil(block);
    if blocks < size {
        return Err(Error::InvalidCount {
            name: "size",
            value: size,
            expected: "at most the number of blocks (examples / block, rounded up): take a \
                       smaller block or fewer processes, so that every process gets examples",
        });
    }
    let (per, extra) = (blocks / size, blocks % size);
    let first_block = rank * per + rank.min(extra);
    let own = per + usize::from(rank < extra);
    let start = first_block * block;
    let end = (start + own * block).min(examples);
    Ok(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_the_examples_in_whole_blocks() {
        for examples in [1, 7, 64, 65, 1_000, 12_345] {
            for block in [1, 3, 64] {
                for size in 1..=5 {
                    let Ok(first) = shard_rows(examples, block, 0, size) else {
                        assert!(examples.div_ceil(block) < size);
                        continue;
                    };
                    assert_eq!(first.start, 0);
                    let mut end = first.end;
                    let mut lens = vec![first.len()];
                    for rank in 1..size {
                        let rows = shard_rows(examples, block, rank, size).unwrap();
                        assert_eq!(rows.start, end, "contiguous");
                        assert_eq!(rows.start % block, 0, "aligned");
                        assert!(!rows.is_empty());
                        lens.push(rows.len());
                        end = rows.end;
                    }
                    assert_eq!(end, examples);
                    // As even as whole blocks allow.
                    let (lo, hi) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
                    assert!(hi - lo < 2 * block, "{lens:?}");
                }
            }
        }
    }

    #[test]
    fn shard_rows_refuses_what_cannot_be_cut() {
        assert!(matches!(
            shard_rows(10, 0, 0, 1),
            Err(Error::InvalidCount { name: "block", .. })
        ));
        assert!(matches!(
            shard_rows(10, 1, 2, 2),
            Err(Error::InvalidCount { name: "rank", .. })
        ));
        let e = shard_rows(10, 8, 0, 3).unwrap_err();
        assert!(e.to_string().contains("smaller block"), "{e}");
    }
}
