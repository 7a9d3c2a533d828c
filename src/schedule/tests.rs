//! Values of every schedule at chosen iterations, against numbers worked out by hand from the
//! formulas (or from PyTorch's recursive definitions, simulated step by step), and misuse cases.

use std::f64::consts::PI;

use super::*;
use crate::Error;

/// `|a - b| <= tol · max(1, |b|)`.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn assert_values<S: Schedule<f64>>(s: &mut S, expected: &[(usize, f64)], tol: f64) {
    for &(t, want) in expected {
        let got = s.step_size(t);
        assert!(
            close(got, want, tol),
            "t = {t}: got {got:e}, expected {want:e}"
        );
    }
}

fn invalid_name<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    match r {
        Err(
            Error::InvalidParameter { name, .. }
            | Error::InvalidCount { name, .. }
            | Error::InvalidEntry { name, .. },
        ) => name,
        other => panic!("expected an invalid parameter, count or entry, got {other:?}"),
    }
}

// --- Constant --------------------------------------------------------------------------------

#[test]
fn constant_returns_lr_at_every_iteration() {
    let mut s = Constant::new(0.3).unwrap();
    for t in [0, 1, 7, 1000, usize::MAX] {
        assert_eq!(s.step_size(t), 0.3);
    }
}

// --- StepDecay -------------------------------------------------------------------------------

#[test]
fn step_decay_matches_steplr_literal_sequence() {
    // StepLR(lr = 0.1, step_size = 30, gamma = 0.1).
    let mut s = StepDecay::new(0.1, 30, 0.1).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.1),
            (29, 0.1),
            (30, 0.01),
            (59, 0.01),
            (60, 0.001),
            (90, 1e-4),
        ],
        1e-15,
    );
}

#[test]
fn step_decay_f32_halves_exactly_every_period() {
    let mut s = StepDecay::new(1.0f32, 3, 0.5).unwrap();
    let want = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125];
    for (t, w) in want.iter().enumerate() {
        assert_eq!(s.step_size(t), *w);
    }
}

#[test]
fn step_decay_agrees_with_pytorch_recursion_to_rounding() {
    // PyTorch's chainable form: lr <- lr * gamma whenever t > 0 and t % step_size == 0.
    let mut s = StepDecay::new(0.1, 7, 0.3).unwrap();
    let mut lr: f64 = 0.1;
    for t in 0..200 {
        if t > 0 && t % 7 == 0 {
            lr *= 0.3;
        }
        assert!((s.step_size(t) - lr).abs() <= 1e-13 * lr);
    }
}

// --- MultiStep -------------------------------------------------------------------------------

#[test]
fn multi_step_matches_multisteplr_literal_sequence() {
    // MultiStepLR(lr = 0.05, milestones = [30, 80], gamma = 0.1).
    let mut s = MultiStep::new(0.05, vec![30, 80], 0.1).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.05),
            (29, 0.05),
            (30, 0.005),
            (79, 0.005),
            (80, 5e-4),
            (10_000, 5e-4),
        ],
        1e-15,
    );
}

#[test]
fn multi_step_milestone_at_zero_decays_from_the_start() {
    let mut s = MultiStep::new(1.0, vec![0, 2], 0.5).unwrap();
    assert_values(&mut s, &[(0, 0.5), (1, 0.5), (2, 0.25)], 0.0);
}

// --- Exponential -----------------------------------------------------------------------------

#[test]
fn exponential_gives_powers_of_gamma() {
    let mut s = Exponential::new(1.0, 0.5).unwrap();
    for t in 0..20 {
        assert_eq!(s.step_size(t), 1.0 / (1u64 << t) as f64);
    }
    let mut s = Exponential::new(0.1, 0.95).unwrap();
    // 0.95^10 = 0.598736939...
    assert!(close(s.step_size(10), 0.0598736939, 1e-9));
}

#[test]
fn exponential_agrees_with_pytorch_recursion_to_rounding() {
    let mut s = Exponential::new(0.1, 0.97).unwrap();
    let mut lr: f64 = 0.1;
    for t in 0..500 {
        assert!((s.step_size(t) - lr).abs() <= 1e-12 * lr, "t = {t}");
        lr *= 0.97;
    }
}

// --- InverseTime -----------------------------------------------------------------------------

