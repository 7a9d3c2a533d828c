//! The fixed summation tree of a distributed sum.
//!
//! The examples `0..examples` are grouped into blocks of `block` consecutive indices, and the
//! blocks are the leaves of a complete binary tree of height `levels` (`2^levels >= blocks`):
//! node `(level, id)` covers blocks `id·2^level .. (id+1)·2^level`. The value of a node is the
//! value of its leaf (a block's term), or the sum `left + right` of its children when both hold
//! examples of the batch, or the one child that does. A process computes the nodes that lie
//! within its rows; the nodes across processes are combined from those, by the same rule. A
//! node's value depends only on the examples under it, so any split into processes gives the
//! same bits.

use std::ops::Range;

use crate::Real;

/// The examples of the batch that a process owns, as indices into its shard, in increasing
/// order.
#[derive(Debug, Clone, Copy)]
pub(super) enum Owned<'a> {
    /// The shard's examples `start..end`.
    Range(usize, usize),
    /// The listed examples, sorted (repetitions allowed).
    Sorted(&'a [usize]),
}

impl<'a> Owned<'a> {
    pub(super) fn is_empty(&self) -> bool {
        match *self {
            Owned::Range(a, b) => a >= b,
            Owned::Sorted(ix) => ix.is_empty(),
        }
    }

    /// Number of examples (with repetitions).
    pub(super) fn len(&self) -> usize {
        match *self {
            Owned::Range(a, b) => b.saturating_sub(a),
            Owned::Sorted(ix) => ix.len(),
        }
    }

    /// The examples as a batch of the shard.
    pub(super) fn batch(&self) -> crate::finite_sum::Batch<'a> {
        match *self {
            Owned::Range(a, b) => crate::finite_sum::Batch::Range { start: a, end: b },
            Owned::Sorted(ix) => crate::finite_sum::Batch::Indices(ix),
        }
    }

    /// The examples, in increasing order.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + 'a {
        let (range, list) = match *self {
            Owned::Range(a, b) => (a..b, &[][..]),
            Owned::Sorted(ix) => (0..0, ix),
        };
        range.chain(list.iter().copied())
    }

    /// The examples from position `k` of the list on.
    pub(super) fn after(self, k: usize) -> Owned<'a> {
        match self {
            Owned::Range(a, b) => Owned::Range(a.saturating_add(k).min(b), b),
            Owned::Sorted(ix) => Owned::Sorted(&ix[k.min(ix.len())..]),
        }
    }

    /// The examples below `m` and those from `m` on.
    fn split(self, m: usize) -> (Owned<'a>, Owned<'a>) {
        match self {
            Owned::Range(a, b) => (Owned::Range(a, b.min(m)), Owned::Range(a.max(m), b)),
            Owned::Sorted(ix) => {
                let k = ix.partition_point(|&i| i < m);
                (Owned::Sorted(&ix[..k]), Owned::Sorted(&ix[k..]))
            }
        }
    }
}

/// The shape of the tree: how examples fall into blocks and blocks into nodes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tree {
    pub(super) block: usize,
    pub(super) examples: usize,
    pub(super) levels: u32,
}

impl Tree {
    pub(super) fn new(examples: usize, block: usize) -> Tree {
        let blocks = examples.div_ceil(block).max(1);
        Tree {
            block,
            examples,
            levels: blocks.next_power_of_two().trailing_zeros(),
        }
    }

    /// The examples node `(level, id)` covers.
    fn span(&self, level: u32, id: usize) -> Range<usize> {
        let first = id.saturating_mul(self.block) << level;
        let end = (id + 1).saturating_mul(self.block) << level;
        first.min(self.examples)..end.min(self.examples)
    }

    /// The first example of the right child of node `(level, id)`, `level >= 1`.
    fn middle(&self, level: u32, id: usize) -> usize {
        ((2 * id + 1).saturating_mul(self.block) << (level - 1)).min(self.examples)
    }
}

/// Buffers of `width` values, one per level of the tree, for the right children of the nodes
/// being summed.
pub(super) fn level_buffers<F: Real>(buffers: &mut Vec<Vec<F>>, levels: u32, width: usize) {
    let count = levels as usize + 1;
    if buffers.len() < count {
        buffers.resize_with(count, Vec::new);
    }
    for b in buffers.iter_mut() {
        b.resize(width, F::zero());
    }
}

