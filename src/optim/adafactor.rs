//! Adafactor: second moments of a matrix kept as row and column averages.

use super::config::rule_config;
use super::kernel::widest_simd;
use super::shaped::{Shaped, ShapedRule, lerp, numel, zeros};
use crate::Real;
use crate::error::{Domain, Result, check, check_that};

rule_config! {
    /// Hyperparameters of [`Adafactor`] (PyTorch's `Adafactor` arguments and defaults).
    pub struct AdafactorConfig<F> {
        /// Step size `γ`: the largest relative step `ρ_t = min(γ, 1/√t)` and the factor of the
        /// weight decay (PyTorch's `lr`; the paper's constant `0.01`). Default `1e-2`.
        pub lr: F = F::lit(1e-2) => NonNegative,
        /// The exponent `τ <= 0` of the decay of the second moment: `1 - β̂₂,t = t^τ`. Default
        /// `-0.8`.
        pub beta2_decay: F = F::lit(-0.8),
        /// `(ε₁, ε₂)`, each `>= 0`: `ε₁` bounds the row average and the second-moment estimate
        /// from below (`None`: the machine epsilon of `F`, as PyTorch's `None` is that of the
        /// tensor's type), `ε₂` the scale `RMS(x)` of the relative step. Default
        /// `(None, 1e-3)`.
        pub eps: (Option<F>, F) = (None, F::lit(1e-3)),
        /// Clipping threshold `d >= 1` of the update's root mean square. Default `1`.
        pub d: F = F::one() => AtLeastOne,
        /// Decoupled weight decay `λ`: `x` shrinks by `1 - γλ` at every step. Default `0`.
        pub weight_decay: F = F::zero() => NonNegative,
        /// Maximize the objective instead (PyTorch's `maximize`): the gradient is negated
        /// first. Default `false`.
        pub maximize: bool = false,
    }
}

/// Adafactor (Shazeer & Stern, 2018): Adam's second moment without its memory, kept for a matrix
/// as one average per row and one per column, with steps relative to the size of the
/// parameters and the update's root mean square clipped.
///
/// This is `torch.optim.Adafactor` (PyTorch 2.x, the single-tensor implementation). At step `t`
/// (from 1) of a tensor `X` with gradient `G` (negated under `maximize`):
///
/// ```text
/// 1 - β̂₂ₜ = t^τ                         ρ_t = min(γ, 1/√t)
/// α_t = max(ε₂, RMS(X_{t-1})) ρ_t        RMS(A) = ‖A‖₂ / √(number of values of A)
/// X' = (1 - γλ) X_{t-1}
/// matrices (two dimensions or more, factored over the last two, n rows and m columns):
///     R_t = β̂₂ₜ R_{t-1} + (1 - β̂₂ₜ) mean_j G²_ij          (one value per row)
///     C_t = β̂₂ₜ C_{t-1} + (1 - β̂₂ₜ) mean_i G²_ij          (one value per column)
///     V̂_t = R_t C_tᵀ / max(mean_i R_t,i, ε₁)
/// vectors and scalars (unfactored):
///     V̂_t = β̂₂ₜ V̂_{t-1} + (1 - β̂₂ₜ) G²
/// U_t = G / √max(V̂_t, ε₁²)
/// X_t = X' - α_t U_t / max(1, RMS(U_t)/d)
/// ```
///
/// `R_0 = C_0 = V̂_0 = 0`. A tensor of more than two dimensions is a stack of matrices over its
/// last two: each has its own rows and columns, its own row average under `max(·, ε₁)`, while
/// `α_t` and the clipping take the whole tensor. The averages are updated as PyTorch's `lerp`
/// does, so the first step (`1 - β̂₂₁ = 1`) takes the squared gradient's averages exactly. A
/// gradient of zeros moves nothing but the weight decay: `U_t = 0`.
///
/// Memory: a matrix of `n × m` values keeps `n + m` of them; a vector keeps one per value. The
/// step of a vector is not elementwise: `α_t` and the clipping are its root mean squares.
///
/// As in PyTorch, and unlike the paper: `lr` caps the relative step (the paper's constant
/// `0.01`) and scales the weight decay; `ε₁` is applied to the row average and to the estimate,
/// not added to the squared gradient; the averages are means, not sums. The paper's first
/// moment (`β₁`) is absent, as in PyTorch. A gradient component beyond about `√MAX` overflows
/// the averages, which is reported as [`Error::NonFiniteState`](crate::Error::NonFiniteState)
/// after the step.
///
/// Defaults: `lr = 1e-2`, `beta2_decay = -0.8`, `eps = (None, 1e-3)`, `d = 1`,
/// `weight_decay = 0`, `maximize = false`.
///
/// References: N. Shazeer, M. Stern, "Adafactor: Adaptive learning rates with sublinear memory
/// cost", ICML 2018 (arXiv 1804.04235); the reference library is PyTorch
/// (`torch.optim.Adafactor`).
///
/// ```
/// use gradus::{Adafactor, Optimizer};
/// use ndarray::array;
///
/// // The first step of a vector: U = G/|G|, of RMS 1, and the step is α = max(ε₂, RMS(x)) ρ₁
/// // with ρ₁ = min(lr, 1) = lr.
/// let mut adafactor = Adafactor::default();
/// let mut x = array![3.0_f64, -4.0];
/// adafactor.step(x.view_mut(), array![0.5, 2.0].view(), 0.01)?;
/// let alpha = (12.5_f64).sqrt() * 0.01;
/// assert!((x[0] - (3.0 - alpha)).abs() < 1e-12 && (x[1] - (-4.0 - alpha)).abs() < 1e-12);
/// # Ok::<(), gradus::Error>(())
/// ```
pub type Adafactor<F> = Shaped<AdafactorConfig<F>>;

