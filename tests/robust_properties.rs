//! Properties of the public API over inputs of every magnitude, in `f32` and `f64`.
//!
//! Inputs are drawn across all decades of the type (from its denormals to `±F::MAX`), with
//! zeros, the extremes, NaN and infinities made common, and lengths from empty up; counts reach
//! `usize::MAX`. For the update rules (through the registry of `tests/common/rules.rs`), the
//! constraint sets, the schedules, gradient clipping, the line searches and short runs of the
//! `Minimizer`, the properties are:
//!
//! - nothing panics (a panic fails the case);
//! - bad input is a typed error, and exactly the bad input is (a step fails exactly when `x` is
//!   empty, the lengths differ or `lr` is not a finite number `>= 0`; a clipping threshold
//!   exactly when it is not finite and positive; a run with valid settings never fails);
//! - everything terminates within a bounded number of evaluations (the line searches within
//!   their budget, the loop within its iteration or evaluation budget, `usize::MAX` iterations
//!   included);
//! - results are finite, and inside their set, whenever the inputs are finite (projections,
//!   clipped gradients, schedules' step sizes, the report's `x`), and NaN stays visible.
//!
//! Number of cases: 19 properties (9 in each type, and the one on step errors with both types
//! in each case), [`CASES`] = 2,048 cases each: 38,912 cases per run, each trying the rule,
//! set, schedule, search or run it draws. About 6 s in a debug build on a two-core machine;
//! the suite also passes at 20,000 cases per property (`PROPTEST_CASES=20000`, 95 s).

mod common;

use std::cell::Cell;

use common::rules::{Draw, rules};
use gradus::clip::{clip_by_global_norm, clip_by_value};
use gradus::constraints::{
    Affine, BoxSet, HalfSpace, Hyperplane, L1Ball, L2Ball, LInfBall, NonNegative, Product,
    Projection, Simplex,
};
use gradus::line_search::{
    Backtracking, ExactQuadratic, LineFunction, LineSearch, StrongWolfe, StrongWolfeConfig,
};
use gradus::problems::{Booth, LogSumExp, Quadratic, Rosenbrock, Sphere};
use gradus::schedule::{
    Anneal, Constant, CosineAnnealing, CosineAnnealingWarmRestarts, Exponential, InverseTime,
    LinearWarmup, MultiStep, OneCycle, OneCycleConfig, PiecewiseConstant, PlateauMode, Polynomial,
    ReduceOnPlateau, ReduceOnPlateauConfig, Schedule, StepDecay, SwaLr, ThresholdMode,
};
use gradus::{Clip, Error, Minimizer, Objective, Optimizer, Real, Report, Termination};
use ndarray::{Array1, Array2, ArrayView1};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Cases per property (and per type).
const CASES: u32 = 2048;

// ---------------------------------------------------------------------------------------------
// Numbers of every magnitude.

/// The two float types, with what the strategies need to know of them.
trait Float: Real {
    /// Decimal exponents `e` for which `m · 10^e` (`1 <= m < 10`) is finite and not zero.
    const EXP10: (i32, i32);
    /// The smallest positive (denormal) value.
    fn tiny() -> Self {
        Self::min_positive_value() * Self::epsilon()
    }
}

impl Float for f64 {
    const EXP10: (i32, i32) = (-323, 307);
}

impl Float for f32 {
    const EXP10: (i32, i32) = (-45, 37);
}

/// Finite numbers of every magnitude: each decade equally likely, the extremes, zeros and
/// denormals common.
fn finite<F: Float>() -> BoxedStrategy<F> {
    let (lo, hi) = F::EXP10;
    prop_oneof![
        8 => (any::<bool>(), 1.0..10.0f64, lo..=hi).prop_map(|(neg, m, e)| {
            let v = F::lit(m * 10f64.powi(e));
            let v = if v.is_finite() { v } else { F::max_value() };
            if neg { -v } else { v }
        }),
        3 => (-10.0..10.0f64).prop_map(F::lit),
        1 => Just(F::zero()),
        1 => Just(-F::zero()),
        1 => Just(F::max_value()),
        1 => Just(-F::max_value()),
        1 => Just(F::min_positive_value()),
        1 => (any::<bool>(), 1usize..4096).prop_map(|(neg, k)| {
            let v = F::tiny() * F::from_count(k);
            if neg { -v } else { v }
        }),
    ]
    .boxed()
}

/// Finite numbers `>= 0` of every magnitude.
fn non_negative<F: Float>() -> BoxedStrategy<F> {
    finite::<F>().prop_map(|v| v.abs()).boxed()
}

/// Any number: finite ones of every magnitude, NaN and infinities.
fn any_value<F: Float>() -> BoxedStrategy<F> {
    prop_oneof![
        12 => finite::<F>(),
        1 => Just(F::nan()),
        1 => Just(F::infinity()),
        1 => Just(F::neg_infinity()),
    ]
    .boxed()
}

/// Finite numbers of moderate size, `|v| <= bound`, spanning the decades below it.
fn bounded<F: Float>(bound: f64) -> BoxedStrategy<F> {
    let top = bound.log10();
    prop_oneof![
        4 => (any::<bool>(), -30.0..top).prop_map(move |(neg, e)| {
            let v = F::lit(10f64.powf(e).min(bound));
            if neg { -v } else { v }
        }),
        1 => Just(F::zero()),
    ]
    .boxed()
}

/// Counts: small ones, and the largest.
fn count() -> BoxedStrategy<usize> {
    prop_oneof![
        6 => 0usize..40,
        1 => Just(usize::MAX),
        1 => Just(usize::MAX - 1),
        1 => Just(usize::MAX / 2 + 1),
        1 => any::<usize>(),
    ]
    .boxed()
}

fn vector<F: Float>(
    values: BoxedStrategy<F>,
    len: std::ops::Range<usize>,
) -> BoxedStrategy<Array1<F>> {
    proptest::collection::vec(values, len)
        .prop_map(Array1::from)
        .boxed()
}

fn all_finite<F: Float>(x: ArrayView1<'_, F>) -> bool {
    x.iter().all(|v| v.is_finite())
}

fn max_abs<F: Float>(x: ArrayView1<'_, F>) -> F {
    x.iter().fold(F::zero(), |m, v| m.max(v.abs()))
}

// ---------------------------------------------------------------------------------------------
// Update rules, through the registry and the `Optimizer` trait.

/// `v <= 1` (false for NaN).
fn at_most_one<F: Float>(v: F) -> bool {
    v <= F::one()
}

/// The error a step must give, if any: the documented checks, in their order. `mu` is the
/// strong-convexity parameter of the accelerated gradient, which also requires `mu · lr <= 1`.
fn expected_step_error<F: Float>(
    x_len: usize,
    g_len: usize,
    lr: F,
    mu: Option<F>,
) -> Option<&'static str> {
    if x_len == 0 {
        Some("Empty")
    } else if g_len != x_len {
        Some("DimensionMismatch")
    } else if !(lr.is_finite() && lr >= F::zero()) || mu.is_some_and(|mu| !at_most_one(mu * lr)) {
        Some("InvalidParameter")
    } else {
        None
    }
}