#[test]
fn inverse_time_continuous_and_staircase_values() {
    // 0.1 / (1 + 0.5 t / 10), and with t / 10 rounded down.
    let continuous = [
        (0, 0.1),
        (5, 0.08),
        (10, 0.1 / 1.5),
        (30, 0.04),
        (180, 0.01),
    ];
    let staircase = [
        (0, 0.1),
        (9, 0.1),
        (10, 0.1 / 1.5),
        (19, 0.1 / 1.5),
        (39, 0.04),
    ];
    for (stairs, expected) in [(false, continuous), (true, staircase)] {
        let mut s = InverseTime::new(0.1, 0.5, 10, stairs).unwrap();
        assert_values(&mut s, &expected, 1e-15);
    }
}

#[test]
fn inverse_time_with_zero_rate_is_constant() {
    let mut s = InverseTime::new(0.2, 0.0, 1, false).unwrap();
    assert_eq!(s.step_size(12345), 0.2);
}

// --- Polynomial ------------------------------------------------------------------------------

#[test]
fn polynomial_quadratic_decay_values() {
    // lr (1 - t/4)^2
    let mut s = Polynomial::new(1.0, 4, 2.0).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (1, 0.5625),
            (2, 0.25),
            (3, 0.0625),
            (4, 0.0),
            (100, 0.0),
        ],
        1e-15,
    );
}

#[test]
fn polynomial_matches_pytorch_docstring_example() {
    // PolynomialLR(lr = 0.05, total_iters = 50, power = 0.9): 0.0491, 0.0482, 0.0473 after
    // one, two, three steps; 0 from step 50 on.
    let mut s = Polynomial::new(0.05, 50, 0.9).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.05),
            (1, 0.0490991),
            (2, 0.0481965),
            (3, 0.0472925),
            (50, 0.0),
            (51, 0.0),
        ],
        1e-6,
    );
}

#[test]
fn polynomial_agrees_with_pytorch_recursion_to_rounding() {
    // PyTorch: lr <- lr * ((1 - t/T) / (1 - (t-1)/T))^power for 0 < t <= T.
    let (total, power) = (37usize, 1.7);
    let mut s = Polynomial::new(0.3, total, power).unwrap();
    let mut lr: f64 = 0.3;
    for t in 0..60 {
        if t > 0 && t <= total {
            let (tf, tt) = (t as f64, total as f64);
            lr *= ((1.0 - tf / tt) / (1.0 - (tf - 1.0) / tt)).powf(power);
        }
        assert!((s.step_size(t) - lr).abs() <= 1e-13, "t = {t}");
    }
}

// --- CosineAnnealing -------------------------------------------------------------------------

#[test]
fn cosine_annealing_hand_values() {
    let mut s = CosineAnnealing::new(1.0, 4, 0.0).unwrap();
    let c = (2f64).sqrt() / 2.0;
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (1, (1.0 + c) / 2.0),
            (2, 0.5),
            (3, (1.0 - c) / 2.0),
            (4, 0.0),
        ],
        1e-15,
    );
    let mut s = CosineAnnealing::new(0.1, 10, 0.001).unwrap();
    assert_values(&mut s, &[(0, 0.1), (5, 0.0505), (10, 0.001)], 1e-15);
}

#[test]
fn cosine_annealing_continues_past_t_max_like_pytorch() {
    // The cosine is periodic with period 2 T_max: back at lr at 2 T_max.
    let mut s = CosineAnnealing::new(0.1, 10, 0.001).unwrap();
    assert_values(&mut s, &[(15, 0.0505), (20, 0.1), (30, 0.001)], 1e-15);
}

#[test]
fn cosine_annealing_agrees_with_pytorch_recursion_to_rounding() {
    // PyTorch's chainable CosineAnnealingLR.get_lr, simulated step by step.
    let (base, eta, tmax) = (0.1, 0.002, 25usize);
    let mut s = CosineAnnealing::new(base, tmax, eta).unwrap();
    let tm = tmax as f64;
    let mut lr: f64 = base;
    for t in 0..120usize {
        if t > 0 {
            let e = t as f64;
            lr = if (t as i64 - 1 - tmax as i64).rem_euclid(2 * tmax as i64) == 0 {
                lr + (base - eta) * (1.0 - (PI / tm).cos()) / 2.0
            } else {
                (1.0 + (PI * e / tm).cos()) / (1.0 + (PI * (e - 1.0) / tm).cos()) * (lr - eta) + eta
            };
        }
        assert!((s.step_size(t) - lr).abs() <= 1e-12, "t = {t}");
    }
}