/// One process's part of the tree: the process owns the examples `rows` (whole blocks), and
/// the batch's examples in it are `owned` (shard indices, that is global ones minus
/// `rows.start`).
pub(super) struct Local<'t, 'o, L> {
    pub(super) tree: &'t Tree,
    pub(super) rows: Range<usize>,
    /// Writes a block's term into its buffer: the batch's examples of one block, as shard
    /// indices, to `[value, gradient...]`, summed (not averaged). Its second argument is the
    /// batch's examples of this process that come after the block's (to prefetch them).
    pub(super) leaf: L,
    /// The batch's examples of this process.
    pub(super) all: Owned<'o>,
    /// How many of them the leaves before have taken (the leaves come in increasing order).
    pub(super) done: usize,
}

impl<L> Local<'_, '_, L> {
    /// Calls `emit(level, id, value)` for each largest node within the process's rows that
    /// holds examples of the batch, left to right.
    pub(super) fn subtrees<F: Real>(
        &mut self,
        owned: Owned<'_>,
        buffers: &mut [Vec<F>],
        out: &mut [F],
        emit: &mut impl FnMut(u32, usize, &[F]),
    ) where
        L: FnMut(Owned<'_>, Owned<'_>, &mut [F]),
    {
        self.visit(self.tree.levels, 0, owned, buffers, out, emit);
    }

    /// Emits the largest nodes under `(level, id)` that lie within the process's rows and hold
    /// examples of the batch (`owned`, those under this node).
    fn visit<F: Real>(
        &mut self,
        level: u32,
        id: usize,
        owned: Owned<'_>,
        buffers: &mut [Vec<F>],
        out: &mut [F],
        emit: &mut impl FnMut(u32, usize, &[F]),
    ) where
        L: FnMut(Owned<'_>, Owned<'_>, &mut [F]),
    {
        if owned.is_empty() {
            return;
        }
        let span = self.tree.span(level, id);
        if span.start >= self.rows.start && span.end <= self.rows.end {
            self.node(level, id, owned, buffers, out);
            emit(level, id, out);
            return;
        }
        // A node across processes has children (a block lies within one process).
        let middle = self.tree.middle(level, id).saturating_sub(self.rows.start);
        let (left, right) = owned.split(middle);
        self.visit(level - 1, 2 * id, left, buffers, out, emit);
        self.visit(level - 1, 2 * id + 1, right, buffers, out, emit);
    }

    /// The value of node `(level, id)`, within the process's rows and holding examples of the
    /// batch, into `out`.
    fn node<F: Real>(
        &mut self,
        level: u32,
        id: usize,
        owned: Owned<'_>,
        buffers: &mut [Vec<F>],
        out: &mut [F],
    ) where
        L: FnMut(Owned<'_>, Owned<'_>, &mut [F]),
    {
        if level == 0 {
            self.done += owned.len();
            (self.leaf)(owned, self.all.after(self.done), out);
            return;
        }
        let middle = self.tree.middle(level, id).saturating_sub(self.rows.start);
        let (left, right) = owned.split(middle);
        match (left.is_empty(), right.is_empty()) {
            (false, true) => self.node(level - 1, 2 * id, left, buffers, out),
            (true, false) => self.node(level - 1, 2 * id + 1, right, buffers, out),
            _ => add_children(
                self,
                level,
                buffers,
                out,
                |me, lower, value| me.node(level - 1, 2 * id, left, lower, value),
                |me, lower, value| me.node(level - 1, 2 * id + 1, right, lower, value),
            ),
        }
    }
}

/// The value of a node whose two children hold examples: `left + right`, the left child
/// written into `out` and the right one into the buffer of the node's level, each computed
/// with the buffers of the levels below (through `context`, which both need).
#[inline]
fn add_children<C, F: Real>(
    context: &mut C,
    level: u32,
    buffers: &mut [Vec<F>],
    out: &mut [F],
    left: impl FnOnce(&mut C, &mut [Vec<F>], &mut [F]),
    right: impl FnOnce(&mut C, &mut [Vec<F>], &mut [F]),
) {
    let (lower, this) = buffers.split_at_mut(level as usize);
    let right_value = &mut this[0][..];
    left(context, lower, out);
    right(context, lower, right_value);
    out.iter_mut()
        .zip(right_value.iter())
        .for_each(|(o, &r)| *o += r);
}

/// The subtrees every process sent, combined by the tree's rule into `out`: `nodes[k]` is the
/// `(level, id)` of the `k`-th subtree, left to right, and `value(k, buffer)` writes its value.
pub(super) fn combine<F: Real>(
    tree: &Tree,
    nodes: &[(u32, usize)],
    value: &impl Fn(usize, &mut [F]),
    buffers: &mut [Vec<F>],
    out: &mut [F],
) {
    combine_node(tree, tree.levels, 0, nodes, 0, value, buffers, out);
}

