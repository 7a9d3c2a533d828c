//! Tests every rule shares: helpers for the rules' own tests, and properties of the one
//! elementwise kernel checked on every variant of every rule.

use std::fmt::Debug;

use ndarray::{Array1, ArrayView1, s};

use super::kernel::PARALLEL_THRESHOLD;
use super::*;
use crate::Error;

/// Asserts that `actual` lies within a relative `1e-12` of `expected` (an absolute `1e-12`
/// near zero), naming the values, and the context if one is given.
macro_rules! assert_close {
    ($actual:expr, $expected:expr) => {
        $crate::optim::tests::assert_close!($actual, $expected, "")
    };
    ($actual:expr, $expected:expr, $($context:tt)+) => {{
        let (actual, expected): (f64, f64) = ($actual, $expected);
        assert!(
            approx::relative_eq!(actual, expected, epsilon = 1e-12, max_relative = 1e-12),
            "{actual} is not {expected} to 1e-12 {}",
            format_args!($($context)+)
        );
    }};
}
pub(crate) use assert_close;

/// The gradients of the rules' reference runs: four steps on three coordinates, with entries
/// of both signs and a zero gradient of the last coordinate twice.
pub(crate) const GRADS: [[f64; 3]; 4] = [
    [0.5, -2.0, 0.0],
    [-0.3, 0.1, 0.0],
    [0.2, 0.05, 0.7],
    [0.4, -1.0, -0.2],
];

/// The starting point of the rules' reference runs.
pub(crate) const X0: [f64; 3] = [1.0, -2.0, 0.5];

/// The step size of the rules' reference runs.
pub(crate) const LR: f64 = 0.05;

/// The gradients of the reference runs of the rules on matrices: three steps on six entries,
/// a 2×3 or 3×2 matrix, with zeros.
pub(crate) const MATRIX_GRADS: [&[f64]; 3] = [
    &[0.5, -2.0, 0.3, 1.0, 0.1, -0.7],
    &[-0.3, 0.1, 0.0, 0.2, 2.5, -1.0],
    &[0.2, 0.05, 0.7, 0.0, 0.0, 0.0],
];

/// The gradients of the reference runs of the rules that estimate a distance (D-Adaptation,
/// Prodigy): three steps on three coordinates, each close to the one before.
pub(crate) const CLOSE_GRADS: [[f64; 3]; 3] =
    [[0.5, -2.0, 1.0], [0.45, -1.8, 1.1], [0.4, -1.7, 0.9]];

/// A case of [`assert_rejects`]: the name of a field, and how to set it to a bad value.
pub(crate) type BadField<C> = (&'static str, fn(&mut C));

/// Asserts that `build` rejects the default configuration with one field edited, one row per
/// field: `field: [bad values]` (a field of a field as `field.0`), each by an
/// [`Error::InvalidParameter`] naming the field (see [`assert_rejects_values`]).
macro_rules! assert_rejects_fields {
    ($build:expr, { $($field:ident $(.$sub:tt)*: [$($bad:expr),+ $(,)?]),+ $(,)? }) => {
        $(
            $crate::optim::tests::assert_rejects_values(
                $build,
                concat!(stringify!($field) $(, ".", stringify!($sub))*),
                |c, v| c.$field $(.$sub)* = v,
                &[$($bad),+],
            );
        )+
    };
}
pub(crate) use assert_rejects_fields;

/// Asserts that `build` rejects the default configuration edited by `set` with each of `bad`,
/// by an [`Error::InvalidParameter`] naming `name`.
#[track_caller]
pub(crate) fn assert_rejects_values<C: Default, V: Copy + Debug, T: Debug>(
    build: impl Fn(C) -> Result<T>,
    name: &str,
    set: impl Fn(&mut C, V),
    bad: &[V],
) {
    for &value in bad {
        let mut config = C::default();
        set(&mut config, value);
        match build(config) {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name} = {value:?}: expected an error, got {other:?}"),
        }
    }
}

