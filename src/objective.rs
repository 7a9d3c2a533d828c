//! Objectives: the functions to minimise, their gradients, and a finite-difference check.

use ndarray::{Array1, ArrayView1, ArrayViewMut1};

use crate::Real;
use crate::error::{Error, Result, check_finite, check_len};

/// A differentiable function `f: R^n -> R` to minimise.
///
/// Implementors supply the value and the gradient, in either of two ways:
///
/// - [`value`] and [`gradient`] (and [`value_and_gradient`] too, when the two share work, as
///   most objectives' do);
/// - or [`value_and_gradient`] alone, for an objective that computes `f` only together with
///   `∇f` (a network's forward and backward pass, a simulation and its adjoint). Then override
///   [`value_with_scratch`] as well, as `self.value_and_gradient(x, scratch)`, if line searches
///   are to allocate nothing.
///
/// Each of the three has a default written with the others, so an implementation must override
/// [`value_and_gradient`], or both [`value`] and [`gradient`]. With neither, the defaults would
/// call each other without end; the first call panics instead, with a message saying which
/// methods to write. The gradient is written into a buffer owned by the caller, so that an
/// iteration allocates nothing.
///
/// # What the loop calls, and when
///
/// The [`Minimizer`](crate::Minimizer) calls
///
/// - [`value_and_gradient`] at the starting point and at every iterate, and at the trial points
///   where a line search needs the slope (strong Wolfe);
/// - [`value_with_scratch`] at the trial points where a line search needs `f` alone
///   (backtracking), lending a buffer of length `n` it allocated once for the run;
/// - [`gradient`] when a line search accepts a point whose value it computed alone;
/// - [`value`] never. [`check_gradient`] calls [`value_with_scratch`] too.
///
/// `x` and `grad` must have [`dim`](Objective::dim) entries: the
/// [`Minimizer`](crate::Minimizer) checks this once, before a run. The problems of
/// [`gradus::problems`](crate::problems) panic in debug builds and return NaN in release builds
/// when called by hand with other lengths.
///
/// Methods take `&self`: an objective is a mathematical function, and sharing it between threads
/// or runs must be safe. A value that is NaN or infinite is not an error here: the
/// [`Minimizer`](crate::Minimizer) stops the run with
/// [`Termination::NonFinite`](crate::Termination::NonFinite) and keeps the last finite iterate.
///
/// [`value`]: Objective::value
/// [`gradient`]: Objective::gradient
/// [`value_and_gradient`]: Objective::value_and_gradient
/// [`value_with_scratch`]: Objective::value_with_scratch
///
/// # Examples
///
/// The value and the gradient apart:
///
/// ```
/// use gradus::Objective;
/// use ndarray::{ArrayView1, ArrayViewMut1};
///
/// /// f(x) = 1/2 |x - c|^2
/// struct Distance { c: Vec<f64> }
///
/// impl Objective<f64> for Distance {
///     fn dim(&self) -> usize { self.c.len() }
///     fn value(&self, x: ArrayView1<f64>) -> f64 {
///         x.iter().zip(&self.c).map(|(a, b)| 0.5 * (a - b) * (a - b)).sum()
///     }
///     fn gradient(&self, x: ArrayView1<f64>, mut grad: ArrayViewMut1<f64>) {
///         for ((g, a), b) in grad.iter_mut().zip(x).zip(&self.c) { *g = a - b; }
///     }
/// }
/// ```
///
/// The value and the gradient together, written once:
///
/// ```
/// use gradus::prelude::*;
/// use ndarray::{ArrayView1, ArrayViewMut1, array};
///
/// /// f(x) = 1/2 |x - c|^2, with the residual x - c computed once for both.
/// struct Distance { c: Vec<f64> }
///
/// impl Objective<f64> for Distance {
///     fn dim(&self) -> usize { self.c.len() }
///     fn value_and_gradient(&self, x: ArrayView1<f64>, mut grad: ArrayViewMut1<f64>) -> f64 {
///         let mut f = 0.0;
///         for ((g, a), b) in grad.iter_mut().zip(x).zip(&self.c) {
///             *g = a - b;
///             f += 0.5 * *g * *g;
///         }
///         f
///     }
///     fn value_with_scratch(&self, x: ArrayView1<f64>, scratch: ArrayViewMut1<f64>) -> f64 {
///         self.value_and_gradient(x, scratch)
///     }
/// }
///
/// let report = Minimizer::new(Lbfgs::default())
///     .line_search(Backtracking::default())
///     .minimize(&Distance { c: vec![1.0, -2.0] }, array![0.0, 0.0].view())?;
/// assert!(report.converged());
/// # Ok::<(), gradus::Error>(())
/// ```
pub trait Objective<F: Real> {
    /// Number of variables `n`.
    fn dim(&self) -> usize;

