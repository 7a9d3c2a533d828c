//! Muon: momentum orthogonalized by Newton-Schulz iterations, for matrices; AdamW for the other
//! tensors.

use ndarray::{ArrayView1, ArrayViewMut1};

use super::adam::{AdamConfig, AdamState};
use super::config::rule_config;
use super::kernel::widest_simd;
use super::rule::ElementwiseRule;
use super::shaped::{Shaped, ShapedRule, lerp, zeros};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};
use crate::linalg::{axpy_slices, dot_slices, norm_of};

/// How [`Muon`] scales the step size of a matrix of `A × B` values (PyTorch's `adjust_lr_fn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AdjustLr {
    /// `γ √max(1, A/B)`, Keller Jordan's original implementation (PyTorch's `None` and
    /// `"original"`). The default.
    #[default]
    Original,
    /// `0.2 γ √max(A, B)`, which gives the update the root mean square of AdamW's, so that
    /// AdamW's step size and weight decay carry over (Moonshot's; PyTorch's
    /// `"match_rms_adamw"`).
    MatchRmsAdamW,
    /// `γ √(A/B)`, the original without its floor at 1: the scaling of the update's spectral
    /// norm Bernstein derives (PyTorch's `"spectral_unclamped"`).
    SpectralUnclamped,
}

rule_config! {
    /// Hyperparameters of [`Muon`] (PyTorch's `Muon` arguments and defaults), and of the AdamW
    /// that updates the tensors that are not matrices.
    pub struct MuonConfig<F> {
        /// Step size `γ` of the matrices, used when the loop sets none. Default `1e-3`.
        pub lr: F = F::lit(1e-3) => NonNegative,
        /// Decoupled weight decay `λ` of the matrices: `X` shrinks by `1 - γλ` at every step.
        /// Default `0.1`.
        pub weight_decay: F = F::lit(0.1) => NonNegative,
        /// Momentum `μ`, in `[0, 1)` (PyTorch accepts any `μ >= 0`). Default `0.95`.
        pub momentum: F = F::lit(0.95) => UnitInterval,
        /// Orthogonalize the Nesterov look-ahead `(1 - μ) G + μ B` instead of the momentum `B`.
        /// Default `true`.
        pub nesterov: bool = true,
        /// Coefficients `(a, b, c)` of the quintic Newton-Schulz iteration, finite. Default
        /// `(3.4445, -4.7750, 2.0315)`.
        pub ns_coefficients: (F, F, F) = (F::lit(3.4445), F::lit(-4.7750), F::lit(2.0315)),
        /// Lower bound `ε > 0` of the norm the momentum is divided by. Default `1e-7`.
        pub eps: F = F::lit(1e-7) => Positive,
        /// Number `k` of Newton-Schulz iterations, below 100 (as PyTorch requires). Default `5`.
        pub ns_steps: usize = 5,
        /// How the step size of a matrix depends on its shape. Default
        /// [`AdjustLr::Original`].
        pub adjust_lr_fn: AdjustLr = AdjustLr::Original,
        /// The rule of every tensor that is not a matrix (vectors such as biases and gains,
        /// scalars, tensors of three dimensions or more), with its own step size `lr`: PyTorch
        /// leaves them to "a standard method such as AdamW", optax's `muon` to its Adam
        /// parameters. Default `AdamConfig::adamw()`, PyTorch's `AdamW` defaults.
        pub adamw: AdamConfig<F> = AdamConfig::adamw(),
    }
}