/// Asserts that `build` rejects the default configuration with one field edited, by an
/// [`Error::InvalidParameter`] naming that field: one case `(name, edit)` per field and value.
#[track_caller]
pub(crate) fn assert_rejects<C: Default, T: Debug>(
    build: impl Fn(C) -> Result<T>,
    cases: &[BadField<C>],
) {
    for (name, edit) in cases {
        let mut config = C::default();
        edit(&mut config);
        match build(config) {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, *name),
            other => panic!("{name}: expected an error, got {other:?}"),
        }
    }
}

/// Takes a step of `rule` with each of `grads` from `x0` with step size `lr`, and checks every
/// iterate against `expected`, the iterates a reference implementation printed for the same
/// inputs, to `1e-12` (see [`assert_close!`]).
#[track_caller]
pub(crate) fn assert_iterates<const N: usize>(
    rule: &mut dyn Optimizer<f64>,
    lr: f64,
    x0: [f64; N],
    grads: &[[f64; N]],
    expected: &[[f64; N]],
) {
    assert_eq!(grads.len(), expected.len());
    let mut x = Array1::from(x0.to_vec());
    for (t, (g, want)) in grads.iter().zip(expected).enumerate() {
        rule.step(x.view_mut(), ArrayView1::from(g), lr).unwrap();
        for i in 0..N {
            assert_close!(x[i], want[i], "step {}, coordinate {i}", t + 1);
        }
    }
}

/// Steps a rule in `f32` (`single`) and the same rule in `f64` (`double`) from `x0` with `grads`
/// and step size `lr`, and checks that the `f32` iterate ends within `1e-6` of the `f64` one and
/// of `reference`, the final iterate a reference implementation printed in `float32`. Returns
/// the final `f32` iterate.
#[track_caller]
pub(crate) fn assert_f32_iterates<const N: usize>(
    single: &mut dyn Optimizer<f32>,
    double: &mut dyn Optimizer<f64>,
    lr: f64,
    x0: [f64; N],
    grads: &[[f64; N]],
    reference: [f64; N],
) -> Array1<f32> {
    let mut xs: Array1<f32> = x0.iter().map(|&v| v as f32).collect();
    let mut xd = Array1::from(x0.to_vec());
    for g in grads {
        let gs: Array1<f32> = g.iter().map(|&v| v as f32).collect();
        single.step(xs.view_mut(), gs.view(), lr as f32).unwrap();
        double.step(xd.view_mut(), ArrayView1::from(g), lr).unwrap();
    }
    for i in 0..N {
        let s = f64::from(xs[i]);
        assert!((s - xd[i]).abs() < 1e-6, "{xs} vs {xd}");
        assert!((s - reference[i]).abs() < 1e-6, "{xs} vs {reference:?}");
    }
    xs
}

/// [`assert_f32_iterates`] with the reference run's step size [`LR`], start [`X0`] and
/// gradients [`GRADS`]. Returns the final `f32` iterate.
#[track_caller]
pub(crate) fn assert_f32_reference(
    single: &mut dyn Optimizer<f32>,
    double: &mut dyn Optimizer<f64>,
    reference: [f64; 3],
) -> Array1<f32> {
    assert_f32_iterates(single, double, LR, X0, &GRADS, reference)
}

/// The iterates of `rule` stepped in the precision `F` from [`X0`] with [`GRADS`] and step size
/// [`LR`], each rounded to `F` to nearest: to compare with a reference to the bit.
pub(crate) fn reference_run<F: Real>(rule: &mut dyn Optimizer<F>) -> Vec<Vec<F>> {
    let mut x: Array1<F> = X0.iter().map(|&v| F::lit(v)).collect();
    let mut iterates = Vec::new();
    for g in GRADS {
        let g: Array1<F> = g.iter().map(|&v| F::lit(v)).collect();
        rule.step(x.view_mut(), g.view(), F::lit(LR)).unwrap();
        iterates.push(x.to_vec());
    }
    iterates
}