/// The state of [`Adafactor`] for one tensor.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdafactorState<F> {
    /// `R_t`, one value per row of each matrix of a factored tensor.
    row_var: Vec<F>,
    /// `C_t`, one value per column of each matrix of a factored tensor.
    col_var: Vec<F>,
    /// `V̂_t`, one value per value of an unfactored tensor.
    variance: Vec<F>,
    /// Column sums of the squared gradient of one matrix (scratch, refilled at every step).
    #[cfg_attr(feature = "serde", serde(skip))]
    col_sums: Vec<F>,
}

/// How a tensor's values are laid out as matrices: `batch` matrices of `rows × cols`, or one
/// unfactored vector.
#[derive(Debug, Clone, Copy)]
struct Layout {
    factored: bool,
    batch: usize,
    rows: usize,
    cols: usize,
}

impl Layout {
    fn of(shape: &[usize]) -> Self {
        let n = numel(shape);
        match shape {
            [.., rows, cols] => Layout {
                factored: true,
                batch: n.checked_div(rows * cols).unwrap_or(0),
                rows: *rows,
                cols: *cols,
            },
            _ => Layout {
                factored: false,
                batch: 1,
                rows: 1,
                cols: n,
            },
        }
    }
}

impl<F: Real> AdafactorConfig<F> {
    /// `ε₁`: the value set, or the machine epsilon of `F`.
    fn eps1(&self) -> F {
        self.eps.0.unwrap_or_else(F::epsilon)
    }
}

impl<F: Real> ShapedRule for AdafactorConfig<F> {
    type Float = F;
    type State = AdafactorState<F>;

