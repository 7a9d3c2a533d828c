//! Test functions with known minima, and seeded synthetic datasets.
//!
//! Each problem is an [`Objective`] with an exact gradient and a fused
//! [`value_and_gradient`](crate::Objective::value_and_gradient), and a [`TestFunction`]: it
//! knows its minimiser(s), its minimum value, its standard start and, where they exist, its
//! smoothness `L` and strong-convexity `μ` constants.
//!
//! | problem | convex | `L` | `μ` | minimiser |
//! | --- | --- | --- | --- | --- |
//! | [`Sphere`] | yes | 2 | 2 | 0 |
//! | [`Quadratic`] | yes | `max λ_i` | `min λ_i` | `A⁻¹ b` |
//! | [`LeastSquares`] (and ridge) | yes | `λ_max(XᵀX/N) + λ` | `λ_min(XᵀX/N) + λ` | normal equations |
//! | [`LogisticRegression`] | yes | `λ_max(XᵀX/N)/4 + λ` | `λ` | certified Newton solve |
//! | [`HuberRegression`] | yes | `λ_max(XᵀX/N) + λ` | `λ` if `> 0` | certified Newton solve |
//! | [`LogSumExp`] | yes | `max_i ‖a_i‖² + λ` | `λ` if `> 0` | 0, or certified Newton solve |
//! | [`Booth`], [`Matyas`] | yes | 18, 1 | 2, 0.04 | exact |
//! | [`Rosenbrock`], [`Beale`], [`Himmelblau`] (4 minima), [`ThreeHumpCamel`] | no | — | — | exact / 25 digits |
//! | [`StyblinskiTang`] | no | — | — | 25 digits |
//! | [`Rastrigin`], [`Ackley`] | no, many local minima | `2 + 40π²`, — | — | 0 |
//!
//! The data problems are averages over the examples of a [`Dataset`] and are evaluated one
//! example at a time, so that a minibatch of examples can be evaluated the same way. Their
//! minimisers without a closed form come with a [`Certificate`]: the gradient norm reached by a
//! high-accuracy Newton solve done by the crate.
//!
//! [`suite`] returns the standard collection, each problem with its standard start, for
//! comparing methods.

use ndarray::{Array1, ArrayView1, ArrayViewMut1};

use crate::error::Result;
use crate::linalg::alloc::{too_large, try_from_elem, try_from_fn};
use crate::{Objective, Real};

/// Implements [`Objective`] for a test function `$t` of dimension `$dim` (an expression in terms
/// of `$this`) from two inherent methods written for `x` (and `grad`) of `$dim` entries:
/// `f(x)`, the value, and `f_and_grad(x, grad)`, which writes `∇f(x)` into `grad` and returns
/// `f(x)`. The lengths are checked first, here only (see [`wrong_length`]); the gradient alone is
/// the default of [`Objective::gradient`], `f_and_grad` with the value discarded.
macro_rules! objective_from_formulas {
    ($t:ty, |$this:ident| $dim:expr) => {
        impl<F: Real> $crate::Objective<F> for $t {
            fn dim(&$this) -> usize {
                $dim
            }
            fn value(&$this, x: ndarray::ArrayView1<'_, F>) -> F {
                if $crate::problems::wrong_length($dim, &x, None) {
                    return F::nan();
                }
                $this.f(x)
            }
            fn value_and_gradient(
                &$this,
                x: ndarray::ArrayView1<'_, F>,
                mut grad: ndarray::ArrayViewMut1<'_, F>,
            ) -> F {
                if $crate::problems::wrong_length($dim, &x, Some(&mut grad)) {
                    return F::nan();
                }
                $this.f_and_grad(x, grad)
            }
        }
    };
}

/// Defines an `n`-dimensional test function `$t`, called `$title` in its documentation: the
/// struct (its one field the dimension `n`), the constructor `new(n)`, which takes an `n` below
/// `$min` as `$min`, and [`Objective`] from the formulas `f` and `f_and_grad` of an inherent
/// `impl` (see `objective_from_formulas`).
macro_rules! n_dimensional {
    ($(#[$doc:meta])* $t:ident, $title:literal, n >= $min:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $t {
            n: usize,
        }

        impl $t {
            #[doc = concat!(
                $title, " in `n` dimensions (an `n` below ", stringify!($min), " is taken as ",
                stringify!($min), ")."
            )]
            pub fn new(n: usize) -> Self {
                $t { n: n.max($min) }
            }
        }

        objective_from_formulas!($t, |self| self.n);
    };
}