/// Muon (Jordan et al., 2024): SGD with Nesterov momentum whose update of a weight matrix is
/// replaced by the nearest semi-orthogonal matrix, approximated by a few Newton-Schulz
/// iterations; the other tensors are updated by AdamW.
///
/// This is `torch.optim.Muon` (PyTorch 2.15) for matrices. At step `t` (from 1) of a matrix
/// `X` of `A × B` values with gradient `G`:
///
/// ```text
/// B_t = μ B_{t-1} + (1 - μ) G                                    B_0 = 0
/// M_t = (1 - μ) G + μ B_t   (nesterov)          M_t = B_t   (otherwise)
/// Y_0 = M_t / max(‖M_t‖_F, ε)       (transposed first when A > B, and back after)
/// Y_{k+1} = a Y_k + (b Y_k Y_kᵀ + c (Y_k Y_kᵀ)²) Y_k              k = 0 … ns_steps - 1
/// X_t = (1 - γλ) X_{t-1} - γ' Y_{ns_steps}
/// γ' = γ √max(1, A/B)   (AdjustLr::Original)     γ' = 0.2 γ √max(A, B)   (MatchRmsAdamW)
/// γ' = γ √(A/B)          (SpectralUnclamped)
/// ```
///
/// The Newton-Schulz map `y ↦ a y + b y³ + c y⁵` acts on the singular values of `Y_0`, all in
/// `[0, 1]` after the division by the Frobenius norm: its coefficients are chosen for the
/// steepest slope at zero, so that five iterations bring every singular value not too close to
/// zero into about `[0.7, 1.2]`, and the update is close to `U Vᵀ` for `M = U Σ Vᵀ` without an
/// SVD. The products are computed on the smaller side (`Y Yᵀ` is `min(A, B)` square) in
/// buffers of the state, allocated on the first step.
///
/// **Other tensors.** PyTorch's `Muon` takes matrices only, and its documentation leaves
/// biases, gains and embeddings to "a standard method such as AdamW"; optax's `muon` runs Adam
/// on them. Here every tensor that does not have two dimensions is updated by the rule
/// [`adamw`](MuonConfig::adamw) (PyTorch's `AdamW` at its defaults unless set), with that
/// configuration's step size. So [`Muon`] on one vector is AdamW, bit for bit, and its
/// [`default_lr`](crate::Optimizer::default_lr) is AdamW's; the matrices of a model are
/// orthogonalized in a [`ShapedParameterSet`](crate::params::ShapedParameterSet).
///
/// As in PyTorch the momentum buffer is a moving average (`lerp`), not the paper's sum, and the
/// weight decay uses the unadjusted `γ`. PyTorch runs the iteration in bfloat16; here it runs in
/// `F`, so that the iterates are reproducible to the bit and agree with PyTorch's to bfloat16's
/// precision only. A zero gradient after non-zero ones still moves `X` (the momentum); from a
/// fresh state it moves it by the weight decay only.
///
/// Defaults: `lr = 1e-3`, `weight_decay = 0.1`, `momentum = 0.95`, `nesterov = true`,
/// `ns_coefficients = (3.4445, -4.7750, 2.0315)`, `eps = 1e-7`, `ns_steps = 5`,
/// `adjust_lr_fn = Original`, `adamw = AdamConfig::adamw()`.
///
/// References: K. Jordan, Y. Jin, V. Boza, J. You, F. Cesista, L. Newhouse, J. Bernstein,
/// "Muon: An optimizer for hidden layers in neural networks", 2024 (blog post); J. Bernstein,
/// L. Newhouse, "Old optimizer, new norm: an anthology", 2024 (arXiv 2409.20325), on
/// Newton-Schulz orthogonalization; J. Liu et al., "Muon is scalable for LLM training", 2025
/// (arXiv 2502.16982), for `MatchRmsAdamW`. The reference library is PyTorch
/// (`torch.optim.Muon`).
///
/// ```
/// use gradus::optim::MuonConfig;
/// use gradus::params::ShapedParameterSet;
/// use ndarray::{Array1, Array2};
///
/// // A layer's weights (Muon) and bias (AdamW), in one set.
/// let (mut w, mut b) = (Array2::<f64>::zeros((4, 3)), Array1::<f64>::zeros(4));
/// let gw = Array2::from_shape_fn((4, 3), |(i, j)| (i as f64 - 1.5) * (j as f64 + 1.0));
/// let gb = Array1::from_elem(4, 0.5);
/// let mut muon = ShapedParameterSet::new(MuonConfig { lr: 0.02, ..Default::default() })?;
/// muon.step(
///     &mut [w.view_mut().into_dyn(), b.view_mut().into_dyn()],
///     &[gw.view().into_dyn(), gb.view().into_dyn()],
/// )?;
/// // The bias took AdamW's first step, lr against the gradient's sign.
/// assert!(b.iter().all(|&v| (v + 1e-3).abs() < 1e-9));
/// // The weights moved against the gradient: a descent direction.
/// assert!((&w * &gw).sum() < 0.0);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Muon<F> = Shaped<MuonConfig<F>>;

/// The state of [`Muon`] for one tensor.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MuonState<F> {
    /// `B_t`, the momentum of a matrix (empty for other tensors).
    momentum_buffer: Vec<F>,
    /// AdamW's state, for a tensor that is not a matrix (empty buffers for a matrix).
    adamw: AdamState<F>,
    /// The buffers of the Newton-Schulz iteration (refilled at every step).
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: NewtonSchulz<F>,
}