#[test]
fn cosine_annealing_f32_endpoints() {
    let mut s = CosineAnnealing::new(0.5f32, 8, 0.1).unwrap();
    assert_eq!(s.step_size(0), 0.5);
    assert!((s.step_size(4) - 0.3).abs() < 1e-7);
    assert!((s.step_size(8) - 0.1).abs() < 1e-7);
}

// --- CosineAnnealingWarmRestarts -------------------------------------------------------------

#[test]
fn warm_restarts_constant_period() {
    let mut s = CosineAnnealingWarmRestarts::new(1.0, 10, 1, 0.0).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (5, 0.5),
            (9, (1.0 + (0.9 * PI).cos()) / 2.0),
            (10, 1.0),
            (25, 0.5),
        ],
        1e-15,
    );
}

#[test]
fn warm_restarts_doubling_periods() {
    // Cycles [0, 2), [2, 6), [6, 14), [14, 30).
    let mut s = CosineAnnealingWarmRestarts::new(1.0, 2, 2, 0.1).unwrap();
    let mid = 0.1 + 0.9 * 0.5;
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (1, mid),
            (2, 1.0),
            (4, mid),
            (5, 0.1 + 0.9 * (1.0 + (0.75 * PI).cos()) / 2.0),
            (6, 1.0),
            (10, mid),
            (13, 0.1 + 0.9 * (1.0 + (PI * 7.0 / 8.0).cos()) / 2.0),
            (14, 1.0),
            (22, mid),
        ],
        1e-15,
    );
}

#[test]
fn warm_restarts_follow_pytorch_step_counter() {
    // PyTorch's step(): T_cur += 1; if T_cur >= T_i { T_cur %= T_i; T_i *= T_mult }.
    for (t0, mult) in [(1usize, 1usize), (3, 1), (1, 2), (3, 3), (5, 2)] {
        let mut s = CosineAnnealingWarmRestarts::new(0.4, t0, mult, 0.01).unwrap();
        let (mut t_cur, mut t_i) = (0usize, t0);
        for t in 0..400 {
            if t > 0 {
                t_cur += 1;
                if t_cur >= t_i {
                    t_cur %= t_i;
                    t_i *= mult;
                }
            }
            let want = 0.01 + 0.39 * (1.0 + (PI * t_cur as f64 / t_i as f64).cos()) / 2.0;
            assert!(
                close(s.step_size(t), want, 1e-15),
                "T_0 {t0} T_mult {mult} t {t}"
            );
        }
    }
}

#[test]
fn warm_restarts_survive_huge_iteration_numbers() {
    let mut s = CosineAnnealingWarmRestarts::new(1.0f64, 3, 7, 0.0).unwrap();
    let v = s.step_size(usize::MAX);
    assert!(v.is_finite() && (0.0..=1.0).contains(&v));
}

// --- LinearWarmup ----------------------------------------------------------------------------

#[test]
fn warmup_from_factor_matches_linearlr_then_sequentiallr() {
    // SequentialLR([LinearLR(start_factor = 0.2, total_iters = 5), CosineAnnealingLR(T_max = 10)],
    // milestones = [5]) with lr = 0.1.
    let inner = CosineAnnealing::new(0.1, 10, 0.0).unwrap();
    let mut s = LinearWarmup::from_factor(inner, 5, 0.2).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.02),
            (1, 0.036),
            (2, 0.052),
            (4, 0.084),
            (5, 0.1),
            (10, 0.05),
            (15, 0.0),
        ],
        1e-15,
    );
}

#[test]
fn warmup_from_value_matches_optax_warmup_cosine_decay() {
    // warmup_cosine_decay_schedule(init 0, peak 1, warmup_steps 4, decay_steps 14, end 0.1).
    let inner = CosineAnnealing::new(1.0, 10, 0.1).unwrap();
    let mut s = LinearWarmup::from_value(inner, 4, 0.0).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.0),
            (1, 0.25),
            (2, 0.5),
            (3, 0.75),
            (4, 1.0),
            (9, 0.55),
            (14, 0.1),
        ],
        1e-15,
    );
}

