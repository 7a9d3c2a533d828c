//! Full-batch gradient descent against minibatch methods on L2-regularised logistic regression
//! with 200,000 examples of 100 features, all run to the same suboptimality `f - f* <= 1e-4`
//! relative to the certified minimum `f*`; and SGD at a constant step against the same SGD with
//! its iterates averaged (Polyak-Ruppert), which ends under the noise floor where the iterates
//! stall.
//!
//! `cargo run --release --example logistic`

use std::time::Instant;

use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression, TestFunction};
use gradus::schedule::Exponential;
use ndarray::Array1;

const N: usize = 200_000;
const D: usize = 100;
const LAMBDA: f64 = 1e-4;
const TOL: f64 = 1e-4;

fn main() -> Result<(), gradus::Error> {
    let t = Instant::now();
    let data = Dataset::<f64>::classification(N, D, 2026)?;
    let problem = LogisticRegression::new(data, LAMBDA)?;
    println!(
        "logistic regression: N = {N}, d = {D}, lambda = {LAMBDA:e} (data and spectrum: {:.2?})",
        t.elapsed()
    );
    let t = Instant::now();
    let cert = problem.certificate();
    println!(
        "certified f* = {:.12}  (|grad f| = {:.1e} after {} Newton steps, {:.2?})",
        cert.minimum,
        cert.gradient_norm,
        cert.iterations,
        t.elapsed()
    );
    let f_star = cert.minimum;
    let lipschitz = problem.smoothness().expect("logistic regression is smooth");
    println!("L = {lipschitz:.4}, target f <= f* + {TOL:e}\n");

    let x0 = Array1::<f64>::zeros(D);

    // One full gradient (a pass over the data) on one thread and on all threads.
    let mut g = Array1::<f64>::zeros(D);
    let full_pass = |g: &mut Array1<f64>| {
        let t = Instant::now();
        for _ in 0..5 {
            problem.value_and_gradient(x0.view(), g.view_mut());
        }
        t.elapsed() / 5
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let single = one.install(|| full_pass(&mut g));
    let all = full_pass(&mut g);
    println!(
        "full gradient: {single:.2?} on 1 thread, {all:.2?} on {} threads\n",
        rayon::current_num_threads()
    );
    // Stop on the target only: no gradient-norm criterion, generous budgets.
    let criteria = || Criteria {
        stationarity: None,
        target: Some(f_star + TOL),
        max_iterations: Some(1_000_000),
        ..Criteria::default()
    };
    let minibatch = |batch_size: usize, estimator: Estimator| Minibatch {
        batch_size,
        seed: 7,
        estimator,
        full_check_every: Some(1),
        ..Minibatch::default()
    };

    let mut rows: Vec<(String, Report<f64>)> = Vec::new();

    // Full-batch gradient descent with the step 1/L; one iteration is one pass.
    let report = Minimizer::new(GradientDescent::default())
        .lr(1.0 / lipschitz)
        .with_criteria(criteria())
        .minimize(&problem, x0.view())?;
    rows.push(("GD (full batch, 1/L)".into(), report));

    // Plain SGD with a constant step: it stalls at a noise floor of order step · variance / B,
    // so it gets a budget of 15 epochs.
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .with_criteria(criteria())
        .minibatch(minibatch(256, Estimator::Minibatch))
        .max_epochs(15)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("SGD (B=256, 0.1)".into(), report));

    // The same SGD, its iterates averaged (Polyak-Ruppert) from the end of the first epoch: the
    // iterates are plain SGD's, and the report is at their average, under their noise floor.
    // The target is judged at the full checks of the iterates in a minibatch run (not at the
    // average), so this run, like plain SGD's, goes on to its 15 epochs.
    let steps_per_epoch = N.div_ceil(256);
    let averaged_sgd = Averaged::new(
        GradientDescent::default(),
        Averaging::PolyakRuppert {
            start: steps_per_epoch,
        },
    )?;
    let report = Minimizer::new(averaged_sgd)
        .lr(0.1)
        .with_criteria(criteria())
        .minibatch(minibatch(256, Estimator::Minibatch))
        .max_epochs(15)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("averaged SGD (B=256, 0.1)".into(), report));

    // SGD with a step decaying per epoch, to get under the noise floor of a constant step.
    let report = Minimizer::new(GradientDescent::default())
        .schedule(Exponential::new(1.0, 0.6)?)
        .with_criteria(criteria())
        .minibatch(Minibatch {
            schedule_per_epoch: true,
            ..minibatch(256, Estimator::Minibatch)
        })
        .max_epochs(50)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("SGD (B=256, 1.0·0.6^epoch)".into(), report));

    // SGD with heavy-ball momentum 0.9 and the same decaying step, scaled by 1 - 0.9 so that
    // the effective step γ/(1 - β) matches plain SGD's.
    let report = Minimizer::new(Momentum::heavy_ball(0.1, 0.9)?)
        .schedule(Exponential::new(0.1, 0.6)?)
        .with_criteria(criteria())
        .minibatch(Minibatch {
            schedule_per_epoch: true,
            ..minibatch(256, Estimator::Minibatch)
        })
        .max_epochs(50)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("SGD+momentum (0.9, 0.1·0.6^e)".into(), report));

    // Adam with PyTorch's defaults and a step decaying per epoch.
    let report = Minimizer::new(Adam::default())
        .schedule(Exponential::new(1e-2, 0.6)?)
        .with_criteria(criteria())
        .minibatch(Minibatch {
            schedule_per_epoch: true,
            ..minibatch(256, Estimator::Minibatch)
        })
        .max_epochs(50)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("Adam (1e-2·0.6^epoch)".into(), report));

    // SVRG: a full snapshot gradient every epoch, two minibatch gradients per step.
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .with_criteria(criteria())
        .minibatch(minibatch(
            64,
            Estimator::Svrg {
                snapshot_every: None,
            },
        ))
        .max_epochs(50)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("SVRG (B=64, 0.5)".into(), report));

    // SAGA: one per-example gradient per example and epoch, and a table of N x 100 gradients.
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.5)
        .with_criteria(criteria())
        .minibatch(minibatch(64, Estimator::Saga))
        .max_epochs(50)
        .minimize_finite_sum(&problem, x0.view())?;
    rows.push(("SAGA (B=64, 0.5)".into(), report));

    println!(
        "{:<28} {:>7} {:>10} {:>10} {:>16} {:>10}  stop",
        "method", "epochs", "grads / N", "time", "final loss", "f - f*"
    );
    for (name, r) in &rows {
        let (epochs, passes) = match r.sampling {
            Some(s) => (s.epochs, s.example_gradients as f64 / N as f64),
            // Full batch: one pass per gradient.
            None => (r.iterations, r.gradient_evaluations as f64),
        };
        let f = problem.value(r.x.view());
        println!(
            "{:<28} {:>7} {:>10.1} {:>10.2?} {:>16.12} {:>10.2e}  {:?}",
            name,
            epochs,
            passes,
            r.elapsed,
            f,
            f - f_star,
            r.termination
        );
    }
    // Averaged SGD's report holds the last iterate beside the average.
    for (name, r) in &rows {
        if let Some(last) = &r.last_iterate {
            println!(
                "\n{name}: f - f* = {:.2e} at the average, {:.2e} at the last iterate",
                r.f - f_star,
                last.f - f_star
            );
        }
    }
    Ok(())
}