/// Implements [`TestFunction`] from a table of one expression per method, in terms of `$this`,
/// each of the method's return type (`minimizers` and `start` are [`Result`]s: a vector of `n`
/// entries may not be allocatable). Without `smoothness` or `strong_convexity`, the method is
/// the trait's default: no such constant.
macro_rules! test_function {
    ($t:ty, |$this:ident| {
        name: $name:expr,
        minimizers: $minimizers:expr,
        minimum: $minimum:expr,
        start: $start:expr,
        $(smoothness: $smoothness:expr,)?
        $(strong_convexity: $strong_convexity:expr,)?
        convex: $convex:expr $(,)?
    }) => {
        impl<F: Real> $crate::problems::TestFunction<F> for $t {
            fn name(&$this) -> String {
                $name.into()
            }
            fn minimizers(&$this) -> $crate::error::Result<Vec<ndarray::Array1<F>>> {
                $minimizers
            }
            fn minimum(&$this) -> F {
                $minimum
            }
            fn start(&$this) -> $crate::error::Result<ndarray::Array1<F>> {
                $start
            }
            $(
                fn smoothness(&$this) -> Option<F> {
                    $smoothness
                }
            )?
            $(
                fn strong_convexity(&$this) -> Option<F> {
                    $strong_convexity
                }
            )?
            fn is_convex(&$this) -> bool {
                $convex
            }
        }
    };
}

/// Implements [`Objective`], [`FiniteSum`](crate::FiniteSum) and [`TestFunction`] for a linear
/// model `$t`: a struct with a field `model: LinearModel<F>` and a method `certificate()`, whose
/// per-example loss is `$loss` and whose name is `"{$name}-{N}x{d}"` (expressions in terms of
/// `$this`). Its minimiser and minimum are the certificate's, its start is `w = 0`, it is convex,
/// and its smoothness constant is `L = sup φ'' · λ_max(XᵀX/N) + λ`; the strong-convexity
/// constant is `$strong_convexity`.
macro_rules! linear_model_problem {
    ($t:ty, |$this:ident| {
        loss: $loss:expr,
        name: $name:expr,
        strong_convexity: $strong_convexity:expr $(,)?
    }) => {
        impl<F: Real> $crate::Objective<F> for $t {
            fn dim(&$this) -> usize {
                $this.model.dim()
            }
            fn value(&$this, x: ndarray::ArrayView1<'_, F>) -> F {
                $this.model.value($loss, x)
            }
            fn value_and_gradient(
                &$this,
                x: ndarray::ArrayView1<'_, F>,
                grad: ndarray::ArrayViewMut1<'_, F>,
            ) -> F {
                $this.model.value_and_gradient($loss, x, grad)
            }
        }

        /// The per-example terms `f_i(w) = φ(x_iᵀ w, y_i) + (λ/2) |w|²`: each example carries
        /// the whole penalty, so a batch mean is the batch's mean loss plus `(λ/2) |w|²`, its
        /// gradient adds `λ w`, and the mean over all `N` examples is the
        /// [`Objective`](crate::Objective) (computed the same way, over `Batch::all(N)`, on all
        /// cores).
        impl<F: Real> $crate::FiniteSum<F> for $t {
            fn dim(&$this) -> usize {
                $this.model.dim()
            }
            fn examples(&$this) -> usize {
                $this.model.examples()
            }
            fn batch_value_and_gradient(
                &$this,
                x: ndarray::ArrayView1<'_, F>,
                batch: $crate::finite_sum::Batch<'_>,
                grad: ndarray::ArrayViewMut1<'_, F>,
            ) -> F {
                $this.model.batch_value_and_gradient($loss, x, batch, grad)
            }
            fn prefetch(&$this, batch: $crate::finite_sum::Batch<'_>) {
                $this.model.prefetch(batch);
            }
        }

        test_function!($t, |$this| {
            name: {
                let (n, d) = $this.model.data().features.dim();
                format!("{}-{n}x{d}", $name)
            },
            minimizers: Ok(vec![$crate::problems::rounded(&$this.certificate().minimizer)?]),
            minimum: F::lit($this.certificate().minimum),
            start: $crate::problems::filled($this.model.dim(), F::zero()),
            smoothness: {
                let sup_curvature = $loss.max_curvature();
                Some(F::lit($this.model.gram_extremes().1 * sup_curvature) + $this.model.l2())
            },
            strong_convexity: $strong_convexity,
            convex: true,
        });
    };
}

