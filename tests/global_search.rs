//! Basin hopping and multi-start against what is known of their test functions: the minima of a
//! one-dimensional double well and of Styblinski-Tang (roots of their derivatives, computed here
//! by bisection), the exact growth of the step size where every hop returns to the same minimum,
//! and the same results for the same seed.

use approx::assert_abs_diff_eq;
use gradus::line_search::StrongWolfe;
use gradus::problems::{Sphere, StyblinskiTang};
use gradus::solvers::{Adaptation, BasinHopping, BasinHoppingConfig, MultiStart, MultiStartConfig};
use gradus::{Error, FnObjective, Lbfgs, Minimizer, Objective};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

/// The root of `g` in `[a, b]` (`g(a)` and `g(b)` of opposite signs), by bisection.
fn root(g: impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if (g(m) > 0.0) == (g(a) > 0.0) {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// `f(x) = (x² - 1)² + 0.3 x`: a local minimum near `x = 0.96` and the global one near `-1.04`.
fn double_well() -> impl Objective<f64> {
    FnObjective::new(
        1,
        |x: ArrayView1<'_, f64>| (x[0] * x[0] - 1.0).powi(2) + 0.3 * x[0],
        |x: ArrayView1<'_, f64>, mut g: ArrayViewMut1<'_, f64>| {
            g[0] = 4.0 * x[0] * (x[0] * x[0] - 1.0) + 0.3;
        },
    )
}

fn local() -> Minimizer<'static, f64, Lbfgs<f64>> {
    Minimizer::new(Lbfgs::default())
        .line_search(StrongWolfe::default())
        .gradient_tolerance(1e-10)
}

#[test]
fn basin_hopping_leaves_the_local_well_for_the_global_one() {
    let derivative = |x: f64| 4.0 * x * (x * x - 1.0) + 0.3;
    let global = root(derivative, -2.0, -0.5);
    let other = root(derivative, 0.5, 2.0);
    let f = double_well();
    // A local run from x0 = 1 stays in the right-hand well.
    let alone = local().minimize(&f, array![1.0].view()).unwrap();
    assert_abs_diff_eq!(alone.x[0], other, epsilon = 1e-8);
    let hopping = BasinHopping::new(BasinHoppingConfig {
        hops: 50,
        step_size: 1.5,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let report = hopping
        .minimize(&mut local(), &f, array![1.0].view())
        .unwrap();
    assert_abs_diff_eq!(report.x[0], global, epsilon = 1e-8);
    assert!(report.found_at_hop >= 1 && report.hops == 50);
    assert!(!report.reached_target);
    // The same seed gives the same walk; another seed may not.
    let again = hopping
        .minimize(&mut local(), &f, array![1.0].view())
        .unwrap();
    assert_eq!(report, again);
}

#[test]
fn the_walk_stops_at_the_target() {
    let f = double_well();
    let hopping = BasinHopping::new(BasinHoppingConfig {
        hops: 1000,
        step_size: 1.5,
        target: Some(-0.25),
        ..Default::default()
    })
    .unwrap();
    let report = hopping
        .minimize(&mut local(), &f, array![1.0].view())
        .unwrap();
    assert!(report.reached_target && report.f <= -0.25);
    assert_eq!(report.hops, report.found_at_hop);
    assert!(report.hops < 1000);
}

#[test]
fn where_every_hop_returns_to_the_same_minimum_the_step_grows_by_one_over_phi_per_adaptation() {
    // On a convex function every local run ends at the minimiser: every hop is accepted (its
    // value is not higher) and none escapes, so both rules lengthen the jumps at every
    // adaptation: s = 0.5 / 0.9^4 after 200 hops adapted every 50.
    for adaptation in [Adaptation::Acceptance, Adaptation::Escape] {
        let hopping = BasinHopping::new(BasinHoppingConfig {
            hops: 200,
            adaptation,
            ..Default::default()
        })
        .unwrap();
        let report = hopping
            .minimize(&mut local(), &Sphere::new(3), array![1.0, 2.0, -1.0].view())
            .unwrap();
        assert_eq!(report.accepted, 200, "{adaptation:?}");
        assert_abs_diff_eq!(report.step_size, 0.5 / 0.9f64.powi(4), epsilon = 1e-15);
        assert!(report.f <= 1e-20);
    }
}

#[test]
fn multi_start_finds_every_local_minimum_of_styblinski_tang_in_two_dimensions() {
    // ∂f/∂x_i = (4 x_i³ - 32 x_i + 5) / 2: minima at the two outer roots in every coordinate.
    let derivative = |x: f64| 4.0 * x.powi(3) - 32.0 * x + 5.0;
    let low = root(derivative, -5.0, -1.0);
    let high = root(derivative, 1.0, 5.0);
    let config = MultiStartConfig {
        seed: 11,
        ..MultiStartConfig::new(Array1::from_elem(2, -5.0), Array1::from_elem(2, 5.0), 60)
    };
    let search = MultiStart::new(config).unwrap();
    for k in 0..60 {
        assert!(search.start(k).iter().all(|&v| (-5.0..=5.0).contains(&v)));
    }
    let report = search.minimize(local, &StyblinskiTang::new(2)).unwrap();
    assert_eq!(report.minima.len(), 4);
    assert_eq!(report.minima.iter().map(|m| m.hits).sum::<usize>(), 60);
    assert_eq!(report.runs.len(), 60);
    let best = report.best().unwrap();
    assert_abs_diff_eq!(best.x[0], low, epsilon = 1e-7);
    assert_abs_diff_eq!(best.x[1], low, epsilon = 1e-7);
    let worst = report.minima.last().unwrap();
    assert_abs_diff_eq!(worst.x[0], high, epsilon = 1e-7);
    assert_abs_diff_eq!(worst.x[1], high, epsilon = 1e-7);
    // Lowest first.
    assert!(report.minima.windows(2).all(|w| w[0].f <= w[1].f));
    // The same on one thread: every start is drawn from its own seed.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let serial = one.install(|| search.minimize(local, &StyblinskiTang::new(2)).unwrap());
    assert_eq!(serial.minima, report.minima);
}

#[test]
fn invalid_settings_are_named() {
    let name = |e: Error| match e {
        Error::InvalidParameter { name, .. } | Error::InvalidCount { name, .. } => name,
        Error::InvalidSet { set, .. } => set,
        Error::DimensionMismatch { .. } => "dimension",
        _ => "",
    };
    let d = BasinHoppingConfig::<f64>::default();
    for (config, expected) in [
        (BasinHoppingConfig { hops: 0, ..d }, "hops"),
        (
            BasinHoppingConfig {
                temperature: 0.0,
                ..d
            },
            "temperature",
        ),
        (
            BasinHoppingConfig {
                step_size: f64::NAN,
                ..d
            },
            "step_size",
        ),
        (
            BasinHoppingConfig {
                step_factor: 1.0,
                ..d
            },
            "step_factor",
        ),
        (
            BasinHoppingConfig {
                target_accept_rate: 0.0,
                ..d
            },
            "target_accept_rate",
        ),
        (
            BasinHoppingConfig {
                target: Some(f64::NAN),
                ..d
            },
            "target",
        ),
    ] {
        assert_eq!(name(BasinHopping::new(config).unwrap_err()), expected);
    }
    let bad_box = MultiStartConfig::new(array![0.0, 1.0], array![1.0, 0.0], 5);
    assert_eq!(name(MultiStart::new(bad_box).unwrap_err()), "box of starts");
    let short = MultiStartConfig::new(array![0.0, 1.0], array![1.0], 5);
    assert_eq!(name(MultiStart::new(short).unwrap_err()), "dimension");
    let none = MultiStartConfig::new(array![0.0], array![1.0], 0);
    assert_eq!(name(MultiStart::new(none).unwrap_err()), "starts");
}