#[test]
fn warmup_of_zero_length_is_the_inner_schedule() {
    let mut s = LinearWarmup::from_value(StepDecay::new(1.0, 2, 0.5).unwrap(), 0, 0.0).unwrap();
    assert_values(&mut s, &[(0, 1.0), (1, 1.0), (2, 0.5), (4, 0.25)], 0.0);
}

#[test]
fn warmup_ramps_to_inner_first_value_and_shifts_inner() {
    let inner = PiecewiseConstant::new(vec![3], vec![0.8, 0.2]).unwrap();
    let mut s = LinearWarmup::from_factor(inner, 2, 0.5).unwrap();
    assert_values(
        &mut s,
        &[(0, 0.4), (1, 0.6), (2, 0.8), (4, 0.8), (5, 0.2)],
        1e-15,
    );
}

#[test]
fn warmup_passes_losses_on_only_once_the_inner_schedule_is_in_charge() {
    // Losses that only get worse: a plateau schedule with patience 0 would reduce at each
    // observation after the first; the warmup must keep the first two from it.
    let config = ReduceOnPlateauConfig {
        factor: 0.5,
        ..patience(0)
    };
    let inner = ReduceOnPlateau::new(1.0, config).unwrap();
    let mut s = LinearWarmup::from_value(inner, 2, 0.0).unwrap();
    let mut used = Vec::new();
    for t in 0..5 {
        s.observe(t as f64 + 1.0);
        used.push(s.step_size(t));
    }
    // t = 0, 1: ramp to 1.0; t = 2: first loss seen by the inner (its baseline); then halving.
    assert_eq!(used, vec![0.0, 0.5, 1.0, 0.5, 0.25]);

    s.reset();
    let mut again = Vec::new();
    for t in 0..5 {
        s.observe(t as f64 + 1.0);
        again.push(s.step_size(t));
    }
    assert_eq!(again, used);
}

// --- OneCycle --------------------------------------------------------------------------------

/// PyTorch's anneal functions, written from its definitions.
fn cos_anneal(a: f64, b: f64, x: f64) -> f64 {
    b + (a - b) / 2.0 * ((PI * x).cos() + 1.0)
}

#[test]
fn one_cycle_two_phase_cos_defaults() {
    // max_lr 1, total 100: initial 0.04, final 4e-6; phase ends 29 and 99.
    let mut s = OneCycle::new(1.0, 100, OneCycleConfig::default()).unwrap();
    let (init, min) = (0.04, 0.04 / 1e4);
    assert_values(
        &mut s,
        &[
            (0, init),
            (10, cos_anneal(init, 1.0, 10.0 / 29.0)),
            (29, 1.0),
            (64, min + (1.0 - min) / 2.0),
            (80, cos_anneal(1.0, min, 51.0 / 70.0)),
            (99, min),
        ],
        1e-15,
    );
}

#[test]
fn one_cycle_holds_its_final_value_after_the_cycle() {
    let mut s = OneCycle::new(1.0, 100, OneCycleConfig::default()).unwrap();
    let last = s.step_size(99);
    assert_eq!(s.step_size(100), last);
    assert_eq!(s.step_size(usize::MAX), last);
}

#[test]
fn one_cycle_linear_three_phase() {
    let config = OneCycleConfig {
        anneal: Anneal::Linear,
        three_phase: true,
        div_factor: 10.0,
        final_div_factor: 100.0,
        ..Default::default()
    };
    // max_lr 2: initial 0.2, final 0.002; phases end at 29, 58, 99.
    let mut s = OneCycle::new(2.0, 100, config).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 0.2),
            (10, 0.2 + 1.8 * 10.0 / 29.0),
            (29, 2.0),
            (40, 2.0 - 1.8 * 11.0 / 29.0),
            (58, 0.2),
            (79, 0.2 - 0.198 * 21.0 / 41.0),
            (99, 0.002),
        ],
        1e-14,
    );
}

