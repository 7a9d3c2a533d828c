//! What the integration tests share: the registries of every update rule ([`rules`]) and every
//! constraint set ([`sets`]), a counting allocator ([`counting`]), a test problem with
//! closed-form answers ([`quadratic`]).
//!
//! Each test file that needs them declares `mod common;`; a file uses only some of the helpers,
//! hence the `allow(dead_code)`.

#![allow(dead_code)]

pub mod configs;
pub mod counting;
pub mod distributed;
pub mod quadratic;
pub mod rules;
pub mod sets;

use gradus::{Minimizer, Objective, Optimizer, Report};
use ndarray::ArrayView1;

/// Runs `minimizer` on `objective` from `x0`; the run must not be an error.
pub fn run<O: Optimizer<f64>>(
    mut minimizer: Minimizer<'_, f64, O>,
    objective: &impl Objective<f64>,
    x0: ArrayView1<'_, f64>,
) -> Report<f64> {
    minimizer.minimize(objective, x0).unwrap()
}
