//! [`DistributedSum`]: the finite sum of every process's shard.

use std::ops::Range;
use std::sync::Mutex;

use ndarray::{ArrayView1, ArrayViewMut1};

use super::Collective;
use super::tree::{Local, Owned, Tree, combine, level_buffers};
use crate::Real;
use crate::error::{Error, Result};
use crate::finite_sum::{Batch, ExampleTerm, FiniteSum, Shards};

/// The [`FiniteSum`] of the examples of every process, each process holding the shard of
/// consecutive examples `rows` (see the [module documentation](super) for the guarantee).
///
/// Every evaluation is collective: every process must make the same calls in the same order,
/// which the loop does when every process runs it with the same settings (and the sum checks).
pub struct DistributedSum<S, C, F> {
    shard: S,
    comm: C,
    rows: Range<usize>,
    dim: usize,
    tree: Tree,
    scratch: Mutex<Scratch<F>>,
    failure: Mutex<Option<Error>>,
}

/// The buffers of an evaluation, kept between calls (allocated by the first calls, reused).
#[derive(Debug, Default)]
struct Scratch<F> {
    reduction: Reduction<F>,
    /// One example's gradient, for [`Shards::sum_terms`].
    example: Vec<F>,
    /// One example's term, for [`Shards::sum_terms`].
    term: Vec<F>,
}

/// The buffers of a reduction over the processes.
#[derive(Debug, Default)]
struct Reduction<F> {
    /// The batch's examples this process owns, as shard indices, sorted.
    owned: Vec<usize>,
    /// Per level of the tree, a `[value, gradient...]` buffer.
    levels: Vec<Vec<F>>,
    /// The node being sent or combined.
    node: Vec<F>,
    /// Every process's header: batch fingerprint, iterate fingerprint, number of subtrees.
    headers: Vec<u64>,
    /// This process's subtrees: `[level, id, value, gradient...]` each.
    send: Vec<f64>,
    /// Every process's subtrees, in rank order.
    received: Vec<f64>,
    counts: Vec<usize>,
    /// `(level, id)` of every subtree received.
    nodes: Vec<(u32, usize)>,
}

/// The header of a process: `[ok, dim, rows.start, rows.end, block, message length]`.
const HEADER: usize = 6;