/// The buffers of the Newton-Schulz iteration of a `p × q` matrix, `p <= q`: the iterate and
/// the next one (`p × q`), the Gram matrix `Y Yᵀ` and the polynomial in it (`p × p`).
#[derive(Debug, Clone, Default)]
struct NewtonSchulz<F> {
    y: Vec<F>,
    next: Vec<F>,
    gram: Vec<F>,
    poly: Vec<F>,
}

impl<F: Real> NewtonSchulz<F> {
    /// Sizes the buffers for a `p × q` iterate (allocating only if their sizes differ).
    fn size(&mut self, p: usize, q: usize) {
        for (buffer, n) in [
            (&mut self.y, p * q),
            (&mut self.next, p * q),
            (&mut self.gram, p * p),
            (&mut self.poly, p * p),
        ] {
            if buffer.len() != n {
                zeros(buffer, n);
            }
        }
    }

    /// Runs `steps` iterations `Y ← a Y + (b Y Yᵀ + c (Y Yᵀ)²) Y` on the `p × q` iterate in
    /// `y`, row-major; the result is left in `y`. Compiled for the widest SIMD instructions the
    /// processor has, as the elementwise kernel is: the same arithmetic in the same order, so the
    /// same bits on every machine.
    fn iterate(&mut self, p: usize, q: usize, coefficients: (F, F, F), steps: usize) {
        widest_simd(
            #[inline(always)]
            || self.iterate_here(p, q, coefficients, steps),
        )
    }

    /// [`iterate`](Self::iterate), inlined into the SIMD copy that calls it.
    #[inline(always)]
    fn iterate_here(&mut self, p: usize, q: usize, (a, b, c): (F, F, F), steps: usize) {
        for _ in 0..steps {
            let NewtonSchulz {
                y,
                next,
                gram,
                poly,
            } = self;
            // The Gram matrix Y Yᵀ, symmetric: each product once.
            for i in 0..p {
                let yi = &y[i * q..(i + 1) * q];
                for j in i..p {
                    let d = dot_slices(yi, &y[j * q..(j + 1) * q]);
                    gram[i * p + j] = d;
                    gram[j * p + i] = d;
                }
            }
            // b G + c G², row by row.
            for i in 0..p {
                let row = &mut poly[i * p..(i + 1) * p];
                row.fill(F::zero());
                for l in 0..p {
                    axpy_slices(gram[i * p + l], &gram[l * p..(l + 1) * p], row);
                }
                for (r, &g) in row.iter_mut().zip(&gram[i * p..(i + 1) * p]) {
                    *r = b * g + c * *r;
                }
            }
            // a Y + (b G + c G²) Y, row by row.
            for i in 0..p {
                let row = &mut next[i * q..(i + 1) * q];
                row.fill(F::zero());
                for l in 0..p {
                    axpy_slices(poly[i * p + l], &y[l * q..(l + 1) * q], row);
                }
                for (r, &v) in row.iter_mut().zip(&y[i * q..(i + 1) * q]) {
                    *r = a * v + *r;
                }
            }
            std::mem::swap(y, next);
        }
    }
}

impl<F: Real> MuonConfig<F> {
    /// The step size `γ'` of a matrix of `rows × cols` values, computed in `f64`.
    fn adjusted_lr(&self, lr: F, rows: usize, cols: usize) -> F {
        let (a, b) = (rows as f64, cols as f64);
        let ratio = match self.adjust_lr_fn {
            AdjustLr::Original => (a / b).max(1.0).sqrt(),
            AdjustLr::MatchRmsAdamW => 0.2 * a.max(b).sqrt(),
            AdjustLr::SpectralUnclamped => (a / b).sqrt(),
        };
        F::lit(lr.as_f64() * ratio)
    }