fn kind(err: &Error) -> &'static str {
    match err {
        Error::Empty { .. } => "Empty",
        Error::DimensionMismatch { .. } => "DimensionMismatch",
        Error::InvalidParameter { .. } => "InvalidParameter",
        Error::NonFinite { .. } => "NonFinite",
        Error::InvalidCount { .. } => "InvalidCount",
        Error::InvalidEntry { .. } => "InvalidEntry",
        Error::InvalidSet { .. } => "InvalidSet",
        Error::Incompatible { .. } => "Incompatible",
        _ => "other",
    }
}

/// Raw hyperparameters of every magnitude, NaN and infinities included.
fn raw_hyperparameters() -> impl Strategy<Value = [f64; 6]> {
    proptest::array::uniform6(any_value::<f64>())
}

/// Any rule built from any hyperparameters; steps on vectors of any values and lengths, with any
/// step sizes: the step fails exactly as documented, and never panics.
fn steps_fail_exactly_on_bad_arguments<F: Float>(
    kind_index: usize,
    h: &[f64; 6],
    x: &Array1<F>,
    steps: &[(Array1<F>, F)],
) -> Result<(), TestCaseError> {
    let registry = rules::<F>();
    let entry = &registry[kind_index % registry.len()];
    let Some(mut rule) = (entry.from_raw)(h) else {
        return Ok(());
    };
    let mu = (entry.name == "AcceleratedGradient").then(|| F::lit(h[1]));
    let mut x = x.clone();
    for (g, lr) in steps {
        let before = x.clone();
        let want = expected_step_error(x.len(), g.len(), *lr, mu);
        match rule.step(x.view_mut(), g.view(), *lr) {
            Ok(()) => prop_assert!(
                want.is_none(),
                "{}: step accepted, expected {want:?}",
                entry.name
            ),
            // Documented as coming after the move (a state that squares the gradient is no
            // longer finite): the arguments were good.
            Err(Error::NonFiniteState { .. }) => prop_assert!(want.is_none(), "{}", entry.name),
            Err(e) => {
                prop_assert_eq!(Some(kind(&e)), want, "{}: {}", entry.name, e);
                // A refused step leaves x as it was.
                prop_assert!(
                    x.iter()
                        .zip(&before)
                        .all(|(a, b)| a.to_bits_u64() == b.to_bits_u64()),
                    "{}: refused step moved x",
                    entry.name
                );
            }
        }
        let _ = rule.steps_taken();
        if rule.has_search_direction() && !x.is_empty() {
            let mut d = Array1::zeros(x.len());
            let _ = rule.search_direction(x.view(), g.view(), d.view_mut());
        }
    }
    rule.reset();
    let n = x.len();
    let r = rule.step(x.view_mut(), Array1::zeros(n).view(), F::zero());
    let refused = r.is_err() && !matches!(r, Err(Error::NonFiniteState { .. }));
    prop_assert_eq!(refused, n == 0);
    Ok(())
}

/// Bits of a float of either type, for comparisons that see NaN and signed zeros.
trait Bits {
    fn to_bits_u64(self) -> u64;
}

impl<F: Real> Bits for F {
    fn to_bits_u64(self) -> u64 {
        self.as_f64().to_bits()
    }
}

/// Valid hyperparameters: decay rates in `[0, 0.999]`, `eps` in `[1e-8, 1e-2]`.
fn valid_hyperparameters() -> impl Strategy<Value = Draw> {
    (
        0.0..0.999f64,
        0.0..0.999f64,
        -8.0..-2.0f64,
        0.0..1.0f64,
        0.0..0.01f64,
    )
        .prop_map(|(rate1, rate2, log_eps, lr_decay, momentum_decay)| Draw {
            rate1,
            rate2,
            eps: 10f64.powf(log_eps),
            lr_decay,
            momentum_decay,
        })
}

