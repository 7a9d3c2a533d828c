//! Line searches: steepest descent with the exact quadratic search against the Kantorovich
//! rate, the Cauchy step, and the strong Wolfe search on the one-dimensional test functions of
//! Moré and Thuente (1994) and along Rosenbrock.
//!
//! Iteration counts are checked against bounds derived from the theory (stated next to each
//! test), not against numbers read off the code.

mod common;

use approx::assert_abs_diff_eq;
use common::quadratic::DiagonalQuadratic;
use common::run;
use gradus::line_search::{Backtracking, ExactQuadratic, StrongWolfe};
use gradus::line_search::{LineFunction, LineSearch, LineSearchStep, StrongWolfeConfig};
use gradus::problems::Rosenbrock;
use gradus::{Error, GradientDescent, Minimizer, Objective, Termination};
use ndarray::{Array1, array};

// ---------------------------------------------------------------------------------------------
// Steepest descent with the exact line search
// ---------------------------------------------------------------------------------------------

#[test]
fn steepest_descent_with_exact_line_search_follows_the_kantorovich_rate() {
    // Kantorovich: steepest descent with exact line searches on a quadratic satisfies
    //   f_{k+1} - f* <= r (f_k - f*),   r = ((κ - 1)/(κ + 1))²,
    // and |g|² <= 2L (f - f*), so |g_k| <= tol once r^k (f_0 - f*) <= tol² / (2L):
    //   K = ln(2L (f_0 - f*) / tol²) / ln(1/r)  ≈ 9,865 for κ = 1000, n = 1000, tol = 1e-6.
    // The bound is nearly attained asymptotically for generic starts (Akaike, 1959); only the
    // early iterations, which remove the well-conditioned components, go faster. So the count
    // must lie in [0.6 K, K]. (The cruder estimate ln(1/tol) / ln((κ+1)/(κ-1)) ≈ 6,900 counts
    // only the reduction of the relative error.)
    let q = DiagonalQuadratic::log_spaced(1000, 1000.0);
    let (l, mu) = (q.smoothness(), q.strong_convexity());
    let kappa = l / mu;
    let tol = 1e-6;
    let r = ((kappa - 1.0) / (kappa + 1.0)).powi(2);
    let gap0 = 0.0 - q.minimum(); // f(0) = 0
    let bound = ((2.0 * l * gap0 / (tol * tol)).ln() / (1.0 / r).ln()).ceil() as usize;
    assert!((9800..9900).contains(&bound), "bound {bound}");

    let report = run(
        Minimizer::new(GradientDescent::default())
            .line_search(ExactQuadratic::default())
            .gradient_tolerance(tol)
            .max_iterations(20_000),
        &q,
        Array1::zeros(1000).view(),
    );
    assert_eq!(report.termination, Termination::GradientNorm);
    let k = report.iterations;
    assert!(k <= bound, "{k} iterations > Kantorovich bound {bound}");
    assert!(k * 10 >= bound * 6, "{k} iterations < 0.6 × bound {bound}");
    // One trial and one final evaluation per iteration, plus the start.
    assert_eq!(report.gradient_evaluations, 2 * k + 1);
}

#[test]
fn exact_line_search_takes_the_cauchy_step() {
    // f = 1/2 (x² + 10 y²) at (1, 1): g = (1, 10), α* = g'g / g'Ag = 101 / 1001.
    let q = DiagonalQuadratic {
        lambda: array![1.0, 10.0],
        b: array![0.0, 0.0],
    };
    let report = run(
        Minimizer::new(GradientDescent::default())
            .line_search(ExactQuadratic::default())
            .max_iterations(1),
        &q,
        array![1.0, 1.0].view(),
    );
    let alpha = 101.0 / 1001.0;
    assert_abs_diff_eq!(report.x[0], 1.0 - alpha, epsilon = 1e-15);
    assert_abs_diff_eq!(report.x[1], 1.0 - 10.0 * alpha, epsilon = 1e-15);
    assert_eq!(report.function_evaluations, 3);
}