impl<S, C: Collective, F: Real> DistributedSum<S, C, F> {
    /// The sum of every process's shard, from this process's `shard`, which holds the examples
    /// `rows` (global indices; its example `k` is example `rows.start + k`), in blocks of
    /// `block` examples. Collective: every process calls it, with its own `shard` and `rows` and
    /// the same `block`.
    ///
    /// `shard` is a `Result` so that a process that failed to load its data still takes part:
    /// then every process returns the error.
    ///
    /// # Errors
    /// [`Error::Distributed`] on every process, naming the first rank at fault, when a process
    /// could not load its shard (its message is carried to all), when a shard does not hold
    /// `rows.len()` examples, when the shards differ in `dim`, when the processes give
    /// different blocks, and when the rows do not tile `0..N` in rank order at block
    /// boundaries (cut them with [`shard_rows`](super::shard_rows)); [`Error::Empty`] when
    /// there are no examples at all. An error of the transport.
    pub fn new(comm: C, shard: Result<S>, rows: Range<usize>, block: usize) -> Result<Self>
    where
        S: FiniteSum<F>,
    {
        let (rank, size) = (comm.rank(), comm.size());
        let local = shard.and_then(|s| {
            if s.examples() == rows.len() {
                Ok(s)
            } else {
                Err(Error::Distributed {
                    rank: Some(rank),
                    reason: format!(
                        "its shard holds {} examples but its rows {}..{} are {}: give each \
                         process the shard of exactly its rows",
                        s.examples(),
                        rows.start,
                        rows.end,
                        rows.len()
                    ),
                })
            }
        });
        let message = match &local {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        let header = [
            u64::from(local.is_ok()),
            local.as_ref().map_or(0, |s| s.dim()) as u64,
            rows.start as u64,
            rows.end as u64,
            block as u64,
            message.len() as u64,
        ];
        let mut headers = vec![0u64; HEADER * size];
        comm.all_gather(&header, &mut headers)?;
        let header_of = |r: usize| &headers[HEADER * r..HEADER * (r + 1)];
        if let Some(bad) = (0..size).find(|&r| header_of(r)[0] == 0) {
            // Every process receives every failed process's message.
            let counts: Vec<usize> = (0..size).map(|r| header_of(r)[5] as usize).collect();
            let send: Vec<f64> = message.bytes().map(f64::from).collect();
            let mut received = vec![0.0; counts.iter().sum()];
            comm.all_gather_varcount(&send, &counts, &mut received)?;
            let from = counts[..bad].iter().sum::<usize>();
            let text: Vec<u8> = received[from..from + counts[bad]]
                .iter()
                .map(|&b| b as u8)
                .collect();
            return Err(Error::Distributed {
                rank: Some(bad),
                reason: format!(
                    "could not load its shard, so no process goes on: {}",
                    String::from_utf8_lossy(&text)
                ),
            });
        }
        let dim = header_of(0)[1] as usize;
        let at_fault = |r: usize, reason: String| Error::Distributed {
            rank: Some(r),
            reason,
        };
        let mut end = 0u64;
        for r in 0..size {
            let h = header_of(r);
            if h[4] != block as u64 || block == 0 {
                return Err(at_fault(
                    r,
                    format!(
                        "its block is {} where rank 0's is {}: give every process the same \
                         block, at least 1",
                        h[4], block
                    ),
                ));
            }
            if h[1] as usize != dim {
                return Err(at_fault(
                    r,
                    format!(
                        "its shard has {} features where rank 0's has {dim}: every shard must \
                         hold the same features",
                        h[1]
                    ),
                ));
            }
            if h[2] != end || h[3] < h[2] || h[2] % block as u64 != 0 {
                return Err(at_fault(
                    r,
                    format!(
                        "its rows {}..{} do not follow the previous process's, which end at \
                         {end}, at a multiple of the block {block}: cut the rows with \
                         distributed::shard_rows",
                        h[2], h[3]
                    ),
                ));
            }
            end = h[3];
        }
        let examples = end as usize;
        if examples == 0 {
            return Err(Error::Empty {
                what: "the distributed sum (no process holds an example)",
            });
        }
        let shard = local?;
        Ok(DistributedSum {
            shard,
            comm,
            rows,
            dim,
            tree: Tree::new(examples, block),
            scratch: Mutex::new(Scratch::default()),
            failure: Mutex::new(None),
        })
    }

    /// This process's shard.
    pub fn shard(&self) -> &S {
        &self.shard
    }

    /// The examples this process holds (global indices).
    pub fn rows(&self) -> Range<usize> {
        self.rows.clone()
    }

    /// The transport.
    pub fn collective(&self) -> &C {
        &self.comm
    }

    /// Why the evaluations return NaN, if they do: the processes evaluated different batches or
    /// iterates (every process sees the same failure, at the same evaluation), or the transport
    /// failed. Once failed, the sum returns NaN without communicating.
    pub fn failure(&self) -> Option<Error> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records `error` as the failure (the first one stays).
    fn fail(&self, error: Error) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.get_or_insert(error);
    }

