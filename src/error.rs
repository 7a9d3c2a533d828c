//! Typed errors for input that makes a computation meaningless.
//!
//! A run that stops on a budget, meets a non-finite value or diverges is *not* an error: it is a
//! normal outcome, reported by [`Termination`](crate::Termination). An [`Error`] is returned only
//! for input that cannot be run at all — a hyperparameter outside its domain, a dimension
//! mismatch, an empty or non-finite starting point, an empty set — and its message names the bad
//! value and what to do about it.

use std::fmt;

/// An error caused by invalid input: the message names the offending value and the fix.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A hyperparameter or setting lies outside its domain.
    InvalidParameter {
        /// Name of the parameter, as in the documentation (`"betas.0"`, `"eps"`, ...).
        name: &'static str,
        /// The value that was given (converted to `f64` for the message).
        value: f64,
        /// The domain the value must lie in, in words (`"in [0, 1)"`).
        expected: &'static str,
    },
    /// Two things that must have the same length do not.
    DimensionMismatch {
        /// What was being compared (`"gradient"`, `"x0 vs objective"`, ...).
        what: &'static str,
        /// The length that was expected.
        expected: usize,
        /// The length that was found.
        found: usize,
    },
    /// An input that must not be empty is empty.
    Empty {
        /// What was empty (`"x0"`, `"milestones"`, ...).
        what: &'static str,
    },
    /// An input holds a NaN or an infinity where a finite number is required.
    NonFinite {
        /// What held the value (`"x0"`, `"gradient"`, ...).
        what: &'static str,
        /// Index of the first non-finite entry.
        index: usize,
        /// The entry itself.
        value: f64,
    },
    /// A constraint set that is empty or ill-posed: a lower bound above its upper bound, a NaN
    /// bound, a zero normal vector, linearly dependent rows of a matrix.
    InvalidSet {
        /// The kind of set (`"BoxSet"`, `"HalfSpace"`, `"Affine"`, ...).
        set: &'static str,
        /// What is wrong, naming the offending value, and how to fix it.
        reason: String,
    },
    /// A combination of settings that cannot work together.
    Incompatible {
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(
                f,
                "invalid value {value} for `{name}`: it must be {expected}; pass a value {expected}"
            ),
            Error::DimensionMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "dimension mismatch for {what}: expected length {expected}, found {found}; \
                 make the lengths agree"
            ),
            Error::Empty { what } => {
                write!(f, "{what} is empty: give at least one element")
            }
            Error::NonFinite { what, index, value } => write!(
                f,
                "{what} holds the non-finite value {value} at index {index}; \
                 every entry must be a finite number"
            ),
            Error::InvalidSet { set, reason } => write!(f, "invalid {set}: {reason}"),
            Error::Incompatible { reason } => write!(f, "incompatible settings: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result type of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks `value` against a predicate and builds an [`Error::InvalidParameter`] when it fails.
pub(crate) fn check_param<F: crate::Real>(
    name: &'static str,
    value: F,
    expected: &'static str,
    ok: impl FnOnce(F) -> bool,
) -> Result<()> {
    if ok(value) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: value.as_f64(),
            expected,
        })
    }
}

/// Checks that `len` equals `expected`.
pub(crate) fn check_len(what: &'static str, expected: usize, len: usize) -> Result<()> {
    if expected == len {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what,
            expected,
            found: len,
        })
    }
}

/// Checks that every entry of `x` is finite.
pub(crate) fn check_finite<F: crate::Real>(
    what: &'static str,
    x: ndarray::ArrayView1<'_, F>,
) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite {
            what,
            index,
            value: x[index].as_f64(),
        }),
    }
}