    /// One step of a matrix of `rows × cols` values.
    #[allow(clippy::too_many_arguments)]
    fn update_matrix(
        &self,
        state: &mut MuonState<F>,
        rows: usize,
        cols: usize,
        x: &mut [F],
        grad: &[F],
        lr: F,
    ) {
        let mu = self.momentum;
        let one_minus_mu = F::one() - mu;
        let (p, q) = (rows.min(cols), rows.max(cols));
        let transposed = rows > cols;
        let MuonState {
            momentum_buffer,
            scratch,
            ..
        } = state;
        scratch.size(p, q);
        // The momentum, and the matrix to orthogonalize, laid out as p × q.
        for (k, (b, &g)) in momentum_buffer.iter_mut().zip(grad).enumerate() {
            *b = lerp(*b, g, one_minus_mu);
            let m = if self.nesterov { lerp(g, *b, mu) } else { *b };
            let (i, j) = (k / cols, k % cols);
            let at = if transposed { j * q + i } else { k };
            scratch.y[at] = m;
        }
        let norm = norm_of(scratch.y.iter().copied()).max(self.eps);
        scratch.y.iter_mut().for_each(|v| *v /= norm);
        scratch.iterate(p, q, self.ns_coefficients, self.ns_steps);
        let step = self.adjusted_lr(lr, rows, cols);
        let shrink = F::one() - lr * self.weight_decay;
        for (k, x) in x.iter_mut().enumerate() {
            let (i, j) = (k / cols, k % cols);
            let at = if transposed { j * q + i } else { k };
            *x = *x * shrink - step * scratch.y[at];
        }
    }
}

impl<F: Real> ShapedRule for MuonConfig<F> {
    type Float = F;
    type State = MuonState<F>;