#[allow(clippy::too_many_arguments)]
fn combine_node<F: Real>(
    tree: &Tree,
    level: u32,
    id: usize,
    nodes: &[(u32, usize)],
    first: usize,
    value: &impl Fn(usize, &mut [F]),
    buffers: &mut [Vec<F>],
    out: &mut [F],
) {
    if nodes.len() == 1 {
        // The node itself, or its one descendant that holds examples.
        value(first, out);
        return;
    }
    // Two subtrees or more lie strictly below this node, so it has children.
    let middle = tree.middle(level, id);
    let k = nodes.partition_point(|&(l, i)| tree.span(l, i).start < middle);
    let (left, right) = nodes.split_at(k);
    if right.is_empty() {
        combine_node(tree, level - 1, 2 * id, left, first, value, buffers, out);
    } else if left.is_empty() {
        combine_node(
            tree,
            level - 1,
            2 * id + 1,
            right,
            first,
            value,
            buffers,
            out,
        );
    } else {
        add_children(
            &mut (),
            level,
            buffers,
            out,
            |_, lower, v| combine_node(tree, level - 1, 2 * id, left, first, value, lower, v),
            |_, lower, v| {
                combine_node(
                    tree,
                    level - 1,
                    2 * id + 1,
                    right,
                    first + k,
                    value,
                    lower,
                    v,
                )
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree's sum over the examples `batch` (global indices, any order) of the terms
    /// `term(i)`, computed as processes owning `cuts` would: each its subtrees, then combined.
    fn tree_sum(examples: usize, block: usize, cuts: &[usize], batch: &[usize]) -> f64 {
        let term = |i: usize| 1.0 / (1.0 + i as f64).sqrt();
        let tree = Tree::new(examples, block);
        let mut buffers = Vec::new();
        level_buffers::<f64>(&mut buffers, tree.levels, 1);
        let mut sorted = batch.to_vec();
        sorted.sort_unstable();
        let (mut nodes, mut values) = (Vec::new(), Vec::new());
        for w in cuts.windows(2) {
            let rows = w[0]..w[1];
            let owned: Vec<usize> = sorted
                .iter()
                .filter(|&&i| rows.contains(&i))
                .map(|&i| i - rows.start)
                .collect();
            let start = rows.start;
            let mut local = Local {
                tree: &tree,
                rows,
                all: Owned::Sorted(&owned),
                done: 0,
                leaf: |o: Owned<'_>, _: Owned<'_>, out: &mut [f64]| {
                    let Owned::Sorted(ix) = o else { unreachable!() };
                    out[0] = ix.iter().fold(0.0, |s, &i| s + term(i + start));
                },
            };
            let mut out = [0.0];
            local.subtrees(
                Owned::Sorted(&owned),
                &mut buffers,
                &mut out,
                &mut |l, id, v: &[f64]| {
                    nodes.push((l, id));
                    values.push(v[0]);
                },
            );
        }
        let mut out = [0.0];
        combine(
            &tree,
            &nodes,
            &|k, o: &mut [f64]| o[0] = values[k],
            &mut buffers,
            &mut out,
        );
        out[0]
    }

    #[test]
    fn any_cut_at_block_boundaries_gives_the_same_bits() {
        let (examples, block) = (1_000, 8);
        let batch: Vec<usize> = (0..300).map(|k| (k * 7919 + 13) % examples).collect();
        let one = tree_sum(examples, block, &[0, examples], &batch);
        let exact: f64 = batch.iter().map(|&i| 1.0 / (1.0 + i as f64).sqrt()).sum();
        assert!((one - exact).abs() < 1e-12 * exact, "{one} vs {exact}");
        for cuts in [
            vec![0, 8, examples],
            vec![0, 504, examples],
            vec![0, 336, 672, examples],
            vec![0, 8, 16, 24, 512, 520, examples],
        ] {
            let many = tree_sum(examples, block, &cuts, &batch);
            assert_eq!(many.to_bits(), one.to_bits(), "cuts {cuts:?}");
        }
        let full: Vec<usize> = (0..examples).collect();
        let one = tree_sum(examples, block, &[0, examples], &full);
        let three = tree_sum(examples, block, &[0, 336, 672, examples], &full);
        assert_eq!(one.to_bits(), three.to_bits());
    }

    #[test]
    fn a_single_example_is_its_own_term() {
        let v = tree_sum(100, 4, &[0, 48, 100], &[77]);
        assert_eq!(v, 1.0 / 78f64.sqrt());
    }
}