mod ackley;
mod csv;
mod data;
mod huber;
mod least_squares;
mod linear_model;
mod log_sum_exp;
mod logistic;
mod newton;
mod quadratic;
mod rastrigin;
mod rosenbrock;
mod rows;
mod sphere;
mod styblinski_tang;
mod two_d;

pub use ackley::Ackley;
pub use csv::{Standardization, Table, TargetColumn, parse_csv, read_csv, read_csv_rows};
pub use data::Dataset;
pub use huber::HuberRegression;
pub use least_squares::LeastSquares;
pub use log_sum_exp::LogSumExp;
pub use logistic::LogisticRegression;
pub use quadratic::Quadratic;
pub use rastrigin::Rastrigin;
pub use rosenbrock::Rosenbrock;
pub use rows::{read_libsvm_rows, read_npy_rows};
pub use sphere::Sphere;
pub use styblinski_tang::StyblinskiTang;
pub use two_d::{Beale, Booth, Himmelblau, Matyas, ThreeHumpCamel};

/// A test function: an objective that knows its minimisers and its minimum value.
///
/// The methods of [`Objective`] take `x` (and `grad`) of [`dim`](Objective::dim) entries, as
/// the [`Minimizer`](crate::Minimizer) checks before a run. Called by hand with another length,
/// the problems of this module panic in a debug build, with a message naming both lengths; in a
/// release build they return NaN (and fill `grad` with NaN): never a panic, never a number
/// computed from a vector of the wrong size.
pub trait TestFunction<F: Real>: Objective<F> {
    /// Name for tables and plots.
    fn name(&self) -> String;
    /// The global minimisers (all of them, when there are finitely many).
    ///
    /// # Errors
    /// [`Error::InvalidCount`](crate::Error::InvalidCount) naming the dimension when vectors of
    /// that many entries cannot be allocated.
    fn minimizers(&self) -> Result<Vec<Array1<F>>>;
    /// The global minimum value `f*`.
    fn minimum(&self) -> F;
    /// The standard starting point of the literature.
    ///
    /// # Errors
    /// [`Error::InvalidCount`](crate::Error::InvalidCount) naming the dimension when a vector of
    /// that many entries cannot be allocated (a problem's constructor allocates nothing that
    /// grows with `n`; its start and minimisers are built on demand).
    fn start(&self) -> Result<Array1<F>>;
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

/// `n` copies of `value`: the start or the minimiser of an `n`-dimensional problem.
///
/// # Errors
/// [`Error::InvalidCount`](crate::Error::InvalidCount) naming `n` if it cannot be allocated.
fn filled<F: Real>(n: usize, value: F) -> Result<Array1<F>> {
    try_from_elem(n, value).ok_or_else(|| too_large("n", n))
}

/// The vector `(f(0), ..., f(n-1))` of an `n`-dimensional problem.
///
/// # Errors
/// [`Error::InvalidCount`](crate::Error::InvalidCount) naming `n` if it cannot be allocated.
fn from_fn<F: Real>(n: usize, f: impl FnMut(usize) -> F) -> Result<Array1<F>> {
    try_from_fn(n, f).ok_or_else(|| too_large("n", n))
}

/// A minimiser computed in `f64`, rounded to `F`.
///
/// # Errors
/// [`Error::InvalidCount`](crate::Error::InvalidCount) naming `n` if it cannot be allocated.
fn rounded<F: Real>(v: &Array1<f64>) -> Result<Array1<F>> {
    from_fn(v.len(), |i| F::lit(v[i]))
}

/// `true` (after filling `grad` with NaN) if `x` or `grad` does not have `dim` entries: the
/// precondition of the [`Objective`] methods of the problems, checked on every call. A debug
/// build panics here, naming the lengths, so that the mistake is found where it is made; a
/// release build lets the caller return NaN.
#[inline]
fn wrong_length<F: Real>(
    dim: usize,
    x: &ArrayView1<'_, F>,
    grad: Option<&mut ArrayViewMut1<'_, F>>,
) -> bool {
    let grad_len = grad.as_ref().map(|g| g.len());
    if x.len() == dim && grad_len.is_none_or(|n| n == dim) {
        return false;
    }
    wrong_length_found(dim, x.len(), grad_len);
    if let Some(g) = grad {
        g.fill(F::nan());
    }
    true
}

#[cold]
#[inline(never)]
fn wrong_length_found(dim: usize, x: usize, grad: Option<usize>) {
    if cfg!(debug_assertions) {
        let grad = grad.map_or(String::new(), |g| format!(" and grad of length {g}"));
        panic!(
            "a test problem of dimension {dim} was evaluated at x of length {x}{grad}: both \
             must have dim() entries (a release build returns NaN)"
        );
    }
}

/// The record of a minimiser computed numerically, in `f64`, by the crate.
///
/// For problems without a closed-form minimiser the crate runs Newton's method with a dense
/// Cholesky factorisation of the `d x d` Hessian and a backtracking line search until the
/// gradient norm is below `1e-12`; for closed forms it records the residual gradient norm of the
/// solution. Since these problems are convex, a small gradient norm certifies near-optimality:
/// for a `μ`-strongly convex `f`, `f(x) - f* <= |∇f(x)|² / (2μ)` and `|x - x*| <= |∇f(x)| / μ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// The minimiser found.
    pub minimizer: Array1<f64>,
    /// The objective value at [`minimizer`](Certificate::minimizer).
    pub minimum: f64,
    /// The Euclidean norm of the gradient at [`minimizer`](Certificate::minimizer), computed
    /// in `f64`: the certificate.
    pub gradient_norm: f64,
    /// Newton iterations taken (0 for a closed form).
    pub iterations: usize,
}

