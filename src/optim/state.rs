//! The state of a rule: its buffers (one value per coordinate) and scalars, and the step count.
//!
//! Every rule keeps its state in one struct of its own (`AdamState`, `MomentumState`, ...),
//! with one method, [`StartState::start`], that gives every field its starting value. A
//! [`RuleState`] holds that struct with the number of steps taken, and gives all rules one
//! life cycle:
//!
//! - **First step.** The buffers are filled with their starting values for the length of `x`,
//!   allocated if they are not already of that length.
//! - **Later steps.** Allocate nothing; `x` must keep the length the buffers were started for.
//! - **Reset.** [`reset`](RuleState::reset) makes the rule behave as new but keeps the buffers:
//!   the next step refills them in place when the length is the same, and allocates only for
//!   another length. So a rule reset at every outer iteration of a method (the augmented
//!   Lagrangian calls `minimize`, which resets the rule) allocates only once.

use crate::Real;
use crate::error::Result;

use super::check_step;

/// How a rule's state starts: the one place where each field gets its starting value.
///
/// `C` is the rule's configuration, which says which buffers are in use (AMSGrad's running
/// maximum, RMSProp's centered average, ...).
pub(crate) trait StartState<F: Real, C>: Default {
    /// Gives the state its starting value for `n` coordinates: every buffer the configuration
    /// uses through [`fill`] (which allocates only if the length differs), and every scalar.
    fn start(&mut self, n: usize, config: &C);

    /// Whether the configuration keeps values per coordinate, so that `x` must keep its length
    /// from one step to the next. Rules without such state accept any length at any step.
    fn per_coordinate(_config: &C) -> bool {
        true
    }

    /// The state's buffers of one value per coordinate (none by default), for the checks of a
    /// state read from a file.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    fn buffers(&mut self) -> Buffers<'_, F> {
        Buffers::new([])
    }
}

/// A rule without state beyond its step count.
impl<F: Real, C> StartState<F, C> for () {
    fn start(&mut self, _n: usize, _config: &C) {}

    fn per_coordinate(_config: &C) -> bool {
        false
    }
}

