//! Proximal gradient methods in the loop: ISTA with a constant step and with backtracking,
//! FISTA with and without adaptive restart, proximal SGD and Prox-SVRG, against closed-form
//! solutions, the duality gap of the lasso, the published convergence bounds of ISTA and FISTA
//! (Beck & Teboulle, 2009, Theorems 3.1 and 4.4), and the descent property of backtracking;
//! a projection as the prox of its indicator, to the bit; resuming; refusals; no allocation
//! per iteration.

mod common;

use approx::assert_abs_diff_eq;
use gradus::constraints::{BoxSet, L1Ball, NonNegative};
use gradus::minimize::{ProxBacktracking, Restart};
use gradus::prelude::*;
use gradus::problems::{Dataset, LeastSquares, TestFunction};
use gradus::prox::{
    ElasticNet, GroupLasso, Indicator, L1Norm, NonNegativeL1, Prox, duality_gap, kkt,
};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// `f(x) = ½ Σ d_i (x_i - c_i)²`: with `h = λ|x|₁` the minimiser is `soft(c_i, λ/d_i)`, and
/// `L = max d_i`.
fn separable(d: Array1<f64>, c: Array1<f64>) -> impl Objective<f64> {
    let n = d.len();
    let (d2, c2) = (d.clone(), c.clone());
    FnObjective::new(
        n,
        move |x: ArrayView1<f64>| {
            (0..n)
                .map(|i| 0.5 * d[i] * (x[i] - c[i]) * (x[i] - c[i]))
                .sum()
        },
        move |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| {
            for i in 0..n {
                g[i] = d2[i] * (x[i] - c2[i]);
            }
        },
    )
}

fn soft(v: f64, t: f64) -> f64 {
    v.signum() * (v.abs() - t).max(0.0)
}

/// A lasso problem: least squares on 100 x 10 correlated data, and its `L`.
fn lasso_data(condition_number: f64, seed: u64) -> (Dataset<f64>, LeastSquares<f64>, f64) {
    let data = Dataset::linear_regression(100, 10, condition_number, 0.5, seed).unwrap();
    let f = LeastSquares::new(data.clone()).unwrap();
    let l = f.smoothness().unwrap();
    (data, f, l)
}

/// The lasso solution, certified by a duality gap below `1e-13`: `(x*, F*)`.
fn certified_lasso(
    data: &Dataset<f64>,
    f: &LeastSquares<f64>,
    l: f64,
    lambda: f64,
) -> (Array1<f64>, f64) {
    let report = Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .prox(L1Norm::new(lambda).unwrap())
        .accelerate(Restart::Gradient)
        .gradient_tolerance(1e-13)
        .max_iterations(1_000_000)
        .minimize(f, Array1::zeros(10).view())
        .unwrap();
    let gap = duality_gap(data, lambda, 0.0, report.x.view()).unwrap();
    assert!(gap.gap < 1e-13, "gap {:e}", gap.gap);
    (report.x, gap.primal)
}

#[test]
fn ista_solves_the_separable_lasso_in_closed_form() {
    let (d, c) = (array![1.0, 4.0, 0.5, 2.0], array![2.0, -3.0, 0.2, 0.1]);
    let f = separable(d.clone(), c.clone());
    let lambda = 0.5;
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.25) // 1/L
        .prox(L1Norm::new(lambda).unwrap())
        .gradient_tolerance(1e-12)
        .minimize(&f, Array1::zeros(4).view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    let expected = Array1::from_shape_fn(4, |i| soft(c[i], lambda / d[i]));
    assert_eq!(expected, array![1.5, -2.875, 0.0, 0.0]);
    for (x, e) in report.x.iter().zip(&expected) {
        assert_abs_diff_eq!(*x, *e, epsilon = 1e-11);
    }
    // The zeros are exact, and the report says where the rest is.
    assert_eq!((report.x[2], report.x[3]), (0.0, 0.0));
    assert_eq!(report.support, Some(vec![0, 1]));
    let h = lambda * report.x.iter().map(|v| v.abs()).sum::<f64>();
    assert_abs_diff_eq!(report.penalty.unwrap(), h, epsilon = 1e-15);
    assert_abs_diff_eq!(report.f, f.value(report.x.view()) + h, epsilon = 1e-15);
    assert_eq!(report.restarts, None);
}

