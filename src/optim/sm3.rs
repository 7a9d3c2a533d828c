//! SM3: AdaGrad with one accumulator per row and per column (per index of each dimension).

use super::config::rule_config;
use super::shaped::{Shaped, ShapedRule, numel, zeros};
use crate::Real;
use crate::error::Result;

rule_config! {
    /// Hyperparameters of [`Sm3`] (the arguments of `optax.sm3`, and those of
    /// `optax.scale_by_sm3` it leaves at their defaults).
    pub struct Sm3Config<F> {
        /// Step size `γ` used when the loop sets none (optax's `learning_rate`, which optax
        /// requires). Default `1e-2`, PyTorch's AdaGrad's.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// Decay rate `β₁` of the update's moving average, in `[0, 1)` (optax's `momentum`,
        /// `scale_by_sm3`'s `b1`). Default `0.9`.
        pub momentum: F = F::lit(0.9) => UnitInterval,
        /// Decay rate `β₂` of the accumulators, in `(0, 1]`: `1` adds the squared gradients
        /// (AdaGrad's sums, the paper's SM3-II), below `1` keeps a moving average
        /// (`scale_by_sm3`'s `b2`). Default `1`.
        pub b2: F = F::one() => DecayFactor,
        /// Term `ε >= 0` added to an accumulator under the root. Default `1e-8`.
        pub eps: F = F::lit(1e-8) => NonNegative,
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
        self.check_domains()
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
        let c = if b2 == F::one() {
            F::one()
        } else {
            F::one() - b2
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::shaped::testing::assert_tensor_iterates;
    use crate::optim::tests::*;
    use ndarray::array;

    const X0: [f64; 6] = [1.0, -2.0, 0.5, 0.3, 0.0, -1.5];

    /// Gradients of a 2 × 3 matrix; the last row of the third is zero.
    fn config(b2: f64, eps: f64) -> Sm3Config<f64> {
        Sm3Config {
            lr: 0.05,
            momentum: 0.8,
            b2,
            eps,
        }
    }

    #[test]
    fn sm3_matches_optax_on_a_vector_and_a_matrix() {
        // optax 0.2.8: chain(scale_by_sm3(b1=0.8, ...), scale(-0.05)), float64 (and float32 for
        // the vector); optax.sm3(0.05, momentum=0.8) gives the same matrix iterates.
        let grads: [&[f64]; 4] = [
            &[0.5, -2.0, 0.0],
            &[-0.3, 0.1, 0.0],
            &[0.2, 0.05, 0.7],
            &[0.4, -1.0, -0.2],
        ];
        let vector: [&[f64]; 4] = [
            &[0.9900000002, -1.9900000000125, 0.5],
            &[0.9871449578386141, -1.9824993761913163, 0.5],
            &[0.98161649556958, -1.9767484874222079, 0.4900000001020408],
            &[0.9717504152652355, -1.967681220166541, 0.48474721143673016],
        ];
        let x0 = [1.0, -2.0, 0.5];
        assert_tensor_iterates(&config(1.0, 1e-8), &[3], 0.05, &x0, &grads, &vector, 1e-12);
        let single = Sm3Config::<f32> {
            lr: 0.05,
            momentum: 0.8,
            ..Default::default()
        };
        assert_tensor_iterates(&single, &[3], 0.05, &x0, &grads, &vector, 1e-6);
        let matrix: [&[f64]; 3] = [
            &[
                0.9900000002,
                -1.9900000000125,
                0.4900000005555555,
                0.29000000005,
                -0.009999995000003746,
                -1.4900000001020408,
            ],
            &[
                0.9848734792024824,
                -1.9824993761913163,
                0.4820000009999999,
                0.2800388387480468,
                -0.027284757902456047,
                -1.4738076810059741,
            ],
            &[
                0.9788908206760261,
                -1.9767484874222079,
                0.4706253179864868,
                0.27206990970648426,
                -0.04111256822441789,
                -1.4608538257291208,
            ],
        ];
        assert_tensor_iterates(
            &config(1.0, 1e-8),
            &[2, 3],
            0.05,
            &X0,
            &MATRIX_GRADS,
            &matrix,
            1e-12,
        );
        let averaged: [&[f64]; 3] = [
            &[
                0.9689913163526979,
                -1.9684166779072567,
                0.47000000000000003,
                0.26853416122362234,
                -0.022360679774997894,
                -1.468695048315003,
            ],
            &[
                0.9536712024153613,
                -1.9448120764713483,
                0.446,
                0.23687263335728972,
                -0.0697941897979378,
                -1.417398851329871,
            ],
            &[
                0.934895297599104,
                -1.92680390572981,
                0.41028661578596826,
                0.21154341106422364,
                -0.10774099781628974,
                -1.3763618937417654,
            ],
        ];
        assert_tensor_iterates(
            &config(0.9, 1e-3),
            &[2, 3],
            0.05,
            &X0,
            &MATRIX_GRADS,
            &averaged,
            1e-12,
        );
    }

    #[test]
    fn sm3_matches_optax_on_three_dimensions() {
        let x0 = [1.0, -2.0, 0.5, 0.3, 0.0, -1.5, 2.0, 1.0];
        let grads: [&[f64]; 2] = [
            &[0.5, -2.0, 0.3, 1.0, 0.1, -0.7, -0.3, 0.1],
            &[0.2, 2.5, -1.0, 0.2, 0.05, 0.7, 0.4, -1.0],
        ];
        let expected: [&[f64]; 2] = [
            &[
                0.9900000002,
                -1.9900000000125,
                0.4900000005555555,
                0.29000000005,
                -0.009999995000003746,
                -1.4900000001020408,
                2.0099999994444446,
                0.9900000049999963,
            ],
            &[
                0.9782860936604918,
                -1.9898086881131212,
                0.49094427287422193,
                0.2800388387480468,
                -0.018995028170513024,
                -1.489071067959462,
                2.0117530486006383,
                0.9901923281776926,
            ],
        ];
        let c = config(1.0, 1e-8);
        assert_tensor_iterates(&c, &[2, 2, 2], 0.05, &x0, &grads, &expected, 1e-12);
    }

    #[test]
    fn a_matrix_matches_the_covers_written_out_by_hand() {
        // Rows r and columns c: ν_ij = g_ij² + min(r_i, c_j), then r_i = max_j ν_ij and
        // c_j = max_i ν_ij; u = g/√(ν + ε), m = β₁ m + (1 - β₁) u, x -= γ m.
        let (lr, b1, eps) = (0.05, 0.8, 1e-8);
        let (mut r, mut c, mut m) = ([0.0_f64; 2], [0.0_f64; 3], [0.0; 6]);
        let mut hand = X0;
        let mut expected = Vec::new();
        for g in MATRIX_GRADS {
            let mut nu = [0.0; 6];
            for i in 0..2 {
                for j in 0..3 {
                    nu[i * 3 + j] = g[i * 3 + j].powi(2) + r[i].min(c[j]);
                }
            }
            for k in 0..6 {
                let u = if nu[k] > 0.0 {
                    g[k] / (nu[k] + eps).sqrt()
                } else {
                    0.0
                };
                m[k] = b1 * m[k] + (1.0 - b1) * u;
                hand[k] -= lr * m[k];
            }
            for i in 0..2 {
                r[i] = (0..3).map(|j| nu[i * 3 + j]).fold(0.0, f64::max);
            }
            for j in 0..3 {
                c[j] = (0..2).map(|i| nu[i * 3 + j]).fold(0.0, f64::max);
            }
            expected.push(hand);
        }
        let expected: Vec<&[f64]> = expected.iter().map(|e| &e[..]).collect();
        assert_tensor_iterates(
            &config(1.0, eps),
            &[2, 3],
            lr,
            &X0,
            &MATRIX_GRADS,
            &expected,
            1e-14,
        );
        let mut state = Sm3State::default();
        config(1.0, eps).start(&mut state, &[2, 3]);
        assert_eq!((state.accumulators.len(), state.nu.len()), (5, 6));
    }

    #[test]
    fn zero_gradients_from_a_fresh_state_leave_x_unchanged_and_the_average_moves_it_later() {
        let mut rule = Sm3::<f64>::default();
        let mut x = array![1.5, -2.0, 0.0];
        rule.step(x.view_mut(), array![0.0, 0.0, 0.0].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![1.5, -2.0, 0.0]);
        rule.step(x.view_mut(), array![1.0, 0.0, 0.0].view(), 0.1)
            .unwrap();
        let after = x.clone();
        rule.step(x.view_mut(), array![0.0, 0.0, 0.0].view(), 0.1)
            .unwrap();
        assert!(x[0] < after[0] && x[1] == after[1]);
    }

    #[test]
    fn a_huge_gradient_overflows_the_accumulators_and_is_reported() {
        let config = Sm3Config::<f64>::default();
        let mut state = Sm3State::default();
        config.start(&mut state, &[2, 2]);
        let mut x = [1.0; 4];
        assert!(!config.update(&mut state, 1, &[2, 2], &mut x, &[1e200, 1.0, 1.0, 1.0], 0.1));
    }

    #[test]
    fn invalid_hyperparameters_are_rejected() {
        assert_rejects_fields!(Sm3::<f64>::new, {
            lr: [-1.0],
            momentum: [1.0],
            b2: [0.0, 1.5],
            eps: [-1e-8],
        });
        assert_eq!(Sm3::<f64>::default().name(), "SM3");
    }
}