#[test]
fn one_cycle_pct_start_edge_cases() {
    // p T = 1: the rise has length zero, the cycle starts at the peak.
    let config = OneCycleConfig {
        pct_start: 0.1,
        ..Default::default()
    };
    let mut s = OneCycle::new(1.0, 10, config).unwrap();
    assert_eq!(s.step_size(0), 1.0);
    assert!(close(s.step_size(9), 1e-4 / 25.0, 1e-15));

    // One step in all: phase 1 ends at -0.7, phase 2 at 0; t = 0 is the end of phase 2.
    let mut s = OneCycle::new(1.0, 1, OneCycleConfig::default()).unwrap();
    assert!(close(s.step_size(0), 1e-4 / 25.0, 1e-15));

    // pct_start = 0: the fall starts at e₁ = -1, so t = 0 is already 1/T of the way down.
    let config = OneCycleConfig {
        pct_start: 0.0,
        ..Default::default()
    };
    let mut s = OneCycle::new(1.0, 4, config).unwrap();
    assert!(close(s.step_size(0), cos_anneal(1.0, 4e-6, 0.25), 1e-15));
}

// --- PiecewiseConstant -----------------------------------------------------------------------

#[test]
fn piecewise_constant_switches_at_boundaries() {
    let mut s = PiecewiseConstant::new(vec![100, 200], vec![1.0, 0.5, 0.1]).unwrap();
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (99, 1.0),
            (100, 0.5),
            (199, 0.5),
            (200, 0.1),
            (1 << 40, 0.1),
        ],
        0.0,
    );
    let mut s = PiecewiseConstant::new(vec![0], vec![1.0, 0.3]).unwrap();
    assert_eq!(s.step_size(0), 0.3);
    let mut s = PiecewiseConstant::new(vec![], vec![0.7]).unwrap();
    assert_eq!(s.step_size(5), 0.7);
}

// --- ReduceOnPlateau -------------------------------------------------------------------------

/// The step size after each observation of `losses`.
fn plateau_run(config: ReduceOnPlateauConfig<f64>, lr: f64, losses: &[f64]) -> Vec<f64> {
    let mut s = ReduceOnPlateau::new(lr, config).unwrap();
    losses
        .iter()
        .enumerate()
        .map(|(t, &l)| {
            s.observe(l);
            s.step_size(t)
        })
        .collect()
}

/// The default configuration but for `patience`, which every test here chooses.
fn patience(patience: usize) -> ReduceOnPlateauConfig<f64> {
    ReduceOnPlateauConfig {
        patience,
        ..Default::default()
    }
}

fn assert_seq(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w, 1e-15),
            "observation {i}: got {g}, expected {w}"
        );
    }
}

#[test]
fn plateau_reduces_after_patience_bad_observations() {
    let got = plateau_run(patience(2), 1.0, &[10.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0]);
    // 10, 9 improve; three non-improving 9s exceed patience 2: reduce; three more: reduce.
    assert_seq(&got, &[1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01]);
}

#[test]
fn plateau_improvement_resets_the_bad_count() {
    let config = ReduceOnPlateauConfig {
        factor: 0.5,
        ..patience(1)
    };
    let got = plateau_run(config, 1.0, &[5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0]);
    assert_seq(&got, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]);
}

#[test]
fn plateau_cooldown_ignores_bad_observations() {
    let config = ReduceOnPlateauConfig {
        cooldown: 2,
        ..patience(0)
    };
    let got = plateau_run(config, 1.0, &[5.0; 8]);
    // Reduce at the 2nd observation; the next two are cooldown; reduce at the 5th and 8th.
    assert_seq(&got, &[1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]);
}

#[test]
fn plateau_relative_and_absolute_thresholds() {
    let rel = ReduceOnPlateauConfig {
        threshold: 0.1,
        ..patience(0)
    };
    // 0.95 is not below 1.0 · 0.9: bad, reduce; 0.85 is: improvement (best 0.85); 0.8 is not
    // below 0.765: reduce.
    assert_seq(
        &plateau_run(rel, 1.0, &[1.0, 0.95, 0.85, 0.8]),
        &[1.0, 0.1, 0.1, 0.01],
    );
    let abs = ReduceOnPlateauConfig {
        threshold_mode: ThresholdMode::Abs,
        ..rel
    };
    // 0.95 is not below 0.9: reduce; 0.89 is; 0.8 is not below 0.79: reduce.
    assert_seq(
        &plateau_run(abs, 1.0, &[1.0, 0.95, 0.89, 0.8]),
        &[1.0, 0.1, 0.1, 0.01],
    );
    assert_seq(
        &plateau_run(abs, 1.0, &[1.0, 0.95, 0.89, 0.78]),
        &[1.0, 0.1, 0.1, 0.1],
    );
}