#[test]
fn fista_in_every_form_reaches_the_same_closed_form() {
    let (d, c) = (array![1.0, 4.0, 0.5, 2.0], array![2.0, -3.0, 0.2, 0.1]);
    let f = separable(d.clone(), c.clone());
    let expected = Array1::from_shape_fn(4, |i| soft(c[i], 0.5 / d[i]));
    for restart in [Restart::Never, Restart::FunctionValue, Restart::Gradient] {
        for backtracking in [false, true] {
            let mut m = Minimizer::new(GradientDescent::default())
                .lr(0.25)
                .prox(L1Norm::new(0.5).unwrap())
                .accelerate(restart)
                .gradient_tolerance(1e-12);
            if backtracking {
                m = m.prox_backtracking(ProxBacktracking::from(3.0));
            }
            let report = m.minimize(&f, Array1::zeros(4).view()).unwrap();
            assert!(report.converged(), "{restart:?} {backtracking}");
            for (x, e) in report.x.iter().zip(&expected) {
                assert_abs_diff_eq!(*x, *e, epsilon = 1e-11);
            }
            assert_eq!(report.support, Some(vec![0, 1]));
            assert!(report.restarts.is_some());
        }
    }
}

#[test]
fn ista_and_fista_reach_a_lasso_duality_gap_below_1e_10() {
    let (data, f, l) = lasso_data(100.0, 3);
    let lambda = 0.1;
    for accelerate in [None, Some(Restart::Never), Some(Restart::Gradient)] {
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(1.0 / l)
            .prox(L1Norm::new(lambda).unwrap())
            .gradient_tolerance(1e-11)
            .max_iterations(200_000);
        if let Some(r) = accelerate {
            m = m.accelerate(r);
        }
        let report = m.minimize(&f, Array1::zeros(10).view()).unwrap();
        assert!(report.converged(), "{accelerate:?}: {}", report.termination);
        let gap = duality_gap(&data, lambda, 0.0, report.x.view()).unwrap();
        assert!(
            gap.gap >= -1e-15 && gap.gap < 1e-10,
            "{accelerate:?}: {:e}",
            gap.gap
        );
        assert_abs_diff_eq!(gap.primal, report.f, epsilon = 1e-12);
        let check = kkt(&L1Norm::new(lambda).unwrap(), &f, report.x.view()).unwrap();
        assert!(
            check.max < 1e-9,
            "{accelerate:?}: KKT residual {:e}",
            check.max
        );
    }
}

#[test]
fn ista_and_fista_obey_their_convergence_bounds() {
    // Beck & Teboulle (2009): with γ = 1/L, ISTA has F(x_k) - F* <= L|x_0 - x*|²/(2k)
    // (Theorem 3.1) and FISTA F(x_k) - F* <= 2L|x_0 - x*|²/(k + 1)² (Theorem 4.4), at every k.
    let (data, f, l) = lasso_data(1e3, 5);
    let lambda = 0.05;
    let (x_star, f_star) = certified_lasso(&data, &f, l, lambda);
    let r2 = x_star.dot(&x_star);
    for accelerate in [false, true] {
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(1.0 / l)
            .prox(L1Norm::new(lambda).unwrap())
            .gradient_tolerance(0.0)
            .max_iterations(2000)
            .record_history(true);
        if accelerate {
            m = m.accelerate(Restart::Never);
        }
        let report = m.minimize(&f, Array1::zeros(10).view()).unwrap();
        let values: Vec<f64> = report.history.unwrap().values().collect();
        for (k, value) in values.iter().enumerate().skip(1) {
            let k = k as f64;
            let bound = if accelerate {
                2.0 * l * r2 / ((k + 1.0) * (k + 1.0))
            } else {
                l * r2 / (2.0 * k)
            };
            assert!(
                value - f_star <= bound + 1e-12,
                "accelerated {accelerate}, k = {k}: {:e} > {bound:e}",
                value - f_star
            );
        }
    }
}

#[test]
fn backtracking_keeps_its_steps_above_shrink_over_l_and_ista_descends() {
    let (data, f, l) = lasso_data(100.0, 7);
    let lambda = 0.1;
    let report = Minimizer::new(GradientDescent::default())
        .prox_backtracking(ProxBacktracking {
            initial: 50.0 / l,
            shrink: 0.5,
        })
        .prox(L1Norm::new(lambda).unwrap())
        .gradient_tolerance(1e-11)
        .max_iterations(100_000)
        .record_history(true)
        .minimize(&f, Array1::zeros(10).view())
        .unwrap();
    assert!(report.converged(), "{}", report.termination);
    assert!(
        duality_gap(&data, lambda, 0.0, report.x.view())
            .unwrap()
            .gap
            < 1e-10
    );
    let records = report.history.unwrap().records;
    for pair in records.windows(2) {
        // The step never grows, and never falls below shrink/L (the test holds for γ <= 1/L).
        let step = pair[1].step_size;
        assert!(step >= 0.5 / l && step <= 50.0 / l, "step {step}");
        if pair[0].step_size > 0.0 {
            assert!(step <= pair[0].step_size);
        }
        // ISTA with the test is a descent method on F = f + h (Beck & Teboulle, Lemma 2.3).
        assert!(
            pair[1].f <= pair[0].f + 1e-14,
            "{} > {}",
            pair[1].f,
            pair[0].f
        );
    }
}