    fn name(&self) -> &'static str {
        "Adafactor"
    }

    fn lr(&self) -> F {
        self.lr
    }

    fn set_lr(&mut self, lr: F) {
        self.lr = lr;
    }

    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// `lr`, `eps.0`, `eps.1` or `weight_decay`, a `beta2_decay` that is positive or not finite,
    /// or a `d` below 1 or not finite.
    fn validate(&self) -> Result<()> {
        self.check_domains()?;
        check_that(
            "beta2_decay",
            self.beta2_decay,
            "finite and <= 0",
            self.beta2_decay.is_finite() && self.beta2_decay <= F::zero(),
        )?;
        if let Some(eps1) = self.eps.0 {
            check("eps.0", eps1, Domain::NonNegative)?;
        }
        check("eps.1", self.eps.1, Domain::NonNegative)?;
        Ok(())
    }

    fn start(&self, state: &mut AdafactorState<F>, shape: &[usize]) {
        let layout = Layout::of(shape);
        if layout.factored {
            zeros(&mut state.row_var, layout.batch * layout.rows);
            zeros(&mut state.col_var, layout.batch * layout.cols);
            zeros(&mut state.col_sums, layout.cols);
            state.variance.clear();
        } else {
            state.row_var.clear();
            state.col_var.clear();
            state.col_sums.clear();
            zeros(&mut state.variance, layout.cols);
        }
    }

    fn fits(&self, state: &AdafactorState<F>, shape: &[usize]) -> bool {
        let layout = Layout::of(shape);
        if layout.factored {
            state.row_var.len() == layout.batch * layout.rows
                && state.col_var.len() == layout.batch * layout.cols
                && state.variance.is_empty()
        } else {
            state.row_var.is_empty()
                && state.col_var.is_empty()
                && state.variance.len() == layout.cols
        }
    }

    fn update(
        &self,
        state: &mut AdafactorState<F>,
        t: usize,
        shape: &[usize],
        x: &mut [F],
        grad: &[F],
        lr: F,
    ) -> bool {
        // Compiled for the widest SIMD instructions the processor has, as the elementwise
        // kernel is: the same arithmetic in the same order, so the same bits on every machine.
        widest_simd(
            #[inline(always)]
            || self.update_here(state, t, shape, x, grad, lr),
        )
    }
}

impl<F: Real> AdafactorConfig<F> {
    /// [`ShapedRule::update`], inlined into the SIMD copy that calls it.
    #[inline(always)]
    fn update_here(
        &self,
        state: &mut AdafactorState<F>,
        t: usize,
        shape: &[usize],
        x: &mut [F],
        grad: &[F],
        lr: F,
    ) -> bool {
        let layout = Layout::of(shape);
        let t = t as f64;
        let w = F::lit(t.powf(self.beta2_decay.as_f64()));
        let rho = lr.min(F::lit(1.0 / t.sqrt()));
        let size = F::from_count(x.len()).sqrt();
        let rms_x = crate::linalg::norm_of(x.iter().copied()) / size;
        let alpha = self.eps.1.max(rms_x) * rho;
        if self.weight_decay != F::zero() {
            let shrink = F::one() - lr * self.weight_decay;
            x.iter_mut().for_each(|v| *v *= shrink);
        }
        let sign = if self.maximize { -F::one() } else { F::one() };
        let eps1 = self.eps1();
        let floor = eps1 * eps1;
        // Whether the averages written are finite, then the update's sum of squares: the update
        // is computed twice, once for its RMS and once to apply it, so that it needs no buffer.
        // The sum of squares in eight running sums (one per index mod 8, added in a fixed order
        // at the end), so that it runs in SIMD lanes.
        let finite;
        let mut lanes = [F::zero(); 8];
        if layout.factored {
            finite = factored_moments(state, layout, grad, sign, w);
            factored_updates(state, layout, grad, sign, eps1, floor, |k, u| {
                lanes[k % 8] += u * u;
            });
        } else {
            let mut all_finite = true;
            for (v, &g) in state.variance.iter_mut().zip(grad) {
                let g = sign * g;
                *v = lerp(*v, g * g, w);
                all_finite &= v.is_finite();
            }
            finite = all_finite;
            for (k, (&v, &g)) in state.variance.iter().zip(grad).enumerate() {
                let u = sign * g * (F::one() / v.max(floor).sqrt());
                lanes[k % 8] += u * u;
            }
        }
        let sum_sq = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
            + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        let clip = F::one().max(sum_sq.sqrt() / (size * self.d));
        let step = alpha / clip;
        if layout.factored {
            factored_updates(state, layout, grad, sign, eps1, floor, |k, u| {
                x[k] -= step * u;
            });
        } else {
            for ((x, &v), &g) in x.iter_mut().zip(&state.variance).zip(grad) {
                let u = sign * g * (F::one() / v.max(floor).sqrt());
                *x -= step * u;
            }
        }
        finite
    }
}

