//! Test functions with known minima.
//!
//! Each problem is an [`Objective`](crate::Objective) with an exact gradient, its known
//! minimiser(s) and minimum value, and a standard starting point, described by [`TestFunction`].

use ndarray::Array1;

use crate::{Objective, Real};

mod rosenbrock;
mod sphere;

pub use rosenbrock::Rosenbrock;
pub use sphere::Sphere;

/// A test function: an objective that knows its minimisers and its minimum value.
pub trait TestFunction<F: Real>: Objective<F> {
    /// Name for tables and plots.
    fn name(&self) -> String;
    /// The global minimisers (all of them, when there are finitely many).
    fn minimizers(&self) -> Vec<Array1<F>>;
    /// The global minimum value `f*`.
    fn minimum(&self) -> F;
    /// The standard starting point of the literature.
    fn start(&self) -> Array1<F>;
    /// The smoothness constant `L` (Lipschitz constant of the gradient), if finite and known.
    fn smoothness(&self) -> Option<F> {
        None
    }
    /// The strong-convexity constant `μ`, if the function is strongly convex.
    fn strong_convexity(&self) -> Option<F> {
        None
    }
    /// `true` if the function is convex.
    fn is_convex(&self) -> bool;
}
