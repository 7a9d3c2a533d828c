//! Schedules in the loop, and properties of every schedule on arbitrary settings.

use approx::assert_abs_diff_eq;
use gradus::problems::Sphere;
use gradus::schedule::{
    Anneal, Constant, CosineAnnealing, CosineAnnealingWarmRestarts, Exponential, InverseTime,
    LinearWarmup, MultiStep, OneCycle, OneCycleConfig, PiecewiseConstant, PlateauMode, Polynomial,
    ReduceOnPlateau, ReduceOnPlateauConfig, Schedule, StepDecay, ThresholdMode,
};
use gradus::{Control, GradientDescent, IterationState, Minimizer, Objective, Termination};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};
use proptest::prelude::*;

// --- The loop uses exactly the schedule's step sizes ------------------------------------------

/// f(x) = |x|² / 2, whose gradient is x: a gradient step with γ gives x ← (1 - γ) x.
struct HalfSquare;

impl Objective<f64> for HalfSquare {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: ArrayView1<'_, f64>) -> f64 {
        0.5 * x.dot(&x)
    }
    fn gradient(&self, x: ArrayView1<'_, f64>, mut grad: ArrayViewMut1<'_, f64>) {
        grad.assign(&x);
    }
}

#[test]
fn minimizer_uses_exactly_the_schedule_step_sizes() {
    let schedule =
        || LinearWarmup::from_factor(StepDecay::new(0.5, 3, 0.5).unwrap(), 2, 0.5).unwrap();
    let mut reference = schedule();
    let expected: Vec<f64> = (0..12).map(|t| reference.step_size(t)).collect();

    let mut seen = Vec::new();
    let x0 = array![1.0, -2.0];
    let report = Minimizer::new(GradientDescent::default())
        .schedule(schedule())
        .max_iterations(12)
        .record_history(true)
        .observer(|s: &IterationState<'_, f64>| {
            seen.push((s.iteration, s.step_size));
            Control::Continue
        })
        .minimize(&HalfSquare, x0.view())
        .unwrap();
    assert_eq!(report.termination, Termination::MaxIterations);
    assert_eq!(report.iterations, 12);

    // Record k holds the step size of the step that led to x_k: γ_{k-1}.
    let history = report.history.as_ref().unwrap();
    let used: Vec<f64> = history
        .records
        .iter()
        .skip(1)
        .map(|r| r.step_size)
        .collect();
    assert_eq!(used, expected);
    let observed: Vec<f64> = seen.iter().skip(1).map(|&(_, g)| g).collect();
    assert_eq!(observed, expected);
    assert!(seen.iter().enumerate().all(|(k, &(it, _))| it == k));

    // And the iterate moved by those steps: x_12 = Π (1 - γ_k) x_0.
    let factor: f64 = expected.iter().map(|g| 1.0 - g).product();
    for (x, x0) in report.x.iter().zip(x0.iter()) {
        assert_abs_diff_eq!(*x, factor * x0, epsilon = 1e-15 * x0.abs());
    }
}