    /// The value `f(x)`.
    ///
    /// Default: [`value_and_gradient`](Objective::value_and_gradient) with a gradient buffer it
    /// allocates (`n` values) at each call. The loop never calls it.
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let mut scratch = Array1::zeros(x.len());
        self.value_and_gradient(x, scratch.view_mut())
    }

    /// Writes `∇f(x)` into `grad` (length `n`).
    ///
    /// Default: [`value_and_gradient`](Objective::value_and_gradient), the value discarded.
    fn gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) {
        self.value_and_gradient(x, grad);
    }

    /// Writes `∇f(x)` into `grad` and returns `f(x)`.
    ///
    /// Default: [`gradient`](Objective::gradient), then [`value`](Objective::value).
    ///
    /// # Panics
    /// When the implementation overrides neither this method nor [`gradient`](Objective::gradient)
    /// (the defaults would call each other without end).
    fn value_and_gradient(&self, x: ArrayView1<'_, F>, mut grad: ArrayViewMut1<'_, F>) -> F {
        let _cycle = DefaultCycle::enter::<Self>(self);
        self.gradient(x, grad.view_mut());
        self.value(x)
    }

    /// The value `f(x)`, where the caller lends `scratch` (length `n`, any contents), which the
    /// method may overwrite: the loop calls this where it needs the value alone (the trial points
    /// of a backtracking line search), with a buffer it allocated once for the run.
    ///
    /// Default: [`value`](Objective::value), `scratch` unused. An objective that computes `f`
    /// only together with `∇f` overrides it as `self.value_and_gradient(x, scratch)`, so that a
    /// line search allocates nothing.
    fn value_with_scratch(&self, x: ArrayView1<'_, F>, scratch: ArrayViewMut1<'_, F>) -> F {
        let _ = scratch;
        self.value(x)
    }

    /// Writes `H(x) v` into `hv`: the Hessian of `f` at `x` times `v` (all of length `n`). Only
    /// second-order tools call it ([`curvature`](crate::curvature)); the loop never does.
    ///
    /// Default: the central difference of gradients along `v`,
    ///
    /// ```text
    /// H v ≈ |v| (∇f(x + h v̂) - ∇f(x - h v̂)) / (2h),    v̂ = v / |v|,    h = ε^(1/3) max(1, |x|∞),
    /// ```
    ///
    /// two gradient evaluations (and two allocations of `n` values), with an error of order
    /// `h² |∇³f|` from the difference and `ε |∇f| / h` from rounding: about `ε^(2/3)` (`4e-11`
    /// in `f64`) relative to the derivatives' scale. An objective that knows its Hessian (or
    /// can apply it, by forward-over-reverse differentiation) overrides this and
    /// [`exact_hessian_vector_product`](Objective::exact_hessian_vector_product).
    fn hessian_vector_product(
        &self,
        x: ArrayView1<'_, F>,
        v: ArrayView1<'_, F>,
        mut hv: ArrayViewMut1<'_, F>,
    ) {
        let length = crate::linalg::norm(v);
        if length == F::zero() || !length.is_finite() {
            hv.fill(if length == F::zero() {
                F::zero()
            } else {
                F::nan()
            });
            return;
        }
        let scale = x.iter().fold(F::one(), |m, &t| m.max(t.abs()));
        let h = F::epsilon().cbrt() * scale;
        let step = h / length;
        let mut point = x.to_owned();
        point.zip_mut_with(&v, |p, &d| *p += step * d);
        self.gradient(point.view(), hv.view_mut());
        let mut behind = Array1::zeros(x.len());
        point.zip_mut_with(&x, |p, &t| *p = t);
        point.zip_mut_with(&v, |p, &d| *p -= step * d);
        self.gradient(point.view(), behind.view_mut());
        let factor = length / (h + h);
        hv.zip_mut_with(&behind, |a, &b| *a = (*a - b) * factor);
    }

    /// `true` if [`hessian_vector_product`](Objective::hessian_vector_product) is exact (the
    /// objective overrides it), `false` for the default finite differences.
    fn exact_hessian_vector_product(&self) -> bool {
        false
    }
}

