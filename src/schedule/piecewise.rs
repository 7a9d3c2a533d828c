//! Piecewise constant step sizes.

use super::{Schedule, check_increasing};
use crate::Real;
use crate::error::{Domain, Error, Result, check_entries, check_len};

/// Piecewise constant step sizes: `values[i]` from `boundaries[i-1]` up to `boundaries[i]`.
///
/// With boundaries `b₀ < b₁ < ... < b_{n-1}` and values `v₀, ..., v_n`,
///
/// ```text
/// γ_t = v_k,    k = |{ i : b_i <= t }|
/// ```
///
/// so `v₀` is used for `t < b₀` and `v_i` from `t = b_{i-1}` on. The value changes *at* each
/// boundary, as in optax's `piecewise_constant_schedule` (whose `boundaries_and_scales`
/// multiply: `v_i = v_{i-1} · scale_{i-1}` gives the same values up to the rounding of its
/// running product) and PyTorch's `MultiStepLR`. Keras's `PiecewiseConstantDecay` changes one
/// step later (`v_i` for `b_{i-1} < t <= b_i`): pass boundaries one larger to reproduce it.
///
/// ```
/// use gradus::schedule::{PiecewiseConstant, Schedule};
///
/// let mut s = PiecewiseConstant::new(vec![100, 200], vec![1.0, 0.5, 0.1])?;
/// assert_eq!(s.step_size(99), 1.0);
/// assert_eq!(s.step_size(100), 0.5);
/// assert_eq!(s.step_size(250), 0.1);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PiecewiseConstant<F> {
    boundaries: Vec<usize>,
    values: Vec<F>,
}

impl<F: Real> PiecewiseConstant<F> {
    /// Step sizes `values` separated by the strictly increasing `boundaries`; there must be one
    /// more value than boundaries (no boundaries: a constant step size).
    ///
    /// # Errors
    /// [`Error::Empty`] if `values` is empty; [`Error::DimensionMismatch`] if
    /// `values.len() != boundaries.len() + 1`; [`Error::InvalidParameter`] if the boundaries
    /// are not strictly increasing or a value is negative or not finite.
    pub fn new(boundaries: Vec<usize>, values: Vec<F>) -> Result<Self> {
        if values.is_empty() {
            return Err(Error::Empty { what: "values" });
        }
        check_len(
            "values (one more than boundaries)",
            boundaries.len() + 1,
            values.len(),
        )?;
        check_increasing("boundaries", &boundaries, false)?;
        check_entries("values", values.iter().copied(), Domain::NonNegative)?;
        Ok(PiecewiseConstant { boundaries, values })
    }

    /// The boundaries.
    pub fn boundaries(&self) -> &[usize] {
        &self.boundaries
    }

    /// The values.
    pub fn values(&self) -> &[F] {
        &self.values
    }
}

impl<F: Real> Schedule<F> for PiecewiseConstant<F> {
    fn step_size(&mut self, t: usize) -> F {
        self.values[self.boundaries.partition_point(|&b| b <= t)]
    }
}
