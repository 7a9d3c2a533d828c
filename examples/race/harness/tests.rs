//! Tests of the harness: performance profiles against hand-computed ratios, seeded starts, runs
//! against known step counts and budgets, and the race against what theory promises on the
//! convex problems.

use std::time::Duration;

use approx::assert_abs_diff_eq;
use gradus::problems::{Booth, Himmelblau, Rosenbrock, Sphere, SuiteProblem, TestFunction, suite};
use gradus::{Error, GradientDescent, Termination};

use super::{Contender, RaceConfig, RaceResult, contenders, performance_profile, run_race, starts};

fn result(problem: &str, contender: &str, start: usize, cost: Option<usize>) -> RaceResult {
    RaceResult {
        problem: problem.into(),
        contender: contender.into(),
        start,
        success: cost.is_some(),
        iterations: cost.unwrap_or(100),
        gradient_evaluations: cost.unwrap_or(100),
        function_evaluations: cost.unwrap_or(100),
        gap: if cost.is_some() { 0.0 } else { 1.0 },
        elapsed: Duration::ZERO,
        termination: if cost.is_some() {
            Termination::TargetReached
        } else {
            Termination::MaxIterations
        },
        curve: None,
        path: None,
    }
}

/// Three instances, two contenders:
///
/// | instance | A | B | best | r_A | r_B |
/// | p/0 | 10 | 20 | 10 | 1 | 2 |
/// | p/1 | 40 | 10 | 10 | 4 | 1 |
/// | q/0 | fail | 30 | 30 | inf | 1 |
fn table() -> Vec<RaceResult> {
    vec![
        result("p", "A", 0, Some(10)),
        result("p", "B", 0, Some(20)),
        result("p", "A", 1, Some(40)),
        result("p", "B", 1, Some(10)),
        result("q", "A", 0, None),
        result("q", "B", 0, Some(30)),
    ]
}

