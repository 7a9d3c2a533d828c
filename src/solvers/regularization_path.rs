//! Regularization paths: the solutions of `min f + h_λ` along a decreasing grid of `λ`, from
//! `λ_max` (where the solution is the starting point, `0` for a plain lasso) down, each
//! warm-started from the one before (Friedman, Hastie & Tibshirani, "Regularization paths for
//! generalized linear models via coordinate descent", J. Stat. Software 33, 2010: glmnet;
//! scikit-learn's `lasso_path` and `enet_path`).
//!
//! **`λ_max`.** For a penalty `h_λ = λ h_1` built on a norm (or a weighted sum of norms),
//! `x = 0` minimises `f + h_λ` exactly when `-∇f(0) ∈ ∂h_λ(0) = λ B_*`, the ball of the dual
//! norm, that is when `λ >= ‖∇f(0)‖_*`:
//!
//! ```text
//! λ_max = ‖∇f(0)‖_*  =  |∇f(0)|_∞ (lasso),  |∇f(0)|_∞ / ρ (elastic net with mixing ρ),
//!                       max_g |∇f(0)_g|₂ / w_g (group lasso),  max_{w_i > 0} |∇f(0)_i| / w_i, ...
//! ```
//!
//! For least squares `f = |Xw - y|²/(2N)` this is `|Xᵀy|_∞ / N`, scikit-learn's `alpha_max`.
//! When some coordinates are not penalised (an intercept, with weight `0`), the path starts
//! instead at the point that is `0` on the penalised coordinates and minimises `f` over the
//! others; [`lambda_max`] takes that point.
//!
//! **The grid.** [`log_grid`] spaces `count` values evenly in `log λ` from `λ_max` down to
//! `ratio · λ_max` (glmnet's `lambda.min.ratio`: `1e-4` when `N > d`, else `1e-2`;
//! scikit-learn's `eps = 1e-3`, with 100 values).
//!
//! **Warm starts.** Solutions change continuously with `λ` (piecewise linearly for the lasso),
//! so each run starts next to its answer: [`RegularizationPath::compute`] runs the same
//! [`Minimizer`] for each `λ` from the solution of the previous one.
//!
//! ```
//! use gradus::prelude::*;
//! use gradus::problems::{Dataset, LeastSquares, TestFunction};
//! use gradus::solvers::regularization_path::{RegularizationPath, lambda_max, log_grid};
//! use gradus::prox::{L1Norm, duality_gap};
//! use ndarray::Array1;
//!
//! let data = Dataset::<f64>::linear_regression(100, 6, 10.0, 0.5, 3)?;
//! let f = LeastSquares::new(data.clone())?;
//! let zero = Array1::zeros(6);
//! let penalty = L1Norm::new(1.0)?; // the λ of the template is replaced along the path
//! let top = lambda_max(&penalty, &f, zero.view())?;
//! let grid = log_grid(top, 1e-3, 20)?;
//! let mut m = Minimizer::new(GradientDescent::default())
//!     .lr(1.0 / f.smoothness().unwrap())
//!     .gradient_tolerance(1e-10)
//!     .max_iterations(100_000);
//! let path = RegularizationPath::compute(&mut m, &f, &penalty, &grid, zero.view())?;
//! assert!(path.supports[0].is_empty()); // at λ_max the solution is 0
//! assert_eq!(path.supports[19].len(), 6); // at λ_max / 1000 every feature is in
//! for (lambda, x) in path.lambdas.iter().zip(&path.solutions) {
//!     assert!(duality_gap(&data, *lambda, 0.0, x.view())?.gap < 1e-8);
//! }
//! # Ok::<(), gradus::Error>(())
//! ```

use ndarray::{Array1, ArrayView1};

use crate::Real;
use crate::error::{
    Domain, Error, Result, check, check_count, check_entries, check_finite, check_len,
};
use crate::minimize::{Minimizer, Termination};
use crate::objective::Objective;
use crate::optim::Optimizer;
use crate::prox::{Penalty, support};

/// `λ_max` of a path of `penalty` on `objective` starting at `start`: the dual norm of
/// `∇f(start)` (see [`Penalty::lambda_max`]), above which `start` is the solution.
///
/// `start` is `0` on the penalised coordinates; on unpenalised ones (weight `0` in
/// [`WeightedL1`](crate::prox::WeightedL1), or outside every group of a
/// [`GroupLasso`](crate::prox::GroupLasso)) it must minimise `f` with the rest fixed (for an
/// intercept: the intercept of the model without features), so that `∇f(start)` is `0` there.
///
/// # Errors
/// [`Error::Empty`] for an empty `start`; [`Error::DimensionMismatch`] if `start`, the
/// objective and the penalty disagree on the dimension; [`Error::NonFinite`] for a non-finite
/// `start` or gradient there.
pub fn lambda_max<F: Real, P: Penalty<F>, O: Objective<F> + ?Sized>(
    penalty: &P,
    objective: &O,
    start: ArrayView1<'_, F>,
) -> Result<F> {
    if start.is_empty() {
        return Err(Error::Empty { what: "start" });
    }
    check_len("start vs objective.dim()", objective.dim(), start.len())?;
    if let Some(n) = penalty.dim() {
        check_len("start vs the penalty's dimension", n, start.len())?;
    }
    check_finite("start", start)?;
    let mut g = Array1::zeros(start.len());
    objective.gradient(start, g.view_mut());
    check_finite("the gradient at start", g.view())?;
    Ok(penalty.lambda_max(g.view()))
}

