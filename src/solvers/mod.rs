//! Outer methods built on the [`Minimizer`](crate::Minimizer): each runs the shared loop as its
//! inner solver, with any update rule.
//!
//! - [`AugmentedLagrangian`]: equality and inequality constraints `h(x) = 0`, `g(x) <= 0` by
//!   multiplier updates between inner solves; reports the multipliers and the KKT residuals.
//! - [`LrRangeTest`]: the learning-rate range test, a short run with a growing step size whose
//!   loss curve suggests a step size.
//! - [`BasinHopping`] and [`MultiStart`]: global search for functions with many local minima, by
//!   a random walk over local minima or by local runs from random starts.
//! - [`RegularizationPath`]: the solutions of `min f + h_λ` along a decreasing grid of `λ`,
//!   each warm-started from the one before (see [`regularization_path`]).

mod augmented_lagrangian;
mod basin_hopping;
mod lr_range_test;
mod multi_start;
pub mod regularization_path;

pub use augmented_lagrangian::{
    AugmentedLagrangian, AugmentedLagrangianConfig, ConstrainedReport, ConstrainedTermination,
};
pub use basin_hopping::{Adaptation, BasinHopping, BasinHoppingConfig, BasinHoppingReport};
pub use lr_range_test::{LrRangeTest, LrRangeTestConfig, RangeTestCurve, Spacing};
pub use multi_start::{LocalMinimum, MultiStart, MultiStartConfig, MultiStartReport};
pub use regularization_path::{RegularizationPath, lambda_max, log_grid};
