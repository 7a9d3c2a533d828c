//! The tuned race: every rule that runs with a step size gets, on each problem, the best step
//! size of one log grid, as benchmark suites for optimizers do, so that the race compares
//! methods rather than default step sizes.
//!
//! For each rule (each `family` of [`Contender::tunable_rule`], once even when the field holds
//! it twice, as `GD 1/L` and `GD lr=1e-3`) and each problem, the rule runs from the problem's
//! standard start with every step size of [`GRID`], under the race's own stopping rule and
//! budget. The best step size is the one that reaches the target with the fewest gradient
//! evaluations; when none reaches it, the one that ends closest to `f*`. The tuned contender
//! `"<family> tuned"` then runs the race with that step size on that problem, from every start.
//! The cost of tuning (every grid run) is counted apart from the race's.

use std::collections::BTreeMap;

use gradus::problems::{SuiteProblem, TestFunction};
use gradus::{Criteria, Result};

use crate::harness::{Contender, RaceConfig, WithLr};

/// The step sizes tried: half decades from `1e-6` to `10`, `10^(k/2)` for `k = -12, ..., 2`
/// (15 values, the same for every rule and problem).
pub fn grid() -> Vec<f64> {
    (-12..=2).map(|k| 10f64.powf(f64::from(k) / 2.0)).collect()
}

/// What tuning found for one rule.
#[derive(Debug, Clone)]
pub struct Tuned {
    /// The rule's name without a step size.
    pub family: String,
    /// Per problem: the best step size, and whether it reached the target from the standard
    /// start.
    pub best: BTreeMap<String, (f64, bool)>,
    /// Gradient evaluations spent on the grid runs of this rule, over all problems.
    pub cost: usize,
}

/// Tunes every rule of `contenders` that runs with a step size on every problem (see the module
/// documentation). Returns the tuned contenders, each `"<family> tuned"`, with what tuning found.
///
/// # Errors
/// Any error of a run (an invalid hyperparameter, a start that cannot be built).
pub fn tune(
    problems: &[SuiteProblem],
    contenders: &[Contender],
    config: &RaceConfig,
) -> Result<Vec<(Contender, Tuned)>> {
    config.validate()?;
    let mut families: Vec<(&str, &WithLr)> = Vec::new();
    for (family, with_lr) in contenders.iter().filter_map(Contender::tunable_rule) {
        if !families.iter().any(|(f, _)| *f == family) {
            families.push((family, with_lr));
        }
    }
    let grid = grid();
    let mut tuned = Vec::new();
    for (family, with_lr) in families {
        let mut found = Tuned {
            family: family.to_owned(),
            best: BTreeMap::new(),
            cost: 0,
        };
        for problem in problems {
            let problem: &dyn TestFunction<f64> = problem.as_ref();
            let minimum = problem.minimum();
            let target = minimum + config.threshold(minimum);
            let x0 = problem.start()?;
            // (reached, gradient evaluations, gap, lr): the best is the least.
            let mut best: Option<(bool, usize, f64, f64)> = None;
            for &lr in &grid {
                let report = with_lr(lr)?
                    .with_criteria(Criteria {
                        stationarity: Some(config.stationarity),
                        target: Some(target),
                        max_iterations: Some(config.max_gradient_evaluations),
                        max_gradient_evaluations: Some(config.max_gradient_evaluations),
                        ..Criteria::default()
                    })
                    .minimize(problem, x0.view())?;
                found.cost += report.gradient_evaluations;
                let gap = report.f - minimum;
                let reached = gap <= config.threshold(minimum);
                let gap = if gap.is_nan() { f64::INFINITY } else { gap };
                let candidate = (reached, report.gradient_evaluations, gap, lr);
                if best.is_none_or(|b| better(candidate, b)) {
                    best = Some(candidate);
                }
            }
            let (reached, _, _, lr) = best.expect("the grid is not empty");
            found.best.insert(problem.name(), (lr, reached));
        }
        let best = found.best.clone();
        let with_lr = with_lr.clone();
        let contender = Contender::new(format!("{family} tuned"), move |problem| {
            match best.get(&problem.name()) {
                Some(&(lr, _)) => Ok(Some(with_lr(lr)?)),
                None => Ok(None),
            }
        });
        tuned.push((contender, found));
    }
    Ok(tuned)
}

/// `true` if the grid run `a` beats `b`: reaching the target beats not reaching it; among runs
/// that reach it, fewer gradient evaluations; among runs that do not, a smaller gap. Ties keep
/// the smaller step size (the one tried first).
fn better(a: (bool, usize, f64, f64), b: (bool, usize, f64, f64)) -> bool {
    match (a.0, b.0) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => a.1 < b.1,
        (false, false) => a.2 < b.2,
    }
}

/// Prints the step size tuning chose per rule and problem (`*`: no step size of the grid reached
/// the target from the standard start; the one closest to it is shown) and the cost.
pub fn print_tuning(tuned: &[(Contender, Tuned)]) {
    let Some((_, first)) = tuned.first() else {
        return;
    };
    let problems: Vec<&String> = first.best.keys().collect();
    println!(
        "\nTuned step sizes (grid 1e-6 .. 10 in half decades, from each problem's standard start; \
         * = no step size of the grid reached the target)"
    );
    print!("{:<18}", "rule");
    for p in &problems {
        print!(" {:>9}", shorten(p));
    }
    println!(" {:>12}", "grid cost");
    for (_, t) in tuned {
        print!("{:<18}", t.family);
        for p in &problems {
            let (lr, reached) = t.best[*p];
            let mark = if reached { ' ' } else { '*' };
            print!(" {:>8.0e}{mark}", lr);
        }
        println!(" {:>12}", t.cost);
    }
    let total: usize = tuned.iter().map(|(_, t)| t.cost).sum();
    println!(
        "tuning cost: {total} gradient evaluations in all ({} grid runs per rule and problem)",
        grid().len()
    );
}

/// A problem's name cut to fit a column.
fn shorten(name: &str) -> String {
    name.chars().take(9).collect()
}