impl<F: Real, T: Objective<F> + ?Sized> Objective<F> for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        (**self).value(x)
    }
    fn gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) {
        (**self).gradient(x, grad)
    }
    fn value_and_gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        (**self).value_and_gradient(x, grad)
    }
    fn value_with_scratch(&self, x: ArrayView1<'_, F>, scratch: ArrayViewMut1<'_, F>) -> F {
        (**self).value_with_scratch(x, scratch)
    }
    fn hessian_vector_product(
        &self,
        x: ArrayView1<'_, F>,
        v: ArrayView1<'_, F>,
        hv: ArrayViewMut1<'_, F>,
    ) {
        (**self).hessian_vector_product(x, v, hv)
    }
    fn exact_hessian_vector_product(&self) -> bool {
        (**self).exact_hessian_vector_product()
    }
}

/// A guard against the defaults of [`Objective`] calling each other without end: the default
/// `value_and_gradient` of an object, entered again (through the default `gradient`) before it
/// returns, panics with a message instead of overflowing the stack.
///
/// The object is known by its address and type, kept per thread for the innermost default call
/// only: a default call of another objective made from inside (a composite objective) is not a
/// cycle, and the previous entry comes back when the guard is dropped.
struct DefaultCycle {
    previous: (*const (), &'static str),
}

thread_local! {
    static DEFAULT_CALL: std::cell::Cell<(*const (), &'static str)> =
        const { std::cell::Cell::new((std::ptr::null(), "")) };
}

impl DefaultCycle {
    fn enter<T: ?Sized>(object: &T) -> Self {
        let me = (
            std::ptr::from_ref(object).cast::<()>(),
            std::any::type_name::<T>(),
        );
        let previous = DEFAULT_CALL.with(|c| c.replace(me));
        if previous.0 == me.0 && previous.1 == me.1 {
            DEFAULT_CALL.with(|c| c.set((std::ptr::null(), "")));
            panic!(
                "the Objective implementation of {} overrides neither `value_and_gradient` nor \
                 `gradient`: implement `value_and_gradient`, or both `value` and `gradient` \
                 (their defaults are written in terms of each other)",
                me.1
            );
        }
        DefaultCycle { previous }
    }
}

impl Drop for DefaultCycle {
    fn drop(&mut self) {
        DEFAULT_CALL.with(|c| c.set(self.previous));
    }
}

/// An [`Objective`] made of closures: one for the value and one writing the gradient
/// ([`FnObjective::new`]), or one computing both ([`FnObjective::combined`]).
///
/// ```
/// use gradus::FnObjective;
/// use gradus::Objective;
/// use ndarray::array;
///
/// // f(x, y) = x^2 + 3 y^2
/// let f = FnObjective::new(
///     2,
///     |x| x[0] * x[0] + 3.0 * x[1] * x[1],
///     |x, mut g| { g[0] = 2.0 * x[0]; g[1] = 6.0 * x[1]; },
/// );
/// assert_eq!(f.value(array![1.0, 1.0].view()), 4.0);
/// ```
///
/// It is `Send` and `Sync` when its closures are: it holds nothing else.
pub struct FnObjective<V, G> {
    dim: usize,
    value: V,
    gradient: G,
}

/// The second type parameter of an [`FnObjective`] made by [`FnObjective::combined`], whose
/// one closure computes the value and the gradient together.
#[derive(Debug, Clone, Copy, Default)]
pub struct Combined;

impl<V, G> FnObjective<V, G> {
    /// An objective of `dim` variables with value `value(x)` and gradient `gradient(x, grad)`.
    pub fn new<F>(dim: usize, value: V, gradient: G) -> Self
    where
        F: Real,
        V: Fn(ArrayView1<'_, F>) -> F,
        G: Fn(ArrayView1<'_, F>, ArrayViewMut1<'_, F>),
    {
        FnObjective {
            dim,
            value,
            gradient,
        }
    }
}

impl<C> FnObjective<C, Combined> {
    /// An objective of `dim` variables whose one closure `value_and_gradient(x, grad)` writes
    /// `∇f(x)` into `grad` and returns `f(x)`: the form for computations that give both at once.
    ///
    /// The loop calls the closure alone (see [`Objective`](Objective#what-the-loop-calls-and-when));
    /// where the value alone is asked for, it runs with a gradient buffer that the loop lends
    /// (line searches) or that it allocates (a direct call of [`Objective::value`]). No buffer is
    /// kept inside, so the objective is `Sync` whenever the closure is.
    ///
    /// ```
    /// use gradus::prelude::*;
    /// use ndarray::{ArrayView1, ArrayViewMut1, array};
    ///
    /// // f(x, y) = (x - 1)^2 + 10 (y + 2)^2, the residuals computed once for both.
    /// let f = FnObjective::combined(2, |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
    ///     let (a, b) = (x[0] - 1.0, x[1] + 2.0);
    ///     g[0] = 2.0 * a;
    ///     g[1] = 20.0 * b;
    ///     a * a + 10.0 * b * b
    /// });
    /// let report = Minimizer::new(Lbfgs::default())
    ///     .line_search(StrongWolfe::default())
    ///     .minimize(&f, array![0.0, 0.0].view())?;
    /// assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] + 2.0).abs() < 1e-6);
    /// assert_eq!(f.value(array![1.0, -1.0].view()), 10.0);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn combined<F>(dim: usize, value_and_gradient: C) -> Self
    where
        F: Real,
        C: Fn(ArrayView1<'_, F>, ArrayViewMut1<'_, F>) -> F,
    {
        FnObjective {
            dim,
            value: value_and_gradient,
            gradient: Combined,
        }
    }
}

impl<F, V, G> Objective<F> for FnObjective<V, G>
where
    F: Real,
    V: Fn(ArrayView1<'_, F>) -> F,
    G: Fn(ArrayView1<'_, F>, ArrayViewMut1<'_, F>),
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        (self.value)(x)
    }
    fn gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) {
        (self.gradient)(x, grad)
    }
}

impl<F, C> Objective<F> for FnObjective<C, Combined>
where
    F: Real,
    C: Fn(ArrayView1<'_, F>, ArrayViewMut1<'_, F>) -> F,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) {
        (self.value)(x, grad);
    }
    fn value_and_gradient(&self, x: ArrayView1<'_, F>, grad: ArrayViewMut1<'_, F>) -> F {
        (self.value)(x, grad)
    }
    fn value_with_scratch(&self, x: ArrayView1<'_, F>, scratch: ArrayViewMut1<'_, F>) -> F {
        (self.value)(x, scratch)
    }
}