#[test]
fn minimizer_feeds_the_loss_to_reduce_on_plateau() {
    // On f(x) = |x|², γ = 1 maps x to -x: the loss stays flat. With patience 2 the plateau
    // schedule halves the step at the fourth observation, and γ = 1/2 lands exactly on 0.
    let config = ReduceOnPlateauConfig {
        patience: 2,
        factor: 0.5,
        ..Default::default()
    };
    let report = Minimizer::new(GradientDescent::default())
        .schedule(ReduceOnPlateau::new(1.0, config).unwrap())
        .gradient_tolerance(1e-12)
        .max_iterations(100)
        .record_history(true)
        .minimize(&Sphere::new(2), array![3.0, -1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert_eq!(report.iterations, 4);
    assert_eq!(report.x, Array1::<f64>::zeros(2));
    let steps: Vec<f64> = report
        .history
        .unwrap()
        .records
        .iter()
        .map(|r| r.step_size)
        .collect();
    assert_eq!(steps, vec![0.0, 1.0, 1.0, 1.0, 0.5]);
}

// --- No panics; finite, non-negative step sizes ----------------------------------------------

macro_rules! schedule_properties {
    ($m:ident, $t:ident) => {
        mod $m {
            use super::*;
            type T = $t;

            /// Any value at all, NaN and infinities included.
            fn wild() -> impl Strategy<Value = T> {
                use proptest::num::$t as n;
                prop_oneof![
                    n::POSITIVE
                        | n::NEGATIVE
                        | n::ZERO
                        | n::SUBNORMAL
                        | n::NORMAL
                        | n::INFINITE
                        | n::QUIET_NAN,
                    -2.0 as T..2.0 as T,
                    Just(0.0 as T),
                    Just(1.0 as T),
                    Just(T::MAX),
                    Just(T::MIN_POSITIVE),
                ]
            }

            /// A valid step size, extremes included.
            fn lr() -> impl Strategy<Value = T> {
                prop_oneof![
                    0.0 as T..10.0 as T,
                    0.0 as T..T::MAX,
                    Just(0.0 as T),
                    Just(T::MAX),
                    Just(T::MIN_POSITIVE),
                ]
            }

            /// A valid decay factor in (0, 1].
            fn gamma() -> impl Strategy<Value = T> {
                prop_oneof![T::MIN_POSITIVE..=1.0 as T, Just(1.0 as T), Just(T::MIN_POSITIVE)]
            }

            fn count() -> impl Strategy<Value = usize> {
                prop_oneof![0usize..100, any::<usize>(), Just(usize::MAX)]
            }

            fn period() -> impl Strategy<Value = usize> {
                prop_oneof![1usize..100, 1usize..=usize::MAX, Just(usize::MAX)]
            }

            fn iterations() -> impl Strategy<Value = Vec<usize>> {
                proptest::collection::vec(
                    prop_oneof![0usize..1000, any::<usize>(), Just(usize::MAX)],
                    1..12,
                )
            }

            fn increasing(nonempty: bool) -> impl Strategy<Value = Vec<usize>> {
                proptest::collection::vec(count(), usize::from(nonempty)..8).prop_map(|mut v| {
                    v.sort_unstable();
                    v.dedup();
                    v
                })
            }

            fn check<S: Schedule<T>>(s: &mut S, ts: &[usize]) -> Result<(), TestCaseError> {
                for &t in ts {
                    let v = s.step_size(t);
                    prop_assert!(v.is_finite() && v >= 0.0, "t = {}: step size {:e}", t, v);
                }
                Ok(())
            }

            fn check_built<S: Schedule<T>>(
                r: gradus::Result<S>,
                ts: &[usize],
            ) -> Result<(), TestCaseError> {
                match r {
                    Ok(mut s) => check(&mut s, ts),
                    Err(_) => Ok(()),
                }
            }

            fn check_valid<S: Schedule<T>>(
                r: gradus::Result<S>,
                ts: &[usize],
            ) -> Result<(), TestCaseError> {
                match r {
                    Ok(mut s) => check(&mut s, ts),
                    Err(e) => Err(TestCaseError::fail(format!("valid settings rejected: {e}"))),
                }
            }

            proptest! {
                #[test]
                fn simple_schedules_never_panic(
                    a in wild(), b in wild(), n in count(), m in count(), flag in any::<bool>(),
                    ts in iterations(),
                ) {
                    check_built(Constant::new(a), &ts)?;
                    check_built(StepDecay::new(a, n, b), &ts)?;
                    check_built(Exponential::new(a, b), &ts)?;
                    check_built(InverseTime::new(a, b, n, flag), &ts)?;
                    check_built(Polynomial::new(a, n, b), &ts)?;
                    check_built(CosineAnnealing::new(a, n, b), &ts)?;
                    check_built(CosineAnnealingWarmRestarts::new(a, n, m, b), &ts)?;
                }

                #[test]
                fn simple_schedules_are_finite_and_nonnegative(
                    a in lr(), b in lr(), g in gamma(), n in period(), m in period(),
                    flag in any::<bool>(), ts in iterations(),
                ) {
                    check_valid(Constant::new(a), &ts)?;
                    check_valid(StepDecay::new(a, n, g), &ts)?;
                    check_valid(Exponential::new(a, g), &ts)?;
                    check_valid(InverseTime::new(a, b, n, flag), &ts)?;
                    check_valid(Polynomial::new(a, n, b), &ts)?;
                    check_valid(CosineAnnealing::new(a, n, b), &ts)?;
                    check_valid(CosineAnnealingWarmRestarts::new(a, n, m, b), &ts)?;
                }

                #[test]
                fn list_schedules_never_panic(
                    a in wild(), milestones in proptest::collection::vec(count(), 0..6),
                    values in proptest::collection::vec(wild(), 0..6), ts in iterations(),
                ) {
                    check_built(MultiStep::new(a, milestones.clone(), a), &ts)?;
                    check_built(PiecewiseConstant::new(milestones, values), &ts)?;
                }

                #[test]
                fn list_schedules_are_finite_and_nonnegative(
                    a in lr(), g in gamma(), milestones in increasing(true),
                    boundaries in increasing(false),
                    values in proptest::collection::vec(lr(), 9), ts in iterations(),
                ) {
                    check_valid(MultiStep::new(a, milestones, g), &ts)?;
                    let values = values[..boundaries.len() + 1].to_vec();
                    check_valid(PiecewiseConstant::new(boundaries, values), &ts)?;
                }

                #[test]
                fn warmup_never_panics(
                    a in wild(), b in wild(), n in count(), w in count(), ts in iterations(),
                ) {
                    if let Ok(inner) = CosineAnnealing::new(a, n, a) {
                        check_built(LinearWarmup::from_factor(inner, w, b), &ts)?;
                        check_built(LinearWarmup::from_value(inner, w, b), &ts)?;
                    }
                }

                #[test]
                fn warmup_is_finite_and_nonnegative(
                    a in lr(), b in lr(), f in 0.0 as T..=1.0 as T, n in period(), w in count(),
                    losses in proptest::collection::vec(wild(), 0..12), ts in iterations(),
                ) {
                    let inner = CosineAnnealing::new(a, n, b).unwrap();
                    check_valid(LinearWarmup::from_factor(inner, w, f), &ts)?;
                    check_valid(LinearWarmup::from_value(inner, w, b), &ts)?;
                    let plateau = ReduceOnPlateau::new(a, ReduceOnPlateauConfig::default()).unwrap();
                    let mut s = LinearWarmup::from_value(plateau, w, b).unwrap();
                    for (t, &l) in losses.iter().enumerate() {
                        s.observe(l);
                        check(&mut s, &[t])?;
                    }
                }

                #[test]
                fn one_cycle_never_panics(
                    a in wild(), n in count(), p in wild(), d in wild(), fd in wild(),
                    linear in any::<bool>(), three in any::<bool>(), ts in iterations(),
                ) {
                    let anneal = if linear { Anneal::Linear } else { Anneal::Cos };
                    let config = OneCycleConfig {
                        pct_start: p, anneal, div_factor: d, final_div_factor: fd,
                        three_phase: three,
                    };
                    check_built(OneCycle::new(a, n, config), &ts)?;
                }

                #[test]
                fn one_cycle_is_finite_and_nonnegative(
                    a in lr(), n in period(), p in 0.0 as T..=1.0 as T,
                    d in prop_oneof![1.0 as T..1e6 as T, Just(1.0 as T)],
                    fd in prop_oneof![1e-3 as T..1e6 as T, Just(T::MAX)],
                    linear in any::<bool>(), three in any::<bool>(), ts in iterations(),
                ) {
                    let anneal = if linear { Anneal::Linear } else { Anneal::Cos };
                    let config = OneCycleConfig {
                        pct_start: p, anneal, div_factor: d, final_div_factor: fd,
                        three_phase: three,
                    };
                    check_valid(OneCycle::new(a, n, config), &ts)?;
                }

                #[test]
                fn plateau_never_panics(
                    a in wild(), factor in wild(), threshold in wild(), min_lr in wild(),
                    eps in wild(), patience in count(), cooldown in count(),
                    max in any::<bool>(), abs in any::<bool>(),
                    losses in proptest::collection::vec(wild(), 0..30),
                ) {
                    let config = ReduceOnPlateauConfig {
                        mode: if max { PlateauMode::Max } else { PlateauMode::Min },
                        factor, patience, threshold,
                        threshold_mode: if abs { ThresholdMode::Abs } else { ThresholdMode::Rel },
                        cooldown, min_lr, eps,
                    };
                    if let Ok(mut s) = ReduceOnPlateau::new(a, config) {
                        for (t, &l) in losses.iter().enumerate() {
                            s.observe(l);
                            check(&mut s, &[t])?;
                        }
                        s.reset();
                        prop_assert_eq!(s.step_size(0), a);
                    }
                }

                #[test]
                fn plateau_is_finite_nonnegative_and_never_increases(
                    a in lr(), factor in 0.0 as T..1.0 as T, threshold in 0.0 as T..1.0 as T,
                    min_lr in lr(), eps in 0.0 as T..1e-3 as T, patience in 0usize..5,
                    cooldown in 0usize..5, max in any::<bool>(), abs in any::<bool>(),
                    losses in proptest::collection::vec(wild(), 0..30),
                ) {
                    let config = ReduceOnPlateauConfig {
                        mode: if max { PlateauMode::Max } else { PlateauMode::Min },
                        factor, patience, threshold,
                        threshold_mode: if abs { ThresholdMode::Abs } else { ThresholdMode::Rel },
                        cooldown, min_lr, eps,
                    };
                    let mut s = ReduceOnPlateau::new(a, config).unwrap();
                    let mut last = s.step_size(0);
                    for (t, &l) in losses.iter().enumerate() {
                        s.observe(l);
                        check(&mut s, &[t])?;
                        let now = s.step_size(t);
                        prop_assert!(now <= last);
                        last = now;
                    }
                }
            }
        }
    };
}

schedule_properties!(f64_properties, f64);
schedule_properties!(f32_properties, f32);
