//! # gradus
//!
//! Numerical optimisation for Rust, with the mathematics visible: an [`Objective`] supplies a
//! loss and its gradient, an [`Optimizer`] is one update rule (gradient descent, momentum,
//! RMSProp, Adam and its variants, AdaGrad, ...), and the [`Minimizer`] is the one shared loop
//! that drives any rule with step-size schedules or line searches, convergence criteria, budgets
//! and observers, and returns a [`Report`] that says why it stopped. A non-smooth penalty
//! ([`Prox`]: the lasso, the elastic net, group lasso, or a constraint set) makes every step a
//! proximal step, for sparse models: ISTA, FISTA, proximal SGD and Prox-SVRG ([`prox`]).
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

//!
//! ## The public API
//!
//! The crate root holds the traits, the loop and what it reports, every update rule and every
//! constraint set; each module holds the configurations and the smaller parts of its topic.
//!
//! | at the root | what it is |
//! | --- | --- |
//! | [`Objective`], [`FiniteSum`], [`Optimizer`], [`Projection`], [`Prox`], [`Constraint`], [`Schedule`], [`LineSearch`], [`Real`] | the traits |
//! | [`FnObjective`], [`Combined`], [`FnConstraint`], [`check_gradient`] | closures as objectives and constraints; a gradient check |
//! | [`Minimizer`], [`Report`], [`Best`], [`Termination`], [`Criteria`], [`StepSize`], [`ProxBacktracking`], [`Restart`], [`Minibatch`], [`Sampling`], [`Estimator`], [`RunState`], [`Clip`] | the loop, its settings, its report and its state for resuming |
//! | [`Observer`], [`IterationState`], [`Control`], [`Progress`], [`History`], [`Record`] | watching a run |
//! | [`GradientDescent`], [`Momentum`], [`RmsProp`], [`Adam`], [`AdaGrad`], [`Adamax`], [`NAdam`], [`RAdam`], [`Adadelta`], [`Rprop`], [`Asgd`], [`Adopt`], [`Lion`], [`SignSgd`], [`Signum`], [`Yogi`], [`AdaBelief`], [`Adan`], [`OptimisticGradientDescent`], [`Adafactor`], [`Muon`], [`Sm3`], [`ScheduleFreeSgd`], [`ScheduleFreeAdamW`], [`Lbfgs`], [`BarzilaiBorwein`], [`AcceleratedGradient`] | the update rules |
//! | [`Averaged`], [`Averaging`], [`Lookahead`] | wrappers around any rule: iterate averaging (Polyak-Ruppert, EMA, SWA), Lookahead |
//! | [`Dog`], [`Dowg`], [`Prodigy`], [`DAdaptAdamW`], [`DAdaptSgd`], [`Cocob`] | the update rules that learn their step size |
//! | [`Lamb`], [`Lars`], [`NovoGrad`], [`Fromage`] | the layer-wise update rules: norms per tensor (per layer) |
//! | [`BoxSet`], [`NonNegative`], [`L2Ball`], [`LInfBall`], [`L1Ball`], [`Simplex`], [`HalfSpace`], [`Hyperplane`], [`Affine`], [`Product`] | the constraint sets |
//! | [`AugmentedLagrangian`] | the solver for general constraints |
//! | [`Error`], [`Result`] | typed errors |
//!
//! | module | what else it holds |
//! | --- | --- |
//! | [`optim`] | each rule's configuration (`AdamConfig`, ...), [`ElementwiseRule`](optim::ElementwiseRule) and the generic [`Rule`](optim::Rule); [`ShapedRule`](optim::ShapedRule) for the rules that see a tensor's shape (Adafactor, Muon, SM3) and [`Shaped`](optim::Shaped), such a rule on one vector |
//! | [`schedule`] | step-size schedules (cosine, one-cycle, warmup, ...) |
//! | [`line_search`] | Armijo backtracking, strong Wolfe, exact steps on quadratics |
//! | [`minimize`] | the loop's parts: criteria, observers, reports, minibatch settings |
//! | [`constraints`] | the sets and constraint functions |
//! | [`prox`] | proximal operators (L1, weighted L1, elastic net, group lasso, ..., a set's indicator), the penalty families of regularization paths, optimality certificates (KKT residuals, the lasso's duality gap) |
//! | [`solvers`] | outer methods built on the loop: [`AugmentedLagrangian`], the learning-rate range test, basin hopping, multi-start, regularization paths |
//! | [`curvature`] | second-order information: the smallest Hessian eigenvalue (Lanczos) and a certificate telling minima from saddles |
//! | [`finite_sum`] | minibatches and their parallel reduction |
//! | [`distributed`] | finite sums spread over processes (MPI with the `mpi` feature), with the same iterates for any number of processes |
//! | [`params`] | parameter sets: one rule over many tensors, with groups ([`ParameterSet`](params::ParameterSet) for the elementwise rules, [`ShapedParameterSet`](params::ShapedParameterSet) for Adafactor, Muon and SM3); clipping over a set |
//! | [`training`] | a guide to training models, for PyTorch users |
//! | `checkpoint` (`serde` feature) | saving and loading rules, sets, schedules and run states |
//! | [`clip`] | gradient clipping, also by hand |
//! | [`problems`] | test functions with certified minima, seeded datasets, a CSV loader, and readers of row ranges of CSV, `.npy` and LIBSVM files |
//!
//! `use gradus::prelude::*;` brings the traits, the loop with its settings, report and
//! observer types ([`IterationState`], [`Control`]), the rules and the line searches: with it,
//! `.observer(|s| ...)` closures and the examples of these pages need no other import.