/// Writes the state of a rule that keeps only buffers of one value per coordinate, all
/// starting at zero, from the documented list of their names: the struct (`Debug`, `Clone`,
/// `Default`, and serde's traits with the `serde` feature), each buffer a `Vec<F>`, with
/// `zero(n)`, which sets every buffer to `n` zeros (in place when it has that length), and
/// `all_buffers()`, every buffer in the order of the list. In the rule's
/// [`ElementwiseRule`](super::ElementwiseRule) implementation, [`zero_state_items`] writes
/// `start` and `buffers` from them.
macro_rules! zero_state {
    (
        $(#[$attr:meta])*
        pub struct $name:ident<F> {
            $(
                $(#[$field_attr:meta])*
                $field:ident,
            )+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $name<F> {
            $(
                $(#[$field_attr])*
                $field: Vec<F>,
            )+
        }

        impl<F: $crate::Real> $name<F> {
            /// Sets every buffer to `n` zeros, in place when it has that length.
            fn zero(&mut self, n: usize) {
                $($crate::optim::state::fill(&mut self.$field, n, F::zero());)+
            }

            /// Every buffer, in the order the rule reads them.
            fn all_buffers(&mut self) -> $crate::optim::Buffers<'_, F> {
                $crate::optim::Buffers::new([$(&mut self.$field[..]),+])
            }
        }
    };
}
pub(crate) use zero_state;

/// The [`start`](super::ElementwiseRule::start) and
/// [`buffers`](super::ElementwiseRule::buffers) of a rule whose state [`zero_state`] wrote:
/// every buffer starts at zero, and the rule reads them in the order of the state's list.
macro_rules! zero_state_items {
    () => {
        fn start(&self, state: &mut Self::State, n: usize) {
            state.zero(n);
        }

        fn buffers(state: &mut Self::State) -> $crate::optim::Buffers<'_, F> {
            state.all_buffers()
        }
    };
}
pub(crate) use zero_state_items;

/// Sets `buffer` to `n` copies of `value`: in place if it has length `n`, in a new allocation
/// otherwise.
pub(crate) fn fill<F: Copy>(buffer: &mut Vec<F>, n: usize, value: F) {
    if buffer.len() == n {
        buffer.fill(value);
    } else {
        *buffer = vec![value; n];
    }
}

/// The largest number of per-coordinate buffers a rule's state may have: five, for COCOB (the
/// starting point, the sum of gradients, the largest gradient, the sum of their absolute values
/// and the reward); AMSGrad and centred RMSProp with momentum use three.
pub const MAX_BUFFERS: usize = 5;

/// The per-coordinate buffers of a rule's state, as mutable slices of one length: every buffer
/// of the state the configuration uses (moments, velocities, accumulators), and an empty slice
/// in the place of each buffer it does not use (AMSGrad's maximum when `amsgrad` is off).
///
/// A rule lists its buffers in [`ElementwiseRule::buffers`](super::ElementwiseRule::buffers)
/// in an order of its own, and finds them in that order in
/// [`apply`](super::ElementwiseRule::apply). The same buffers may be the whole state of one
/// vector ([`Rule`](super::Rule)) or the range of one tensor in the state of many tensors laid
/// end to end ([`ParameterSet`](crate::params::ParameterSet)): the rule cannot tell, and needs
/// not.
#[derive(Debug)]
pub struct Buffers<'a, F> {
    slices: [&'a mut [F]; MAX_BUFFERS],
}

impl<'a, F> Buffers<'a, F> {
    /// The buffers `buffers`, in the rule's order; the places after the `K`-th are empty.
    /// `K` is at most [`MAX_BUFFERS`] (checked at compile time).
    pub fn new<const K: usize>(buffers: [&'a mut [F]; K]) -> Self {
        const { assert!(K <= MAX_BUFFERS, "a rule has at most MAX_BUFFERS buffers") };
        let mut buffers = buffers.into_iter();
        Buffers {
            slices: std::array::from_fn(|_| buffers.next().unwrap_or_default()),
        }
    }

    /// The buffers, in the order given to [`new`](Buffers::new), empty slices after them.
    #[inline]
    pub fn into_array(self) -> [&'a mut [F]; MAX_BUFFERS] {
        self.slices
    }

    /// The first `mid` values of every buffer, and the rest. An empty buffer (one the rule
    /// does not use) stays empty on both sides.
    ///
    /// The caller keeps `mid` within the buffers' length.
    #[inline]
    pub(crate) fn split_at(self, mid: usize) -> (Self, Self) {
        let mut left: [&'a mut [F]; MAX_BUFFERS] = Default::default();
        let mut right: [&'a mut [F]; MAX_BUFFERS] = Default::default();
        for (j, s) in self.slices.into_iter().enumerate() {
            if !s.is_empty() {
                (left[j], right[j]) = s.split_at_mut(mid);
            }
        }
        (Buffers { slices: left }, Buffers { slices: right })
    }

    /// Whether every buffer is either empty or of length `n`.
    #[cfg(feature = "serde")]
    pub(crate) fn fit(&self, n: usize) -> bool {
        self.slices.iter().all(|s| s.is_empty() || s.len() == n)
    }

    /// Which buffers are in use (non-empty).
    pub(crate) fn in_use(&self) -> [bool; MAX_BUFFERS] {
        std::array::from_fn(|j| !self.slices[j].is_empty())
    }
}

/// A rule's state `S` and the number of steps taken since construction or the last reset.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RuleState<S> {
    state: S,
    steps: usize,
    /// The number of coordinates the state was started for, if it has values per coordinate.
    len: Option<usize>,
}

impl<S> RuleState<S> {
    /// Steps taken since construction or the last reset.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// The state, as the last step left it.
    pub(crate) fn get(&self) -> &S {
        &self.state
    }

    /// The number of coordinates the state was started for, if it has values per coordinate.
    pub(crate) fn len(&self) -> Option<usize> {
        self.len
    }

    /// Checks a state read from a file: after a first step, a rule with values per coordinate
    /// must have recorded its length `n`, and its buffers must be those that `start` gives for
    /// `n` coordinates (the same ones in use, each of length `n`).
    ///
    /// # Errors
    /// [`Error::Checkpoint`](crate::Error::Checkpoint) naming the rule and what disagrees.
    #[cfg(feature = "serde")]
    pub(crate) fn check_started<F>(
        &mut self,
        rule: &str,
        per_coordinate: bool,
        start: impl Fn(&mut S, usize),
        buffers: impl for<'b> Fn(&'b mut S) -> Buffers<'b, F>,
    ) -> Result<()>
    where
        S: Default,
    {
        let bad = |reason: String| {
            Err(crate::Error::Checkpoint {
                reason: format!(
                    "{rule}: {reason}; the file was edited or holds another rule's state"
                ),
            })
        };
        if self.steps == 0 {
            return Ok(());
        }
        let n = match (self.len, per_coordinate) {
            (Some(n), true) => n,
            (None, false) => return Ok(()),
            (None, true) => return bad("the state has taken steps but records no length".into()),
            (Some(_), false) => {
                return bad("the state records a length the rule does not keep".into());
            }
        };
        let mut fresh = S::default();
        start(&mut fresh, n);
        let expected = buffers(&mut fresh).into_array().map(|b| b.len());
        let found = buffers(&mut self.state).into_array().map(|b| b.len());
        if expected != found {
            return bad(format!(
                "its buffers have lengths {found:?} where a state of {n} coordinates has {expected:?}"
            ));
        }
        Ok(())
    }

    /// [`check_started`](Self::check_started) for a state that starts itself
    /// ([`StartState`]) under `config`.
    ///
    /// # Errors
    /// As [`check_started`](Self::check_started).
    #[cfg(feature = "serde")]
    pub(crate) fn check_read<F: Real, C>(&mut self, rule: &str, config: &C) -> Result<()>
    where
        S: StartState<F, C>,
    {
        self.check_started(
            rule,
            S::per_coordinate(config),
            |s, n| s.start(n, config),
            S::buffers,
        )
    }

    /// Makes the next step the first, keeping the buffers for it to refill.
    pub(crate) fn reset(&mut self) {
        self.steps = 0;
    }

    /// Validates the arguments of a step ([`check_step`]), starts the state on the first step,
    /// and counts the step. Returns its number `t` (from 1) and the state to update.
    ///
    /// # Errors
    /// As [`check_step`]: nothing is changed then.
    pub(crate) fn advance<F: Real, C>(
        &mut self,
        config: &C,
        x_len: usize,
        grad_len: usize,
        lr: F,
    ) -> Result<(usize, &mut S)>
    where
        S: StartState<F, C>,
    {
        self.advance_by(x_len, grad_len, lr, S::per_coordinate(config), |s, n| {
            s.start(n, config)
        })
    }

    /// As [`advance`](Self::advance), with the start of the state given by `start(state, n)`,
    /// and `per_coordinate` saying whether the state has values per coordinate (so that the
    /// length of `x` is then fixed until a reset).
    #[inline]
    pub(crate) fn advance_by<F: Real>(
        &mut self,
        x_len: usize,
        grad_len: usize,
        lr: F,
        per_coordinate: bool,
        start: impl FnOnce(&mut S, usize),
    ) -> Result<(usize, &mut S)> {
        let first = self.steps == 0;
        check_step(x_len, grad_len, lr, if first { None } else { self.len })?;
        if first {
            start(&mut self.state, x_len);
            self.len = per_coordinate.then_some(x_len);
        }
        self.steps += 1;
        Ok((self.steps, &mut self.state))
    }
}

impl<S> RuleState<S> {
    /// The advance of a step whose step size the caller has checked (see
    /// [`Optimizer::step_with_checked_lr`](super::Optimizer::step_with_checked_lr)): counts the
    /// step and returns its number `t` and the state to update, when the state is started and
    /// the lengths are those [`advance_by`](Self::advance_by) accepts. `None`, with nothing
    /// changed, on the first step (which starts the state) and for lengths `advance_by` refuses:
    /// the caller then goes through `advance_by`, which starts the state or returns the error.
    #[inline(always)]
    pub(crate) fn advance_started(
        &mut self,
        x_len: usize,
        grad_len: usize,
    ) -> Option<(usize, &mut S)> {
        let started = self.steps > 0;
        // A state with values per coordinate was started for a length that is not 0.
        let fits = match self.len {
            Some(n) => n == x_len,
            None => x_len > 0,
        };
        if started && fits && grad_len == x_len {
            self.steps += 1;
            Some((self.steps, &mut self.state))
        } else {
            None
        }
    }
}

/// Makes a rule with its own state type (`$rule { config: $config, state: RuleState<$state> }`,
/// built by `$rule::new(config)`) read from a file only through its checks: the constructor's
/// on the configuration, and [`RuleState::check_read`] on the state. The rule's struct names
/// `try_from = "<rule>Parts<F>"` in its serde attributes.
macro_rules! read_checked {
    ($rule:ident, $parts:ident, $config:ident, $state:ident) => {
        /// The rule as read from a file, before its checks.
        #[cfg(feature = "serde")]
        #[derive(serde::Deserialize)]
        struct $parts<F> {
            config: $config<F>,
            state: RuleState<$state<F>>,
        }

        #[cfg(feature = "serde")]
        impl<F: Real> TryFrom<$parts<F>> for $rule<F> {
            type Error = crate::Error;

            fn try_from(parts: $parts<F>) -> Result<Self> {
                let mut rule = Self::new(parts.config)?;
                let mut state = parts.state;
                state.check_read(rule.name(), &rule.config)?;
                rule.state = state;
                Ok(rule)
            }
        }
    };
}
pub(crate) use read_checked;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// A state with one buffer started at `1` and a scalar started at `0`.
    #[derive(Debug, Default)]
    struct Counter {
        buffer: Vec<f64>,
        scalar: f64,
    }

    impl StartState<f64, ()> for Counter {
        fn start(&mut self, n: usize, _config: &()) {
            fill(&mut self.buffer, n, 1.0);
            self.scalar = 0.0;
        }
    }

    fn touch(state: &mut Counter) {
        state.buffer.iter_mut().for_each(|b| *b += 1.0);
        state.scalar += 1.0;
    }

    #[test]
    fn reset_refills_the_same_buffer_and_a_new_length_reallocates() {
        let mut rule = RuleState::<Counter>::default();
        for _ in 0..3 {
            let (_, s) = rule.advance(&(), 4, 4, 0.1).unwrap();
            touch(s);
        }
        assert_eq!(rule.get().buffer, [4.0; 4]);
        let pointer = rule.get().buffer.as_ptr();
        rule.reset();
        assert_eq!(rule.steps(), 0);
        let (t, s) = rule.advance(&(), 4, 4, 0.1).unwrap();
        assert_eq!((t, s.buffer.as_slice(), s.scalar), (1, &[1.0; 4][..], 0.0));
        assert_eq!(s.buffer.as_ptr(), pointer, "the buffer is kept");
        rule.reset();
        let (_, s) = rule.advance(&(), 6, 6, 0.1).unwrap();
        assert_eq!(s.buffer, [1.0; 6]);
    }

    #[test]
    fn the_length_is_fixed_from_the_first_step_until_a_reset() {
        let mut rule = RuleState::<Counter>::default();
        rule.advance(&(), 4, 4, 0.1).unwrap();
        let err = rule.advance(&(), 5, 5, 0.1).unwrap_err();
        assert!(matches!(
            err,
            Error::DimensionMismatch {
                expected: 4,
                found: 5,
                ..
            }
        ));
        assert_eq!(rule.steps(), 1, "a rejected step is not counted");
        // Without state per coordinate, any length goes.
        let mut stateless = RuleState::<()>::default();
        stateless.advance::<f64, ()>(&(), 4, 4, 0.1).unwrap();
        stateless.advance::<f64, ()>(&(), 5, 5, 0.1).unwrap();
    }
}