/// [`assert_iterates`] with the reference run's step size [`LR`], start [`X0`] and gradients
/// [`GRADS`].
#[track_caller]
pub(crate) fn assert_reference(rule: &mut dyn Optimizer<f64>, expected: &[[f64; 3]; 4]) {
    assert_iterates(rule, LR, X0, &GRADS, expected);
}

/// Asserts that a gradient whose square overflows, `(1e200, 1)` at `(1, 1)` with step size
/// `0.1`, is reported as an [`Error::NonFiniteState`] of the rule named `name`, after the step:
/// the other coordinate has moved.
#[track_caller]
pub(crate) fn assert_overflow_reported_after_the_move(
    rule: &mut dyn Optimizer<f64>,
    name: &'static str,
) {
    let mut x = ndarray::array![1.0, 1.0];
    let err = rule
        .step(x.view_mut(), ndarray::array![1e200, 1.0].view(), 0.1)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteState {
            rule: name,
            tensor: None
        }
    );
    assert!(x[1] < 1.0);
}

/// Takes a step of `rule` with each of `grads` from `x0`, with step size `lr`, and checks every
/// coordinate of every iterate against `hand(t, i, g_i, &mut x_i)`: the rule's recurrence for
/// coordinate `i` at step `t` (from 1) written out by hand, which moves `x_i` and keeps any state
/// of its own.
#[track_caller]
pub(crate) fn assert_matches_hand<const N: usize>(
    rule: &mut dyn Optimizer<f64>,
    lr: f64,
    x0: [f64; N],
    grads: &[[f64; N]],
    mut hand: impl FnMut(f64, usize, f64, &mut f64),
) {
    assert_matches_hand_vectors(rule, lr, x0, grads, |t, g, x| {
        for i in 0..N {
            hand(t as f64, i, g[i], &mut x[i]);
        }
    });
}

/// Takes a step of `rule` with each of `grads` from `x0`, with step size `lr`, and checks every
/// iterate against `hand(t, g, &mut x)`: the rule's step `t` (from 1) on the whole vector
/// written out by hand, which moves `x` and keeps any state of its own.
#[track_caller]
pub(crate) fn assert_matches_hand_vectors<const N: usize>(
    rule: &mut dyn Optimizer<f64>,
    lr: f64,
    x0: [f64; N],
    grads: &[[f64; N]],
    mut hand: impl FnMut(usize, &[f64; N], &mut [f64; N]),
) {
    let (mut x, mut hand_x) = (Array1::from(x0.to_vec()), x0);
    for (k, g) in grads.iter().enumerate() {
        hand(k + 1, g, &mut hand_x);
        rule.step(x.view_mut(), ArrayView1::from(g), lr).unwrap();
        for i in 0..N {
            assert_close!(x[i], hand_x[i], "step {}, coordinate {i}", k + 1);
        }
    }
}

/// Asserts that `maximizing` (a rule built with `maximize: true`) stepped with a gradient `g`
/// takes, to the bit, the steps that `minimizing` (the same rule with `maximize: false`) takes
/// with `-g`, over three steps from a point with entries of both signs; and that it does not
/// take the steps of the minimizing rule with `g`.
#[track_caller]
pub(crate) fn assert_maximize_negates_the_gradient(
    mut minimizing: impl Optimizer<f64> + Clone,
    mut maximizing: impl Optimizer<f64>,
) {
    let grads = [[0.5, -2.0, 0.0], [-0.3, 0.1, 1.5], [0.2, 0.05, -0.7]];
    let mut same_sign = minimizing.clone();
    let x0 = ndarray::array![1.0, -2.0, 0.5];
    let (mut x_min, mut x_max, mut x_same) = (x0.clone(), x0.clone(), x0);
    for g in grads {
        let g = ndarray::Array1::from(g.to_vec());
        let neg = g.mapv(|v| -v);
        minimizing.step(x_min.view_mut(), neg.view(), 0.1).unwrap();
        maximizing.step(x_max.view_mut(), g.view(), 0.1).unwrap();
        same_sign.step(x_same.view_mut(), g.view(), 0.1).unwrap();
        let bits = |x: &Array1<f64>| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x_max), bits(&x_min), "{}", maximizing.name());
    }
    assert_ne!(
        x_max,
        x_same,
        "{}: maximize changed nothing",
        maximizing.name()
    );
}

