//! What users of the rules that learn their step size (and of the schedule-free rules) do wrong,
//! in the loop: a gradient that turns NaN mid-run stops the run with the last finite iterate,
//! and a start at the minimiser (a zero gradient at the first step, from an all-zero `x0`) moves
//! nothing and produces no NaN.

use std::cell::Cell;

use gradus::prelude::*;
use gradus::{
    Cocob, DAdaptAdamW, DAdaptSgd, Dog, Dowg, Prodigy, ScheduleFreeAdamW, ScheduleFreeSgd,
};
use ndarray::{Array1, ArrayView1, ArrayViewMut1};

fn rules() -> Vec<Box<dyn Optimizer<f64>>> {
    vec![
        Box::new(Dog::default()),
        Box::new(Dowg::default()),
        Box::new(Prodigy::default()),
        Box::new(DAdaptAdamW::default()),
        Box::new(DAdaptSgd::default()),
        Box::new(Cocob::default()),
        Box::new(ScheduleFreeSgd::default()),
        Box::new(ScheduleFreeAdamW::default()),
    ]
}

/// No criterion but a number of iterations (a zero gradient would meet any stationarity
/// tolerance at once).
fn only_iterations(n: usize) -> Criteria<f64> {
    Criteria {
        stationarity: None,
        max_iterations: Some(n),
        ..Criteria::default()
    }
}

#[test]
fn a_nan_gradient_mid_run_stops_with_the_last_finite_iterate() {
    for rule in rules() {
        let name = rule.name();
        let calls = Cell::new(0usize);
        // f = ½|x - 1|², whose gradient turns NaN from the fourth evaluation on.
        let f = FnObjective::new(
            3,
            |x: ArrayView1<f64>| 0.5 * x.iter().map(|v| (v - 1.0) * (v - 1.0)).sum::<f64>(),
            |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
                calls.set(calls.get() + 1);
                let broken = calls.get() > 3;
                for (g, &x) in g.iter_mut().zip(x) {
                    *g = if broken { f64::NAN } else { x - 1.0 };
                }
            },
        );
        let report = Minimizer::new(rule)
            .with_criteria(only_iterations(100))
            .minimize(&f, Array1::zeros(3).view())
            .unwrap();
        assert!(
            matches!(
                report.termination,
                Termination::NonFinite | Termination::StateOverflow
            ),
            "{name}: {:?}",
            report.termination
        );
        assert!(
            report.x.iter().all(|v| v.is_finite()),
            "{name}: {}",
            report.x
        );
        assert!(report.f.is_finite(), "{name}: {}", report.f);
        assert!(report.iterations <= 3, "{name}: {}", report.iterations);
    }
}

#[test]
fn a_start_at_the_minimiser_stays_there() {
    for rule in rules() {
        let name = rule.name();
        // f = ½|x|² from x0 = 0: the gradient is zero at every step.
        let f = FnObjective::new(
            4,
            |x: ArrayView1<f64>| 0.5 * x.dot(&x),
            |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&x),
        );
        let report = Minimizer::new(rule)
            .with_criteria(only_iterations(20))
            .minimize(&f, Array1::zeros(4).view())
            .unwrap();
        assert_eq!(report.termination, Termination::MaxIterations, "{name}");
        assert_eq!(report.x, Array1::zeros(4), "{name}");
        assert_eq!(report.f, 0.0, "{name}");
    }
}
