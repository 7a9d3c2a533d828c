//! Outer methods built on the [`Minimizer`](crate::Minimizer): each runs the shared loop as its
//! inner solver, with any update rule.
//!
//! - [`AugmentedLagrangian`]: equality and inequality constraints `h(x) = 0`, `g(x) <= 0` by
//!   multiplier updates between inner solves; reports the multipliers and the KKT residuals.

mod augmented_lagrangian;

pub use augmented_lagrangian::{
    AugmentedLagrangian, AugmentedLagrangianConfig, ConstrainedReport, ConstrainedTermination,
};