#[test]
fn exact_line_search_fails_without_positive_curvature() {
    // φ(α) = -α² - α: concave, no minimiser along the line.
    let mut phi = Line1d::new(|a| (-a * a - a, -2.0 * a - 1.0));
    assert_eq!(ExactQuadratic::default().search(&mut phi, 0.0, -1.0), None);
    assert!(ExactQuadratic::<f64>::new(0.0).is_err());
}

// ---------------------------------------------------------------------------------------------
// Strong Wolfe line search on one-dimensional functions
// ---------------------------------------------------------------------------------------------

/// `φ` given by a closure returning `(φ(α), φ'(α))`; remembers the last point evaluated.
struct Line1d<P> {
    phi: P,
    last: Option<f64>,
    evaluations: usize,
}

impl<P: Fn(f64) -> (f64, f64)> Line1d<P> {
    fn new(phi: P) -> Self {
        Line1d {
            phi,
            last: None,
            evaluations: 0,
        }
    }
}

impl<P: Fn(f64) -> (f64, f64)> LineFunction<f64> for Line1d<P> {
    fn value(&mut self, alpha: f64) -> f64 {
        self.value_and_slope(alpha).0
    }
    fn value_and_slope(&mut self, alpha: f64) -> (f64, f64) {
        self.last = Some(alpha);
        self.evaluations += 1;
        (self.phi)(alpha)
    }
}

type Phi = Box<dyn Fn(f64) -> (f64, f64)>;

/// The line-search test functions of Moré and Thuente (1994), Table 1–6, each `(φ, φ')`.
fn more_thuente_functions() -> Vec<(&'static str, Phi)> {
    let yanai = |b1: f64, b2: f64| -> Phi {
        let g = |b: f64| (1.0 + b * b).sqrt() - b;
        let (g1, g2) = (g(b1), g(b2));
        Box::new(move |a: f64| {
            let (u, v) = (
                ((1.0 - a).powi(2) + b2 * b2).sqrt(),
                (a * a + b1 * b1).sqrt(),
            );
            (g1 * u + g2 * v, -g1 * (1.0 - a) / u + g2 * a / v)
        })
    };
    vec![
        (
            "-α/(α²+2)",
            Box::new(|a: f64| {
                let d = a * a + 2.0;
                (-a / d, (a * a - 2.0) / (d * d))
            }),
        ),
        (
            "(α+0.004)⁵ - 2(α+0.004)⁴",
            Box::new(|a: f64| {
                let t = a + 0.004;
                (
                    t.powi(5) - 2.0 * t.powi(4),
                    5.0 * t.powi(4) - 8.0 * t.powi(3),
                )
            }),
        ),
        (
            "wiggly",
            Box::new(|a: f64| {
                let (beta, l) = (0.01, 39.0);
                let (p0, d0) = if a <= 1.0 - beta {
                    (1.0 - a, -1.0)
                } else if a >= 1.0 + beta {
                    (a - 1.0, 1.0)
                } else {
                    (
                        (a - 1.0).powi(2) / (2.0 * beta) + beta / 2.0,
                        (a - 1.0) / beta,
                    )
                };
                let w = l * std::f64::consts::PI / 2.0;
                (
                    p0 + 2.0 * (1.0 - beta) / (l * std::f64::consts::PI) * (w * a).sin(),
                    d0 + (1.0 - beta) * (w * a).cos(),
                )
            }),
        ),
        ("yanai(0.001, 0.001)", yanai(0.001, 0.001)),
        ("yanai(0.01, 0.001)", yanai(0.01, 0.001)),
        ("yanai(0.001, 0.01)", yanai(0.001, 0.01)),
        (
            "(α - 10)²",
            Box::new(|a: f64| ((a - 10.0).powi(2), 2.0 * (a - 10.0))),
        ),
    ]
}