#[test]
fn adaptive_restart_makes_fista_faster_on_an_ill_conditioned_lasso() {
    let (data, f, l) = lasso_data(1e4, 11);
    let lambda = 0.01;
    let run = |restart: Restart| {
        Minimizer::new(GradientDescent::default())
            .lr(1.0 / l)
            .prox(L1Norm::new(lambda).unwrap())
            .accelerate(restart)
            .gradient_tolerance(1e-9)
            .max_iterations(500_000)
            .minimize(&f, Array1::zeros(10).view())
            .unwrap()
    };
    let plain = run(Restart::Never);
    assert!(plain.converged());
    assert_eq!(plain.restarts, Some(0));
    for restart in [Restart::FunctionValue, Restart::Gradient] {
        let restarted = run(restart);
        assert!(restarted.converged());
        assert!(restarted.restarts.unwrap() > 0);
        assert!(
            2 * restarted.iterations < plain.iterations,
            "{restart:?}: {} vs {} iterations",
            restarted.iterations,
            plain.iterations
        );
        assert!(
            duality_gap(&data, lambda, 0.0, restarted.x.view())
                .unwrap()
                .gap
                < 1e-8
        );
    }
}

#[test]
fn a_projection_is_the_prox_of_its_indicator_to_the_bit() {
    let (_, f, l) = lasso_data(100.0, 2);
    let run = |m: Minimizer<'_, f64, GradientDescent<f64>>| {
        m.lr(1.0 / l)
            .max_iterations(200)
            .record_history(true)
            .minimize(&f, Array1::from_elem(10, 0.3).view())
            .unwrap()
    };
    let set = || L1Ball::new(0.5).unwrap();
    let projected = run(Minimizer::new(GradientDescent::default()).projection(set()));
    let proximal = run(Minimizer::new(GradientDescent::default()).prox(Indicator(set())));
    assert_eq!(projected.x, proximal.x);
    assert_eq!(projected.f.to_bits(), proximal.f.to_bits());
    assert_eq!(projected.history, proximal.history);
    assert_eq!(projected.penalty, Some(0.0));
    // The non-negative lasso with λ = 0 is the projection onto the orthant.
    let orthant = run(Minimizer::new(GradientDescent::default()).projection(NonNegative));
    let lasso =
        run(Minimizer::new(GradientDescent::default()).prox(NonNegativeL1::new(0.0).unwrap()));
    assert_eq!(orthant.x, lasso.x);
    assert_eq!(orthant.history, lasso.history);
}

#[test]
fn the_stationarity_measure_is_the_prox_gradient_mapping() {
    let (d, c) = (array![1.0, 4.0], array![2.0, 0.1]);
    let f = separable(d, c);
    let report = Minimizer::new(GradientDescent::default())
        .lr(0.25)
        .prox(L1Norm::new(0.5).unwrap())
        .max_iterations(0)
        .minimize(&f, array![1.0, 1.0].view())
        .unwrap();
    // At x = (1, 1): ∇f = (-1, 3.6); x - γ∇f = (1.25, 0.1); soft by 0.125: (1.125, 0);
    // G = (x - that)/γ = (-0.5, 4).
    assert_abs_diff_eq!(
        report.stationarity,
        (0.25f64 + 16.0).sqrt(),
        epsilon = 1e-14
    );
}

#[test]
fn the_nonnegative_lasso_starts_in_its_domain_and_meets_its_kkt_conditions() {
    let (_, f, l) = lasso_data(100.0, 4);
    let h = NonNegativeL1::new(0.05).unwrap();
    let report = Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .prox(h)
        .accelerate(Restart::Gradient)
        .gradient_tolerance(1e-11)
        .max_iterations(100_000)
        .minimize(&f, Array1::from_elem(10, -1.0).view())
        .unwrap();
    assert!(report.converged());
    assert!(report.x.iter().all(|&v| v >= 0.0));
    let check = kkt(&h, &f, report.x.view()).unwrap();
    assert!(check.max < 1e-9, "{:e}", check.max);
    assert!(report.support.unwrap().len() < 10);
}