    fn name(&self) -> &'static str {
        "Muon"
    }

    fn lr(&self) -> F {
        self.lr
    }

    fn set_lr(&mut self, lr: F) {
        self.lr = lr;
    }

    /// `lr` for a matrix, AdamW's `adamw.lr` for any other tensor.
    fn lr_for(&self, ndim: usize) -> F {
        if ndim == 2 { self.lr } else { self.adamw.lr }
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr` or `weight_decay`, a `momentum` outside `[0, 1)`, a coefficient that is not finite
    /// (named `ns_coefficients.0`, `.1` or `.2`), an `eps` that is not finite and positive,
    /// `ns_steps >= 100`, or a hyperparameter of `adamw` outside its domain (named as
    /// [`AdamConfig`] names it).
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        let (a, b, c) = self.ns_coefficients;
        check("ns_coefficients.0", a, Domain::Finite)?;
        check("ns_coefficients.1", b, Domain::Finite)?;
        check("ns_coefficients.2", c, Domain::Finite)?;
        check_that(
            "ns_steps",
            F::from_count(self.ns_steps),
            "fewer than 100 Newton-Schulz steps",
            self.ns_steps < 100,
        )?;
        self.adamw.validate()
    }

    fn start(&self, state: &mut MuonState<F>, shape: &[usize]) {
        let n = shape.iter().product();
        if let [rows, cols] = *shape {
            zeros(&mut state.momentum_buffer, n);
            state.scratch.size(rows.min(cols), rows.max(cols));
            self.adamw.start(&mut state.adamw, 0);
        } else {
            state.momentum_buffer.clear();
            state.scratch.size(0, 0);
            self.adamw.start(&mut state.adamw, n);
        }
    }

    fn fits(&self, state: &MuonState<F>, shape: &[usize]) -> bool {
        let n: usize = shape.iter().product();
        let (momentum, adamw) = if shape.len() == 2 { (n, 0) } else { (0, n) };
        let mut adamw_state = state.adamw.clone();
        let found = AdamConfig::buffers(&mut adamw_state)
            .into_array()
            .map(|b| b.len());
        let amsgrad = if self.adamw.amsgrad { adamw } else { 0 };
        state.momentum_buffer.len() == momentum && found == [adamw, adamw, amsgrad, 0, 0]
    }

    fn update(
        &self,
        state: &mut MuonState<F>,
        t: usize,
        shape: &[usize],
        x: &mut [F],
        grad: &[F],
        lr: F,
    ) -> bool {
        if let [rows, cols] = *shape {
            self.update_matrix(state, rows, cols, x, grad, lr);
            true
        } else {
            self.adamw.update(
                &mut state.adamw,
                t,
                ArrayViewMut1::from(x),
                ArrayView1::from(grad),
                lr,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Adam;
    use crate::optim::Optimizer;
    use crate::optim::shaped::testing::assert_tensor_iterates;
    use crate::optim::tests::*;
    use ndarray::{Array1, Array2, array};

    const X0: [f64; 6] = [1.0, -2.0, 0.5, 0.3, 0.0, -1.5];

    /// Gradients of a 2 × 3 matrix.
    /// `m` (row-major, `rows × cols`) transposed.
    fn transposed(m: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        (0..rows * cols)
            .map(|k| m[(k % rows) * cols + k / rows])
            .collect()
    }

    fn config(adjust_lr_fn: AdjustLr) -> MuonConfig<f64> {
        MuonConfig {
            lr: 0.05,
            weight_decay: 0.1,
            adjust_lr_fn,
            ..Default::default()
        }
    }

    #[test]
    fn muon_matches_pytorch_with_the_iteration_in_double_precision() {
        // torch.optim.Muon([p], lr=0.05, weight_decay=0.1, adjust_lr_fn=...) of PyTorch 2.15,
        // float64, with its Newton-Schulz iteration run in float64 instead of bfloat16 (the
        // same code, without the cast): momentum, Nesterov, the transposition of a tall matrix
        // and the three adjustments of the step size.
        let wide: [&[f64]; 3] = [
            &[
                0.9841566155082161,
                -1.9456050243212861,
                0.4906700988110146,
                0.26857806247457466,
                -0.0035029126083316823,
                -1.4713927084852447,
            ],
            &[
                0.967510111341669,
                -1.9111318493888694,
                0.5114103777122587,
                0.2562309162078234,
                -0.028592405501368726,
                -1.4421110666008539,
            ],
            &[
                0.9246171773151207,
                -1.8897579747623123,
                0.47855869030964066,
                0.22059916363275336,
                -0.0562116922520542,
                -1.4286540908914833,
            ],
        ];
        assert_tensor_iterates(
            &config(AdjustLr::Original),
            &[2, 3],
            0.05,
            &X0,
            &MATRIX_GRADS,
            &wide,
            1e-12,
        );
        // The 3 × 2 transposes of the same matrices.
        let tall_x0 = transposed(&X0, 2, 3);
        let tall_grads: Vec<Vec<f64>> = MATRIX_GRADS.iter().map(|g| transposed(g, 2, 3)).collect();
        let tall_grads: Vec<&[f64]> = tall_grads.iter().map(|g| &g[..]).collect();
        let match_rms: [&[f64]; 3] = [
            &[
                0.9912437414268451,
                0.2881347367890123,
                -1.9746211293047367,
                -0.0012134445224208183,
                0.4951340528260004,
                -1.4851882197372552,
            ],
            &[
                0.9822256137834028,
                0.2828820770225721,
                -1.9561760523155676,
                -0.009904699807796501,
                0.5006928914667867,
                -1.4701673472729915,
            ],
            &[
                0.9641317141802298,
                0.2695682704382522,
                -1.9423012221555336,
                -0.01947230139199673,
                0.4876950574280274,
                -1.4606526870451664,
            ],
        ];
        let c = config(AdjustLr::MatchRmsAdamW);
        assert_tensor_iterates(&c, &[3, 2], 0.05, &tall_x0, &tall_grads, &match_rms, 1e-12);
        // For a tall matrix (A/B = 3/2 > 1) the original and the unclamped adjustments agree.
        let tall: [&[f64]; 3] = [
            &[
                0.9817196204551606,
                0.2618532604736358,
                -1.9356274812219407,
                -0.004290174251987161,
                0.4891351135466788,
                -1.4666489529683362,
            ],
            &[
                0.9624500055857564,
                0.24706658812766236,
                -1.8956428484932246,
                -0.03501840199855,
                0.5150957166297954,
                -1.432463570847263,
            ],
            &[
                0.9110296198243011,
                0.20376053646460046,
                -1.8716903355755767,
                -0.06884498179794568,
                0.4754170385701278,
                -1.417650981672516,
            ],
        ];
        for adjust in [AdjustLr::Original, AdjustLr::SpectralUnclamped] {
            let c = config(adjust);
            assert_tensor_iterates(&c, &[3, 2], 0.05, &tall_x0, &tall_grads, &tall, 1e-12);
        }
    }

    #[test]
    fn muon_agrees_with_pytorchs_bfloat16_iteration_to_its_precision() {
        // torch.optim.Muon([p], lr=0.05, nesterov=False) of PyTorch 2.15 in float32, its
        // iteration in bfloat16 (8 bits of mantissa): the iterates agree to about 1e-3.
        let expected: [&[f64]; 3] = [
            &[
                0.9839160442352295,
                -1.9452733993530273,
                0.49071288108825684,
                0.2692031264305115,
                -0.0032470703590661287,
                -1.47189462184906,
            ],
            &[
                0.9605394005775452,
                -1.9058594703674316,
                0.49729251861572266,
                0.2474469542503357,
                -0.024324584752321243,
                -1.4412928819656372,
            ],
            &[
                0.9289788603782654,
                -1.8742599487304688,
                0.48367324471473694,
                0.22101441025733948,
                -0.04705452546477318,
                -1.4181684255599976,
            ],
        ];
        let c = MuonConfig::<f32> {
            lr: 0.05,
            nesterov: false,
            ..Default::default()
        };
        assert_tensor_iterates(&c, &[2, 3], 0.05, &X0, &MATRIX_GRADS, &expected, 2e-3);
    }

    #[test]
    fn a_row_is_normalized_and_scaled_by_the_iteration_on_its_one_singular_value() {
        // A 1 × 3 matrix has one singular value, |M|, which Y₀ = M/|M| brings to 1; each
        // iteration multiplies Y by a + b s + c s² where s = |Y|², by hand. The first step's
        // Nesterov update (1 - μ)(1 + μ) g is parallel to g, and γ' = γ (A/B = 1/3 < 1).
        let (a, b, c) = (3.4445, -4.7750, 2.0315);
        let (mut y, mut s) = (1.0_f64, 1.0_f64);
        for _ in 0..5 {
            let f = a + b * s + c * s * s;
            y *= f;
            s *= f * f;
        }
        let g = [2.0, -1.0, 2.0]; // |g| = 3
        let (lr, wd) = (0.1, 0.5);
        let config = MuonConfig {
            weight_decay: wd,
            ..MuonConfig::default()
        };
        let mut state = MuonState::default();
        config.start(&mut state, &[1, 3]);
        let mut x = [1.0, 2.0, 3.0];
        assert!(config.update(&mut state, 1, &[1, 3], &mut x, &g, lr));
        for k in 0..3 {
            let hand = [1.0, 2.0, 3.0][k] * (1.0 - lr * wd) - lr * y * g[k] / 3.0;
            assert!((x[k] - hand).abs() < 1e-14, "{k}: {} vs {hand}", x[k]);
        }
        // The same column, 3 × 1, is transposed first and scaled by √max(1, 3/1) = √3.
        config.start(&mut state, &[3, 1]);
        let mut x = [1.0, 2.0, 3.0];
        assert!(config.update(&mut state, 1, &[3, 1], &mut x, &g, lr));
        for k in 0..3 {
            let hand = [1.0, 2.0, 3.0][k] * (1.0 - lr * wd) - lr * 3f64.sqrt() * y * g[k] / 3.0;
            assert!((x[k] - hand).abs() < 1e-14, "{k}");
        }
    }

    #[test]
    fn a_diagonal_matrix_has_each_singular_value_mapped_by_the_quintic() {
        // M = diag(σ) stays diagonal: Y₀ = diag(σ/|σ|), and each iteration maps every diagonal
        // value y to a y + b y³ + c y⁵, by hand. Five iterations bring singular values from 1 to
        // a hundredth of the largest into about [0.7, 1.2].
        let sigma = [1.0, 0.5, 0.1, 0.01];
        let norm = sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
        let (a, b, c) = (3.4445, -4.7750, 2.0315);
        let mut g = Array2::<f64>::zeros((4, 4));
        for (i, s) in sigma.iter().enumerate() {
            g[(i, i)] = *s;
        }
        let config = MuonConfig {
            weight_decay: 0.0,
            momentum: 0.0,
            ..MuonConfig::default()
        };
        let mut state = MuonState::default();
        config.start(&mut state, &[4, 4]);
        let mut x = vec![0.0; 16];
        assert!(config.update(&mut state, 1, &[4, 4], &mut x, g.as_slice().unwrap(), 1.0));
        for i in 0..4 {
            let mut y = sigma[i] / norm;
            for _ in 0..5 {
                y = a * y + b * y.powi(3) + c * y.powi(5);
            }
            assert!(
                (-x[i * 4 + i] - y).abs() < 1e-13,
                "{i}: {} vs {y}",
                -x[i * 4 + i]
            );
            assert!((0.68..1.2).contains(&y), "{y}");
            for j in (0..4).filter(|&j| j != i) {
                assert_eq!(x[i * 4 + j], 0.0);
            }
        }
    }

    #[test]
    fn the_update_has_the_singular_values_of_the_quintic_map_and_is_nearly_orthogonal() {
        // The iteration is an odd polynomial in M, so it keeps M's singular vectors and maps each
        // singular value σ/‖M‖_F by y ↦ a y + b y³ + c y⁵ five times: the singular values of the
        // update are those, computed by hand from M's. For a 3 × 5 matrix of condition about 2
        // they lie in [0.5, 1.5] (PyTorch's documented range): nearly orthogonal rows.
        let m = Array2::from_shape_fn((3, 5), |(i, j)| {
            let base = if i == j { 1.5 } else { 0.0 };
            base + 0.3 * ((i * 5 + j) as f64).sin()
        });
        let config = MuonConfig {
            weight_decay: 0.0,
            momentum: 0.0,
            ..MuonConfig::default()
        };
        let mut state = MuonState::default();
        config.start(&mut state, &[3, 5]);
        let mut x = vec![0.0; 15];
        assert!(config.update(&mut state, 1, &[3, 5], &mut x, m.as_slice().unwrap(), 1.0));
        let o = Array2::from_shape_vec((3, 5), x).unwrap();
        let sorted = |a: Array2<f64>| {
            let mut e = crate::linalg::symmetric_eigenvalues(a.view()).to_vec();
            e.sort_by(f64::total_cmp);
            e
        };
        let frobenius = m.iter().map(|v| v * v).sum::<f64>().sqrt();
        let (a, b, c) = (3.4445, -4.7750, 2.0315);
        let found = sorted(o.dot(&o.t()));
        let sigmas = sorted(m.dot(&m.t()));
        assert!(sigmas[2] / sigmas[0] < 4.0, "{sigmas:?}");
        for (e, sigma_sq) in found.iter().zip(&sigmas) {
            let mut y = sigma_sq.sqrt() / frobenius;
            for _ in 0..5 {
                y = a * y + b * y.powi(3) + c * y.powi(5);
            }
            assert!((e.sqrt() - y.abs()).abs() < 1e-10, "{} vs {y}", e.sqrt());
            assert!((0.5..1.5).contains(&e.sqrt()), "{e}");
        }
    }

    #[test]
    fn a_vector_is_adamw_bit_for_bit() {
        // PyTorch's AdamW at its defaults, the configuration Muon gives to what is not a matrix.
        let mut muon = Muon::<f64>::default();
        let mut adamw = Adam::adamw(1e-3, 1e-2).unwrap();
        assert_eq!(muon.default_lr(), 1e-3);
        let (mut x, mut y) = (array![1.0, -2.0, 0.5], array![1.0, -2.0, 0.5]);
        for k in 0..5 {
            let g = Array1::from_shape_fn(3, |i| ((k * 3 + i) as f64).cos());
            muon.step(x.view_mut(), g.view(), 0.01).unwrap();
            adamw.step(y.view_mut(), g.view(), 0.01).unwrap();
        }
        assert_eq!(x, y);
        // Three dimensions and scalars too, with AdamW's own step size in a set.
        let mut state = MuonState::default();
        let c = MuonConfig::<f64>::default();
        assert_eq!(c.lr_for(3), 1e-3);
        assert_eq!(c.lr_for(0), c.adamw.lr);
        c.start(&mut state, &[1, 1, 2]);
        assert!(state.momentum_buffer.is_empty());
    }

    #[test]
    fn a_zero_gradient_from_a_fresh_state_moves_only_by_the_weight_decay() {
        let config = MuonConfig::<f64>::default();
        let mut state = MuonState::default();
        config.start(&mut state, &[2, 3]);
        let mut x = X0;
        assert!(config.update(&mut state, 1, &[2, 3], &mut x, &[0.0; 6], 0.1));
        for (x, x0) in x.iter().zip(X0) {
            assert_eq!(*x, x0 * (1.0 - 0.1 * 0.1));
        }
    }

    #[test]
    fn invalid_hyperparameters_are_rejected() {
        assert_rejects_fields!(Muon::<f64>::new, {
            lr: [-1.0],
            weight_decay: [f64::NAN],
            momentum: [1.0],
            ns_coefficients.1: [f64::INFINITY],
            eps: [0.0],
            ns_steps: [100],
        });
        // The AdamW part's fields are named as AdamW names them.
        assert_rejects(Muon::<f64>::new, &[("betas.0", |c| c.adamw.betas.0 = 1.5)]);
    }
}
