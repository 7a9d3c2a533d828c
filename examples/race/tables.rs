//! The race's text output: a table per problem, the summary of instances solved, and every run
//! as CSV.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use gradus::problems::SuiteProblem;

use crate::harness::RaceResult;

/// Prints the table of one problem: per rule, the instances solved, the run from the standard
/// start, and the median cost of the solved runs.
pub fn print_problem(problem: &SuiteProblem, results: &[RaceResult]) {
    let name = problem.name();
    let runs: Vec<&RaceResult> = results.iter().filter(|r| r.problem == name).collect();
    let starts = runs.iter().map(|r| r.start).max().map_or(0, |s| s + 1);
    println!(
        "\n{name}  (dim {}, f* = {:.6e}, {}; L {})",
        problem.dim(),
        problem.minimum(),
        if problem.is_convex() {
            "convex"
        } else {
            "non-convex"
        },
        problem
            .smoothness()
            .map_or("unknown".to_owned(), |l| format!("{l:.4}")),
    );
    println!(
        "  {:<24} {:>7}  {:>7} {:>7} {:>11} {:>9}  {:<12} {:>13}",
        "rule", "solved", "iters", "grads", "f - f*", "time", "reason", "median grads"
    );
    println!(
        "  {:<24} {:>7}  {:-^40}  {:>13}",
        "",
        format!("/{starts}"),
        " standard start ",
        "(solved runs)"
    );
    let mut order: Vec<&str> = Vec::new();
    for r in &runs {
        if !order.contains(&r.contender.as_str()) {
            order.push(&r.contender);
        }
    }
    for rule in order {
        let mine: Vec<&&RaceResult> = runs.iter().filter(|r| r.contender == rule).collect();
        let solved: Vec<usize> = mine
            .iter()
            .filter(|r| r.success)
            .map(|r| r.gradient_evaluations)
            .collect();
        let median = median(solved.clone()).map_or("-".to_owned(), |m| m.to_string());
        if let Some(s) = mine.iter().find(|r| r.start == 0) {
            println!(
                "  {:<24} {:>7}  {:>7} {:>7} {:>11.3e} {:>7.2}ms  {:<12} {:>13}",
                rule,
                format!("{}/{}", solved.len(), mine.len()),
                s.iterations,
                s.gradient_evaluations,
                s.gap,
                s.elapsed.as_secs_f64() * 1e3,
                if s.success { "solved" } else { s.reason() },
                median
            );
        }
    }
}

/// The median of `v` (the upper one of an even count), `None` if `v` is empty.
fn median(mut v: Vec<usize>) -> Option<usize> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Prints the instances each rule solved, on the convex problems and on all, with its total time.
pub fn print_summary(results: &[RaceResult], rules: &[&str]) {
    println!("\nSummary: instances solved (problem x start), convex problems and all");
    let mut per: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    let convex: Vec<String> = gradus::problems::suite()
        .iter()
        .filter(|p| p.is_convex())
        .map(|p| p.name())
        .collect();
    for r in results {
        let e = per.entry(r.contender.as_str()).or_default();
        let c = convex.contains(&r.problem);
        e[0] += usize::from(r.success && c);
        e[1] += usize::from(c);
        e[2] += usize::from(r.success);
        e[3] += 1;
    }
    println!(
        "  {:<24} {:>12} {:>12} {:>10}",
        "rule", "convex", "all", "wall time"
    );
    for rule in rules {
        let Some(e) = per.get(rule) else { continue };
        let time: f64 = results
            .iter()
            .filter(|r| r.contender == *rule)
            .map(|r| r.elapsed.as_secs_f64())
            .sum();
        println!(
            "  {:<24} {:>12} {:>12} {:>9.3}s",
            rule,
            format!("{}/{}", e[0], e[1]),
            format!("{}/{}", e[2], e[3]),
            time
        );
    }
}

/// Writes every run to `path` as CSV, one row per run.
pub fn write_csv(path: &Path, results: &[RaceResult]) -> std::io::Result<()> {
    let mut out = String::from(
        "problem,rule,start,success,iterations,gradient_evaluations,function_evaluations,\
         gap,seconds,termination\n",
    );
    for r in results {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{:e},{:e},{}",
            r.problem,
            r.contender,
            r.start,
            r.success,
            r.iterations,
            r.gradient_evaluations,
            r.function_evaluations,
            r.gap,
            r.elapsed.as_secs_f64(),
            r.reason()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, out)
}

