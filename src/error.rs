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
    /// An entry of a list argument (milestones, boundaries, values, eigenvalues) is out of its
    /// domain.
    InvalidEntry {
        /// Name of the list, as in the documentation (`"values"`, `"milestones"`, ...).
        name: &'static str,
        /// Index of the first offending entry.
        index: usize,
        /// The entry (converted to `f64` for the message).
        value: f64,
        /// What every entry must be, in words.
        expected: &'static str,
    },
    /// A count (a memory size, a number of trials, a period) is out of its range.
    InvalidCount {
        /// Name of the parameter, as in the documentation (`"memory"`, `"max_trials"`, ...).
        name: &'static str,
        /// The count that was given.
        value: usize,
        /// The range it must lie in, in words (`"at least 1"`).
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
    /// Two arrays that must have the same shape do not (a tensor and its gradient, or a tensor
    /// and the shape the optimizer's state was made for).
    ShapeMismatch {
        /// What was being compared, and how to fix it.
        what: &'static str,
        /// Position of the tensor in the list given.
        index: usize,
        /// The shape that was expected.
        expected: Vec<usize>,
        /// The shape that was found.
        found: Vec<usize>,
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
    /// A checkpoint that cannot be written or read: not a checkpoint, a newer format, another
    /// type, truncated, corrupted (see `gradus::checkpoint`, `serde` feature).
    Checkpoint {
        /// What is wrong, and how to fix it.
        reason: String,
    },
    /// A combination of settings that cannot work together.
    Incompatible {
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// A data file that cannot be read or parsed (see
    /// [`problems::read_csv`](crate::problems::read_csv)).
    Data {
        /// The file (or `"<text>"` for text given directly).
        source: String,
        /// The line of the file, counting from 1 (`0` for the file as a whole).
        line: usize,
        /// What is wrong, naming the offending field, and how to fix it.
        reason: String,
    },
    /// The processes of a distributed run disagree, or one of them failed (see
    /// [`distributed`](crate::distributed)): a shard that could not be loaded, shards with
    /// different numbers of features, rows that do not tile the examples, processes that
    /// evaluate different batches (a different seed) or different iterates. Every process gets
    /// this error at the same point, so that none waits for the others for ever.
    Distributed {
        /// The process (rank) at fault, if one is.
        rank: Option<usize>,
        /// What is wrong, naming the values that disagree, and how to fix it.
        reason: String,
    },
    /// A step of an update rule wrote a value to its state that is not finite: the square of a
    /// gradient component beyond about `√MAX` (`1.3e154` in `f64`, `1.8e19` in `f32`)
    /// overflowed the rule's second-moment estimate (or sum of squares), so that coordinate
    /// would never move again (or the gradient held an infinity or a NaN).
    ///
    /// Returned *after* the step: the other coordinates have moved as the rule moves them. The
    /// state stays infinite until [`reset`](crate::Optimizer::reset): rescale the objective or
    /// clip the gradients, then reset the rule.
    NonFiniteState {
        /// The rule's name (`"Adam"`, `"RMSProp"`, ...).
        rule: &'static str,
        /// In a parameter set, the position of the first tensor whose state is not finite.
        tensor: Option<usize>,
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
                "invalid value {} for `{name}`: it must be {expected}",
                Number(*value)
            ),
            Error::InvalidCount {
                name,
                value,
                expected,
            } => write!(
                f,
                "invalid count {value} for `{name}`: it must be {expected}"
            ),
            Error::InvalidEntry {
                name,
                index,
                value,
                expected,
            } => write!(
                f,
                "invalid entry {} at index {index} of `{name}`: every entry must be {expected}",
                Number(*value)
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
            Error::ShapeMismatch {
                what,
                index,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch for tensor {index}, {what}: expected shape {expected:?}, \
                 found {found:?}"
            ),
            Error::Empty { what } => {
                write!(f, "{what} is empty: give at least one element")
            }
            Error::NonFinite { what, index, value } => write!(
                f,
                "{what} holds the non-finite value {} at index {index}; \
                 every entry must be a finite number",
                Number(*value)
            ),
            Error::InvalidSet { set, reason } => write!(f, "invalid {set}: {reason}"),
            Error::Checkpoint { reason } => write!(f, "checkpoint: {reason}"),
            Error::Incompatible { reason } => write!(f, "incompatible settings: {reason}"),
            Error::Distributed {
                rank: Some(rank),
                reason,
            } => write!(f, "distributed run, rank {rank}: {reason}"),
            Error::Distributed { rank: None, reason } => write!(f, "distributed run: {reason}"),
            Error::Data {
                source,
                line: 0,
                reason,
            } => write!(f, "data {source}: {reason}"),
            Error::Data {
                source,
                line,
                reason,
            } => write!(f, "data {source}, line {line}: {reason}"),
            Error::NonFiniteState { rule, tensor } => {
                write!(f, "{rule}: ")?;
                if let Some(i) = tensor {
                    write!(f, "in tensor {i}, ")?;
                }
                write!(
                    f,
                    "the square of a gradient component overflowed the rule's second-moment \
                     estimate (|g| beyond about sqrt(MAX): 1.3e154 in f64, 1.8e19 in f32; or the \
                     gradient held an infinity or a NaN), which is no longer finite, so that \
                     coordinate would never move again; the step was applied to the other \
                     coordinates. Rescale the objective or clip the gradients, then call \
                     reset() on the rule"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// A number as a message shows it: plainly when short (`0.5`, `-3`), in scientific notation when
/// very large or very small (`1.7976931348623157e308`, not 309 digits).
struct Number(f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a.is_finite() && a != 0.0 && !(1e-4..1e16).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Result type of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The domain a real hyperparameter must lie in: one vocabulary for every check of the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    /// Any finite number.
    Finite,
    /// Anything but NaN (infinities allowed).
    NotNan,
    /// Finite and `>= 0`.
    NonNegative,
    /// Finite and `> 0`.
    Positive,
    /// `[0, 1)`: a decay rate or a momentum coefficient.
    UnitInterval,
    /// `[0, 1]`.
    ClosedUnitInterval,
    /// `(0, 1)`.
    OpenUnitInterval,
    /// `(0, 1]`: a multiplicative decay factor.
    DecayFactor,
    /// Finite and `>= 1`: a condition number.
    AtLeastOne,
}

impl Domain {
    /// The domain in words, as the error message gives it.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Domain::Finite => "finite",
            Domain::NotNan => "a number (not NaN)",
            Domain::NonNegative => "finite and >= 0",
            Domain::Positive => "finite and > 0",
            Domain::UnitInterval => "in [0, 1)",
            Domain::ClosedUnitInterval => "in [0, 1]",
            Domain::OpenUnitInterval => "in (0, 1)",
            Domain::DecayFactor => "in (0, 1]",
            Domain::AtLeastOne => "finite and >= 1",
        }
    }

    /// `true` if `v` lies in the domain.
    #[inline]
    pub(crate) fn contains<F: crate::Real>(self, v: F) -> bool {
        let (zero, one) = (F::zero(), F::one());
        // Finite is written `<= F::max_value()`: a NaN fails every comparison, and two
        // comparisons compile to two instructions where a test of the class of `v` takes ten.
        let max = F::max_value();
        match self {
            Domain::Finite => v.abs() <= max,
            Domain::NotNan => !v.is_nan(),
            Domain::NonNegative => v >= zero && v <= max,
            Domain::Positive => v > zero && v <= max,
            Domain::UnitInterval => v >= zero && v < one,
            Domain::ClosedUnitInterval => v >= zero && v <= one,
            Domain::OpenUnitInterval => v > zero && v < one,
            Domain::DecayFactor => v > zero && v <= one,
            Domain::AtLeastOne => v >= one && v <= max,
        }
    }
}

// The checks below run wherever a value is taken in, some of them on every step of a rule: they
// are inlined, so that a check that passes costs a comparison or two, and the construction of
// the error, which is rare, is kept out of line (`ensure`).

/// `Ok(())` if `holds`; otherwise the error that `error` builds, in a function kept out of line.
#[inline]
fn ensure(holds: bool, error: impl FnOnce() -> Error) -> Result<()> {
    if holds { Ok(()) } else { Err(build(error)) }
}

#[cold]
#[inline(never)]
fn build(error: impl FnOnce() -> Error) -> Error {
    error()
}

/// Checks that the hyperparameter `name` lies in `domain`.
#[inline]
pub(crate) fn check<F: crate::Real>(name: &'static str, value: F, domain: Domain) -> Result<()> {
    ensure(domain.contains(value), || {
        invalid_parameter(name, value, domain.describe())
    })
}

/// An [`Error::InvalidParameter`] unless `holds`: for conditions that relate two values
/// (`c2` in `(c1, 1)`), which a [`Domain`] cannot say.
#[inline]
pub(crate) fn check_that<F: crate::Real>(
    name: &'static str,
    value: F,
    expected: &'static str,
    holds: bool,
) -> Result<()> {
    ensure(holds, || invalid_parameter(name, value, expected))
}

fn invalid_parameter<F: crate::Real>(
    name: &'static str,
    value: F,
    expected: &'static str,
) -> Error {
    Error::InvalidParameter {
        name,
        value: value.as_f64(),
        expected,
    }
}

/// Checks that every entry of the list `name` lies in `domain`; names the first that does not.
pub(crate) fn check_entries<F: crate::Real>(
    name: &'static str,
    values: impl IntoIterator<Item = F>,
    domain: Domain,
) -> Result<()> {
    match values
        .into_iter()
        .enumerate()
        .find(|(_, v)| !domain.contains(*v))
    {
        None => Ok(()),
        Some((index, value)) => Err(Error::InvalidEntry {
            name,
            index,
            value: value.as_f64(),
            expected: domain.describe(),
        }),
    }
}

/// Checks that the count `name` is at least `min` (a count is never converted to a float).
#[inline]
pub(crate) fn check_count(name: &'static str, value: usize, min: usize) -> Result<()> {
    ensure(value >= min, || Error::InvalidCount {
        name,
        value,
        expected: if min == 1 { "at least 1" } else { "at least 2" },
    })
}

/// Checks that `len` equals `expected`.
#[inline]
pub(crate) fn check_len(what: &'static str, expected: usize, len: usize) -> Result<()> {
    ensure(expected == len, || Error::DimensionMismatch {
        what,
        expected,
        found: len,
    })
}

/// The error of a rule whose state is no longer finite after a step (out of line: it is rare).
#[cold]
#[inline(never)]
pub(crate) fn non_finite_state(rule: &'static str, tensor: Option<usize>) -> Error {
    Error::NonFiniteState { rule, tensor }
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