#[test]
fn the_group_lasso_keeps_or_drops_whole_groups() {
    let (_, f, l) = lasso_data(100.0, 6);
    let h = GroupLasso::contiguous(&[3, 3, 4], 0.3).unwrap();
    let report = Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .prox(h.clone())
        .accelerate(Restart::Gradient)
        .gradient_tolerance(1e-11)
        .max_iterations(100_000)
        .minimize(&f, Array1::zeros(10).view())
        .unwrap();
    assert!(report.converged());
    let check = kkt(&h, &f, report.x.view()).unwrap();
    assert!(check.max < 1e-9, "{:e}", check.max);
    let support = report.support.unwrap();
    for k in 0..3 {
        let group = h.group(k);
        let kept = group.iter().filter(|i| support.contains(i)).count();
        assert!(kept == 0 || kept == group.len(), "group {k}: {support:?}");
    }
}

#[test]
fn prox_svrg_solves_the_lasso_over_minibatches_and_prox_sgd_approaches_it() {
    let data = Dataset::linear_regression(200, 8, 10.0, 0.5, 9).unwrap();
    let f = LeastSquares::new(data.clone()).unwrap();
    let lambda = 0.05;
    // The largest per-example smoothness max_i |x_i|² bounds the minibatch gradients' L; plain
    // prox-SGD with a constant step stalls at a level proportional to the step.
    let l_max = data
        .features
        .rows()
        .into_iter()
        .map(|r| r.dot(&r))
        .fold(0.0, f64::max);
    let l = f.smoothness().unwrap();
    let svrg = Minimizer::new(GradientDescent::default())
        .lr(0.25 / l)
        .prox(L1Norm::new(lambda).unwrap())
        .minibatch(Minibatch {
            batch_size: 10,
            seed: 1,
            estimator: Estimator::Svrg {
                snapshot_every: None,
            },
            ..Minibatch::default()
        })
        .max_epochs(30)
        .minimize_finite_sum(&f, Array1::zeros(8).view())
        .unwrap();
    let gap = duality_gap(&data, lambda, 0.0, svrg.x.view()).unwrap().gap;
    assert!(gap < 1e-10, "Prox-SVRG gap {gap:e}");
    // The report's f is the full F = f + h at the final iterate.
    assert_abs_diff_eq!(
        svrg.f,
        f.value(svrg.x.view()) + svrg.penalty.unwrap(),
        epsilon = 1e-14
    );
    let sgd = Minimizer::new(GradientDescent::default())
        .lr(0.25 / l_max)
        .prox(L1Norm::new(lambda).unwrap())
        .minibatch(Minibatch {
            batch_size: 10,
            seed: 1,
            ..Minibatch::default()
        })
        .max_epochs(20)
        .minimize_finite_sum(&f, Array1::zeros(8).view())
        .unwrap();
    let sgd_gap = duality_gap(&data, lambda, 0.0, sgd.x.view()).unwrap().gap;
    assert!(sgd_gap < 5e-2 && sgd_gap > gap, "prox-SGD gap {sgd_gap:e}");
}

#[test]
fn resumed_accelerated_and_backtracking_runs_give_the_same_bits() {
    let (_, f, l) = lasso_data(1e3, 8);
    type Make = fn(f64) -> Minimizer<'static, f64, GradientDescent<f64>>;
    let makes: [Make; 3] = [
        |l| {
            Minimizer::new(GradientDescent::default())
                .lr(1.0 / l)
                .prox(L1Norm::new(0.02).unwrap())
                .accelerate(Restart::FunctionValue)
        },
        |l| {
            Minimizer::new(GradientDescent::default())
                .prox_backtracking(ProxBacktracking::from(20.0 / l))
                .prox(ElasticNet::new(0.02, 0.1).unwrap())
        },
        |l| {
            Minimizer::new(GradientDescent::default())
                .prox_backtracking(ProxBacktracking::from(20.0 / l))
                .prox(L1Norm::new(0.02).unwrap())
                .accelerate(Restart::Gradient)
        },
    ];
    for make in makes {
        let whole = make(l)
            .gradient_tolerance(0.0)
            .max_iterations(300)
            .minimize(&f, Array1::zeros(10).view())
            .unwrap();
        let mut parts = make(l).gradient_tolerance(0.0).max_iterations(120);
        parts.minimize(&f, Array1::zeros(10).view()).unwrap();
        let resumed = parts.max_iterations(300).resume(&f).unwrap();
        assert_eq!(resumed.x, whole.x);
        assert_eq!(resumed.f.to_bits(), whole.f.to_bits());
        assert_eq!(resumed.restarts, whole.restarts);
    }
}