/// Updates the row and column averages `R_t`, `C_t` of every matrix of the tensor with the
/// weight `w = 1 - β̂₂ₜ`; returns whether they are all finite.
#[inline(always)]
fn factored_moments<F: Real>(
    state: &mut AdafactorState<F>,
    layout: Layout,
    grad: &[F],
    sign: F,
    w: F,
) -> bool {
    let Layout {
        batch, rows, cols, ..
    } = layout;
    let (n, m) = (F::from_count(rows), F::from_count(cols));
    if state.col_sums.len() != cols {
        zeros(&mut state.col_sums, cols);
    }
    let mut finite = true;
    for b in 0..batch {
        let matrix = &grad[b * rows * cols..(b + 1) * rows * cols];
        state.col_sums.fill(F::zero());
        let row_var = &mut state.row_var[b * rows..(b + 1) * rows];
        for (r, row) in row_var.iter_mut().zip(matrix.chunks_exact(cols)) {
            let mut sum = F::zero();
            for (c, &g) in state.col_sums.iter_mut().zip(row) {
                let g = sign * g;
                let sq = g * g;
                sum += sq;
                *c += sq;
            }
            *r = lerp(*r, sum / m, w);
            finite &= r.is_finite();
        }
        let col_var = &mut state.col_var[b * cols..(b + 1) * cols];
        for (c, &sum) in col_var.iter_mut().zip(&state.col_sums) {
            *c = lerp(*c, sum / n, w);
            finite &= c.is_finite();
        }
    }
    finite
}