/// Asserts, with [`assert_maximize_negates_the_gradient`], that the rule `build` makes of
/// `config` (which minimizes) with `maximize: true` steps as the one it makes of `config` does
/// with the negated gradient.
macro_rules! assert_maximize {
    ($build:expr, $config:expr) => {{
        let minimizing = $config;
        let mut maximizing = minimizing;
        maximizing.maximize = true;
        $crate::optim::tests::assert_maximize_negates_the_gradient(
            $build(minimizing).unwrap(),
            $build(maximizing).unwrap(),
        );
    }};
}
pub(crate) use assert_maximize;

/// Asserts that `rule`, an AdamW-like rule estimating its distance (D-Adaptation's AdamW,
/// Prodigy) with its defaults (`d₀ = 1e-6`, `β = (0.9, 0.999)`) and weight decay `λ = 0.1`,
/// keeps its estimate `d(rule)` at `d₀` after a zero gradient at `(1, -2, 0.5)` with step size
/// `1`, moving `x` by the weight decay alone, `λ η₀ x` with `η₀ = d₀ γ √(1 - β₂) / (1 - β₁)`;
/// and that the steps that follow with the gradient `(1, -1, 0)` are finite and descend.
#[track_caller]
pub(crate) fn assert_a_zero_first_gradient_keeps_the_estimate<R: Optimizer<f64>>(
    mut rule: R,
    d: impl Fn(&R) -> f64,
) {
    let mut x = ndarray::array![1.0_f64, -2.0, 0.5];
    rule.step(x.view_mut(), Array1::zeros(3).view(), 1.0)
        .unwrap();
    assert_eq!(d(&rule), 1e-6);
    let eta = 1e-6 * 0.001_f64.sqrt() / 0.1;
    assert_close!(x[1], -2.0 * (1.0 - 0.1 * eta));
    for _ in 0..3 {
        rule.step(x.view_mut(), ndarray::array![1.0, -1.0, 0.0].view(), 1.0)
            .unwrap();
    }
    assert!(x.iter().all(|v| v.is_finite()) && d(&rule).is_finite());
    assert!(x[0] < 1.0 && x[1] > -2.0);
}

/// The weight decay and moment estimates of the Adam family (Adam, NAdam, RAdam) written out by
/// hand for two coordinates, for the rules' hand-computed steps.
pub(crate) struct HandMoments {
    lr: f64,
    betas: (f64, f64),
    weight_decay: f64,
    decoupled: bool,
    /// `m_t` of each coordinate.
    pub m: [f64; 2],
    /// `v_t` of each coordinate.
    pub v: [f64; 2],
}

impl HandMoments {
    /// Both moments at zero, for step size `lr`, decay rates `betas` and weight decay
    /// `weight_decay`, decoupled or not.
    pub(crate) fn new(lr: f64, betas: (f64, f64), weight_decay: f64, decoupled: bool) -> Self {
        HandMoments {
            lr,
            betas,
            weight_decay,
            decoupled,
            m: [0.0; 2],
            v: [0.0; 2],
        }
    }

    /// One step of coordinate `i` with gradient `g` at `x`: the coupled penalty `g + λx`, or the
    /// decoupled shrinking `x ← (1 - γλ) x`, then `m ← β₁ m + (1 - β₁) g` and
    /// `v ← β₂ v + (1 - β₂) g²`. Returns the gradient with the penalty.
    pub(crate) fn update(&mut self, i: usize, g: f64, x: &mut f64) -> f64 {
        let ((b1, b2), wd) = (self.betas, self.weight_decay);
        let g = if self.decoupled {
            *x *= 1.0 - self.lr * wd;
            g
        } else {
            g + wd * *x
        };
        self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
        self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
        g
    }
}

