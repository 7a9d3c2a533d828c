//! SM3: AdaGrad with one accumulator per row and per column (per index of each dimension).

use super::config::rule_config;
use super::shaped::{Shaped, ShapedRule, numel, zeros};
use crate::Real;
use crate::error::{Domain, Result, check};

rule_config! {
    /// Hyperparameters of [`Sm3`] (the arguments of `optax.sm3`, and those of
    /// `optax.scale_by_sm3` it leaves at their defaults).
    pub struct Sm3Config<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-2`, PyTorch's AdaGrad's.
        pub lr: F = F::lit(1e-2),
        /// Decay rate `β₁` of the update's moving average, in `[0, 1)` (optax's `momentum`,
        /// `scale_by_sm3`'s `b1`). Default `0.9`.
        pub momentum: F = F::lit(0.9),
        /// Decay rate `β₂` of the accumulators, in `(0, 1]`: `1` adds the squared gradients
        /// (AdaGrad's sums, the paper's SM3-II), below `1` keeps a moving average
        /// (`scale_by_sm3`'s `b2`). Default `1`.
        pub b2: F = F::one(),
        /// Term `ε >= 0` added to an accumulator under the root. Default `1e-8`.
        pub eps: F = F::lit(1e-8),
    }
}

/// SM3 (Anil, Gupta, Koren & Singer, 2019): AdaGrad whose per-coordinate sums of squared
/// gradients are replaced by one accumulator per index of each dimension of a tensor (per row
/// and per column of a matrix), each coordinate taking the smallest of its covers.
///
/// This is `optax.sm3` (optax 0.2.8): `scale_by_sm3(b1 = momentum, b2 = 1, eps = 1e-8)` then the
/// step size. At step `t` (from 1) of a tensor of `d >= 2` dimensions, for every index
/// `i = (i₁, …, i_d)`, with `μ_{k}` the accumulator of dimension `k` (one value per index of
/// that dimension), `μ_{k,0} = 0`, `m_0 = 0`:
///
/// ```text
/// ν_t(i) = c g_t(i)² + β₂ min_k μ_{k,t-1}(i_k)         c = 1 if β₂ = 1, 1 - β₂ otherwise
/// u_t(i) = g_t(i) / √(ν_t(i) + ε)   if ν_t(i) > 0,      0 otherwise
/// m_t(i) = β₁ m_{t-1}(i) + (1 - β₁) u_t(i)
/// x_t(i) = x_{t-1}(i) - γ m_t(i)
/// μ_{k,t}(j) = max { ν_t(i) : i_k = j }
/// ```
///
/// A vector has one accumulator per coordinate, `μ_t = ν_t`: with `β₂ = 1` it is AdaGrad's sum
/// of squared gradients, and the update elementwise. A scalar is a vector of one value (optax
/// refuses scalars). So a matrix of `n × m` values keeps `n + m` accumulators (and the moving
/// average `m_t` of one value per coordinate, which `momentum = 0` does not remove, as in
/// optax). Each `ν_t(i)` bounds from above the sum of the squared gradients of coordinate `i`,
/// which gives SM3 AdaGrad's regret bound.
///
/// A gradient of zeros from a fresh state moves nothing (`0/0 = 0`); after non-zero ones the
/// moving average still moves `x`. A gradient component beyond about `√MAX` overflows the
/// accumulators, which is reported as [`Error::NonFiniteState`](crate::Error::NonFiniteState)
/// after the step.
///
/// Defaults: `lr = 1e-2` (optax has no default), `momentum = 0.9`, `b2 = 1`, `eps = 1e-8`.
///
/// References: R. Anil, V. Gupta, T. Koren, Y. Singer, "Memory-efficient adaptive
/// optimization", NeurIPS 2019 (arXiv 1901.11150); the reference library is optax
/// (`optax.sm3`).
///
/// ```
/// use gradus::{Optimizer, Sm3};
/// use ndarray::array;
///
/// // The first step of a vector: ν = g², u = g/√(g² + ε), m = (1 - β₁) u.
/// let mut sm3 = Sm3::default();
/// let mut x = array![1.0_f64, 1.0];
/// sm3.step(x.view_mut(), array![3.0, -0.5].view(), 0.1)?;
/// assert!((x[0] - 0.99).abs() < 1e-8 && (x[1] - 1.01).abs() < 1e-8);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Sm3<F> = Shaped<Sm3Config<F>>;

/// The state of [`Sm3`] for one tensor.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sm3State<F> {
    /// The accumulators `μ_k` of every dimension end to end (one per coordinate for a vector).
    accumulators: Vec<F>,
    /// `m_t`, the moving average of the updates, one value per coordinate.
    nu: Vec<F>,
    /// The accumulators of the step being taken (scratch, refilled at every step).
    #[cfg_attr(feature = "serde", serde(skip))]
    next: Vec<F>,
    /// The index of the current row of the tensor's leading dimensions (scratch).
    #[cfg_attr(feature = "serde", serde(skip))]
    index: Vec<usize>,
}