/// The result of [`check_gradient`]: how far the analytic gradient is from central differences.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck<F> {
    /// Index of the component with the largest relative error.
    pub worst_index: usize,
    /// Analytic derivative at `worst_index`.
    pub analytic: F,
    /// Central-difference estimate at `worst_index`.
    pub numeric: F,
    /// Largest absolute error `|analytic_i - numeric_i|` over all components.
    pub max_abs_error: F,
    /// Largest relative error `|analytic_i - numeric_i| / max(1, |analytic_i|, |numeric_i|)`.
    pub max_rel_error: F,
}

impl<F: Real> GradientCheck<F> {
    /// `true` when the largest relative error is at most `tolerance`.
    pub fn passes(&self, tolerance: F) -> bool {
        self.max_rel_error <= tolerance
    }
}

/// Compares the analytic gradient of `objective` at `x` with central finite differences.
///
/// Component `i` is estimated as `(f(x + h e_i) - f(x - h e_i)) / (2 h)` with
/// `h = ε^{1/3} max(1, |x_i|)`, which balances truncation error `O(h²)` against rounding error
/// `O(ε/h)`; for smooth functions in `f64` expect relative errors around `1e-8` to `1e-10`, and
/// around `1e-3` in `f32`. A wrong analytic gradient shows up as an error of order one.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x` does not have `objective.dim()` entries,
/// [`Error::Empty`] for an empty `x`, [`Error::NonFinite`] for a non-finite `x`.
///
/// ```
/// use gradus::{FnObjective, check_gradient};
/// use ndarray::{ArrayView1, ArrayViewMut1, array};
///
/// let f = FnObjective::new(
///     2,
///     |x: ArrayView1<f64>| x[0].sin() * x[1],
///     |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
///         g[0] = x[0].cos() * x[1];
///         g[1] = x[0].sin();
///     },
/// );
/// let check = check_gradient(&f, array![0.3, -1.2].view()).unwrap();
/// assert!(check.passes(1e-7));
/// ```
pub fn check_gradient<F: Real, O: Objective<F> + ?Sized>(
    objective: &O,
    x: ArrayView1<'_, F>,
) -> Result<GradientCheck<F>> {
    if x.is_empty() {
        return Err(Error::Empty { what: "x" });
    }
    check_len("x vs objective.dim()", objective.dim(), x.len())?;
    check_finite("x", x)?;
    let mut analytic = Array1::zeros(x.len());
    objective.gradient(x, analytic.view_mut());
    let mut probe = x.to_owned();
    let mut scratch = Array1::zeros(x.len());
    let h0 = F::epsilon().cbrt();
    let mut report = GradientCheck {
        worst_index: 0,
        analytic: analytic[0],
        numeric: F::nan(),
        max_abs_error: F::zero(),
        max_rel_error: F::neg_infinity(),
    };
    for i in 0..x.len() {
        let h = h0 * F::one().max(x[i].abs());
        probe[i] = x[i] + h;
        let up = objective.value_with_scratch(probe.view(), scratch.view_mut());
        probe[i] = x[i] - h;
        let down = objective.value_with_scratch(probe.view(), scratch.view_mut());
        probe[i] = x[i];
        // Divide by the step actually taken, which may differ from 2h by rounding.
        let numeric = (up - down) / ((x[i] + h) - (x[i] - h));
        let abs = (analytic[i] - numeric).abs();
        let rel = abs / F::one().max(analytic[i].abs()).max(numeric.abs());
        // A NaN error must win over any number.
        if rel.is_nan() || rel > report.max_rel_error {
            report.worst_index = i;
            report.analytic = analytic[i];
            report.numeric = numeric;
            report.max_rel_error = rel;
        }
        if abs.is_nan() || abs > report.max_abs_error {
            report.max_abs_error = abs;
        }
    }
    Ok(report)
}