#[test]
fn strong_wolfe_accepts_steps_satisfying_both_conditions() {
    for c2 in [0.9, 0.1] {
        for (name, f) in more_thuente_functions() {
            for initial_step in [1e-3, 1e-1, 1.0, 1e1, 1e3] {
                let config = StrongWolfeConfig {
                    c2,
                    initial_step,
                    ..Default::default()
                };
                let c1 = config.c1;
                let mut search = StrongWolfe::new(config).unwrap();
                let (v0, s0) = f(0.0);
                assert!(s0 < 0.0, "{name}: not a descent direction");
                let mut phi = Line1d::new(&f);
                let case = format!("{name}, c2 = {c2}, α₁ = {initial_step}");
                let LineSearchStep { alpha, value } = search
                    .search(&mut phi, v0, s0)
                    .unwrap_or_else(|| panic!("{case}: no step"));
                let (v, s) = f(alpha);
                assert_eq!(value, v, "{case}");
                assert!(alpha > 0.0, "{case}");
                assert!(
                    v <= v0 + c1 * alpha * s0,
                    "{case}: sufficient decrease, α = {alpha}"
                );
                assert!(
                    s.abs() <= c2 * s0.abs(),
                    "{case}: curvature, α = {alpha}, φ' = {s}"
                );
                assert_eq!(phi.last, Some(alpha), "{case}: accepted point not the last");
                assert!(phi.evaluations <= 30, "{case}");
            }
        }
    }
}

#[test]
fn strong_wolfe_holds_along_the_steepest_descent_line_of_rosenbrock() {
    // φ(α) = f(x0 - α ∇f(x0)) from (-1.2, 1), where the unit step overshoots by far.
    let f = Rosenbrock::new(2);
    let x0 = array![-1.2, 1.0];
    let mut g0 = Array1::zeros(2);
    f.gradient(x0.view(), g0.view_mut());
    let phi = |a: f64| {
        let x = &x0 - &(a * &g0);
        let mut g = Array1::zeros(2);
        let v = f.value_and_gradient(x.view(), g.view_mut());
        (v, -g.dot(&g0))
    };
    let (v0, s0) = phi(0.0);
    let mut line = Line1d::new(phi);
    let step = StrongWolfe::default().search(&mut line, v0, s0).unwrap();
    let (v, s) = phi(step.alpha);
    assert!(v <= v0 + 1e-4 * step.alpha * s0);
    assert!(s.abs() <= 0.9 * s0.abs());
    assert_eq!(line.last, Some(step.alpha));
}

#[test]
fn accepted_steps_decrease_f() {
    let mut searches: Vec<(&str, Box<dyn LineSearch<f64>>)> = vec![
        ("backtracking", Box::new(Backtracking::default())),
        ("strong Wolfe", Box::new(StrongWolfe::default())),
        (
            "strong Wolfe c2 = 0.1",
            Box::new(StrongWolfe::with_c2(0.1).unwrap()),
        ),
    ];
    for (search_name, search) in &mut searches {
        for (name, f) in more_thuente_functions() {
            let (v0, s0) = f(0.0);
            let step = search.search(&mut Line1d::new(&f), v0, s0).unwrap();
            assert!(
                f(step.alpha).0 < v0,
                "{search_name} on {name}: α = {}",
                step.alpha
            );
        }
    }
}

#[test]
fn strong_wolfe_interpolation_is_exact_on_a_parabola() {
    // φ(α) = (α - 0.3)²: the unit step fails sufficient decrease; the cubic through (0, 1)
    // interpolates the parabola exactly, so the second trial is its minimiser 0.3.
    let mut line = Line1d::new(|a: f64| ((a - 0.3).powi(2), 2.0 * (a - 0.3)));
    let step = StrongWolfe::default()
        .search(&mut line, 0.09, -0.6)
        .unwrap();
    assert_abs_diff_eq!(step.alpha, 0.3, epsilon = 1e-15);
    assert_eq!(line.evaluations, 2);
}

#[test]
fn strong_wolfe_rejects_bad_constants() {
    let bad = |c1: f64, c2: f64| {
        StrongWolfe::new(StrongWolfeConfig {
            c1,
            c2,
            ..Default::default()
        })
    };
    assert!(matches!(
        bad(0.0, 0.9),
        Err(Error::InvalidParameter { name: "c1", .. })
    ));
    assert!(matches!(
        bad(0.5, 0.4),
        Err(Error::InvalidParameter { name: "c2", .. })
    ));
    assert!(matches!(
        bad(1e-4, 1.0),
        Err(Error::InvalidParameter { name: "c2", .. })
    ));
    assert!(bad(1e-4, 0.1).is_ok());
}