    fn failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

impl<S: FiniteSum<F>, C: Collective, F: Real> DistributedSum<S, C, F> {
    /// The sum over the batch's examples of every process of the terms `leaf` writes: `leaf`
    /// gets the batch's examples of one block of this process (shard indices, increasing) and
    /// writes their sum, of `width` values; the total lands in `reduction.node`.
    fn reduce(
        &self,
        reduction: &mut Reduction<F>,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        width: usize,
        mut leaf: impl FnMut(Owned<'_>, Owned<'_>, &mut [F]),
    ) -> Result<()> {
        let r = reduction;
        let size = self.comm.size();
        level_buffers(&mut r.levels, self.tree.levels, width);
        r.node.resize(width, F::zero());

        // The batch's examples this process owns, as shard indices in increasing order.
        let rows = self.rows.clone();
        let owned = match batch {
            Batch::Range { start, end } => Owned::Range(
                start.clamp(rows.start, rows.end) - rows.start,
                end.clamp(rows.start, rows.end) - rows.start,
            ),
            Batch::Indices(ix) => {
                r.owned.clear();
                r.owned.extend(
                    ix.iter()
                        .filter(|&&i| rows.contains(&i))
                        .map(|&i| i - rows.start),
                );
                r.owned.sort_unstable();
                Owned::Sorted(&r.owned)
            }
        };

        // This process's subtrees.
        r.send.clear();
        let mut subtrees = 0u64;
        let mut local = Local {
            tree: &self.tree,
            rows,
            leaf: &mut leaf,
            all: owned,
            done: 0,
        };
        let send = &mut r.send;
        local.subtrees(
            owned,
            &mut r.levels,
            &mut r.node,
            &mut |level, id, value| {
                subtrees += 1;
                send.push(f64::from(level));
                send.push(id as f64);
                send.extend(value.iter().map(|v| v.as_f64()));
            },
        );

        // Every process's header: the batch and the iterate it evaluates, and its subtrees.
        let header = [batch_fingerprint(batch), iterate_fingerprint(x), subtrees];
        r.headers.resize(3 * size, 0);
        self.comm.all_gather(&header, &mut r.headers)?;
        for rank in 1..size {
            let (h0, h) = (&r.headers[..3], &r.headers[3 * rank..3 * rank + 3]);
            if h[0] != h0[0] {
                return Err(Error::Distributed {
                    rank: Some(rank),
                    reason: "it evaluated another batch than rank 0: give every process the \
                             same minibatch settings and seed (Minibatch::seed)"
                        .into(),
                });
            }
            if h[1] != h0[1] {
                return Err(Error::Distributed {
                    rank: Some(rank),
                    reason: "it evaluated another iterate than rank 0: give every process the \
                             same starting point, rule and settings"
                        .into(),
                });
            }
        }
        let record = width + 2;
        r.counts.clear();
        r.counts
            .extend((0..size).map(|rank| r.headers[3 * rank + 2] as usize * record));
        r.received.resize(r.counts.iter().sum(), 0.0);
        self.comm
            .all_gather_varcount(&r.send, &r.counts, &mut r.received)?;

        // Combined in the tree's order, the same on every process.
        r.nodes.clear();
        r.nodes.extend(
            r.received
                .chunks_exact(record)
                .map(|rec| (rec[0] as u32, rec[1] as usize)),
        );
        if r.nodes.is_empty() {
            return Err(Error::Empty {
                what: "batch (no process holds one of its examples)",
            });
        }
        let received = &r.received;
        let value_of = |k: usize, out: &mut [F]| {
            let rec = &received[k * record + 2..(k + 1) * record];
            out.iter_mut().zip(rec).for_each(|(o, &v)| *o = F::lit(v));
        };
        combine(&self.tree, &r.nodes, &value_of, &mut r.levels, &mut r.node);
        Ok(())
    }

    /// `(1/|B|) Σ_{i∈B} (f_i, ∇f_i)` over every process's examples.
    fn evaluate(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        mut grad: ArrayViewMut1<'_, F>,
    ) -> Result<F> {
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let reduction = &mut scratch.reduction;
        let shard = &self.shard;
        // A block's term: its examples' mean, times their number (the examples of the next
        // blocks being brought into the cache meanwhile).
        let leaf = |examples: Owned<'_>, next: Owned<'_>, out: &mut [F]| {
            prefetch(shard, next);
            let (value, gradient) = out.split_at_mut(1);
            let mean = shard.batch_value_and_gradient(
                x,
                examples.batch(),
                ArrayViewMut1::from(&mut *gradient),
            );
            let count = F::from_count(examples.len());
            value[0] = mean * count;
            gradient.iter_mut().for_each(|g| *g *= count);
        };
        self.reduce(reduction, x, batch, self.dim + 1, leaf)?;
        let scale = F::one() / F::from_count(batch.len());
        grad.iter_mut()
            .zip(&reduction.node[1..])
            .for_each(|(g, &v)| *g = v * scale);
        Ok(reduction.node[0] * scale)
    }
}

impl<S: FiniteSum<F>, C: Collective, F: Real> Shards<F> for DistributedSum<S, C, F> {
    fn local_examples(&self) -> Range<usize> {
        self.rows.clone()
    }