#![warn(missing_docs)]

#[cfg(feature = "serde")]
pub mod checkpoint;
pub mod clip;
pub mod constraints;
pub mod curvature;
pub mod distributed;
mod error;
pub mod finite_sum;
mod linalg;
pub mod line_search;
pub mod minimize;
mod objective;
pub mod optim;
pub mod params;
pub mod problems;
pub mod prox;
mod real;
pub mod schedule;
pub mod solvers;
pub mod training;

pub use clip::Clip;
pub use constraints::{
    Affine, BoxSet, Constraint, FnConstraint, HalfSpace, Hyperplane, L1Ball, L2Ball, LInfBall,
    NonNegative, Product, Projection, Simplex,
};
pub use error::{Error, Result};
pub use finite_sum::FiniteSum;
pub use line_search::LineSearch;
pub use minimize::LastIterate;
pub use minimize::{
    Best, Control, Criteria, Estimator, History, IterationState, Minibatch, Minimizer, Observer,
    Progress, ProxBacktracking, Record, Report, Restart, RunState, Sampling, StepSize, Termination,
};
pub use objective::{Combined, FnObjective, GradientCheck, Objective, check_gradient};
pub use optim::{
    AcceleratedGradient, AdaGrad, Adadelta, Adam, Adamax, Adopt, BarzilaiBorwein, Cocob,
    GradientDescent, Lbfgs, Momentum, NAdam, Optimizer, RAdam, RmsProp, ScheduleFreeAdamW,
    ScheduleFreeSgd,
};
pub use optim::{AdaBelief, Adan, Lion, OptimisticGradientDescent, SignSgd, Signum, Yogi};
pub use optim::{Adafactor, Muon, Sm3};
pub use optim::{Asgd, Averaged, Averaging, Lookahead, Rprop};
pub use optim::{DAdaptAdamW, DAdaptSgd, Dog, Dowg, Prodigy};
pub use optim::{Fromage, Lamb, Lars, NovoGrad};
pub use prox::Prox;
pub use real::Real;
pub use schedule::Schedule;
pub use solvers::AugmentedLagrangian;

/// The names most programs need: `use gradus::prelude::*;`.
pub mod prelude {
    pub use crate::finite_sum::FiniteSum;
    pub use crate::line_search::{Backtracking, StrongWolfe};
    pub use crate::minimize::{
        Best, Control, Criteria, Estimator, IterationState, Minibatch, Minimizer, Observer,
        Progress, ProxBacktracking, Report, Restart, RunState, Sampling, StepSize, Termination,
    };
    pub use crate::objective::{FnObjective, Objective, check_gradient};
    pub use crate::optim::{
        AcceleratedGradient, AdaGrad, Adadelta, Adam, Adamax, Adopt, BarzilaiBorwein, Cocob,
        GradientDescent, Lbfgs, Momentum, NAdam, Optimizer, RAdam, RmsProp, ScheduleFreeAdamW,
        ScheduleFreeSgd,
    };
    pub use crate::optim::{
        AdaBelief, Adan, Lion, OptimisticGradientDescent, SignSgd, Signum, Yogi,
    };
    pub use crate::optim::{Adafactor, Muon, Sm3};
    pub use crate::optim::{Asgd, Averaged, Averaging, Lookahead, Rprop};
    pub use crate::optim::{DAdaptAdamW, DAdaptSgd, Dog, Dowg, Prodigy};
    pub use crate::optim::{Fromage, Lamb, Lars, NovoGrad};
    pub use crate::prox::Prox;
    pub use crate::{Clip, Error, Real};
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
