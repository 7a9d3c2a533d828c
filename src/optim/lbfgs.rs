//! Limited-memory BFGS.

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Zip};

use super::config::rule_config;
use super::{Optimizer, check_step};
use crate::Real;
use crate::error::{Domain, Result, check, check_count, check_len};
use crate::linalg::alloc::{too_large, try_from_elem, try_from_fn2};
use crate::linalg::{dot, norm};

rule_config! {
    /// Hyperparameters of [`Lbfgs`].
    pub struct LbfgsConfig<F> {
        /// Step size along the direction when the rule runs without a line search. Default `1`, the
        /// natural step of a quasi-Newton direction.
        pub lr: F = F::one(),
        /// Number `m` of pairs `(s, y)` kept. Default `10`, as SciPy's `maxcor`: Liu and Nocedal
        /// (1989) found `3 <= m <= 7` already competitive and little gain beyond, Nocedal and Wright
        /// recommend `3..20`; `10` sits in both ranges for `2 m n` numbers of memory. (PyTorch's
        /// `history_size = 100` suits stochastic training more than full-batch minimisation.) The
        /// pairs are allocated on the first step, for the length of `x`: a memory whose `2 m n`
        /// values cannot be allocated makes that step fail with
        /// [`Error::InvalidCount`](crate::Error::InvalidCount) naming `memory`.
        pub memory: usize = 10,
        /// Curvature threshold `ε`: a pair is stored only if `s'y > ε |s| |y|`, that is if the
        /// cosine between `s` and `y` exceeds `ε`. Default: machine epsilon, which skips the pairs
        /// whose curvature is not positive to working precision.
        pub curvature_eps: F = F::epsilon(),
    }
}

/// Limited-memory BFGS (Nocedal, 1980; Liu and Nocedal, 1989).
///
/// The rule keeps the `m` most recent pairs
///
/// ```text
/// s_i = x_{i+1} - x_i ,    y_i = ∇f(x_{i+1}) - ∇f(x_i) ,    ρ_i = 1 / (y_i's_i)
/// ```
///
/// and applies to `g = ∇f(x_k)` the BFGS inverse-Hessian approximation `H_k` built from them
/// and from `H⁰ = γ I`, by the two-loop recursion, in `4 m n` operations and without forming a
/// matrix:
///
/// ```text
/// q = g
/// for i = k-1, ..., k-m:   a_i = ρ_i s_i'q ;   q = q - a_i y_i
/// r = γ q ,                γ = s_{k-1}'y_{k-1} / y_{k-1}'y_{k-1}
/// for i = k-m, ..., k-1:   b = ρ_i y_i'r ;     r = r + (a_i - b) s_i
/// d_k = -r = -H_k g
/// ```
///
/// The scaling `γ` (Nocedal and Wright, eq. 7.20) makes the unit step usually acceptable. With
/// no pair stored (the first iteration, or after [`reset`](Optimizer::reset)) the direction is
/// `d = -min(1, 1/|g|) g`, a first step of length at most one, as Liu and Nocedal's code does.
///
/// **Memory update.** The rule keeps the previous iterate and gradient in buffers allocated on
/// the first call. At each call of [`search_direction`](Optimizer::search_direction) (or
/// [`step`](Optimizer::step)) it first forms the pair from them and the new `x`, `g`, and stores
/// it in a circular buffer of `m` slots, overwriting the oldest, only if
/// `s'y > curvature_eps |s| |y|`. Skipping pairs without positive curvature keeps every `H_k`
/// positive definite, so `d_k` is a descent direction; a strong Wolfe line search
/// ([`StrongWolfe`](crate::line_search::StrongWolfe)) guarantees `s'y > 0` on every step, so it
/// is the search to use. Nothing is allocated after the first call.
///
/// **Use.** With a line search the loop moves to `x_k + α_k d_k`. Without one, `step` moves to
/// `x_k + lr d_k` (there is then no guarantee of decrease).
///
/// ```
/// use gradus::{Lbfgs, Minimizer, Termination, line_search::StrongWolfe, problems::Rosenbrock};
/// use ndarray::array;
///
/// let report = Minimizer::new(Lbfgs::default())
///     .line_search(StrongWolfe::default())
///     .gradient_tolerance(1e-8)
///     .minimize(&Rosenbrock::new(2), array![-1.2_f64, 1.0].view())?;
/// assert_eq!(report.termination, Termination::GradientNorm);
/// assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] - 1.0).abs() < 1e-6);
/// assert!(report.iterations < 50);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "LbfgsParts<F>",
        bound(deserialize = "F: serde::Deserialize<'de>")
    )
)]
pub struct Lbfgs<F> {
    config: LbfgsConfig<F>,
    steps: usize,
    state: Option<State<F>>,
}

