//! The race: every update rule of the crate on every problem of the test suite.
//!
//! ```sh
//! cargo run --release --example race
//! cargo run --release --example race -- --problems rosenbrock,beale --rules armijo --starts 10
//! cargo run --release --example race -- --tune
//! ```
//!
//! Each rule runs with its documented default hyperparameters (the list is
//! [`harness::contenders`]; `GD 1/L` only runs where the smoothness constant `L` is known)
//! from each problem's standard start and from seeded random starts around it. A run succeeds
//! when `f - f* <= tol · max(1, |f*|)` within the budget of gradient evaluations. The program
//! prints a table per problem, the number of instances each rule solved, and Dolan and Moré's
//! performance profile on the cost "gradient evaluations"; it writes SVG and PNG pictures
//! (convergence curves, 2-D trajectories over contour lines, the profile) unless `--no-plots` is
//! given.
//!
//! Flags:
//!
//! ```text
//! --problems a,b   only the problems whose name contains one of these (default: all)
//! --rules a,b      only the rules whose name contains one of these (default: all)
//! --dim N          dimension of the scalable problems (sphere, rosenbrock-10, styblinski-tang,
//!                  rastrigin, ackley); default: the suite's
//! --tol T          success tolerance on f - f*, relative to max(1, |f*|) (default 1e-6)
//! --budget N       gradient evaluations per run (default 10000)
//! --seed S         seed of the random starts (default 0)
//! --starts K       random starts besides the standard one (default 4)
//! --csv PATH       also write every run as CSV
//! --plots DIR      where to write the SVG and PNG pictures (default target/gradus-plots)
//! --no-plots       write no pictures
//! --tune           give every rule that runs with a step size its best step size per problem
//!                  from one log grid (see `tuning.rs`), and race the tuned rules with the line
//!                  searches; the tuning's cost is reported apart, and the rules that learn
//!                  their step size (untuned) are compared with the tuned ones per problem
//! ```
//!
//! The program's parts: `harness.rs` runs the race (contenders, starts, runs, performance
//! profiles), `tuning.rs` tunes the step sizes for `--tune`, `tables.rs` prints the tables and
//! writes the CSV, `plots.rs` draws the pictures;
//! this file reads the arguments and runs them in order. `cargo test --example race` runs the
//! harness's tests (`harness/tests.rs`).

#[path = "../common/contour.rs"]
mod contour;
mod harness;
mod plots;
mod tables;
mod tuning;

use std::path::PathBuf;
use std::time::Instant;

use gradus::problems::{Ackley, Rastrigin, Rosenbrock, Sphere, StyblinskiTang, SuiteProblem};
use harness::{RaceConfig, contenders, performance_profile, run_race};
use plots::plot_all;
use tables::{print_free_vs_tuned, print_problem, print_summary, write_csv};

/// Any error of the program: of the race, of writing files, of drawing.
type AnyError = Box<dyn std::error::Error>;

/// The command line, read.
struct Args {
    problems: Vec<String>,
    rules: Vec<String>,
    dim: Option<usize>,
    config: RaceConfig,
    csv: Option<PathBuf>,
    plots: Option<PathBuf>,
    tune: bool,
}

const USAGE: &str = "usage: race [--problems a,b] [--rules a,b] [--dim N] [--tol T] [--budget N] \
                     [--seed S] [--starts K] [--csv PATH] [--plots DIR | --no-plots] [--tune]";

/// Reads the flags (see the module documentation); the message on error includes the usage.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        problems: Vec::new(),
        rules: Vec::new(),
        dim: None,
        config: RaceConfig {
            record: true,
            ..RaceConfig::default()
        },
        csv: None,
        plots: Some(PathBuf::from("target/gradus-plots")),
        tune: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-plots" {
            args.plots = None;
            args.config.record = false;
            continue;
        }
        if flag == "--tune" {
            args.tune = true;
            continue;
        }
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        const WITH_VALUE: [&str; 9] = [
            "--problems",
            "--rules",
            "--dim",
            "--tol",
            "--budget",
            "--seed",
            "--starts",
            "--csv",
            "--plots",
        ];
        if !WITH_VALUE.contains(&flag.as_str()) {
            return Err(format!("unknown flag {flag}\n{USAGE}"));
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag}: `{value}` is not {what}\n{USAGE}");
        let list = |v: &str| v.split(',').map(|s| s.trim().to_lowercase()).collect();
        match flag.as_str() {
            "--problems" => args.problems = list(&value),
            "--rules" => args.rules = list(&value),
            "--dim" => {
                args.dim = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|&d| d >= 1)
                        .ok_or_else(|| bad("a dimension >= 1"))?,
                )
            }
            "--tol" => args.config.tolerance = value.parse().map_err(|_| bad("a number"))?,
            "--budget" => {
                args.config.max_gradient_evaluations = value.parse().map_err(|_| bad("a count"))?
            }
            "--seed" => args.config.seed = value.parse().map_err(|_| bad("an integer"))?,
            "--starts" => args.config.random_starts = value.parse().map_err(|_| bad("a count"))?,
            "--csv" => args.csv = Some(PathBuf::from(value)),
            "--plots" => args.plots = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// `true` if `name` contains one of the (lower-case) `filters`, or there are none.
