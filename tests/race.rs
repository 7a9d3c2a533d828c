//! The race reaches the known optimum of the convex problems with every method that the theory
//! says converges within the race's budget.

use gradus::problems::{SuiteProblem, suite};
use gradus::race::{RaceConfig, contenders, run_race};

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