#[test]
fn plateau_respects_min_lr_and_eps() {
    let config = ReduceOnPlateauConfig {
        min_lr: 0.05,
        ..patience(0)
    };
    assert_seq(
        &plateau_run(config, 1.0, &[1.0; 5]),
        &[1.0, 0.1, 0.05, 0.05, 0.05],
    );

    // A reduction from 1.5e-8 to 0.75e-8 is smaller than eps = 1e-8: skipped.
    let config = ReduceOnPlateauConfig {
        factor: 0.5,
        ..patience(0)
    };
    assert_seq(&plateau_run(config, 1.5e-8, &[1.0; 3]), &[1.5e-8; 3]);
}

#[test]
fn plateau_max_mode_watches_for_increases() {
    let config = ReduceOnPlateauConfig {
        mode: PlateauMode::Max,
        ..patience(1)
    };
    let got = plateau_run(config, 1.0, &[0.5, 0.6, 0.7, 0.7, 0.7, 0.69]);
    assert_seq(&got, &[1.0, 1.0, 1.0, 1.0, 0.1, 0.1]);
}

#[test]
fn plateau_counts_nan_as_no_improvement() {
    let got = plateau_run(patience(0), 1.0, &[1.0, f64::NAN, 0.5]);
    assert_seq(&got, &[1.0, 0.1, 0.1]);
}

#[test]
fn plateau_reset_restores_the_initial_step_size() {
    let mut s = ReduceOnPlateau::new(1.0, patience(0)).unwrap();
    for l in [1.0, 2.0, 3.0] {
        s.observe(l);
    }
    assert!(close(s.step_size(3), 0.01, 1e-15));
    s.reset();
    assert_eq!(s.step_size(0), 1.0);
    assert_eq!(s.best(), f64::INFINITY);
    assert_eq!(s.num_bad(), 0);
    // After reset the first loss is a new baseline again, even though it is worse than before.
    s.observe(10.0);
    assert_eq!(s.step_size(0), 1.0);
}

// --- Invalid arguments -----------------------------------------------------------------------