impl<F: Real> ShapedRule for Sm3Config<F> {
    type Float = F;
    type State = Sm3State<F>;

    fn name(&self) -> &'static str {
        "SM3"
    }

    fn lr(&self) -> F {
        self.lr
    }

    fn set_lr(&mut self, lr: F) {
        self.lr = lr;
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `eps`, a `momentum` outside `[0, 1)`, or a `b2` outside `(0, 1]`.
    fn validate(&self) -> Result<()> {
        check("lr", self.lr, Domain::NonNegative)?;
        check("momentum", self.momentum, Domain::UnitInterval)?;
        check("b2", self.b2, Domain::DecayFactor)?;
        check("eps", self.eps, Domain::NonNegative)
    }

    fn start(&self, state: &mut Sm3State<F>, shape: &[usize]) {
        let n = numel(shape);
        let covers = if shape.len() < 2 {
            n
        } else {
            shape.iter().sum()
        };
        zeros(&mut state.accumulators, covers);
        zeros(&mut state.nu, n);
        if shape.len() >= 2 {
            zeros(&mut state.next, covers);
            state.index.clear();
            state.index.resize(shape.len() - 1, 0);
        } else {
            state.next.clear();
            state.index.clear();
        }
    }

    fn fits(&self, state: &Sm3State<F>, shape: &[usize]) -> bool {
        let n = numel(shape);
        let covers = if shape.len() < 2 {
            n
        } else {
            shape.iter().sum()
        };
        state.accumulators.len() == covers && state.nu.len() == n
    }

    fn update(
        &self,
        state: &mut Sm3State<F>,
        _t: usize,
        shape: &[usize],
        x: &mut [F],
        grad: &[F],
        lr: F,
    ) -> bool {
        let (b1, b2, eps) = (self.momentum, self.b2, self.eps);
        let one_minus_b1 = F::one() - b1;
        let c = if b2 == F::one() { F::one() } else { F::one() - b2 };
        let scaled = |g: F, nu: F| {
            if nu > F::zero() {
                g * (F::one() / (nu + eps).sqrt())
            } else {
                F::zero()
            }
        };
        if shape.len() < 2 {
            let mut finite = true;
            for (((x, &g), acc), m) in x
                .iter_mut()
                .zip(grad)
                .zip(&mut state.accumulators)
                .zip(&mut state.nu)
            {
                let nu = c * (g * g) + b2 * *acc;
                *acc = nu;
                finite &= nu.is_finite();
                *m = one_minus_b1 * scaled(g, nu) + b1 * *m;
                *x -= lr * *m;
            }
            return finite;
        }
        // The accumulators of dimension k start at offsets[k] = shape[0] + … + shape[k-1]; the
        // last dimension's are read along each row, the others' are constant along it.
        let d = shape.len();
        let cols = shape[d - 1];
        let last = state.accumulators.len() - cols;
        if state.next.len() != state.accumulators.len() || state.index.len() != d - 1 {
            zeros(&mut state.next, state.accumulators.len());
            state.index.clear();
            state.index.resize(d - 1, 0);
        }
        state.next.fill(F::zero());
        state.index.fill(0);
        let Sm3State {
            accumulators,
            nu: moments,
            next,
            index,
        } = state;
        let mut finite = true;
        for ((x, g), m) in x
            .chunks_exact_mut(cols)
            .zip(grad.chunks_exact(cols))
            .zip(moments.chunks_exact_mut(cols))
        {
            // The smallest accumulator of the leading dimensions' covers of this row.
            let mut offset = 0;
            let mut row_min = F::infinity();
            for (k, &i) in index.iter().enumerate() {
                row_min = row_min.min(accumulators[offset + i]);
                offset += shape[k];
            }
            let mut row_max = F::zero();
            for (((x, &g), m), (&acc, nxt)) in x
                .iter_mut()
                .zip(g)
                .zip(m.iter_mut())
                .zip(accumulators[last..].iter().zip(&mut next[last..]))
            {
                let nu = c * (g * g) + b2 * row_min.min(acc);
                finite &= nu.is_finite();
                *nxt = nxt.max(nu);
                row_max = row_max.max(nu);
                *m = one_minus_b1 * scaled(g, nu) + b1 * *m;
                *x -= lr * *m;
            }
            let mut offset = 0;
            for (k, &i) in index.iter().enumerate() {
                let cover = &mut next[offset + i];
                *cover = cover.max(row_max);
                offset += shape[k];
            }
            // The next row's index in the leading dimensions, the last of them fastest.
            for k in (0..d - 1).rev() {
                index[k] += 1;
                if index[k] < shape[k] {
                    break;
                }
                index[k] = 0;
            }
        }
        accumulators.copy_from_slice(next);
        finite
    }
}