#[test]
fn settings_that_cannot_work_together_are_refused() {
    let (_, f, _) = lasso_data(10.0, 1);
    let x0 = Array1::zeros(10);
    let incompatible = |r: Result<Report<f64>, Error>| {
        assert!(matches!(r, Err(Error::Incompatible { .. })), "{r:?}")
    };
    incompatible(
        Minimizer::new(GradientDescent::default())
            .line_search(Backtracking::default())
            .prox(L1Norm::new(0.1).unwrap())
            .minimize(&f, x0.view()),
    );
    incompatible(
        Minimizer::new(Adam::default())
            .prox_backtracking(ProxBacktracking::default())
            .minimize(&f, x0.view()),
    );
    incompatible(
        Minimizer::new(GradientDescent::default())
            .accelerate(Restart::Gradient)
            .line_search(Backtracking::default())
            .minimize(&f, x0.view()),
    );
    incompatible(
        Minimizer::new(GradientDescent::default())
            .accelerate(Restart::Gradient)
            .clip(Clip::GlobalNorm(1.0))
            .minimize(&f, x0.view()),
    );
    incompatible(
        Minimizer::new(GradientDescent::default())
            .lr(0.01)
            .accelerate(Restart::Gradient)
            .max_epochs(1)
            .minimize_finite_sum(&f, x0.view()),
    );
    incompatible(
        Minimizer::new(GradientDescent::default())
            .prox_backtracking(ProxBacktracking::default())
            .max_epochs(1)
            .minimize_finite_sum(&f, x0.view()),
    );
    for (initial, shrink, name) in [
        (0.0, 0.5, "initial"),
        (1.0, 1.0, "shrink"),
        (f64::NAN, 0.5, "initial"),
    ] {
        let r = Minimizer::new(GradientDescent::default())
            .prox_backtracking(ProxBacktracking { initial, shrink })
            .minimize(&f, x0.view());
        assert!(
            matches!(r, Err(Error::InvalidParameter { name: n, .. }) if n == name),
            "{r:?}"
        );
    }
    // A penalty of fixed dimension checks it against x0.
    let r = Minimizer::new(GradientDescent::default())
        .prox(GroupLasso::contiguous(&[2, 2], 0.1).unwrap())
        .minimize(&f, x0.view());
    assert!(matches!(r, Err(Error::DimensionMismatch { .. })), "{r:?}");
}