/// A problem of the standard collection, usable from several threads.
pub type SuiteProblem = Box<dyn TestFunction<f64> + Send + Sync>;

/// The standard collection of test problems, in `f64`, each with its standard start
/// ([`TestFunction::start`]): a fixed list for comparing methods on equal terms.
///
/// Convex: sphere (10-D); quadratics in 20-D with condition numbers `10²` and `10⁴`, rotated;
/// least squares and ridge (`λ = 0.1`) on 200 x 10 regression data of condition number 100;
/// logistic regression (`λ = 0.01`) on 200 x 10 classification data; Huber regression
/// (`δ = 1`) on 200 x 10 noisy regression data; the symmetric log-sum-exp (5-D) and a random
/// one (50 forms in 10-D, `λ = 0.01`); Booth; Matyas. Non-convex: Rosenbrock (2-D and 10-D),
/// Beale, Himmelblau, three-hump camel, Styblinski–Tang (5-D), Rastrigin (5-D), Ackley (5-D).
/// Every seed is fixed, so the collection is the same on every call.
pub fn suite() -> Vec<SuiteProblem> {
    // Every argument below is a valid constant, so the constructors cannot fail.
    const VALID: &str = "suite arguments are valid constants";
    let regression = Dataset::linear_regression(200, 10, 100.0, 0.1, 1).expect(VALID);
    let noisy = Dataset::linear_regression(200, 10, 100.0, 1.0, 2).expect(VALID);
    let classification = Dataset::classification(200, 10, 3).expect(VALID);
    vec![
        Box::new(Sphere::new(10)),
        Box::new(
            Quadratic::with_condition_number(20, 1e2)
                .expect(VALID)
                .rotated(4)
                .expect(VALID),
        ),
        Box::new(
            Quadratic::with_condition_number(20, 1e4)
                .expect(VALID)
                .rotated(5)
                .expect(VALID),
        ),
        Box::new(LeastSquares::new(regression.clone()).expect(VALID)),
        Box::new(LeastSquares::ridge(regression, 0.1).expect(VALID)),
        Box::new(LogisticRegression::new(classification, 1e-2).expect(VALID)),
        Box::new(HuberRegression::new(noisy, 1.0, 0.0).expect(VALID)),
        Box::new(LogSumExp::symmetric(5).expect(VALID)),
        Box::new(LogSumExp::random(50, 10, 1e-2, 6).expect(VALID)),
        Box::new(Booth),
        Box::new(Matyas),
        Box::new(Rosenbrock::new(2)),
        Box::new(Rosenbrock::new(10)),
        Box::new(Beale),
        Box::new(Himmelblau),
        Box::new(ThreeHumpCamel),
        Box::new(StyblinskiTang::new(5)),
        Box::new(Rastrigin::new(5)),
        Box::new(Ackley::new(5)),
    ]
}