fn matches(name: &str, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| name.to_lowercase().contains(f))
}

/// The suite, with the scalable problems rebuilt in dimension `dim` if given.
fn problems(dim: Option<usize>, filters: &[String]) -> Vec<SuiteProblem> {
    gradus::problems::suite()
        .into_iter()
        .map(|p| -> SuiteProblem {
            let Some(n) = dim else { return p };
            let name = p.name();
            if name.starts_with("sphere") {
                Box::new(Sphere::new(n))
            } else if name.starts_with("rosenbrock") && p.dim() != 2 {
                Box::new(Rosenbrock::new(n.max(2)))
            } else if name.starts_with("styblinski-tang") {
                Box::new(StyblinskiTang::new(n))
            } else if name.starts_with("rastrigin") {
                Box::new(Rastrigin::new(n))
            } else if name.starts_with("ackley") {
                Box::new(Ackley::new(n))
            } else {
                p
            }
        })
        .filter(|p| matches(&p.name(), filters))
        .collect()
}

fn main() -> Result<(), AnyError> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let problems = problems(args.dim, &args.problems);
    let mut field: Vec<_> = contenders()
        .into_iter()
        .filter(|c| matches(c.name(), &args.rules))
        .collect();
    if args.tune && !problems.is_empty() {
        let clock = Instant::now();
        let tuned = tuning::tune(&problems, &field, &args.config)?;
        tuning::print_tuning(&tuned);
        println!("tuning time: {:.2} s\n", clock.elapsed().as_secs_f64());
        // The tuned rules replace the rules with a step size; the line searches stay.
        field.retain(|c| c.tunable_rule().is_none());
        field.splice(0..0, tuned.into_iter().map(|(c, _)| c));
    }
    if problems.is_empty() || field.is_empty() {
        eprintln!("no problem or no rule matches the filters\n{USAGE}");
        std::process::exit(2);
    }
    let config = &args.config;
    println!(
        "gradus race: {} rules x {} problems x {} starts; success: f - f* <= {:e} * max(1, |f*|) \
         within {} gradient evaluations",
        field.len(),
        problems.len(),
        config.random_starts + 1,
        config.tolerance,
        config.max_gradient_evaluations
    );
    let clock = Instant::now();
    let results = run_race(&problems, &field, config)?;
    let race_time = clock.elapsed();

    for problem in &problems {
        print_problem(problem, &results);
    }
    if problems
        .iter()
        .any(|p| p.name().starts_with("rastrigin") || p.name().starts_with("ackley"))
    {
        println!(
            "\nRastrigin and Ackley have a local minimum near every integer point: local methods \
             are expected to stop at one of them and fail there (a success is a lucky start)."
        );
    }
    print_summary(
        &results,
        &field.iter().map(|c| c.name()).collect::<Vec<_>>(),
    );
    if args.tune {
        let tuned: Vec<&str> = field
            .iter()
            .map(|c| c.name())
            .filter(|n| n.ends_with(" tuned"))
            .collect();
        let free: Vec<&str> = field
            .iter()
            .filter(|c| c.is_learning_rate_free())
            .map(|c| c.name())
            .collect();
        print_free_vs_tuned(&problems, &results, &tuned, &free);
    }
    let taus = [1.0, 1.5, 2.0, 4.0, 8.0, 16.0, 64.0, f64::INFINITY];
    let profile = performance_profile(&results, &taus);
    println!(
        "\nPerformance profile (Dolan & Moré 2002), cost = gradient evaluations: fraction of the \
         {} instances (problem, start) each rule solved within tau times the cost of the best rule \
         on that instance",
        profile.instances
    );
    print!("{profile}");
    println!("\nrace time: {:.2} s", race_time.as_secs_f64());

    if let Some(path) = &args.csv {
        write_csv(path, &results)?;
        println!("every run written to {}", path.display());
    }
    if let Some(dir) = &args.plots {
        std::fs::create_dir_all(dir)?;
        let rules: Vec<String> = field.iter().map(|c| c.name().to_owned()).collect();
        let written = plot_all(dir, &problems, &results, &rules)?;
        println!("{written} pictures written to {}", dir.display());
    }
    Ok(())
}
