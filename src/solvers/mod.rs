//! Outer methods built on the [`Minimizer`](crate::Minimizer): each runs the shared loop as its
//! inner solver, with any update rule.
//!
//! - [`AugmentedLagrangian`]: equality and inequality constraints `h(x) = 0`, `g(x) <= 0` by
//!   multiplier updates between inner solves; reports the multipliers and the KKT residuals.
//! - [`LrRangeTest`]: the learning-rate range test, a short run with a growing step size whose
//!   loss curve suggests a step size.

mod augmented_lagrangian;
mod lr_range_test;

pub use augmented_lagrangian::{
    AugmentedLagrangian, AugmentedLagrangianConfig, ConstrainedReport, ConstrainedTermination,
};
pub use lr_range_test::{LrRangeTest, LrRangeTestConfig, RangeTestCurve, Spacing};