#[test]
fn invalid_arguments_are_typed_errors_naming_the_value() {
    let nan = f64::NAN;
    assert_eq!(invalid_name(Constant::new(-0.1)), "lr");
    assert_eq!(invalid_name(Constant::new(f64::INFINITY)), "lr");
    assert_eq!(invalid_name(Constant::new(nan)), "lr");

    assert_eq!(invalid_name(StepDecay::new(-1.0, 10, 0.1)), "lr");
    assert_eq!(invalid_name(StepDecay::new(0.1, 0, 0.1)), "step_size");
    assert_eq!(invalid_name(StepDecay::new(0.1, 10, 0.0)), "gamma");
    assert_eq!(invalid_name(StepDecay::new(0.1, 10, -0.5)), "gamma");
    assert_eq!(invalid_name(StepDecay::new(0.1, 10, 1.5)), "gamma");
    assert_eq!(invalid_name(StepDecay::new(0.1, 10, nan)), "gamma");

    assert_eq!(
        MultiStep::new(0.1, vec![], 0.1).unwrap_err(),
        Error::Empty { what: "milestones" }
    );
    match MultiStep::new(0.1, vec![10, 30, 20], 0.1) {
        Err(Error::InvalidEntry {
            name, index, value, ..
        }) => {
            assert_eq!((name, index, value), ("milestones", 2, 20.0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        invalid_name(MultiStep::new(0.1, vec![10, 10], 0.1)),
        "milestones"
    );
    assert_eq!(invalid_name(MultiStep::new(0.1, vec![10], 0.0)), "gamma");

    assert_eq!(invalid_name(Exponential::new(0.1, 0.0)), "gamma");
    assert_eq!(invalid_name(Exponential::new(0.1, 1.01)), "gamma");

    assert_eq!(
        invalid_name(InverseTime::new(0.1, -1.0, 10, false)),
        "decay_rate"
    );
    assert_eq!(
        invalid_name(InverseTime::new(0.1, 1.0, 0, true)),
        "decay_steps"
    );

    assert_eq!(invalid_name(Polynomial::new(0.1, 0, 1.0)), "total_iters");
    assert_eq!(invalid_name(Polynomial::new(0.1, 5, -1.0)), "power");

    assert_eq!(invalid_name(CosineAnnealing::new(0.1, 0, 0.0)), "t_max");
    assert_eq!(invalid_name(CosineAnnealing::new(0.1, 10, -0.1)), "eta_min");
    assert_eq!(
        invalid_name(CosineAnnealingWarmRestarts::new(0.1, 0, 1, 0.0)),
        "t_0"
    );
    assert_eq!(
        invalid_name(CosineAnnealingWarmRestarts::new(0.1, 5, 0, 0.0)),
        "t_mult"
    );

    let inner = || Constant::new(0.1).unwrap();
    assert_eq!(
        invalid_name(LinearWarmup::from_factor(inner(), 5, 1.5)),
        "start_factor"
    );
    assert_eq!(
        invalid_name(LinearWarmup::from_factor(inner(), 5, -0.1)),
        "start_factor"
    );
    assert_eq!(
        invalid_name(LinearWarmup::from_factor(inner(), 5, nan)),
        "start_factor"
    );
    assert_eq!(
        invalid_name(LinearWarmup::from_value(inner(), 5, -1.0)),
        "start_value"
    );

    let one_cycle = |config| OneCycle::new(1.0, 100, config);
    let d = OneCycleConfig::default();
    assert_eq!(invalid_name(OneCycle::new(-1.0, 100, d)), "max_lr");
    assert_eq!(invalid_name(OneCycle::new(1.0, 0, d)), "total_steps");
    let bad_pct = OneCycleConfig {
        pct_start: 1.5,
        ..d
    };
    assert_eq!(invalid_name(one_cycle(bad_pct)), "pct_start");
    let bad_div = OneCycleConfig {
        div_factor: 0.0,
        ..d
    };
    assert_eq!(invalid_name(one_cycle(bad_div)), "div_factor");
    let bad_final = OneCycleConfig {
        final_div_factor: -1.0,
        ..d
    };
    assert_eq!(invalid_name(one_cycle(bad_final)), "final_div_factor");
    let overflowing = OneCycleConfig {
        div_factor: 1e-300,
        ..d
    };
    assert_eq!(
        invalid_name(OneCycle::new(1e300, 10, overflowing)),
        "div_factor"
    );

    assert_eq!(
        PiecewiseConstant::<f64>::new(vec![], vec![]).unwrap_err(),
        Error::Empty { what: "values" }
    );
    assert!(matches!(
        PiecewiseConstant::new(vec![10], vec![1.0]),
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 1,
            ..
        })
    ));
    assert_eq!(
        invalid_name(PiecewiseConstant::new(vec![20, 10], vec![1.0; 3])),
        "boundaries"
    );
    assert_eq!(
        invalid_name(PiecewiseConstant::new(vec![10], vec![1.0, -1.0])),
        "values"
    );

    let p = ReduceOnPlateauConfig::<f64>::default();
    assert_eq!(invalid_name(ReduceOnPlateau::new(-1.0, p)), "lr");
    let bad = |c| invalid_name(ReduceOnPlateau::new(1.0, c));
    assert_eq!(bad(ReduceOnPlateauConfig { factor: 1.0, ..p }), "factor");
    assert_eq!(bad(ReduceOnPlateauConfig { factor: -0.1, ..p }), "factor");
    assert_eq!(
        bad(ReduceOnPlateauConfig {
            threshold: nan,
            ..p
        }),
        "threshold"
    );
    assert_eq!(bad(ReduceOnPlateauConfig { min_lr: -1.0, ..p }), "min_lr");
    assert_eq!(bad(ReduceOnPlateauConfig { eps: -1e-8, ..p }), "eps");
}

#[test]
fn error_messages_name_the_parameter_and_value() {
    let msg = StepDecay::new(0.1, 10, -2.0).unwrap_err().to_string();
    assert!(
        msg.contains("gamma") && msg.contains("-2") && msg.contains("(0, 1]"),
        "{msg}"
    );
    let msg = StepDecay::new(0.1, 0, 0.5).unwrap_err().to_string();
    assert!(
        msg.contains("step_size") && msg.contains("at least 1"),
        "{msg}"
    );
}

// --- Extremes --------------------------------------------------------------------------------

#[test]
fn step_sizes_near_the_largest_float_stay_finite() {
    // Each of these overflowed in the straightforward evaluation order.
    let (big, max32) = (f64::MAX, f32::MAX);
    let mut s = CosineAnnealing::new(big, 1, 0.0).unwrap();
    assert_eq!(s.step_size(0), big);
    let mut s = CosineAnnealing::new(big, 1, 2.5250447727548944e307).unwrap();
    assert_eq!(s.step_size(0), big);
    let mut s = CosineAnnealing::new(max32, 1, 1.6750036e38).unwrap();
    assert_eq!(s.step_size(0), max32);

    let inner = Constant::new(1.3994728e38f32).unwrap();
    let mut s = LinearWarmup::from_value(inner, 1, max32).unwrap();
    assert_eq!(s.step_size(0), max32);

    for three_phase in [false, true] {
        for anneal in [Anneal::Cos, Anneal::Linear] {
            let config = OneCycleConfig {
                anneal,
                three_phase,
                div_factor: 1.0 + 1e-15,
                ..Default::default()
            };
            let mut s = OneCycle::new(big, 10, config).unwrap();
            for t in 0..12 {
                let v = s.step_size(t);
                assert!(v.is_finite() && v >= 0.0, "t = {t}: {v}");
            }
        }
    }
}

// --- SwaLr -----------------------------------------------------------------------------------

/// PyTorch's `SWALR.get_lr`, simulated step by step: the learning rate after `steps` calls of
/// `scheduler.step()` (the constructor's call included as step 0).
fn swalr_recursion(
    lr: f64,
    swa_lr: f64,
    anneal_epochs: usize,
    cos: bool,
    steps: usize,
) -> Vec<f64> {
    let anneal = |t: f64| if cos { (1.0 - (PI * t).cos()) / 2.0 } else { t };
    let mut current = lr;
    let mut out = Vec::new();
    for step in 0..=steps {
        let step = if anneal_epochs == 0 {
            step.max(1)
        } else {
            step
        } as f64;
        let a = anneal_epochs.max(1) as f64;
        let prev_alpha = anneal(((step - 1.0) / a).clamp(0.0, 1.0));
        let prev_lr = if prev_alpha == 1.0 {
            swa_lr
        } else {
            (current - prev_alpha * swa_lr) / (1.0 - prev_alpha)
        };
        let alpha = anneal((step / a).clamp(0.0, 1.0));
        current = swa_lr * alpha + prev_lr * (1.0 - alpha);
        out.push(current);
    }
    out
}

#[test]
fn swa_lr_agrees_with_pytorch_recursion_to_rounding() {
    for (anneal, cos) in [(Anneal::Cos, true), (Anneal::Linear, false)] {
        for (lr, swa_lr, epochs) in [
            (0.1, 0.05, 10),
            (0.05, 0.5, 7),
            (1.0, 0.0, 3),
            (0.3, 0.02, 0),
        ] {
            let mut s = SwaLr::new(lr, swa_lr, epochs, anneal).unwrap();
            for (t, want) in swalr_recursion(lr, swa_lr, epochs, cos, 25)
                .into_iter()
                .enumerate()
            {
                let got = s.step_size(t);
                assert!(
                    close(got, want, 1e-13),
                    "{anneal:?} {epochs}: t = {t}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn swa_lr_hand_values_and_errors() {
    // cos over 4: α = (1 - cos(π t/4)) / 2 = 0, (2 - √2)/4, 1/2, (2 + √2)/4, 1.
    let mut s = SwaLr::new(1.0, 0.0, 4, Anneal::Cos).unwrap();
    let r = 2f64.sqrt();
    assert_values(
        &mut s,
        &[
            (0, 1.0),
            (1, 1.0 - (2.0 - r) / 4.0),
            (2, 0.5),
            (3, 1.0 - (2.0 + r) / 4.0),
            (4, 0.0),
            (9, 0.0),
        ],
        1e-15,
    );
    let mut s = SwaLr::new(0.1, 0.05, 0, Anneal::Cos).unwrap();
    assert_eq!(s.step_size(0), 0.05);
    let mut s = SwaLr::new(f64::MAX, f64::MAX, 3, Anneal::Linear).unwrap();
    assert_eq!(s.step_size(1), f64::MAX);
    assert_eq!(invalid_name(SwaLr::new(-0.1, 0.05, 3, Anneal::Cos)), "lr");
    assert_eq!(
        invalid_name(SwaLr::new(0.1, f64::NAN, 3, Anneal::Cos)),
        "swa_lr"
    );
}
