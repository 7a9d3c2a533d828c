//! Cartesian products of sets on consecutive blocks of `x`.

use std::fmt;

use ndarray::{ArrayView1, ArrayViewMut1, s};

use super::Projection;
use crate::Real;
use crate::error::{Error, Result, check_len};

/// The Cartesian product `C = C_1 × C_2 × ... × C_k`: `x` is cut into consecutive blocks
/// `x = (x_1, x_2, ..., x_k)` of lengths `n_1, ..., n_k`, and `x ∈ C` when `x_j ∈ C_j` for every
/// block.
///
/// The squared distance separates over blocks, so the projection projects each block onto its
/// own set:
///
/// ```text
/// P_C(x) = (P_{C_1}(x_1), P_{C_2}(x_2), ..., P_{C_k}(x_k)) .
/// ```
///
/// Blocks are views into `x`, so nothing is allocated.
///
/// ```
/// use gradus::constraints::{BoxSet, NonNegative, Product, Projection, Simplex};
/// use ndarray::array;
///
/// // Weights on the simplex, then a non-negative scale, then a bounded offset.
/// let mut set = Product::new()
///     .block(3, Simplex::probability())?
///     .block(1, NonNegative)?
///     .block(1, BoxSet::uniform(1, -1.0, 1.0)?)?;
/// let mut x = array![1.0, 0.5, -1.0, -3.0, 5.0];
/// set.project(x.view_mut());
/// assert_eq!(x, array![0.75, 0.25, 0.0, 0.0, 1.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
pub struct Product<'a, F> {
    blocks: Vec<(usize, Box<dyn Projection<F> + 'a>)>,
    dim: usize,
}

impl<'a, F: Real> Product<'a, F> {
    /// The product of no sets (dimension 0); add blocks with [`block`](Product::block).
    pub fn new() -> Self {
        Product {
            blocks: Vec::new(),
            dim: 0,
        }
    }

    /// Appends a block of `len` coordinates constrained to `set`.
    ///
    /// # Errors
    /// [`Error::Empty`] for `len = 0`; [`Error::DimensionMismatch`] if `set` has a fixed
    /// dimension other than `len`; [`Error::InvalidCount`] if the product's dimension would
    /// exceed `usize::MAX`.
    pub fn block(mut self, len: usize, set: impl Projection<F> + 'a) -> Result<Self> {
        if len == 0 {
            return Err(Error::Empty {
                what: "block of a product set",
            });
        }
        if let Some(d) = set.dim() {
            check_len("block length vs its set's dimension", d, len)?;
        }
        let Some(dim) = self.dim.checked_add(len) else {
            return Err(Error::InvalidCount {
                name: "len",
                value: len,
                expected: "such that the blocks' lengths add up to at most usize::MAX",
            });
        };
        self.blocks.push((len, Box::new(set)));
        self.dim = dim;
        Ok(self)
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }
}

impl<F: Real> Default for Product<'_, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> fmt::Debug for Product<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lens: Vec<usize> = self.blocks.iter().map(|(len, _)| *len).collect();
        f.debug_struct("Product")
            .field("block_lengths", &lens)
            .finish()
    }
}

impl<F: Real> Projection<F> for Product<'_, F> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        let mut start = 0;
        for (len, set) in &mut self.blocks {
            set.project(x.slice_mut(s![start..start + *len]));
            start += *len;
        }
    }

    fn dim(&self) -> Option<usize> {
        Some(self.dim)
    }

    /// Every block lies in its set up to `tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        if x.len() != self.dim {
            return false;
        }
        let mut start = 0;
        self.blocks.iter().all(|(len, set)| {
            let inside = set.contains(x.slice(s![start..start + *len]), tolerance);
            start += *len;
            inside
        })
    }
}