/// Rules from valid hyperparameters stepping on finite `x` and `g` below `√F::MAX / 16` (so
/// that `g²` and sums of a few of them are finite: past that a second moment overflows, which is
/// another matter) with `lr` in `[0, 1]`: `x` stays finite. For every rule on the first step,
/// and for the rules without curvature pairs (every rule but L-BFGS and Barzilai-Borwein, whose
/// pairs from unrelated random gradients may be arbitrarily ill-conditioned) on every step; not
/// for D-Adaptation SGD after its first step, whose step size `d γ / ‖g₀‖` is as large as the
/// first gradient is small (a first gradient of norm `1e-22` and then gradients of norm `1`
/// overflow `f32`, as the method is written and documented).
fn bounded_steps_stay_finite<F: Float>(
    kind_index: usize,
    draw: &Draw,
    x: &Array1<F>,
    grads: &[Array1<F>],
    lrs: &[F],
) -> Result<(), TestCaseError> {
    let registry = rules::<F>();
    let entry = &registry[kind_index % registry.len()];
    let mut rule = (entry.from_draw)(draw);
    let mut x = x.clone();
    let n = x.len();
    let pairs = entry.needs_exact_gradients || entry.name == "DAdaptSGD";
    for (k, g) in grads.iter().enumerate() {
        let g = g.slice(ndarray::s![..n]);
        rule.step(x.view_mut(), g, lrs[k % lrs.len()]).unwrap();
        if k == 0 || !pairs {
            prop_assert!(all_finite(x.view()), "{} step {k}: {x}", entry.name);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Constraint sets.

/// A set drawn from its parameters, with the scale of rounding its projection may make (the
/// size and the position of a bounded set; the point itself for an unbounded one).
struct DrawnSet<F: Float> {
    name: &'static str,
    set: Box<dyn Projection<F>>,
    /// The magnitude of the set's own numbers.
    scale: F,
    /// The set is unbounded, so rounding grows with the point projected.
    unbounded: bool,
    /// Membership `(x, tolerance)` where the set's own `contains` cannot say it.
    inside: Option<Inside<F>>,
}

type Inside<F> = Box<dyn Fn(ArrayView1<'_, F>, F) -> bool>;

/// `|a_i·x - b_i| <= tolerance |a_i|` for every row, computed with the row and `b_i` divided
/// by the row's largest magnitude (rows of any magnitude, denormal ones included, then have
/// entries in `[-1, 1]`), and on `x/s` with `s` a power of two above every magnitude (exact
/// scaling): `Affine::contains` multiplies the entries as they are, and `a_ij x_j` overflows
/// for points of the set near `F::MAX` (an equation `x_1 - x_2 = c` between two entries of
/// `10^38`, times a coefficient above 1, in `f32`).
fn affine_inside<F: Float>(a: Array2<F>, b: Array1<F>) -> Inside<F> {
    Box::new(move |x: ArrayView1<'_, F>, tolerance: F| {
        a.rows().into_iter().zip(&b).all(|(row, &bi)| {
            let m = max_abs(row);
            let u: Array1<F> = row.mapv(|v| v / m);
            let c = bi / m;
            let two = F::lit(2.0);
            let mut s = two.powf(max_abs(x).max(c.abs()).log2().ceil());
            if !s.is_finite() {
                s = two.powf(F::max_value().log2().floor() - F::one());
            }
            if s == F::zero() {
                s = F::one();
            }
            let r = u
                .iter()
                .zip(x)
                .fold(F::zero(), |acc, (&uj, &xj)| acc + uj * (xj / s))
                - c / s;
            // Entries of `x/s` below the normal range keep fewer bits.
            let spacing = F::lit(4.0 * x.len() as f64) * F::tiny();
            r.abs() <= tolerance / s * l2_norm(&u) + spacing
        })
    })
}

/// Parameters of a set: a kind, numbers of any magnitude for its vectors and scalars.
#[derive(Debug, Clone)]
struct SetSpec<F> {
    kind: usize,
    n: usize,
    a: Vec<F>,
    b: Vec<F>,
    r: F,
    huge_n: usize,
}

fn set_spec<F: Float>() -> impl Strategy<Value = SetSpec<F>> {
    (
        0usize..12,
        1usize..7,
        proptest::collection::vec(any_value::<F>(), 6),
        proptest::collection::vec(any_value::<F>(), 6),
        any_value::<F>(),
        count(),
    )
        .prop_map(|(kind, n, a, b, r, huge_n)| SetSpec {
            kind,
            n,
            a,
            b,
            r,
            huge_n,
        })
}

/// The set of `spec`, or the typed error its constructor gives.
fn build_set<F: Float>(spec: &SetSpec<F>) -> Result<DrawnSet<F>, Error> {
    let n = spec.n;
    let a = Array1::from(spec.a[..n].to_vec());
    let b = Array1::from(spec.b[..n].to_vec());
    let r = spec.r;
    let scale_of = |v: &Array1<F>| max_abs(v.view()).max(r.abs());
    let drawn = |name, set: Box<dyn Projection<F>>, scale, unbounded| DrawnSet {
        name,
        set,
        scale,
        unbounded,
        inside: None,
    };
    Ok(match spec.kind {
        0 => {
            // Lower bounds `a`, upper bounds `a + |b|` (infinite where that overflows).
            let upper = Array1::from_shape_fn(n, |i| a[i] + b[i].abs());
            let scale = max_abs(a.view()).max(max_abs(upper.view()));
            drawn(
                "box",
                Box::new(BoxSet::new(a.view(), upper.view())?),
                scale,
                true,
            )
        }
        1 => {
            let (lo, hi) = (a[0].min(b[0]), a[0].max(b[0]));
            let set = BoxSet::uniform(spec.huge_n, lo, hi)?;
            drawn("uniform box", Box::new(set), lo.abs().max(hi.abs()), true)
        }
        2 => drawn("nonnegative", Box::new(NonNegative), F::zero(), true),
        3 => drawn(
            "l2 ball",
            Box::new(L2Ball::centered(a.view(), r)?),
            scale_of(&a),
            false,
        ),
        4 => drawn(
            "linf ball",
            Box::new(LInfBall::centered(a.view(), r)?),
            scale_of(&a),
            false,
        ),
        5 => drawn(
            "l1 ball",
            Box::new(L1Ball::centered(a.view(), r)?),
            scale_of(&a),
            false,
        ),
        6 => drawn("l2 ball at 0", Box::new(L2Ball::new(r)?), r.abs(), false),
        7 => {
            let s = simplex_sum(r);
            drawn("simplex", Box::new(Simplex::new(s)?), s.abs(), false)
        }
        8 => {
            let set = HalfSpace::new(a.view(), r)?;
            let offset = set.unit_offset().abs();
            drawn("halfspace", Box::new(set), offset, true)
        }
        9 => {
            let set = Hyperplane::new(a.view(), r)?;
            let offset = set.unit_offset().abs();
            drawn("hyperplane", Box::new(set), offset, true)
        }
        10 => {
            // Rows e_0 + e_1 and e_1 - e_2 (well conditioned) scaled by `a`, right-hand side `b`.
            if n < 3 {
                return drawn_simplex_product(spec);
            }
            let (s0, s1) = (a[0], a[1]);
            let mut m = Array2::zeros((2, n));
            m[[0, 0]] = s0;
            m[[0, 1]] = s0;
            m[[1, 1]] = s1;
            m[[1, 2]] = -s1;
            let rhs = Array1::from(vec![b[0], b[1]]);
            let set = Affine::new(m.view(), rhs.view())?;
            // The offsets of the rows in units of their norms.
            let root2 = F::lit(2.0).sqrt();
            let scale = (rhs[0] / s0.abs() / root2)
                .abs()
                .max((rhs[1] / s1.abs() / root2).abs());
            DrawnSet {
                inside: Some(affine_inside(m, rhs)),
                ..drawn("affine", Box::new(set), scale, true)
            }
        }
        _ => return drawn_simplex_product(spec),
    })
}

/// The sum of a drawn simplex: `r`, kept below `F::MAX / 8`. Up there `Simplex::contains`
/// adds the entries as they are, which overflows for points of the set such as three entries
/// `F::MAX / 3` rounded up; the projection itself is right (a NaN or infinite `r` is kept, for
/// the constructor to refuse).
fn simplex_sum<F: Float>(r: F) -> F {
    let cap = F::max_value() / F::lit(8.0);
    if r.abs() > cap { cap.copysign(r) } else { r }
}

/// A product of a simplex of sum `|r|` on the first coordinate(s) and an L2 ball about `a` on
/// the rest.
fn drawn_simplex_product<F: Float>(spec: &SetSpec<F>) -> Result<DrawnSet<F>, Error> {
    let n = spec.n.max(2);
    let k = n / 2;
    let c = Array1::from(spec.a[..n - k].to_vec());
    let set = Product::new()
        .block(k, Simplex::new(simplex_sum(spec.r).abs())?)?
        .block(n - k, L2Ball::centered(c.view(), spec.r)?)?;
    Ok(DrawnSet {
        name: "product",
        set: Box::new(set),
        scale: max_abs(c.view()).max(spec.r.abs()),
        unbounded: false,
        inside: None,
    })
}

/// A set of any parameters projects any point without panicking; finite points land in the
/// set, NaN stays visible, a wrong length is NaN (or a typed error through `try_project`).
fn projections_land_in_the_set<F: Float>(
    spec: &SetSpec<F>,
    x: &Array1<F>,
) -> Result<(), TestCaseError> {
    let mut drawn = match build_set(spec) {
        Ok(d) => d,
        Err(e) => {
            prop_assert!(kind(&e) != "other", "{e:?}");
            return Ok(());
        }
    };
    let n = drawn.set.dim().unwrap_or(spec.n);
    if n > 64 {
        // A uniform box of a huge dimension that could be allocated: nothing to project.
        return Ok(());
    }
    // The point: the first n values of x, repeated.
    let x = Array1::from_shape_fn(n, |i| x[i % x.len()]);
    let mut p = x.clone();
    drawn.set.project(p.view_mut());
    let name = drawn.name;
    let mut scale = drawn.scale;
    if drawn.unbounded {
        scale = scale.max(max_abs(x.view()));
    }
    // The projection onto an unbounded set moves a point by its distance to the set, which
    // can take an entry past `F::MAX` for points or offsets near it: the exact projection is
    // then not a float. Below `F::MAX / 4n` it is.
    let headroom = !drawn.unbounded || scale <= F::max_value() / F::lit(4.0 * n as f64);
    if all_finite(x.view()) && !headroom {
        prop_assert!(p.iter().all(|v| !v.is_nan()), "{name}: {x} -> {p}");
    } else if all_finite(x.view()) {
        prop_assert!(all_finite(p.view()), "{name}: {x} -> {p}");
        let tol = F::lit(64.0 * n as f64) * F::epsilon() * (scale + F::min_positive_value());
        let inside = match &drawn.inside {
            Some(inside) => inside(p.view(), tol),
            None => drawn.set.contains(p.view(), tol),
        };
        prop_assert!(inside, "{name}: {x} -> {p} (tolerance {tol:e})");
    } else if x.iter().any(|v| v.is_nan()) {
        prop_assert!(p.iter().any(|v| v.is_nan()), "{name}: NaN lost: {x} -> {p}");
    }
    if let Some(d) = drawn.set.dim() {
        let mut wrong = Array1::from_elem(d + 1, F::one());
        drawn.set.project(wrong.view_mut());
        prop_assert!(wrong.iter().all(|v| v.is_nan()), "{name}: {wrong}");
        let mut wrong = Array1::from_elem(d + 1, F::one());
        let e = drawn.set.try_project(wrong.view_mut()).unwrap_err();
        prop_assert_eq!(kind(&e), "DimensionMismatch");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Schedules.

/// Parameters of a schedule: numbers and counts of any size.
#[derive(Debug, Clone)]
struct ScheduleSpec<F> {
    kind: usize,
    v: [F; 4],
    c: [usize; 3],
    list: Vec<usize>,
    values: Vec<F>,
    times: Vec<usize>,
    losses: Vec<F>,
}

fn schedule_spec<F: Float>() -> impl Strategy<Value = ScheduleSpec<F>> {
    (
        0usize..14,
        proptest::array::uniform4(any_value::<F>()),
        proptest::array::uniform3(count()),
        proptest::collection::vec(count(), 0..5),
        proptest::collection::vec(any_value::<F>(), 0..6),
        proptest::collection::vec(count(), 1..8),
        proptest::collection::vec(any_value::<F>(), 0..12),
    )
        .prop_map(|(kind, v, c, list, values, times, losses)| ScheduleSpec {
            kind,
            v,
            c,
            list,
            values,
            times,
            losses,
        })
}

fn build_schedule<F: Float>(s: &ScheduleSpec<F>) -> gradus::Result<Box<dyn Schedule<F>>> {
    let [v0, v1, v2, v3] = s.v;
    let [c0, c1, _] = s.c;
    let mut sorted = s.list.clone();
    sorted.sort_unstable();
    sorted.dedup();
    // A list of increasing boundaries half the time, the raw draw otherwise.
    let list = if c1 % 2 == 0 { sorted } else { s.list.clone() };
    let plateau = ReduceOnPlateauConfig {
        mode: if c0 % 2 == 0 {
            PlateauMode::Min
        } else {
            PlateauMode::Max
        },
        factor: v1,
        patience: c1,
        threshold: v2,
        threshold_mode: if c1 % 2 == 0 {
            ThresholdMode::Rel
        } else {
            ThresholdMode::Abs
        },
        cooldown: c0,
        min_lr: v3,
        eps: v3.abs(),
    };
    let one_cycle = OneCycleConfig {
        pct_start: v1,
        anneal: if c1 % 2 == 0 {
            Anneal::Cos
        } else {
            Anneal::Linear
        },
        div_factor: v2,
        final_div_factor: v3,
        three_phase: c0 % 2 == 0,
    };
    Ok(match s.kind {
        0 => Box::new(Constant::new(v0)?),
        1 => Box::new(StepDecay::new(v0, c0, v1)?),
        2 => Box::new(MultiStep::new(v0, list, v1)?),
        3 => Box::new(Exponential::new(v0, v1)?),
        4 => Box::new(InverseTime::new(v0, v1, c0, c1 % 2 == 0)?),
        5 => Box::new(Polynomial::new(v0, c0, v1)?),
        6 => Box::new(CosineAnnealing::new(v0, c0, v1)?),
        7 => Box::new(CosineAnnealingWarmRestarts::new(v0, c0, c1, v1)?),
        8 => Box::new(LinearWarmup::from_value(
            CosineAnnealing::new(v0, c0, v1)?,
            c1,
            v2,
        )?),
        9 => Box::new(LinearWarmup::from_factor(
            Exponential::new(v0, v1)?,
            c1,
            v2,
        )?),
        10 => Box::new(OneCycle::new(v0, c0, one_cycle)?),
        11 => Box::new(PiecewiseConstant::new(list, s.values.clone())?),
        12 => Box::new(SwaLr::new(
            v0,
            v1,
            c0,
            if c1 % 2 == 0 {
                Anneal::Cos
            } else {
                Anneal::Linear
            },
        )?),
        _ => Box::new(ReduceOnPlateau::new(v0, plateau)?),
    })
}

/// Any schedule from any parameters is built or refused with a typed error; once built, every
/// `t` (to `usize::MAX`) gives a finite step size `>= 0`, whatever losses it observes.
fn schedules_give_finite_step_sizes<F: Float>(s: &ScheduleSpec<F>) -> Result<(), TestCaseError> {
    let mut schedule = match build_schedule(s) {
        Ok(schedule) => schedule,
        Err(e) => {
            prop_assert!(kind(&e) != "other", "{e:?}");
            return Ok(());
        }
    };
    let mut losses = s.losses.iter().cycle();
    for &t in s.times.iter().chain(&[0, 1, usize::MAX - 1, usize::MAX]) {
        let lr = schedule.step_size(t);
        prop_assert!(
            lr.is_finite() && lr >= F::zero(),
            "kind {} t {t}: {lr:e}",
            s.kind
        );
        if let Some(&loss) = losses.next() {
            schedule.observe(loss);
        }
    }
    schedule.reset();
    let lr = schedule.step_size(0);
    prop_assert!(lr.is_finite() && lr >= F::zero());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Clipping.

/// Clipping by hand: refused exactly for a threshold that is not finite and positive (then `g`
/// is untouched); otherwise finite gradients come out finite, within the threshold, with their
/// signs, and unchanged to the bit when already within it.
fn clipping_is_exact_or_refused<F: Float>(g: &Array1<F>, c: F) -> Result<(), TestCaseError> {
    let valid = c.is_finite() && c > F::zero();
    let finite_g = all_finite(g.view());

    let mut by_value = g.clone();
    match clip_by_value(by_value.view_mut(), c) {
        Err(e) => {
            prop_assert!(!valid && kind(&e) == "InvalidParameter", "{e:?}");
            prop_assert!(same_bits(&by_value, g));
        }
        Ok(()) => {
            prop_assert!(valid);
            for (v, w) in by_value.iter().zip(g) {
                if w.is_nan() {
                    prop_assert!(v.is_nan());
                } else {
                    prop_assert!(
                        v.abs() <= c && *v * *w >= F::zero(),
                        "{w:e} -> {v:e}, c {c:e}"
                    );
                    if w.abs() <= c {
                        prop_assert_eq!(v.to_bits_u64(), w.to_bits_u64());
                    }
                }
            }
        }
    }

    let mut by_norm = g.clone();
    match clip_by_global_norm(by_norm.view_mut(), c) {
        Err(e) => {
            prop_assert!(!valid && kind(&e) == "InvalidParameter", "{e:?}");
            prop_assert!(same_bits(&by_norm, g));
        }
        Ok(norm) => {
            prop_assert!(valid);
            if finite_g {
                prop_assert!(all_finite(by_norm.view()), "{g} -> {by_norm}");
                let clipped = l2_norm(&by_norm);
                // Rounding of each entry, and for denormal results the spacing of denormals.
                let spacing = F::lit(4.0 * g.len() as f64) * F::tiny();
                let slack = F::one() + F::lit(8.0) * F::epsilon();
                prop_assert!(
                    clipped <= c * slack + spacing,
                    "|{g}| -> {clipped:e} > {c:e}"
                );
                for (v, w) in by_norm.iter().zip(g) {
                    prop_assert!(*v * *w >= F::zero(), "sign of {w:e} -> {v:e}");
                }
                if norm <= c {
                    prop_assert!(same_bits(&by_norm, g));
                } else if max_abs(g.view()) > F::zero() {
                    // A gradient above the threshold comes out at the threshold, to rounding
                    // (denormal results round coarser: allow their spacing).
                    let low = c * (F::one() - F::lit(8.0) * F::epsilon()) - spacing;
                    prop_assert!(clipped >= low, "|{g}| -> {clipped:e} < {c:e}");
                }
            }
        }
    }

    // Through `Clip::apply`, the same checks.
    for clip in [Clip::GlobalNorm(c), Clip::Value(c)] {
        let mut h = g.clone();
        prop_assert_eq!(clip.apply(h.view_mut()).is_ok(), valid);
        prop_assert_eq!(clip.validate().is_ok(), valid);
    }
    Ok(())
}

fn same_bits<F: Float>(a: &Array1<F>, b: &Array1<F>) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_bits_u64() == y.to_bits_u64())
}

/// `|v|₂` without overflow (for the checks only).
fn l2_norm<F: Float>(v: &Array1<F>) -> F {
    let m = max_abs(v.view());
    if m == F::zero() || !m.is_finite() {
        return m;
    }
    m * v
        .iter()
        .map(|&x| (x / m) * (x / m))
        .fold(F::zero(), |s, t| s + t)
        .sqrt()
}

// ---------------------------------------------------------------------------------------------
// Line searches.

/// `φ(α) = φ0 + s α + q α² + k α⁴` evaluated in `F`, counting the evaluations.
struct Polynomial4<F> {
    phi0: F,
    slope: F,
    q: F,
    k: F,
    evaluations: Cell<usize>,
    last: Cell<Option<(F, F)>>,
}

impl<F: Float> LineFunction<F> for Polynomial4<F> {
    fn value(&mut self, alpha: F) -> F {
        self.value_and_slope(alpha).0
    }
    fn value_and_slope(&mut self, alpha: F) -> (F, F) {
        self.evaluations.set(self.evaluations.get() + 1);
        let a2 = alpha * alpha;
        let value = self.phi0 + self.slope * alpha + self.q * a2 + self.k * a2 * a2;
        let slope = self.slope + F::lit(2.0) * self.q * alpha + F::lit(4.0) * self.k * a2 * alpha;
        self.last.set(Some((alpha, value)));
        (value, slope)
    }
}

#[derive(Debug, Clone)]
struct SearchSpec<F> {
    kind: usize,
    params: [F; 4],
    budget: usize,
    phi0: F,
    slope: F,
    q: F,
    k: F,
}

fn search_spec<F: Float>() -> impl Strategy<Value = SearchSpec<F>> {
    (
        0usize..6,
        proptest::array::uniform4(any_value::<F>()),
        prop_oneof![3 => 0usize..80, 1 => Just(usize::MAX)],
        any_value::<F>(),
        any_value::<F>(),
        any_value::<F>(),
        any_value::<F>(),
    )
        .prop_map(|(kind, params, budget, phi0, slope, q, k)| SearchSpec {
            kind,
            params,
            budget,
            phi0,
            slope,
            q,
            k,
        })
}

/// Any line search, built from any parameters or its defaults, on polynomials of any
/// coefficients, with any `φ(0)` and `φ'(0)` (of the wrong sign too): no panic, a bounded number
/// of evaluations, and an accepted step is a finite `α >= 0` whose value is `φ(α)`. With the
/// preconditions met (finite `φ(0)`, finite `φ'(0) < 0`) the step is `α > 0`, and
/// Backtracking's satisfies Armijo's condition. (Outside them Backtracking can return `α = 0`:
/// with `φ'(0) > 0` every trial fails until the shrinking step underflows to 0, where the test
/// `φ(0) <= φ(0)` passes.)
fn line_searches_end_within_their_budget<F: Float>(s: &SearchSpec<F>) -> Result<(), TestCaseError> {
    let [p0, p1, p2, p3] = s.params;
    let built: gradus::Result<(Box<dyn LineSearch<F>>, usize)> = match s.kind {
        0 => Ok((Box::new(Backtracking::default()), 60)),
        1 => Backtracking::new(p0, p1, p2, s.budget)
            .map(|b| (Box::new(b) as Box<dyn LineSearch<F>>, s.budget)),
        2 => Ok((Box::new(StrongWolfe::default()), 30)),
        3 => StrongWolfe::new(StrongWolfeConfig {
            c1: p0,
            c2: p1,
            initial_step: p2,
            max_step: p3,
            max_evaluations: s.budget,
            ..StrongWolfeConfig::default()
        })
        .map(|w| (Box::new(w) as Box<dyn LineSearch<F>>, s.budget)),
        4 => Ok((Box::new(ExactQuadratic::default()), 2)),
        _ => ExactQuadratic::new(p0).map(|e| (Box::new(e) as Box<dyn LineSearch<F>>, 2)),
    };
    let (mut search, budget) = match built {
        Ok(b) => b,
        Err(e) => {
            prop_assert!(
                kind(&e) == "InvalidParameter" || kind(&e) == "InvalidCount",
                "{e:?}"
            );
            return Ok(());
        }
    };
    if budget > 1000 {
        // A budget of usize::MAX evaluations is valid; searching with it is not a bounded test.
        return Ok(());
    }
    let mut phi = Polynomial4 {
        phi0: s.phi0,
        slope: s.slope,
        q: s.q,
        k: s.k,
        evaluations: Cell::new(0),
        last: Cell::new(None),
    };
    let result = search.search(&mut phi, s.phi0, s.slope);
    let used = phi.evaluations.get();
    // Strong Wolfe may evaluate once more at its bracket's best point.
    prop_assert!(
        used <= budget + 2,
        "kind {}: {used} evaluations, budget {budget}",
        s.kind
    );
    let preconditions = s.phi0.is_finite() && s.slope.is_finite() && s.slope < F::zero();
    if let Some(step) = result {
        prop_assert!(
            step.alpha >= F::zero() && step.alpha.is_finite(),
            "{step:?}"
        );
        prop_assert!(step.alpha > F::zero() || !preconditions, "{step:?}");
        let mut check = Polynomial4 {
            evaluations: Cell::new(0),
            last: Cell::new(None),
            ..phi
        };
        let value = check.value(step.alpha);
        prop_assert_eq!(value.to_bits_u64(), step.value.to_bits_u64(), "{:?}", step);
        if preconditions && s.kind < 2 {
            let c1 = if s.kind == 0 { F::lit(1e-4) } else { p2 };
            prop_assert!(
                step.value <= s.phi0 + c1 * step.alpha * s.slope,
                "Armijo fails: {step:?}"
            );
        }
    }
    search.reset();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Short runs of the loop.

/// The problems of a run: smooth, of dimension `n`.
fn problem<F: Float>(index: usize, n: usize) -> Box<dyn Objective<F>> {
    match index % 5 {
        0 => Box::new(Sphere::new(n)),
        1 => Box::new(Rosenbrock::new(n.max(2))),
        2 => Box::new(Quadratic::<F>::log_spaced(n, F::one(), F::lit(100.0)).unwrap()),
        3 => Box::new(LogSumExp::<F>::symmetric(n).unwrap()),
        _ => Box::new(Booth),
    }
}

#[derive(Debug, Clone)]
struct RunSpec<F> {
    rule: usize,
    draw: Draw,
    problem: usize,
    x0: Vec<F>,
    /// 0: constant lr, 1: schedule, 2: line search (when the rule has a direction).
    step: usize,
    lr: F,
    projection: usize,
    set_size: F,
    clip: Option<(bool, F)>,
    tolerance: F,
    max_iterations: usize,
    max_evaluations: Option<usize>,
}

fn run_spec<F: Float>() -> impl Strategy<Value = RunSpec<F>> {
    (
        (0usize..64, valid_hyperparameters(), 0usize..5),
        proptest::collection::vec(finite::<F>(), 6),
        (0usize..3, non_negative::<F>(), 0usize..5, non_negative::<F>()),
        proptest::option::of((any::<bool>(), non_negative::<F>())),
        non_negative::<F>(),
        prop_oneof![4 => (0usize..25, Just(None)), 1 => (Just(usize::MAX), (0usize..60).prop_map(Some))],
    )
        .prop_map(
            |((rule, draw, problem), x0, (step, lr, projection, set_size), clip, tolerance, (max_iterations, max_evaluations))| RunSpec {
                rule,
                draw,
                problem,
                x0,
                step,
                lr,
                projection,
                set_size,
                clip,
                tolerance,
                max_iterations,
                max_evaluations,
            },
        )
}

/// A run of any rule (valid hyperparameters) with valid settings from a finite `x0` of any
/// magnitude: never an error; within its iteration and evaluation budgets; the reported `x` is
/// finite, and inside the projection set when there is one.
fn valid_runs_end_finite_and_feasible<F: Float>(s: &RunSpec<F>) -> Result<(), TestCaseError> {
    let registry = rules::<F>();
    let entry = &registry[s.rule % registry.len()];
    let rule = (entry.from_draw)(&s.draw);
    let line_search = s.step == 2 && entry.has_search_direction && s.projection == 0;
    let p = problem::<F>(s.problem, 1 + s.x0.len() % 5);
    let n = p.dim();
    let x0 = Array1::from_shape_fn(n, |i| s.x0[i % s.x0.len()]);
    // The accelerated gradient requires `mu · lr <= 1`; its drawn `mu` is at most 0.1.
    let lr = if entry.name == "AcceleratedGradient" {
        s.lr.min(F::one())
    } else {
        s.lr
    };
    let mut m = Minimizer::new(rule)
        .max_iterations(s.max_iterations)
        .gradient_tolerance(s.tolerance);
    if let Some(e) = s.max_evaluations {
        m = m.max_evaluations(e);
    }
    m = if line_search {
        if s.rule.is_multiple_of(2) {
            m.line_search(Backtracking::default())
        } else {
            m.line_search(StrongWolfe::default())
        }
    } else if s.step == 1 {
        m.schedule(Exponential::new(lr, F::lit(0.9)).unwrap())
    } else {
        m.lr(lr)
    };
    if let Some((by_norm, c)) = s.clip
        && c > F::zero()
    {
        m = m.clip(if by_norm {
            Clip::GlobalNorm(c)
        } else {
            Clip::Value(c)
        });
    }
    // The set, when there is one, and how to check a point of it.
    let size = if s.set_size > F::zero() {
        s.set_size
    } else {
        F::one()
    };
    let set: Option<Box<dyn Projection<F>>> = match s.projection {
        1 => Some(Box::new(BoxSet::uniform(n, -size, size).unwrap())),
        2 => Some(Box::new(L2Ball::new(size).unwrap())),
        3 => Some(Box::new(Simplex::new(simplex_sum(size)).unwrap())),
        4 => Some(Box::new(NonNegative)),
        _ => None,
    };
    let checker: Option<Box<dyn Projection<F>>> = match s.projection {
        1 => Some(Box::new(BoxSet::uniform(n, -size, size).unwrap())),
        2 => Some(Box::new(L2Ball::new(size).unwrap())),
        3 => Some(Box::new(Simplex::new(simplex_sum(size)).unwrap())),
        4 => Some(Box::new(NonNegative)),
        _ => None,
    };
    if let Some(set) = set {
        m = m.projection(set);
    }
    let report: Report<F> = match m.minimize(p.as_ref(), x0.view()) {
        Ok(r) => r,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "{}: valid run refused: {e}",
                entry.name
            )));
        }
    };
    let per_iteration = 64;
    prop_assert!(report.iterations <= s.max_iterations);
    let bound = match s.max_evaluations {
        Some(e) => e + per_iteration,
        None => 2 + s.max_iterations * per_iteration,
    };
    prop_assert!(
        report.function_evaluations <= bound && report.gradient_evaluations <= bound,
        "{}: {} / {} evaluations, bound {bound}",
        entry.name,
        report.function_evaluations,
        report.gradient_evaluations
    );
    prop_assert!(
        all_finite(report.x.view()),
        "{}: x0 {x0} gave {} ({:?})",
        entry.name,
        report.x,
        report.termination
    );
    if let Some(checker) = checker {
        let tol = F::lit(64.0 * n as f64) * F::epsilon() * (size + F::min_positive_value());
        prop_assert!(
            checker.contains(report.x.view(), tol),
            "{}: {} outside the set of size {size:e} ({:?})",
            entry.name,
            report.x,
            report.termination
        );
    }
    if report.termination == Termination::LineSearchFailed {
        prop_assert!(line_search);
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct FuzzSpec<F> {
    rule: usize,
    h: [f64; 6],
    x0: Vec<F>,
    settings: [F; 5],
    step: usize,
    max_iterations: usize,
}

fn fuzz_spec<F: Float>() -> impl Strategy<Value = FuzzSpec<F>> {
    (
        0usize..64,
        raw_hyperparameters(),
        proptest::collection::vec(any_value::<F>(), 0..5),
        proptest::array::uniform5(any_value::<F>()),
        0usize..4,
        prop_oneof![4 => 0usize..20, 1 => Just(usize::MAX)],
    )
        .prop_map(|(rule, h, x0, settings, step, max_iterations)| FuzzSpec {
            rule,
            h,
            x0,
            settings,
            step,
            max_iterations,
        })
}

/// Any rule from any hyperparameters, any `x0` (empty, of the wrong length, non-finite), any
/// step size, clipping threshold, tolerances and target: a typed error or a bounded run, never a
/// panic; a run from a finite `x0` reports a finite `x`.
fn any_run_is_an_error_or_a_bounded_report<F: Float>(s: &FuzzSpec<F>) -> Result<(), TestCaseError> {
    let registry = rules::<F>();
    let entry = &registry[s.rule % registry.len()];
    let Some(rule) = (entry.from_raw)(&s.h) else {
        return Ok(());
    };
    let [lr, clip, tolerance, f_change, target] = s.settings;
    let mut m = Minimizer::new(rule)
        .max_iterations(s.max_iterations)
        .max_evaluations(200)
        .gradient_tolerance(tolerance)
        .f_change(f_change)
        .target(target);
    m = match s.step {
        0 => m.lr(lr),
        1 => m.line_search(Backtracking::default()),
        2 => match Polynomial::new(lr, 10, F::lit(2.0)) {
            Ok(schedule) => m.schedule(schedule),
            Err(_) => m.lr(lr),
        },
        _ => m,
    };
    if clip.to_bits_u64() % 2 == 0 {
        m = m.clip(Clip::GlobalNorm(clip));
    }
    let x0 = Array1::from(s.x0.clone());
    let p = Rosenbrock::new(2);
    match m.minimize(&p, x0.view()) {
        Err(e) => prop_assert!(kind(&e) != "other", "{e:?}"),
        Ok(report) => {
            prop_assert!(x0.len() == 2 && all_finite(x0.view()));
            prop_assert!(report.function_evaluations <= 200 + 64);
            prop_assert!(all_finite(report.x.view()), "{x0} -> {}", report.x);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

fn step_inputs<F: Float>() -> impl Strategy<Value = (Array1<F>, Vec<(Array1<F>, F)>)> {
    (
        vector(any_value::<F>(), 0..6),
        proptest::collection::vec(
            (
                prop_oneof![3 => vector(any_value::<F>(), 0..6), 1 => vector(finite::<F>(), 3..4)],
                prop_oneof![3 => non_negative::<F>(), 1 => any_value::<F>()],
            ),
            1..5,
        ),
    )
}

fn bounded_inputs<F: Float>() -> impl Strategy<Value = (Array1<F>, Vec<Array1<F>>, Vec<F>)> {
    let g_max = F::max_value().sqrt().as_f64() / 16.0;
    (
        vector(bounded::<F>(1e4), 1..6),
        proptest::collection::vec(vector(bounded::<F>(g_max), 6..7), 1..9),
        proptest::collection::vec((0.0..1.0f64).prop_map(F::lit), 1..4),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn rule_steps_fail_exactly_on_bad_arguments(
        k in 0usize..64,
        h in raw_hyperparameters(),
        (x64, s64) in step_inputs::<f64>(),
        (x32, s32) in step_inputs::<f32>(),
    ) {
        steps_fail_exactly_on_bad_arguments(k, &h, &x64, &s64)?;
        steps_fail_exactly_on_bad_arguments(k, &h, &x32, &s32)?;
    }

    #[test]
    fn bounded_rule_steps_stay_finite_f64(
        k in 0usize..64, d in valid_hyperparameters(), (x, g, lr) in bounded_inputs::<f64>(),
    ) {
        bounded_steps_stay_finite(k, &d, &x, &g, &lr)?;
    }

    #[test]
    fn bounded_rule_steps_stay_finite_f32(
        k in 0usize..64, d in valid_hyperparameters(), (x, g, lr) in bounded_inputs::<f32>(),
    ) {
        bounded_steps_stay_finite(k, &d, &x, &g, &lr)?;
    }

    #[test]
    fn projections_land_in_the_set_f64(s in set_spec::<f64>(), x in vector(any_value::<f64>(), 1..7)) {
        projections_land_in_the_set(&s, &x)?;
    }

    #[test]
    fn projections_land_in_the_set_f32(s in set_spec::<f32>(), x in vector(any_value::<f32>(), 1..7)) {
        projections_land_in_the_set(&s, &x)?;
    }

    #[test]
    fn projections_of_finite_points_land_in_the_set_f64(s in set_spec::<f64>(), x in vector(finite::<f64>(), 1..7)) {
        projections_land_in_the_set(&s, &x)?;
    }

    #[test]
    fn projections_of_finite_points_land_in_the_set_f32(s in set_spec::<f32>(), x in vector(finite::<f32>(), 1..7)) {
        projections_land_in_the_set(&s, &x)?;
    }

    #[test]
    fn schedules_give_finite_step_sizes_f64(s in schedule_spec::<f64>()) {
        schedules_give_finite_step_sizes(&s)?;
    }

    #[test]
    fn schedules_give_finite_step_sizes_f32(s in schedule_spec::<f32>()) {
        schedules_give_finite_step_sizes(&s)?;
    }

    #[test]
    fn clipping_is_exact_or_refused_f64(g in vector(any_value::<f64>(), 0..6), c in any_value::<f64>()) {
        clipping_is_exact_or_refused(&g, c)?;
    }

    #[test]
    fn clipping_is_exact_or_refused_f32(g in vector(any_value::<f32>(), 0..6), c in any_value::<f32>()) {
        clipping_is_exact_or_refused(&g, c)?;
    }

    #[test]
    fn clipping_finite_gradients_f64(g in vector(finite::<f64>(), 1..6), c in finite::<f64>()) {
        clipping_is_exact_or_refused(&g, c)?;
    }

    #[test]
    fn clipping_finite_gradients_f32(g in vector(finite::<f32>(), 1..6), c in finite::<f32>()) {
        clipping_is_exact_or_refused(&g, c)?;
    }

    #[test]
    fn line_searches_end_within_their_budget_f64(s in search_spec::<f64>()) {
        line_searches_end_within_their_budget(&s)?;
    }

    #[test]
    fn line_searches_end_within_their_budget_f32(s in search_spec::<f32>()) {
        line_searches_end_within_their_budget(&s)?;
    }

    #[test]
    fn valid_runs_end_finite_and_feasible_f64(s in run_spec::<f64>()) {
        valid_runs_end_finite_and_feasible(&s)?;
    }

    #[test]
    fn valid_runs_end_finite_and_feasible_f32(s in run_spec::<f32>()) {
        valid_runs_end_finite_and_feasible(&s)?;
    }

    #[test]
    fn any_run_is_an_error_or_a_bounded_report_f64(s in fuzz_spec::<f64>()) {
        any_run_is_an_error_or_a_bounded_report(&s)?;
    }

    #[test]
    fn any_run_is_an_error_or_a_bounded_report_f32(s in fuzz_spec::<f32>()) {
        any_run_is_an_error_or_a_bounded_report(&s)?;
    }
}

// ---------------------------------------------------------------------------------------------
// The cases the properties found, each fixed, kept as plain tests.

#[test]
fn clipping_to_a_tiny_threshold_or_from_an_overflowing_norm_keeps_the_direction() {
    // c/|g| = 2^-1022 / 2^1024 underflowed to 0 and zeroed the gradient.
    let mut g = ndarray::array![f64::MAX];
    clip_by_global_norm(g.view_mut(), f64::MIN_POSITIVE).unwrap();
    assert_eq!(g[0], f64::MIN_POSITIVE);
    // |(MAX, MAX)| overflows: the clipped gradient is (1, 1)/√2 all the same.
    let mut g = ndarray::array![f32::MAX, -f32::MAX];
    let norm = clip_by_global_norm(g.view_mut(), 1.0).unwrap();
    assert_eq!(norm, f32::INFINITY);
    let h = std::f32::consts::FRAC_1_SQRT_2;
    assert!((g[0] - h).abs() <= 2.0 * f32::EPSILON && (g[1] + h).abs() <= 2.0 * f32::EPSILON);
    // A denormal factor c/|g| kept a few bits only: 1000 -> 0.99999 c.
    let mut g = ndarray::array![1000.0_f64];
    clip_by_global_norm(g.view_mut(), f64::MIN_POSITIVE).unwrap();
    assert_eq!(g[0], f64::MIN_POSITIVE);
}

#[test]
fn an_l2_ball_projection_with_a_denormal_factor_lands_in_the_ball() {
    // r/|x| = 8.25e-30 / 1.7e12 is a denormal f32 with 13 bits.
    let r = 8.251_984e-30_f32;
    let mut ball = L2Ball::new(r).unwrap();
    let mut x = ndarray::array![1e12_f32, 1e12, 1e12];
    ball.project(x.view_mut());
    assert!(ball.contains(x.view(), 4.0 * f32::EPSILON * r), "{x}");
    // |(MAX, MAX)| overflows, and r / (|x|/2) is denormal again.
    let mut ball = L2Ball::new(1e-4_f32).unwrap();
    let mut x = ndarray::array![f32::MAX, f32::MAX];
    ball.project(x.view_mut());
    assert!(ball.contains(x.view(), 4.0 * f32::EPSILON * 1e-4), "{x}");
}

#[test]
fn a_simplex_of_denormal_sum_projects_to_a_point_of_the_simplex() {
    // The threshold's mean -s/3 rounded to 0, every value was dropped and the result was +inf.
    let tiny = f32::MIN_POSITIVE * f32::EPSILON;
    let mut x = ndarray::array![1.0_f32, 1.0, 1.0];
    Simplex::new(tiny).unwrap().project(x.view_mut());
    assert!(x.iter().all(|v| v.is_finite() && *v >= 0.0), "{x}");
    assert!((x.sum() - tiny).abs() <= 2.0 * tiny, "{x}");
}

#[test]
fn half_spaces_and_hyperplanes_of_extreme_normals_and_points_project_exactly() {
    // A denormal normal (17, 1)·2^-149: |a| rounded to 17·2^-149, and a/|a| was not a unit vector.
    let tiny = f32::MIN_POSITIVE * f32::EPSILON;
    let a = ndarray::array![17.0 * tiny, tiny];
    let mut plane = Hyperplane::new(a.view(), 0.0).unwrap();
    let unit = plane.unit_normal();
    assert!(
        (unit.dot(&unit) - 1.0).abs() <= 2.0 * f32::EPSILON,
        "{unit}"
    );
    let mut x = ndarray::array![1.0_f32, 1.0];
    plane.project(x.view_mut());
    assert!(plane.contains(x.view(), 4.0 * f32::EPSILON), "{x}");
    // â·x overflows for x = (MAX, MAX): the projection onto {x + y <= 0} is the origin.
    let mut half = HalfSpace::new(ndarray::array![1.0, 1.0].view(), 0.0).unwrap();
    let mut x = ndarray::array![f64::MAX, f64::MAX];
    half.project(x.view_mut());
    assert!(
        x.iter().all(|v| v.abs() <= 4.0 * f64::EPSILON * f64::MAX),
        "{x}"
    );
    assert!(
        half.contains(x.view(), 8.0 * f64::EPSILON * f64::MAX),
        "{x}"
    );
    // A normal whose norm overflows.
    let plane = Hyperplane::new(ndarray::array![f64::MAX, f64::MAX].view(), 0.0).unwrap();
    let unit = plane.unit_normal();
    assert!(
        (unit[0] - std::f64::consts::FRAC_1_SQRT_2).abs() <= 2.0 * f64::EPSILON,
        "{unit}"
    );
}

#[test]
fn affine_sets_far_out_or_of_unequal_rows_project_into_the_set() {
    // x + y = MAX and y - z = 1 from (1, 1, 1): the correction A x - b and its solve overflowed
    // to NaN. The projection is (2 MAX/3, MAX/3, MAX/3) up to rounding.
    let a = ndarray::array![[1.0, 1.0, 0.0], [0.0, 1.0, -1.0]];
    let mut set = Affine::new(a.view(), ndarray::array![f64::MAX, 1.0].view()).unwrap();
    let mut x = ndarray::array![1.0, 1.0, 1.0];
    set.project(x.view_mut());
    let third = f64::MAX / 3.0;
    assert!((x[0] - 2.0 * third).abs() <= 1e-15 * third, "{x}");
    assert!((x[1] - third).abs() <= 1e-15 * third && (x[2] - third).abs() <= 1e-15 * third);
    // Rows of norm 1e11 with a point of 1e-30: the multipliers (A Aᵀ)⁻¹(A x - b) were denormal
    // in f32 and lost a thousand ulps; unit rows keep them normal.
    let a = ndarray::array![[1e11_f32, 1e11, 0.0], [0.0, 1e11, -1e11]];
    let mut set = Affine::new(a.view(), ndarray::array![1e-24_f32, 1e-19].view()).unwrap();
    let mut x = ndarray::array![1e-30_f32, 1e-30, 1e-30];
    set.project(x.view_mut());
    assert!(set.contains(x.view(), 16.0 * f32::EPSILON * 1e-30), "{x}");
    // A plane beyond the largest float (0.1 (x + y) = MAX): no finite point, refused.
    let a = ndarray::array![[0.1, 0.1, 0.0], [0.0, 1.0, -1.0]];
    let err = Affine::new(a.view(), ndarray::array![f64::MAX, 1.0].view()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSet { set: "Affine", .. }),
        "{err:?}"
    );
}