/// Prints, per problem, how close each rule that learns its step size (`free`) comes to the
/// best tuned rule (`tuned`): the best tuned rule is the one that solved the most runs, then
/// with the lowest median of gradient evaluations over its solved runs; each free rule shows
/// the runs it solved and its median over the ratio to that best median (`-` if it solved none).
pub fn print_free_vs_tuned(
    problems: &[SuiteProblem],
    results: &[RaceResult],
    tuned: &[&str],
    free: &[&str],
) {
    if tuned.is_empty() || free.is_empty() {
        return;
    }
    // (runs solved, runs, median gradient evaluations of the solved runs)
    let stats = |problem: &str, rule: &str| {
        let mine: Vec<&RaceResult> = results
            .iter()
            .filter(|r| r.problem == problem && r.contender == rule)
            .collect();
        let solved: Vec<usize> = mine
            .iter()
            .filter(|r| r.success)
            .map(|r| r.gradient_evaluations)
            .collect();
        (solved.len(), mine.len(), median(solved))
    };
    println!(
        "\nRules that learn their step size against the best tuned rule, per problem: runs \
         solved, and the median of gradient evaluations over solved runs as a multiple of the \
         best tuned rule's"
    );
    print!("  {:<26} {:<28}", "problem", "best tuned (solved, median)");
    for f in free {
        print!(" {f:>16}");
    }
    println!();
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); free.len()];
    for problem in problems {
        let name = problem.name();
        let best = tuned
            .iter()
            .map(|rule| (rule, stats(&name, rule)))
            .filter(|(_, (_, runs, _))| *runs > 0)
            .max_by(|(_, a), (_, b)| {
                a.0.cmp(&b.0)
                    .then_with(|| b.2.unwrap_or(usize::MAX).cmp(&a.2.unwrap_or(usize::MAX)))
            });
        let Some((rule, (solved, runs, best_median))) = best else {
            continue;
        };
        let shown = match best_median {
            Some(m) => format!("{} {solved}/{runs}, {m}", rule.trim_end_matches(" tuned")),
            None => format!("none 0/{runs}"),
        };
        print!("  {name:<26} {shown:<28}");
        for (k, f) in free.iter().enumerate() {
            let (s, n, m) = stats(&name, f);
            let cell = match (m, best_median) {
                (Some(m), Some(b)) => {
                    let ratio = m as f64 / b as f64;
                    ratios[k].push(ratio);
                    format!("{s}/{n} {ratio:.1}x")
                }
                (Some(m), None) => format!("{s}/{n} {m}"),
                _ => format!("{s}/{n} -"),
            };
            print!(" {cell:>16}");
        }
        println!();
    }
    print!("  {:<26} {:<28}", "median ratio vs best tuned", "");
    for r in ratios {
        let cell = if r.is_empty() {
            "-".to_owned()
        } else {
            let mut r = r;
            r.sort_by(f64::total_cmp);
            format!("{:.1}x", r[r.len() / 2])
        };
        print!(" {cell:>16}");
    }
    println!();
    // The same median against the tuned rules that learning-rate-free rules are meant to
    // replace: gradient descent and Adam.
    for reference in ["GD tuned", "Adam tuned"] {
        if !tuned.contains(&reference) {
            continue;
        }
        print!(
            "  {:<26} {:<28}",
            format!("median ratio vs {reference}"),
            ""
        );
        for f in free {
            let mut r: Vec<f64> = problems
                .iter()
                .filter_map(|p| {
                    let name = p.name();
                    match (stats(&name, f).2, stats(&name, reference).2) {
                        (Some(m), Some(b)) => Some(m as f64 / b as f64),
                        _ => None,
                    }
                })
                .collect();
            r.sort_by(f64::total_cmp);
            let cell = r
                .get(r.len().wrapping_sub(1) / 2)
                .map_or("-".to_owned(), |m| format!("{m:.2}x"));
            print!(" {cell:>16}");
        }
        println!();
    }
}