    fn sum_terms(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        width: usize,
        term: &mut ExampleTerm<'_, F>,
        out: &mut [F],
    ) {
        if !self.failed() {
            let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
            let Scratch {
                reduction,
                example,
                term: t,
            } = &mut *scratch;
            example.resize(self.dim, F::zero());
            t.resize(width, F::zero());
            let (shard, start) = (&self.shard, self.rows.start);
            // A block's term: its examples' terms added in increasing order.
            let leaf = |examples: Owned<'_>, next: Owned<'_>, sum: &mut [F]| {
                prefetch(shard, next);
                sum.fill(F::zero());
                for i in examples.iter() {
                    let f = shard.batch_value_and_gradient(
                        x,
                        Batch::Indices(&[i]),
                        ArrayViewMut1::from(&mut example[..]),
                    );
                    term(start + i, f, ArrayView1::from(&example[..]), &mut t[..]);
                    sum.iter_mut().zip(t.iter()).for_each(|(s, &v)| *s += v);
                }
            };
            match self.reduce(reduction, x, batch, width, leaf) {
                Ok(()) => {
                    out.copy_from_slice(&reduction.node);
                    return;
                }
                Err(e) => self.fail(e),
            }
        }
        out.fill(F::nan());
    }
}

impl<S: FiniteSum<F>, C: Collective, F: Real> FiniteSum<F> for DistributedSum<S, C, F> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn examples(&self) -> usize {
        self.tree.examples
    }

    /// The mean over the batch's examples of every process (collective). After a
    /// [`failure`](DistributedSum::failure), NaN.
    fn batch_value_and_gradient(
        &self,
        x: ArrayView1<'_, F>,
        batch: Batch<'_>,
        mut grad: ArrayViewMut1<'_, F>,
    ) -> F {
        if !self.failed() {
            match self.evaluate(x, batch, grad.view_mut()) {
                Ok(value) => return value,
                Err(e) => self.fail(e),
            }
        }
        grad.fill(F::nan());
        F::nan()
    }

    fn shards(&self) -> Option<&dyn Shards<F>> {
        Some(self)
    }
}

impl<S, C, F> std::fmt::Debug for DistributedSum<S, C, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedSum")
            .field("rows", &self.rows)
            .field("dim", &self.dim)
            .field("examples", &self.tree.examples)
            .field("block", &self.tree.block)
            .finish_non_exhaustive()
    }
}

/// How many of the batch's examples ahead of the one evaluated are brought into the cache.
const LOOKAHEAD: usize = 8;

/// Asks the shard to bring into the cache the example [`LOOKAHEAD`] places into `next`, the
/// batch's examples after the block being evaluated: one example per block, so that across the
/// scattered examples of a minibatch (one per block, mostly) the rows arrive ahead of their
/// turn. Examples in one range are left to the processor's own prefetching.
fn prefetch<F: Real, S: FiniteSum<F>>(shard: &S, next: Owned<'_>) {
    if let Owned::Sorted(ix) = next
        && let Some(i) = ix.get(LOOKAHEAD - 1)
    {
        shard.prefetch(Batch::Indices(std::slice::from_ref(i)));
    }
}

/// FNV-1a over 64-bit words.
fn fingerprint(words: impl Iterator<Item = u64>) -> u64 {
    words.fold(0xcbf2_9ce4_8422_2325, |h, w| {
        (h ^ w).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A fingerprint of the batch's indices (of all of them: a different seed changes a few).
fn batch_fingerprint(batch: Batch<'_>) -> u64 {
    match batch {
        Batch::Range { start, end } => fingerprint([0, start as u64, end as u64].into_iter()),
        Batch::Indices(ix) => fingerprint(std::iter::once(1).chain(ix.iter().map(|&i| i as u64))),
    }
}

/// A fingerprint of the iterate's length and of 64 of its values, evenly spread (iterates that
/// drift apart differ almost everywhere).
fn iterate_fingerprint<F: Real>(x: ArrayView1<'_, F>) -> u64 {
    let n = x.len();
    let samples = n.min(64);
    let at = |k: usize| {
        if samples <= 1 {
            0
        } else {
            k * (n - 1) / (samples - 1)
        }
    };
    fingerprint(std::iter::once(n as u64).chain((0..samples).map(|k| x[at(k)].as_f64().to_bits())))
}
