//! The floating-point scalar trait the crate is generic over.

use std::fmt::{Debug, Display, LowerExp};
use std::iter::Sum;

use ndarray::ScalarOperand;
use num_traits::{Float, FromPrimitive, NumAssign};

/// A real floating-point scalar: implemented for `f32` and `f64`.
///
/// Everything in gradus is generic over `F: Real`. The trait is [`num_traits::Float`] plus the
/// few extra bounds that ndarray, formatting and threads need; it is sealed so that the crate can
/// add specialised kernels for the two IEEE types without breaking users.
pub trait Real:
    Float
    + FromPrimitive
    + NumAssign
    + ScalarOperand
    + Debug
    + Display
    + LowerExp
    + Default
    + Sum
    + Send
    + Sync
    + sealed::Sealed
    + 'static
{
    /// Converts an `f64` constant to `Self` (rounding to nearest for `f32`).
    fn lit(value: f64) -> Self;

    /// Converts `self` to `f64` exactly (both implementors convert losslessly).
    fn as_f64(self) -> f64;

    /// Converts a count to `Self`.
    fn from_count(n: usize) -> Self {
        Self::lit(n as f64)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn lit(value: f64) -> Self {
        value
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }
}

impl Real for f32 {
    #[inline(always)]
    fn lit(value: f64) -> Self {
        value as f32
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}