/// `count` values of `λ` spaced evenly in `log λ` from `lambda_max` down to
/// `ratio · lambda_max`: `λ_k = λ_max · ratio^{k/(count-1)}`, `k = 0, ..., count - 1` (one value,
/// `λ_max`, when `count = 1`).
///
/// ```
/// use gradus::solvers::regularization_path::log_grid;
///
/// let grid = log_grid(10.0_f64, 1e-2, 3)?;
/// assert_eq!((grid[0], grid[2]), (10.0, 10.0 * 1e-2));
/// assert!((grid[1] - 1.0).abs() < 1e-14);
/// # Ok::<(), gradus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a `lambda_max` that is not finite and `> 0` (at `0`, the
/// starting point minimises `f` itself: there is no path), or a `ratio` outside `(0, 1)`;
/// [`Error::InvalidCount`] for `count = 0`.
pub fn log_grid<F: Real>(lambda_max: F, ratio: F, count: usize) -> Result<Vec<F>> {
    check("lambda_max", lambda_max, Domain::Positive)?;
    check("ratio", ratio, Domain::OpenUnitInterval)?;
    check_count("count", count, 1)?;
    if count == 1 {
        return Ok(vec![lambda_max]);
    }
    let last = F::from_count(count - 1);
    let log_ratio = ratio.ln();
    Ok((0..count)
        .map(|k| {
            if k == 0 {
                lambda_max
            } else if k == count - 1 {
                lambda_max * ratio
            } else {
                lambda_max * (log_ratio * F::from_count(k) / last).exp()
            }
        })
        .collect())
}

/// The solutions along a grid of `λ`: [`compute`](RegularizationPath::compute).
#[derive(Debug, Clone, PartialEq)]
pub struct RegularizationPath<F> {
    /// The grid, in the order given.
    pub lambdas: Vec<F>,
    /// The solution for each `λ`.
    pub solutions: Vec<Array1<F>>,
    /// `f + h_λ` at each solution.
    pub objectives: Vec<F>,
    /// The support (non-zero coordinates) of each solution.
    pub supports: Vec<Vec<usize>>,
    /// The iterations of each run.
    pub iterations: Vec<usize>,
    /// Why each run stopped.
    pub terminations: Vec<Termination>,
    /// The stationarity measure (the proximal gradient mapping) at each solution.
    pub stationarity: Vec<F>,
}

impl<F: Real> RegularizationPath<F> {
    /// Runs `minimizer` on `f + h_λ` for each `λ` of `lambdas` in turn (`h_λ` =
    /// `penalty.with_lambda(λ)`, set with [`Minimizer::set_prox`]), the first from `start` and
    /// each other from the solution before it (warm starts). The minimizer's rule, step size,
    /// acceleration and criteria apply to every run; it keeps the last `h_λ` afterwards.
    ///
    /// # Errors
    /// [`Error::Empty`] for no `lambdas`; [`Error::InvalidEntry`] for a `λ` that is negative or
    /// not finite; any error of [`Minimizer::minimize`] (the first stops the path).
    pub fn compute<'a, O, Obj, P>(
        minimizer: &mut Minimizer<'a, F, O>,
        objective: &Obj,
        penalty: &P,
        lambdas: &[F],
        start: ArrayView1<'_, F>,
    ) -> Result<Self>
    where
        O: Optimizer<F>,
        Obj: Objective<F> + ?Sized,
        P: Penalty<F> + 'a,
    {
        if lambdas.is_empty() {
            return Err(Error::Empty { what: "lambdas" });
        }
        check_entries("lambdas", lambdas.iter().copied(), Domain::NonNegative)?;
        let mut path = RegularizationPath {
            lambdas: lambdas.to_vec(),
            solutions: Vec::with_capacity(lambdas.len()),
            objectives: Vec::with_capacity(lambdas.len()),
            supports: Vec::with_capacity(lambdas.len()),
            iterations: Vec::with_capacity(lambdas.len()),
            terminations: Vec::with_capacity(lambdas.len()),
            stationarity: Vec::with_capacity(lambdas.len()),
        };
        let mut x = start.to_owned();
        for &lambda in lambdas {
            minimizer.set_prox(penalty.with_lambda(lambda));
            let report = minimizer.minimize(objective, x.view())?;
            x.assign(&report.x);
            path.supports.push(support(report.x.view()));
            path.objectives.push(report.f);
            path.iterations.push(report.iterations);
            path.terminations.push(report.termination);
            path.stationarity.push(report.stationarity);
            path.solutions.push(report.x);
        }
        Ok(path)
    }

    /// Number of values of `λ`.
    pub fn len(&self) -> usize {
        self.lambdas.len()
    }

    /// `true` if the path has no points (never the case for a computed path).
    pub fn is_empty(&self) -> bool {
        self.lambdas.is_empty()
    }
}