/// Calls `each(k, u)` with the update `u = G_k / √max(R_i C_j / max(mean R, ε₁), ε₁²)` of every
/// value `k` (row `i`, column `j` of its matrix) of a factored tensor, in row-major order.
#[inline(always)]
fn factored_updates<F: Real>(
    state: &AdafactorState<F>,
    layout: Layout,
    grad: &[F],
    sign: F,
    eps1: F,
    floor: F,
    mut each: impl FnMut(usize, F),
) {
    let Layout {
        batch, rows, cols, ..
    } = layout;
    for b in 0..batch {
        let row_var = &state.row_var[b * rows..(b + 1) * rows];
        let col_var = &state.col_var[b * cols..(b + 1) * cols];
        let mean = row_var.iter().fold(F::zero(), |s, &r| s + r) / F::from_count(rows);
        let denominator = mean.max(eps1);
        let start = b * rows * cols;
        for (i, &r) in row_var.iter().enumerate() {
            let offset = start + i * cols;
            for (j, (&c, &g)) in col_var.iter().zip(&grad[offset..offset + cols]).enumerate() {
                let v = (r * c) / denominator;
                each(offset + j, sign * g * (F::one() / v.max(floor).sqrt()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::optim::shaped::testing::assert_tensor_iterates;
    use crate::optim::tests::*;
    use ndarray::array;

    const GRADS: [&[f64]; 4] = [
        &[0.5, -2.0, 0.0],
        &[-0.3, 0.1, 0.0],
        &[0.2, 0.05, 0.7],
        &[0.4, -1.0, -0.2],
    ];

    /// Gradients of a 2 × 3 matrix; the last row of the third is zero.
    const MATRIX_GRADS: [&[f64]; 3] = [
        &[0.5, -2.0, 0.3, 1.0, 0.1, -0.7],
        &[-0.3, 0.1, 0.0, 0.2, 2.5, -1.0],
        &[0.2, 0.05, 0.7, 0.0, 0.0, 0.0],
    ];

    const MATRIX_X0: [f64; 6] = [1.0, -2.0, 0.5, 0.3, 0.0, -1.5];

    fn vector_config<F: Real>() -> AdafactorConfig<F> {
        AdafactorConfig {
            lr: F::lit(0.05),
            beta2_decay: F::lit(-0.6),
            eps: (Some(F::lit(1e-3)), F::lit(1e-2)),
            d: F::one(),
            weight_decay: F::lit(0.1),
            maximize: false,
        }
    }

    #[test]
    fn adafactor_matches_pytorch_on_a_vector() {
        // torch.optim.Adafactor([p], lr=0.05, beta2_decay=-0.6, eps=(1e-3, 1e-2), d=1,
        // weight_decay=0.1), PyTorch 2.15, float64 then float32: the unfactored second moment,
        // the relative step, and the clipping (active from the second step on).
        let f64s: [&[f64]; 4] = [
            &[0.9288562172233852, -1.9238562172233853, 0.4975],
            &[0.9741956150113898, -1.9196516200355274, 0.4950125],
            &[0.9269123146940795, -1.9139735179738486, 0.4038793943097734],
            &[0.8503343313690214, -1.8349224729414095, 0.4330499637767905],
        ];
        let x0 = [1.0, -2.0, 0.5];
        assert_tensor_iterates(
            &vector_config::<f64>(),
            &[3],
            0.05,
            &x0,
            &GRADS,
            &f64s,
            1e-12,
        );
        let f32s: [&[f64]; 4] = [
            &[0.9288562536239624, -1.923856258392334, 0.4975000023841858],
            &[0.974195659160614, -1.919651746749878, 0.495012491941452],
            &[0.9269123673439026, -1.9139736890792847, 0.4038793742656708],
            &[0.8503344058990479, -1.8349226713180542, 0.4330499470233917],
        ];
        assert_tensor_iterates(
            &vector_config::<f32>(),
            &[3],
            0.05,
            &x0,
            &GRADS,
            &f32s,
            1e-6,
        );
    }

    #[test]
    fn adafactor_matches_pytorch_on_a_matrix_factored() {
        // torch.optim.Adafactor([p], lr=0.05, weight_decay=0.1) on a 2 × 3 matrix, eps1 the
        // machine epsilon: row and column averages, a zero row in the third gradient.
        let config = AdafactorConfig {
            lr: 0.05,
            weight_decay: 0.1,
            ..Default::default()
        };
        let expected: [&[f64]; 3] = [
            &[
                0.9700960518483503,
                -1.9343825574310944,
                0.47556384714940825,
                0.21377775908591923,
                -0.0047302081778905995,
                -1.4054364274121478,
            ],
            &[
                1.0041484704686463,
                -1.9290972291247175,
                0.4731860279136612,
                0.19641439275678735,
                -0.0736060842259645,
                -1.3283805114075666,
            ],
            &[
                0.9683886035895529,
                -1.9221109965656111,
                0.39152416905763204,
                0.1954323207930034,
                -0.07323805380483468,
                -1.3217386088505287,
            ],
        ];
        let f = &MATRIX_X0;
        assert_tensor_iterates(&config, &[2, 3], 0.05, f, &MATRIX_GRADS, &expected, 1e-12);
        let single = AdafactorConfig::<f32> {
            lr: 0.05,
            weight_decay: 0.1,
            ..Default::default()
        };
        assert_tensor_iterates(&single, &[2, 3], 0.05, f, &MATRIX_GRADS, &expected, 1e-6);
        let mut state = AdafactorState::default();
        config.start(&mut state, &[2, 3]);
        assert_eq!((state.row_var.len(), state.col_var.len()), (2, 3));
        assert!(state.variance.is_empty());
    }

    #[test]
    fn adafactor_matches_pytorch_on_a_stack_of_matrices() {
        // torch.optim.Adafactor([p], lr=0.05, d=1.5) on a 2 × 2 × 2 tensor: two matrices, each
        // with its own rows, columns and row mean; α and the clipping over the whole tensor.
        let config = AdafactorConfig {
            lr: 0.05,
            d: 1.5,
            ..Default::default()
        };
        let x0 = [1.0, -2.0, 0.5, 0.3, 0.0, -1.5, 2.0, 1.0];
        let grads: [&[f64]; 2] = [
            &[0.5, -2.0, 0.3, 1.0, 0.1, -0.7, -0.3, 0.1],
            &[0.2, 2.5, -1.0, 0.2, 0.05, 0.7, 0.4, -1.0],
        ];
        let expected: [&[f64]; 2] = [
            &[
                0.9397100969909198,
                -1.9371132670870033,
                0.42857059185402563,
                0.23791163074834162,
                -0.02172843758764077,
                -1.4319792311128432,
                2.145758790472479,
                0.9782715624123592,
            ],
            &[
                0.9238499361951784,
                -2.008389077871588,
                0.6078080240280133,
                0.22502369755202414,
                -0.03493639808979485,
                -1.4979208659113254,
                2.0573965105203245,
                1.0570491785111606,
            ],
        ];
        assert_tensor_iterates(&config, &[2, 2, 2], 0.05, &x0, &grads, &expected, 1e-12);
    }

    #[test]
    fn a_rank_one_gradient_is_estimated_exactly_so_the_factored_first_step_is_the_unfactored() {
        // G = a bᵀ: R_i = a_i² mean(b²), C_j = mean(a²) b_j², mean R = mean(a²) mean(b²), so
        // V̂ = R Cᵀ / mean R = G² exactly and U = sign(G) in both cases: the matrix moves as its
        // values would as one vector, to rounding. A gradient that is not of rank one is not.
        let config = AdafactorConfig::<f64>::default();
        let (a, b) = ([0.5, -2.0], [1.0, 0.25, -3.0]);
        let g: Vec<f64> = a
            .iter()
            .flat_map(|ai| b.iter().map(move |bj| ai * bj))
            .collect();
        let x0 = MATRIX_X0;
        let step = |shape: &[usize], g: &[f64]| {
            let mut state = AdafactorState::default();
            config.start(&mut state, shape);
            let mut x = x0.to_vec();
            assert!(config.update(&mut state, 1, shape, &mut x, g, 0.01));
            x
        };
        let (factored, flat) = (step(&[2, 3], &g), step(&[6], &g));
        // U = sign(G), of RMS 1: the step is α = RMS(x₀) · min(lr, 1) against each sign.
        let rms = (x0.iter().map(|v| v * v).sum::<f64>() / 6.0).sqrt();
        for k in 0..6 {
            let hand = x0[k] - rms * 0.01 * g[k].signum();
            assert!((factored[k] - hand).abs() < 1e-14, "{k}");
            assert!((flat[k] - hand).abs() < 1e-14, "{k}");
        }
        let mut g2 = g.clone();
        g2[0] = 5.0;
        assert_ne!(step(&[2, 3], &g2), step(&[6], &g2));
    }

    #[test]
    fn one_matrix_stacked_is_the_matrix() {
        let config = AdafactorConfig::<f64>::default();
        let run = |shape: &[usize]| {
            let mut state = AdafactorState::default();
            config.start(&mut state, shape);
            let mut x = MATRIX_X0.to_vec();
            for (t, g) in MATRIX_GRADS.iter().enumerate() {
                assert!(config.update(&mut state, t + 1, shape, &mut x, g, 0.05));
            }
            x
        };
        assert_eq!(run(&[1, 2, 3]), run(&[2, 3]));
        assert_eq!(run(&[1, 1, 2, 3]), run(&[2, 3]));
    }

    #[test]
    fn a_zero_gradient_moves_only_by_the_weight_decay() {
        for shape in [&[6][..], &[2, 3]] {
            let config = AdafactorConfig::<f64> {
                weight_decay: 0.5,
                ..Default::default()
            };
            let mut state = AdafactorState::default();
            config.start(&mut state, shape);
            let mut x = MATRIX_X0.to_vec();
            assert!(config.update(&mut state, 1, shape, &mut x, &[0.0; 6], 0.1));
            for (x, x0) in x.iter().zip(MATRIX_X0) {
                assert_eq!(*x, x0 * (1.0 - 0.1 * 0.5));
            }
        }
        let mut rule = Adafactor::<f64>::default();
        let mut x = array![1.5, -2.0, 0.0];
        rule.step(x.view_mut(), array![0.0, 0.0, 0.0].view(), 0.1)
            .unwrap();
        assert_eq!(x, array![1.5, -2.0, 0.0]);
    }

    #[test]
    fn a_huge_gradient_overflows_the_averages_and_is_reported() {
        let mut rule = Adafactor::<f64>::default();
        let mut x = array![1.0, 2.0];
        let err = rule.step(x.view_mut(), array![1e200, 1.0].view(), 0.1);
        assert!(matches!(err, Err(crate::Error::NonFiniteState { .. })));
    }

    #[test]
    fn maximize_negates_the_gradient() {
        assert_maximize!(
            Adafactor::new,
            AdafactorConfig {
                weight_decay: 0.1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn invalid_hyperparameters_are_rejected() {
        assert_rejects_fields!(Adafactor::<f64>::new, {
            lr: [-1.0],
            beta2_decay: [0.5, f64::NEG_INFINITY],
            eps.0: [Some(-1.0)],
            eps.1: [f64::NAN],
            d: [0.5],
            weight_decay: [-0.1],
        });
        assert_eq!(Adafactor::<f64>::default().default_lr(), 1e-2);
    }
}