#[test]
fn a_non_finite_prox_step_keeps_the_last_finite_iterate() {
    let f = separable(array![1.0, 1.0], array![1.0, -1.0]);
    let report = Minimizer::new(GradientDescent::default())
        .lr(1e308)
        .prox(L1Norm::new(1e-3).unwrap())
        .max_iterations(10)
        .minimize(&f, array![5.0, 5.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::NonFinite);
    assert_eq!(report.x, array![5.0, 5.0]);
}

#[test]
fn f32_ista_and_fista_solve_the_separable_lasso() {
    let f = FnObjective::new(
        2,
        |x: ArrayView1<f32>| 0.5 * (x[0] - 2.0).powi(2) + 2.0 * (x[1] + 0.1).powi(2),
        |x: ArrayView1<f32>, mut g: ArrayViewMut1<f32>| {
            g[0] = x[0] - 2.0;
            g[1] = 4.0 * (x[1] + 0.1);
        },
    );
    for accelerate in [false, true] {
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(0.25f32)
            .prox(L1Norm::new(0.5f32).unwrap())
            .gradient_tolerance(1e-6);
        if accelerate {
            m = m.accelerate(Restart::Gradient);
        }
        let report = m.minimize(&f, array![0.0f32, 0.0].view()).unwrap();
        assert!(report.converged());
        assert_abs_diff_eq!(report.x[0], 1.5, epsilon = 1e-5);
        assert_eq!(report.x[1], 0.0);
    }
}

#[test]
fn proximal_runs_allocate_nothing_per_iteration() {
    let (_, f, l) = lasso_data(100.0, 12);
    let x0 = Array1::zeros(10);
    type Make = fn(f64) -> Minimizer<'static, f64, GradientDescent<f64>>;
    let makes: [Make; 4] = [
        |l| {
            Minimizer::new(GradientDescent::default())
                .lr(1.0 / l)
                .prox(L1Norm::new(0.01).unwrap())
        },
        |l| {
            Minimizer::new(GradientDescent::default())
                .lr(1.0 / l)
                .prox(GroupLasso::contiguous(&[5, 5], 0.01).unwrap())
                .accelerate(Restart::Gradient)
        },
        |l| {
            Minimizer::new(GradientDescent::default())
                .prox_backtracking(ProxBacktracking::from(10.0 / l))
                .prox(Indicator(BoxSet::uniform(10, -0.5, 0.5).unwrap()))
        },
        |l| {
            Minimizer::new(GradientDescent::default())
                .prox_backtracking(ProxBacktracking::from(10.0 / l))
                .prox(ElasticNet::new(0.01, 0.01).unwrap())
                .accelerate(Restart::FunctionValue)
        },
    ];
    for (k, make) in makes.iter().enumerate() {
        let count = |iterations: usize| {
            let mut m = make(l)
                .with_criteria(Criteria {
                    stationarity: None,
                    ..Criteria::default()
                })
                .max_iterations(iterations);
            common::counting::allocations_during(|| {
                let r = m.minimize(&f, x0.view()).unwrap();
                assert_eq!(r.iterations, iterations, "{}", r.termination);
            })
        };
        assert_eq!(count(10), count(1000), "minimizer {k}");
    }
}

#[test]
fn a_prox_can_be_replaced_between_runs() {
    let f = separable(array![1.0, 1.0], array![3.0, -0.5]);
    let mut m = Minimizer::new(GradientDescent::default())
        .lr(1.0)
        .prox(L1Norm::new(1.0).unwrap());
    assert_eq!(
        m.minimize(&f, array![0.0, 0.0].view()).unwrap().x,
        array![2.0, 0.0]
    );
    m.set_prox(L1Norm::new(0.25).unwrap());
    assert_eq!(
        m.minimize(&f, array![0.0, 0.0].view()).unwrap().x,
        array![2.75, -0.25]
    );
    m.clear_prox();
    let r = m.minimize(&f, array![0.0, 0.0].view()).unwrap();
    assert_eq!((r.x, r.support, r.penalty), (array![3.0, -0.5], None, None));
    let _: &dyn Prox<f64> = &L1Norm::new(1.0).unwrap();
}

#[cfg(feature = "serde")]
#[test]
fn an_accelerated_run_state_saved_and_loaded_resumes_to_the_same_bits() {
    use gradus::checkpoint::{from_bytes, to_bytes};
    let (_, f, l) = lasso_data(1e3, 13);
    let make = || {
        Minimizer::new(GradientDescent::default())
            .lr(1.0 / l)
            .prox(L1Norm::new(0.02).unwrap())
            .accelerate(Restart::Gradient)
            .gradient_tolerance(0.0)
    };
    let whole = make()
        .max_iterations(200)
        .minimize(&f, Array1::zeros(10).view())
        .unwrap();
    let mut first = make().max_iterations(70);
    first.minimize(&f, Array1::zeros(10).view()).unwrap();
    let bytes = to_bytes(first.run_state().unwrap()).unwrap();
    let mut second = make().max_iterations(200);
    second.set_run_state(from_bytes(&bytes).unwrap());
    let resumed = second.resume(&f).unwrap();
    assert_eq!(resumed.x, whole.x);
    assert_eq!(resumed.f.to_bits(), whole.f.to_bits());
    assert_eq!(resumed.restarts, whole.restarts);
}

#[test]
fn an_accelerated_run_resumed_without_acceleration_measures_its_own_steps() {
    let (data, f, l) = lasso_data(100.0, 14);
    let mut m = Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .prox(L1Norm::new(0.05).unwrap())
        .accelerate(Restart::Gradient)
        .gradient_tolerance(0.0)
        .max_iterations(5);
    m.minimize(&f, Array1::zeros(10).view()).unwrap();
    let mut ista = Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .prox(L1Norm::new(0.05).unwrap())
        .gradient_tolerance(1e-11)
        .max_iterations(100_000);
    ista.set_run_state(m.take_run_state().unwrap());
    let report = ista.resume(&f).unwrap();
    assert!(report.converged());
    assert!(report.iterations > 10, "{}", report.iterations);
    assert!(duality_gap(&data, 0.05, 0.0, report.x.view()).unwrap().gap < 1e-10);
}
