//! # gradus
//!
//! Numerical optimisation for Rust, with the mathematics visible: an [`Objective`] supplies a
//! loss and its gradient, an [`Optimizer`] is one update rule (gradient descent, momentum,
//! RMSProp, Adam and its variants, AdaGrad, ...), and the [`Minimizer`] is the one shared loop
//! that drives any rule with step-size schedules or line searches, convergence criteria, budgets
//! and observers, and returns a [`Report`] that says why it stopped.
//!
//! Everything is generic over `f32` and `f64` ([`Real`]) and takes ndarray 1-D views.
//!
//! ## Quick start
//!
//! ```
//! use gradus::prelude::*;
//! use ndarray::{ArrayView1, ArrayViewMut1, array};
//!
//! // f(x, y) = (x - 1)^2 + 10 (y + 2)^2, minimised at (1, -2).
//! let f = FnObjective::new(
//!     2,
//!     |x: ArrayView1<f64>| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2),
//!     |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
//!         g[0] = 2.0 * (x[0] - 1.0);
//!         g[1] = 20.0 * (x[1] + 2.0);
//!     },
//! );
//! let report = Minimizer::new(GradientDescent::default())
//!     .lr(0.05)
//!     .gradient_tolerance(1e-10)
//!     .minimize(&f, array![0.0, 0.0].view())?;
//! assert!(report.converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-10 && (report.x[1] + 2.0).abs() < 1e-10);
//! # Ok::<(), gradus::Error>(())
//! ```

#![warn(missing_docs)]

pub mod clip;
pub mod constraints;
mod error;
pub mod finite_sum;
pub mod kernels;
mod linalg;
pub mod line_search;
pub mod minimize;
mod objective;
pub mod optim;
pub mod problems;
pub mod race;
mod real;
pub mod schedule;

pub use clip::Clip;
pub use constraints::{
    AugmentedLagrangian, ConstrainedReport, ConstrainedTermination, Constraint, FnConstraint,
    Projection,
};
pub use error::{Error, Result};
pub use finite_sum::{Batch, BatchReducer, FiniteSum, FullBatch, evaluate_batch};
pub use line_search::{Backtracking, ExactQuadratic, LineSearch, StrongWolfe};
pub use minimize::{
    Control, Criteria, Estimator, History, IterationState, Minibatch, Minimizer, Observer,
    Progress, Record, Report, Sampling, SamplingReport, StepSize, Termination,
};
pub use objective::{FnObjective, GradientCheck, Objective, check_gradient};
pub use optim::*;
pub use real::Real;
pub use schedule::Schedule;

/// The names most programs need: `use gradus::prelude::*;`.
pub mod prelude {
    pub use crate::clip::Clip;
    pub use crate::finite_sum::{Batch, FiniteSum};
    pub use crate::line_search::{Backtracking, StrongWolfe};
    pub use crate::minimize::{
        Control, Criteria, Estimator, Minibatch, Minimizer, Report, Sampling, StepSize, Termination,
    };
    pub use crate::objective::{FnObjective, Objective, check_gradient};
    pub use crate::optim::*;
    pub use crate::{Error, Real};
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