/// An [`Lbfgs`] as read from a file, before its state is checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct LbfgsParts<F> {
    config: LbfgsConfig<F>,
    steps: usize,
    state: Option<State<F>>,
}

/// A state read from a file must hold together: `m` rows of `n` values in `s` and `y`, `m`
/// values in `ρ` and the scratch, `n` in the vectors, at most `m` pairs stored, the next slot
/// among the `m`. Otherwise the next step would index out of bounds.
#[cfg(feature = "serde")]
impl<F> TryFrom<LbfgsParts<F>> for Lbfgs<F> {
    type Error = crate::Error;

    fn try_from(p: LbfgsParts<F>) -> Result<Self> {
        if let Some(st) = &p.state {
            let (m, n) = st.s.dim();
            let holds = st.y.dim() == (m, n)
                && st.rho.len() == m
                && st.a.len() == m
                && st.g_prev.len() == n
                && st.direction.len() == n
                && st.x_prev.len() == n
                && st.len <= m
                && (st.next < m || m == 0);
            if !holds {
                return Err(crate::Error::Checkpoint {
                    reason: format!(
                        "L-BFGS: the stored pairs do not hold together (s is {m} x {n}, y is \
                         {:?}, {} of them in use); the file was edited or holds another \
                         rule's state",
                        st.y.dim(),
                        st.len
                    ),
                });
            }
        }
        Ok(Lbfgs {
            config: p.config,
            steps: p.steps,
            state: p.state,
        })
    }
}

/// The memory of the rule, allocated once.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct State<F> {
    /// Row `i` holds `s_i`; rows are a circular buffer.
    s: Array2<F>,
    /// Row `i` holds `y_i`.
    y: Array2<F>,
    /// `ρ_i = 1 / (y_i's_i)`.
    rho: Array1<F>,
    /// Scratch for the coefficients `a_i` of the two-loop recursion.
    a: Array1<F>,
    /// Number of stored pairs, at most `m`.
    len: usize,
    /// The slot the next pair is written to.
    next: usize,
    /// `γ = s'y / y'y` of the newest stored pair.
    gamma: F,
    /// The previous iterate and gradient, if any.
    x_prev: Array1<F>,
    g_prev: Array1<F>,
    has_prev: bool,
    /// The direction, for `step`.
    direction: Array1<F>,
}

/// An L-BFGS state as read from a file, before its shapes are checked.
impl<F: Real> State<F> {
    /// The state of `m` pairs for `n` variables.
    ///
    /// # Errors
    /// [`Error::InvalidCount`](crate::Error::InvalidCount) naming `memory` when the `2 m n`
    /// values of the pairs cannot be allocated (reserved before they are filled, so that a huge
    /// `m` is an error, not an aborted process).
    fn new(m: usize, n: usize) -> Result<Self> {
        let pairs = || try_from_fn2((m, n), |_| F::zero()).ok_or_else(|| too_large("memory", m));
        let coefficients = || try_from_elem(m, F::zero()).ok_or_else(|| too_large("memory", m));
        Ok(State {
            s: pairs()?,
            y: pairs()?,
            rho: coefficients()?,
            a: coefficients()?,
            len: 0,
            next: 0,
            gamma: F::one(),
            x_prev: Array1::zeros(n),
            g_prev: Array1::zeros(n),
            has_prev: false,
            direction: Array1::zeros(n),
        })
    }

    fn dim(&self) -> usize {
        self.x_prev.len()
    }

    fn is_fresh(&self) -> bool {
        self.len == 0 && !self.has_prev
    }

    fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
        self.gamma = F::one();
        self.has_prev = false;
    }

    /// Forms the pair from the previous point and `(x, g)`, stores it if its curvature is
    /// positive enough, and remembers `(x, g)`.
    fn update(&mut self, x: ArrayView1<'_, F>, g: ArrayView1<'_, F>, eps: F) {
        if self.has_prev {
            let m = self.rho.len();
            let slot = self.next;
            let mut s = self.s.row_mut(slot);
            let mut y = self.y.row_mut(slot);
            Zip::from(&mut s)
                .and(&mut y)
                .and(x)
                .and(g)
                .and(&self.x_prev)
                .and(&self.g_prev)
                .for_each(|s, y, &x, &g, &xp, &gp| {
                    *s = x - xp;
                    *y = g - gp;
                });
            let sy = dot(s.view(), y.view());
            let yy = dot(y.view(), y.view());
            let bound = eps * norm(s.view()) * yy.sqrt();
            if sy > bound && sy.is_finite() && yy.is_finite() {
                self.rho[slot] = F::one() / sy;
                self.gamma = sy / yy;
                self.next = (slot + 1) % m;
                self.len = (self.len + 1).min(m);
            }
        }
        self.x_prev.assign(&x);
        self.g_prev.assign(&g);
        self.has_prev = true;
    }

    /// Writes `d = -H g` into `direction` by the two-loop recursion.
    fn two_loop(&mut self, g: ArrayView1<'_, F>, mut direction: ArrayViewMut1<'_, F>) {
        let m = self.rho.len();
        direction.assign(&g);
        if self.len == 0 {
            let scale = F::one().min(F::one() / norm(g));
            direction.mapv_inplace(|q| -scale * q);
            return;
        }
        // Newest to oldest.
        for k in 0..self.len {
            let i = (self.next + m - 1 - k) % m;
            let a = self.rho[i] * dot(self.s.row(i), direction.view());
            self.a[i] = a;
            Zip::from(&mut direction)
                .and(self.y.row(i))
                .for_each(|q, &y| *q -= a * y);
        }
        let gamma = self.gamma;
        direction.mapv_inplace(|q| gamma * q);
        // Oldest to newest.
        for k in (0..self.len).rev() {
            let i = (self.next + m - 1 - k) % m;
            let b = self.rho[i] * dot(self.y.row(i), direction.view());
            let c = self.a[i] - b;
            Zip::from(&mut direction)
                .and(self.s.row(i))
                .for_each(|r, &s| *r += c * s);
        }
        direction.mapv_inplace(|r| -r);
    }
}

impl<F: Real> Lbfgs<F> {
    /// L-BFGS with the given hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `curvature_eps`, or a `memory` of zero.
    pub fn new(config: LbfgsConfig<F>) -> Result<Self> {
        check("lr", config.lr, Domain::NonNegative)?;
        check("curvature_eps", config.curvature_eps, Domain::NonNegative)?;
        check_count("memory", config.memory, 1)?;
        Ok(Lbfgs {
            config,
            steps: 0,
            state: None,
        })
    }

    /// L-BFGS keeping `memory` pairs, other hyperparameters at their defaults.
    ///
    /// # Errors
    /// As [`new`](Lbfgs::new).
    pub fn with_memory(memory: usize) -> Result<Self> {
        Self::new(LbfgsConfig {
            memory,
            ..Default::default()
        })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &LbfgsConfig<F> {
        &self.config
    }

    /// Number of pairs `(s, y)` currently stored (at most `memory`).
    pub fn stored_pairs(&self) -> usize {
        self.state.as_ref().map_or(0, |s| s.len)
    }

    /// The state for `n` variables, allocated on first use (or after a reset, for a new size).
    fn state_for(&mut self, n: usize) -> Result<&mut State<F>> {
        let m = self.config.memory;
        match &mut self.state {
            Some(st) if st.dim() == n => {}
            Some(st) if !st.is_fresh() => {
                check_len(
                    "x vs the optimizer state (call reset() to change size)",
                    st.dim(),
                    n,
                )?;
            }
            slot => *slot = Some(State::new(m, n)?),
        }
        Ok(self.state.as_mut().expect("allocated above"))
    }
}

impl<F: Real> Default for Lbfgs<F> {
    fn default() -> Self {
        Lbfgs {
            config: LbfgsConfig::default(),
            steps: 0,
            state: None,
        }
    }
}

impl<F: Real> Optimizer<F> for Lbfgs<F> {
    fn name(&self) -> &'static str {
        "L-BFGS"
    }

    fn default_lr(&self) -> F {
        self.config.lr
    }

    fn step(&mut self, mut x: ArrayViewMut1<'_, F>, grad: ArrayView1<'_, F>, lr: F) -> Result<()> {
        check_step(x.len(), grad.len(), lr, None)?;
        let eps = self.config.curvature_eps;
        let st = self.state_for(x.len())?;
        st.update(x.view(), grad, eps);
        let mut direction = std::mem::take(&mut st.direction);
        st.two_loop(grad, direction.view_mut());
        Zip::from(&mut x)
            .and(&direction)
            .for_each(|x, &d| *x += lr * d);
        st.direction = direction;
        self.steps += 1;
        Ok(())
    }

    fn reset(&mut self) {
        self.steps = 0;
        if let Some(st) = self.state.as_mut() {
            st.clear();
        }
    }

    fn steps_taken(&self) -> usize {
        self.steps
    }

    fn has_search_direction(&self) -> bool {
        true
    }

    fn search_direction(
        &mut self,
        x: ArrayView1<'_, F>,
        grad: ArrayView1<'_, F>,
        direction: ArrayViewMut1<'_, F>,
    ) -> Result<()> {
        check_len("gradient vs x", x.len(), grad.len())?;
        check_len("direction vs x", x.len(), direction.len())?;
        let eps = self.config.curvature_eps;
        let st = self.state_for(x.len())?;
        st.update(x, grad, eps);
        st.two_loop(grad, direction);
        self.steps += 1;
        Ok(())
    }
}