/// Every variant of every elementwise rule, each option that changes which arrays move or which
/// arithmetic runs switched on in one of them.
fn elementwise_variants<F: Real>() -> Vec<Box<dyn Optimizer<F>>> {
    let l = F::lit;
    let adam = |amsgrad, decoupled_weight_decay, weight_decay| {
        Adam::new(AdamConfig {
            amsgrad,
            decoupled_weight_decay,
            weight_decay: l(weight_decay),
            ..Default::default()
        })
    };
    let rmsprop = |centered, momentum: f64| {
        RmsProp::new(RmsPropConfig {
            centered,
            momentum: l(momentum),
            weight_decay: l(0.01),
            ..Default::default()
        })
    };
    let nadam = |decoupled_weight_decay, weight_decay| {
        NAdam::new(NAdamConfig {
            decoupled_weight_decay,
            weight_decay: l(weight_decay),
            ..Default::default()
        })
    };
    // β₂ = 0.9 so that the rectified branch starts within the steps of the tests.
    let radam = |decoupled_weight_decay, weight_decay| {
        RAdam::new(RAdamConfig {
            betas: (l(0.9), l(0.9)),
            decoupled_weight_decay,
            weight_decay: l(weight_decay),
            ..Default::default()
        })
    };
    // β₂ = 0.9 so that the second moment changes visibly within the steps of the tests.
    let adopt = |nesterov, use_clipping| {
        Adopt::new(AdoptConfig {
            b2: l(0.9),
            nesterov,
            use_clipping,
            ..Default::default()
        })
    };
    let momentum = |momentum: f64, dampening: f64, nesterov| {
        Momentum::new(MomentumConfig {
            momentum: l(momentum),
            dampening: l(dampening),
            weight_decay: l(0.01),
            nesterov,
            ..Default::default()
        })
    };
    vec![
        Box::new(GradientDescent::default()),
        Box::new(
            GradientDescent::new(GradientDescentConfig {
                weight_decay: l(0.1),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(momentum(0.9, 0.2, false).unwrap()),
        Box::new(momentum(0.9, 0.0, true).unwrap()),
        Box::new(momentum(0.0, 0.0, false).unwrap()),
        Box::new(rmsprop(false, 0.0).unwrap()),
        Box::new(rmsprop(true, 0.0).unwrap()),
        Box::new(rmsprop(false, 0.5).unwrap()),
        Box::new(rmsprop(true, 0.5).unwrap()),
        Box::new(adam(false, false, 0.0).unwrap()),
        Box::new(adam(false, false, 0.02).unwrap()),
        Box::new(adam(true, false, 0.02).unwrap()),
        Box::new(adam(false, true, 0.02).unwrap()),
        Box::new(adam(true, true, 0.02).unwrap()),
        Box::new(
            AdaGrad::new(AdaGradConfig {
                lr_decay: l(0.1),
                weight_decay: l(0.01),
                initial_accumulator_value: l(0.1),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Adamax::new(AdamaxConfig {
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(nadam(false, 0.0).unwrap()),
        Box::new(nadam(false, 0.02).unwrap()),
        Box::new(nadam(true, 0.02).unwrap()),
        Box::new(radam(false, 0.0).unwrap()),
        Box::new(radam(false, 0.02).unwrap()),
        Box::new(radam(true, 0.02).unwrap()),
        Box::new(
            Adadelta::new(AdadeltaConfig {
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Rprop::new(RpropConfig {
                etas: (l(0.3), l(1.5)),
                step_sizes: (l(1e-4), l(1.0)),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Asgd::default()),
        Box::new(
            Asgd::new(AsgdConfig {
                lambd: l(0.01),
                t0: l(2.0),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(adopt(false, true).unwrap()),
        Box::new(adopt(true, true).unwrap()),
        Box::new(adopt(false, false).unwrap()),
        Box::new(Cocob::default()),
        Box::new(
            Cocob::new(CocobConfig {
                alpha: l(4.0),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Lion::default()),
        Box::new(
            Lion::new(LionConfig {
                b1: l(0.8),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(SignSgd::default()),
        Box::new(Signum::default()),
        Box::new(
            Signum::new(SignumConfig {
                beta: l(0.5),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Yogi::default()),
        Box::new(
            Yogi::new(YogiConfig {
                b2: l(0.9),
                initial_accumulator_value: l(0.1),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(AdaBelief::default()),
        Box::new(
            AdaBelief::new(AdaBeliefConfig {
                b2: l(0.9),
                eps_root: l(1e-8),
                nesterov: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Adan::default()),
        Box::new(
            Adan::new(AdanConfig {
                b1: l(0.9),
                b3: l(0.9),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(OptimisticGradientDescent::default()),
        Box::new(
            OptimisticGradientDescent::new(OptimisticGradientDescentConfig {
                alpha: l(0.5),
                beta: l(0.25),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(ScheduleFreeSgd::default()),
        Box::new(
            ScheduleFreeSgd::new(ScheduleFreeSgdConfig {
                warmup_steps: 3,
                b1: l(0.8),
                weight_decay: l(0.01),
                weight_lr_power: l(1.5),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(ScheduleFreeAdamW::default()),
        Box::new(
            ScheduleFreeAdamW::new(ScheduleFreeAdamWConfig {
                warmup_steps: 3,
                b1: l(0.95),
                b2: l(0.9),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        // The rules with a first pass of sums over the coordinates.
        Box::new(Dog::default()),
        Box::new(
            Dog::new(DogConfig {
                init_step: DogStart::LearningRate(l(0.1)),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Dowg::default()),
        // The layer-wise rules: sums over the vector, one layer.
        Box::new(
            Rule::new(LambConfig {
                eps_root: l(1e-8),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Rule::new(LarsConfig {
                weight_decay: l(0.01),
                trust_coefficient: l(0.02),
                nesterov: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Rule::new(NovoGradConfig {
                b2: l(0.5),
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Fromage::default()),
        Box::new(Prodigy::default()),
        Box::new(
            Prodigy::new(ProdigyConfig {
                beta3: Some(l(0.9)),
                weight_decay: l(0.01),
                safeguard_warmup: true,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(DAdaptAdamW::default()),
        Box::new(
            DAdaptAdamW::new(DAdaptAdamWConfig {
                weight_decay: l(0.01),
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(DAdaptSgd::default()),
        Box::new(
            DAdaptSgd::new(DAdaptSgdConfig {
                momentum: l(0.9),
                weight_decay: l(0.01),
                growth_rate: Some(l(1.02)),
                ..Default::default()
            })
            .unwrap(),
        ),
    ]
}

/// The rules whose update also goes through the kernel but whose step depends on sums over all
/// coordinates.
fn coupled_variants<F: Real>() -> Vec<Box<dyn Optimizer<F>>> {
    vec![
        Box::new(BarzilaiBorwein::default()),
        Box::new(
            AcceleratedGradient::new(AcceleratedGradientConfig {
                restart: true,
                ..Default::default()
            })
            .unwrap(),
        ),
    ]
}

/// The gradients of `steps` steps on `n` coordinates, each also as every other entry of an
/// array twice as long: varying with the coordinate and the step, with zeros of both signs.
fn gradients<F: Real>(n: usize, steps: usize) -> Vec<(Array1<F>, Array1<F>)> {
    let entry = |i: usize, k: usize| match (i + k) % 17 {
        0 => F::zero(),
        1 => -F::zero(),
        r => F::lit((r as f64 / 17.0 - 0.5) * (1.0 + (i % 5) as f64)),
    };
    (0..steps)
        .map(|k| {
            let g = Array1::from_shape_fn(n, |i| entry(i, k));
            let wide = Array1::from_shape_fn(2 * n, |i| entry(i / 2, k));
            (g, wide)
        })
        .collect()
}

/// The steps of `rule` with `gradients` from a point with entries of both signs, on a
/// contiguous array or on every other entry of one twice as long.
fn run<F: Real>(
    rule: &mut dyn Optimizer<F>,
    gradients: &[(Array1<F>, Array1<F>)],
    strided: bool,
) -> Vec<u64> {
    let n = gradients[0].0.len();
    let mut wide = Array1::from_shape_fn(2 * n, |i| F::lit(((i / 2 % 13) as f64 - 6.0) / 5.0));
    let mut x = wide.slice(s![..;2]).to_owned();
    for (g, g_wide) in gradients {
        if strided {
            rule.step(
                wide.slice_mut(s![..;2]),
                g_wide.slice(s![..;2]),
                F::lit(0.01),
            )
            .unwrap();
        } else {
            rule.step(x.view_mut(), g.view(), F::lit(0.01)).unwrap();
        }
    }
    let x = if strided {
        wide.slice(s![..;2])
    } else {
        x.view()
    };
    // The evaluation point of a rule that has one, written into a strided view of a strided run.
    let mut point = Array1::from_elem(2 * n, F::nan());
    let mut point = point.slice_mut(s![..;2]);
    let written = rule.evaluation_point(x, point.view_mut()).unwrap();
    assert_eq!(written, rule.has_evaluation_point(), "{}", rule.name());
    // The bits of every entry, to compare runs exactly (NaN included).
    x.iter()
        .chain(point.iter().filter(|_| written))
        .map(|v| v.as_f64().to_bits())
        .collect()
}

/// Runs every variant on contiguous and strided arrays of length `n`, which must agree to the
/// bit; `coupled` adds the rules whose step also depends on sums over the coordinates.
fn contiguous_and_strided_agree<F: Real>(n: usize, steps: usize, coupled: bool) {
    let gradients = gradients::<F>(n, steps);
    let mut variants = elementwise_variants::<F>();
    if coupled {
        variants.extend(coupled_variants());
    }
    for mut rule in variants {
        let contiguous = run(rule.as_mut(), &gradients, false);
        rule.reset();
        let strided = run(rule.as_mut(), &gradients, true);
        assert!(contiguous == strided, "{}", rule.name());
    }
}

/// On a short vector the contiguous run uses the widest SIMD instructions on one thread, the
/// strided run the plain loop. Eight steps: RAdam's rectified branch starts at the sixth.
#[test]
fn simd_and_strides_give_the_same_bits() {
    contiguous_and_strided_agree::<f64>(1003, 8, true);
    contiguous_and_strided_agree::<f32>(1003, 8, true);
}

/// Past the parallel threshold (and not a multiple of any block or vector width) the contiguous
/// run is split over threads; two steps, since the first differs from the later ones (momentum).
#[test]
fn threads_give_the_same_bits_f64() {
    contiguous_and_strided_agree::<f64>(PARALLEL_THRESHOLD + 4099, 2, false);
}

#[test]
fn threads_give_the_same_bits_f32() {
    contiguous_and_strided_agree::<f32>(PARALLEL_THRESHOLD + 4099, 2, false);
}

#[test]
fn a_reset_rule_repeats_the_iterates_of_a_new_one_bit_for_bit() {
    let (other, same) = (gradients::<f64>(5, 3), gradients::<f64>(37, 7));
    let used = elementwise_variants::<f64>()
        .into_iter()
        .chain(coupled_variants());
    let new = elementwise_variants::<f64>()
        .into_iter()
        .chain(coupled_variants());
    for (mut used, mut new) in used.zip(new) {
        // Another length first, then the same length twice: the buffers are reallocated once,
        // then refilled in place.
        run(used.as_mut(), &other, false);
        used.reset();
        run(used.as_mut(), &same, false);
        used.reset();
        assert_eq!(used.steps_taken(), 0);
        let again = run(used.as_mut(), &same, false);
        assert!(again == run(new.as_mut(), &same, false), "{}", used.name());
        assert_eq!(used.steps_taken(), 7);
    }
}