#[test]
fn profile_matches_hand_computed_ratios() {
    let taus = [1.0, 1.5, 2.0, 3.9, 4.0, f64::INFINITY];
    let p = performance_profile(&table(), &taus);
    assert_eq!(p.contenders, vec!["A".to_owned(), "B".to_owned()]);
    assert_eq!(p.instances, 3);
    // A: ratios 1, 4, inf.
    assert_eq!(
        p.fractions[0],
        vec![
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            2.0 / 3.0,
            2.0 / 3.0
        ]
    );
    // B: ratios 2, 1, 1.
    assert_eq!(
        p.fractions[1],
        vec![2.0 / 3.0, 2.0 / 3.0, 1.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn profile_is_monotone_and_reaches_success_fraction_at_infinity() {
    let mut results = table();
    // A contender that never runs on q and fails once on p.
    results.push(result("p", "C", 0, Some(15)));
    results.push(result("p", "C", 1, None));
    let taus: Vec<f64> = (0..40)
        .map(|i| 1.0 + 0.25 * f64::from(i))
        .chain([f64::INFINITY])
        .collect();
    let p = performance_profile(&results, &taus);
    for row in &p.fractions {
        assert!(
            row.windows(2).all(|w| w[0] <= w[1]),
            "not monotone: {row:?}"
        );
    }
    // Successes: A 2 of 3, B 3 of 3, C 1 of 3.
    let last = taus.len() - 1;
    assert_eq!(p.fractions[0][last], 2.0 / 3.0);
    assert_eq!(p.fractions[1][last], 1.0);
    assert_eq!(p.fractions[2][last], 1.0 / 3.0);
    // C on p/0: 15 against the best 10, ratio 1.5.
    assert_eq!(p.fractions[2][1], 0.0); // tau = 1.25
    assert_eq!(p.fractions[2][2], 1.0 / 3.0); // tau = 1.5
}

#[test]
fn profile_of_no_results_is_empty() {
    let p = performance_profile(&[], &[1.0]);
    assert!(p.contenders.is_empty() && p.fractions.is_empty());
    assert_eq!(p.instances, 0);
}

#[test]
fn random_starts_are_seeded_and_within_the_perturbation_box() {
    let rosenbrock = Rosenbrock::new(2);
    let config = RaceConfig {
        random_starts: 5,
        seed: 7,
        ..RaceConfig::default()
    };
    let a = starts(&rosenbrock, &config).unwrap();
    let b = starts(&rosenbrock, &config).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 6);
    let x0 = TestFunction::<f64>::start(&rosenbrock).unwrap();
    assert_eq!(a[0], x0);
    // Standard start (-1.2, 1): radius 0.5 · 1.2 = 0.6.
    for x in &a[1..] {
        for (v, s) in x.iter().zip(&x0) {
            assert_abs_diff_eq!(*v, *s, epsilon = 0.6);
        }
        assert_ne!(*x, x0);
    }
    let other = starts(&rosenbrock, &RaceConfig { seed: 8, ..config }).unwrap();
    assert_ne!(a[1], other[1]);
}

#[test]
fn a_perturbation_whose_interval_overflows_is_an_error_not_a_panic() {
    let rosenbrock = Rosenbrock::new(2);
    for perturbation in [1e308, f64::MAX, f64::MAX / 1.5] {
        let config = RaceConfig {
            perturbation,
            ..RaceConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "perturbation",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(starts(&rosenbrock, &config).is_err());
        let problems: Vec<SuiteProblem> = vec![Box::new(Rosenbrock::new(2))];
        assert!(run_race(&problems, &contenders(), &config).is_err());
    }
    // Valid on its own (2 · 8e307 is finite), too wide for a start of norm 1.2 (2 · 1.2 · 8e307
    // is not).
    let config = RaceConfig {
        perturbation: 8e307,
        ..RaceConfig::default()
    };
    config.validate().unwrap();
    let err = starts(&rosenbrock, &config).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "perturbation",
                ..
            }
        ),
        "{err:?}"
    );
    // The largest that fits draws finite starts.
    let config = RaceConfig {
        perturbation: 1e300,
        random_starts: 3,
        ..RaceConfig::default()
    };
    let all = starts(&rosenbrock, &config).unwrap();
    assert!(all.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn gradient_descent_at_one_over_l_solves_the_sphere_in_one_step() {
    // Sphere |x|² has L = 2; the step 1/2 lands exactly on 0.
    let problems: Vec<SuiteProblem> = vec![Box::new(Sphere::new(3))];
    let contenders = vec![Contender::inverse_smoothness("GD", 1.0, || {
        Ok(GradientDescent::default())
    })];
    let config = RaceConfig {
        random_starts: 2,
        ..RaceConfig::default()
    };
    let results = run_race(&problems, &contenders, &config).unwrap();
    assert_eq!(results.len(), 3);
    for r in &results {
        assert!(r.success);
        assert_eq!(r.iterations, 1);
        assert_eq!(r.gradient_evaluations, 2);
        // At x = 0 both the target and the gradient criterion hold.
        assert!(r.termination.is_converged(), "{}", r.termination);
    }
}

#[test]
fn the_gradient_budget_stops_a_slow_rule_as_a_failure() {
    let problems: Vec<SuiteProblem> = vec![Box::new(Rosenbrock::new(2))];
    let contenders = vec![Contender::constant("GD tiny", 1e-6, || {
        Ok(GradientDescent::default())
    })];
    let config = RaceConfig {
        random_starts: 0,
        max_gradient_evaluations: 50,
        ..RaceConfig::default()
    };
    let results = run_race(&problems, &contenders, &config).unwrap();
    assert_eq!(results.len(), 1);
    assert!(!results[0].success);
    assert_eq!(results[0].gradient_evaluations, 50);
    assert_eq!(results[0].reason(), "budget");
}

#[test]
fn contenders_that_need_l_skip_problems_without_it() {
    let problems: Vec<SuiteProblem> = vec![Box::new(Himmelblau)];
    let contenders = vec![Contender::inverse_smoothness("GD", 1.0, || {
        Ok(GradientDescent::default())
    })];
    let results = run_race(&problems, &contenders, &RaceConfig::default()).unwrap();
    assert!(results.is_empty());
}

#[test]
fn invalid_race_config_is_an_error_naming_the_field() {
    let bad = RaceConfig {
        tolerance: -1.0,
        ..RaceConfig::default()
    };
    let err = run_race(&[], &[], &bad).unwrap_err();
    assert!(err.to_string().contains("tolerance"), "{err}");
    let bad = RaceConfig {
        max_gradient_evaluations: 0,
        ..RaceConfig::default()
    };
    let err = run_race(&[], &[], &bad).unwrap_err();
    assert!(
        err.to_string().contains("max_gradient_evaluations"),
        "{err}"
    );
    assert!(
        matches!(err, Error::InvalidCount { value: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn gradient_descent_at_one_over_l_solves_booth_from_every_start() {
    // Booth is a quadratic (L known): from the standard start and one random start, every run
    // succeeds, and the only contender is the cheapest on both instances.
    let problems: Vec<SuiteProblem> = vec![Box::new(Booth)];
    let contenders = vec![Contender::inverse_smoothness("GD", 1.0, || {
        Ok(GradientDescent::default())
    })];
    let config = RaceConfig {
        random_starts: 1,
        ..RaceConfig::default()
    };
    let results = run_race(&problems, &contenders, &config).unwrap();
    assert_eq!(results.len(), 2); // the standard start and one random start
    assert!(results.iter().all(|r| r.success));
    let profile = performance_profile(&results, &[1.0, 2.0]);
    assert_eq!(profile.fractions[0], vec![1.0, 1.0]);
}

/// The race reaches the known optimum of the convex problems with every method that the theory
/// says converges within the race's budget.
#[test]
fn methods_that_theory_says_converge_solve_the_convex_problems() {
    let problems: Vec<SuiteProblem> = suite().into_iter().filter(|p| p.is_convex()).collect();
    let theory = ["GD 1/L", "GD Armijo", "AGD 1/L", "L-BFGS Wolfe"];
    let racers: Vec<_> = contenders()
        .into_iter()
        .filter(|c| theory.contains(&c.name()))
        .collect();
    assert_eq!(racers.len(), theory.len());
    let config = RaceConfig {
        random_starts: 1,
        ..RaceConfig::default()
    };
    let budget = config.max_gradient_evaluations as f64;
    let results = run_race(&problems, &racers, &config).unwrap();
    let mut checked = 0;
    for r in &results {
        let p = problems.iter().find(|p| p.name() == r.problem).unwrap();
        // On an L-smooth, μ-strongly convex function, f - f* contracts at least by (1 - 1/κ) per
        // gradient step with step 1/L (and Armijo's accepted steps are at least of that order),
        // and by (1 - 1/√κ) per accelerated step: from a gap of at most 1e6 down to 1e-6 takes at
        // most κ ln(1e12) and √κ ln(1e12) (times a small constant) steps. Where that exceeds the
        // budget, or μ is unknown, the theory promises nothing within the race, so no assertion.
        let kappa = match (p.smoothness(), p.strong_convexity()) {
            (Some(l), Some(mu)) if mu > 0.0 => Some(l / mu),
            _ => None,
        };
        let steps = 1e12_f64.ln();
        let promised = match r.contender.as_str() {
            "GD 1/L" | "GD Armijo" => kappa.is_some_and(|k| 2.0 * k * steps <= budget),
            "AGD 1/L" => kappa.is_some_and(|k| 4.0 * k.sqrt() * steps <= budget),
            // L-BFGS with Wolfe steps converges R-linearly on uniformly convex functions
            // (Liu and Nocedal, 1989).
            _ => kappa.is_some(),
        };
        if promised {
            checked += 1;
            assert!(
                r.success,
                "{} on {} from start {}: f - f* = {:e} ({})",
                r.contender, r.problem, r.start, r.gap, r.termination
            );
        }
    }
    // Most of the convex suite is covered: every problem with a known μ but the κ = 1e4
    // quadratic for plain gradient descent.
    assert!(
        checked >= 60,
        "only {checked} runs were covered by a guarantee"
    );
}

#[test]
fn tuning_gives_gradient_descent_on_the_sphere_the_grid_step_closest_below_one_over_l() {
    // On f = |x|² (L = 2) a step γ multiplies x by 1 - 2γ: of the grid's half decades, 10^-0.5
    // contracts fastest (0.37 per step); 1 oscillates and 10^0.5 diverges.
    let problems: Vec<SuiteProblem> = vec![Box::new(Sphere::new(10))];
    let field = vec![
        Contender::constant("GD", 1e-3, || Ok(GradientDescent::default())),
        Contender::inverse_smoothness("GD", 1.0, || Ok(GradientDescent::default())),
    ];
    let config = RaceConfig {
        random_starts: 0,
        ..RaceConfig::default()
    };
    let tuned = crate::tuning::tune(&problems, &field, &config).unwrap();
    assert_eq!(
        tuned.len(),
        1,
        "one rule, however many step sizes the field gives it"
    );
    let (contender, found) = &tuned[0];
    assert_eq!(contender.name(), "GD tuned");
    let (lr, reached) = found.best["sphere-10"];
    assert_abs_diff_eq!(lr, 10f64.powf(-0.5), epsilon = 1e-15);
    assert!(reached);
    assert!(found.cost > 0);
    let results = run_race(&problems, &[tuned.into_iter().next().unwrap().0], &config).unwrap();
    assert!(results[0].success);
}

#[test]
fn rules_that_learn_their_step_size_run_untuned_and_are_marked() {
    let field = contenders();
    let free: Vec<&str> = field
        .iter()
        .filter(|c| c.is_learning_rate_free())
        .map(|c| c.name())
        .collect();
    assert_eq!(
        free,
        [
            "DoG",
            "DoWG",
            "Prodigy",
            "D-Adapt AdamW",
            "D-Adapt SGD",
            "COCOB"
        ]
    );
    for c in field.iter().filter(|c| c.is_learning_rate_free()) {
        assert!(c.tunable_rule().is_none(), "{} must not be tuned", c.name());
    }
    // Every rule with a step size is tunable, the schedule-free ones and ADOPT included.
    for name in ["ADOPT lr=1e-2", "SF-SGD lr=0.1", "SF-AdamW lr=1e-2"] {
        let c = field.iter().find(|c| c.name() == name).unwrap();
        assert!(c.tunable_rule().is_some(), "{name}");
    }
}
