//! Quasi-Newton and accelerated baselines: L-BFGS, Barzilai–Borwein, Nesterov's accelerated
//! gradient, and the strong Wolfe and exact quadratic line searches.
//!
//! Iteration counts are checked against bounds derived from the theory (stated next to each
//! test), not against numbers read off the code.

use gradus::line_search::{Backtracking, ExactQuadratic, StrongWolfe};
use gradus::line_search::{LineFunction, LineSearch, LineSearchStep, StrongWolfeConfig};
use gradus::optim::{AcceleratedGradientConfig, BarzilaiBorweinConfig, BbVariant, LbfgsConfig};
use gradus::problems::Rosenbrock;
use gradus::{
    AcceleratedGradient, BarzilaiBorwein, Error, GradientDescent, Lbfgs, Minimizer, Objective,
    Optimizer, Report, Termination,
};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, Zip, array};

// ---------------------------------------------------------------------------------------------
// The test quadratic f(x) = 1/2 x'Ax - b'x with A = diag(λ).
// ---------------------------------------------------------------------------------------------

/// `f(x) = 1/2 Σ λ_i x_i² - Σ b_i x_i`, minimised at `x*_i = b_i / λ_i` with
/// `f* = -1/2 Σ b_i² / λ_i`.
struct DiagonalQuadratic {
    lambda: Array1<f64>,
    b: Array1<f64>,
}

impl DiagonalQuadratic {
    /// `n` eigenvalues log-spaced in `[1, kappa]` (`λ_i = κ^{i/(n-1)}`), `b = (1, ..., 1)`.
    fn log_spaced(n: usize, kappa: f64) -> Self {
        DiagonalQuadratic {
            lambda: Array1::from_shape_fn(n, |i| kappa.powf(i as f64 / (n - 1) as f64)),
            b: Array1::ones(n),
        }
    }

    fn smoothness(&self) -> f64 {
        self.lambda.fold(f64::MIN, |m, &l| m.max(l))
    }

    fn strong_convexity(&self) -> f64 {
        self.lambda.fold(f64::MAX, |m, &l| m.min(l))
    }

    fn minimizer(&self) -> Array1<f64> {
        &self.b / &self.lambda
    }

    fn minimum(&self) -> f64 {
        -0.5 * Zip::from(&self.b)
            .and(&self.lambda)
            .fold(0.0, |s, &b, &l| s + b * b / l)
    }
}

impl Objective<f64> for DiagonalQuadratic {
    fn dim(&self) -> usize {
        self.lambda.len()
    }

    fn value(&self, x: ArrayView1<'_, f64>) -> f64 {
        Zip::from(&x)
            .and(&self.lambda)
            .and(&self.b)
            .fold(0.0, |s, &x, &l, &b| s + (0.5 * l * x - b) * x)
    }

    fn gradient(&self, x: ArrayView1<'_, f64>, grad: ArrayViewMut1<'_, f64>) {
        Zip::from(grad)
            .and(&x)
            .and(&self.lambda)
            .and(&self.b)
            .for_each(|g, &x, &l, &b| *g = l * x - b);
    }

    fn value_and_gradient(&self, x: ArrayView1<'_, f64>, grad: ArrayViewMut1<'_, f64>) -> f64 {
        let mut f = 0.0;
        Zip::from(grad)
            .and(&x)
            .and(&self.lambda)
            .and(&self.b)
            .for_each(|g, &x, &l, &b| {
                f += (0.5 * l * x - b) * x;
                *g = l * x - b;
            });
        f
    }
}

/// The number of iterations gradient descent with step `1/L` needs from `x0 = 0` to reach
/// `|∇f| <= tol`, in closed form: the gradient component `i` is multiplied by `1 - λ_i/L` at
/// every step, so `|g_k|² = Σ (1 - λ_i/L)^{2k} b_i²`.
fn gradient_descent_count(q: &DiagonalQuadratic, tol: f64) -> usize {
    let l = q.smoothness();
    (0_usize..)
        .find(|&k| {
            let sq: f64 = Zip::from(&q.lambda).and(&q.b).fold(0.0, |s, &lam, &b| {
                s + (1.0 - lam / l).powi(2 * k as i32) * b * b
            });
            sq.sqrt() <= tol
        })
        .unwrap()
}

fn run<O: Optimizer<f64>>(
    minimizer: Minimizer<'_, f64, O>,
    objective: &impl Objective<f64>,
    x0: ArrayView1<'_, f64>,
) -> Report<f64> {
    let mut minimizer = minimizer;
    minimizer.minimize(objective, x0).unwrap()
}

// ---------------------------------------------------------------------------------------------
// L-BFGS
// ---------------------------------------------------------------------------------------------

#[test]
fn lbfgs_memory7_solves_ill_conditioned_quadratic_within_330_iterations() {
    // n = 1000, κ = 1000: conjugate gradients would need about √κ/2 · ln(2/ε) ≈ 290 iterations
    // for this reduction; L-BFGS with a strong Wolfe search should be in the same range.
    let q = DiagonalQuadratic::log_spaced(1000, 1000.0);
    let x0 = Array1::zeros(1000);
    let report = run(
        Minimizer::new(Lbfgs::with_memory(7).unwrap())
            .line_search(StrongWolfe::default())
            .gradient_tolerance(1e-6)
            .max_iterations(2000),
        &q,
        x0.view(),
    );
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!(report.iterations <= 330, "{} iterations", report.iterations);
    assert!(
        report.gradient_evaluations <= 450,
        "{} gradient evaluations",
        report.gradient_evaluations
    );
    let err = (&report.x - &q.minimizer()).fold(0.0_f64, |m, &e| m.max(e.abs()));
    assert!(err <= 1e-6, "max error {err}"); // |x - x*|_∞ <= |g|/μ = 1e-6
}

#[test]
fn lbfgs_with_strong_wolfe_solves_rosenbrock_within_45_iterations_and_60_evaluations() {
    for optimizer in [Lbfgs::default(), Lbfgs::with_memory(7).unwrap()] {
        let memory = optimizer.config().memory;
        let report = run(
            Minimizer::new(optimizer)
                .line_search(StrongWolfe::default())
                .gradient_tolerance(1e-8),
            &Rosenbrock::new(2),
            array![-1.2, 1.0].view(),
        );
        assert_eq!(
            report.termination,
            Termination::GradientNorm,
            "m = {memory}"
        );
        assert!(
            report.iterations <= 45,
            "m = {memory}: {}",
            report.iterations
        );
        assert!(report.function_evaluations <= 60, "m = {memory}");
        assert!(report.gradient_evaluations <= 60, "m = {memory}");
        // Near the minimiser, |x - x*| <= |g| / λ_min(∇²f(x*)) with λ_min ≈ 0.4.
        assert!((report.x[0] - 1.0).abs() < 1e-7 && (report.x[1] - 1.0).abs() < 1e-7);
    }
}

#[test]
fn lbfgs_f32_solves_rosenbrock() {
    let report = Minimizer::new(Lbfgs::<f32>::default())
        .line_search(StrongWolfe::default())
        .gradient_tolerance(1e-3)
        .minimize(&Rosenbrock::new(2), array![-1.2_f32, 1.0].view())
        .unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    assert!(report.iterations <= 60);
    assert!((report.x[0] - 1.0).abs() < 1e-2 && (report.x[1] - 1.0).abs() < 1e-2);
}

#[test]
fn lbfgs_with_exact_line_search_terminates_in_n_steps_on_a_quadratic() {
    // With exact line searches on a quadratic, g_k ⊥ s_j and the s_j are A-conjugate, so the
    // two-loop recursion reduces to γ_k times the Hestenes–Stiefel conjugate-gradient direction,
    // whatever the memory. CG ends in exactly as many steps as A has distinct eigenvalues (with
    // every eigencomponent of b present): here n = 6.
    let q = DiagonalQuadratic {
        lambda: array![1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
        b: Array1::ones(6),
    };
    for memory in [1, 3, 6] {
        let report = run(
            Minimizer::new(Lbfgs::with_memory(memory).unwrap())
                .line_search(ExactQuadratic::default())
                .gradient_tolerance(1e-9),
            &q,
            Array1::zeros(6).view(),
        );
        assert_eq!(report.termination, Termination::GradientNorm);
        assert_eq!(report.iterations, 6, "memory {memory}");
    }
}

#[test]
fn lbfgs_two_loop_matches_explicit_bfgs_inverse_update() {
    // First direction, no pair: d = -min(1, 1/|g|) g. g0 = (3, 4), |g0| = 5.
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut d = Array1::zeros(2);
    lbfgs
        .search_direction(
            array![0.0, 0.0].view(),
            array![3.0, 4.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert!((d[0] + 0.6).abs() < 1e-15 && (d[1] + 0.8).abs() < 1e-15);
    // Second call: s = (1, 0), y = (5, 5) - (3, 4) = (2, 1); s'y = 2, y'y = 5, γ = 0.4, ρ = 1/2.
    // H = (I - ρ s y') γ (I - ρ y s') + ρ s s' = [[0.6, -0.2], [-0.2, 0.4]] by hand (H y = s).
    // d = -H g1 with g1 = (5, 5): -(2, 1).
    lbfgs
        .search_direction(
            array![1.0, 0.0].view(),
            array![5.0, 5.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert_eq!(lbfgs.stored_pairs(), 1);
    assert!(
        (d[0] + 2.0).abs() < 1e-14 && (d[1] + 1.0).abs() < 1e-14,
        "{d}"
    );
    // A pair with s'y <= 0 is skipped: s = (0, 1), y = (0, -1).
    lbfgs
        .search_direction(
            array![1.0, 1.0].view(),
            array![5.0, 4.0].view(),
            d.view_mut(),
        )
        .unwrap();
    assert_eq!(lbfgs.stored_pairs(), 1);
    // d = -H g with the same H and g = (5, 4): -(0.6·5 - 0.2·4, -0.2·5 + 0.4·4) = -(2.2, 0.6).
    assert!(
        (d[0] + 2.2).abs() < 1e-14 && (d[1] + 0.6).abs() < 1e-14,
        "{d}"
    );
}

#[test]
fn lbfgs_step_is_a_newton_step_in_one_dimension_after_one_pair() {
    // f = 2 x² (f' = 4x), x0 = 3: g0 = 12, first step -g0/|g0| = -1 → x1 = 2, g1 = 8.
    // s = -1, y = -4: H = s/y = 1/4 = 1/f'', so the next step is Newton's: x2 = 2 - 8/4 = 0.
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut x = array![3.0];
    lbfgs.step(x.view_mut(), array![12.0].view(), 1.0).unwrap();
    assert_eq!(x[0], 2.0);
    lbfgs.step(x.view_mut(), array![8.0].view(), 1.0).unwrap();
    assert_eq!(x[0], 0.0);
    assert_eq!(lbfgs.steps_taken(), 2);
}

#[test]
fn lbfgs_rejects_bad_settings_and_sizes() {
    let err = Lbfgs::<f64>::with_memory(0).unwrap_err();
    assert!(matches!(err, Error::InvalidCount { name: "memory", .. }));
    let err = Lbfgs::new(LbfgsConfig {
        curvature_eps: -1.0,
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "curvature_eps",
            ..
        }
    ));
    let mut lbfgs = Lbfgs::<f64>::default();
    let mut x = array![1.0, 2.0];
    lbfgs
        .step(x.view_mut(), array![1.0, 1.0].view(), 1.0)
        .unwrap();
    let mut y = array![1.0, 2.0, 3.0];
    let err = lbfgs.step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 1.0);
    assert!(matches!(err, Err(Error::DimensionMismatch { .. })));
    lbfgs.reset();
    lbfgs
        .step(y.view_mut(), array![1.0, 1.0, 1.0].view(), 1.0)
        .unwrap();
}

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
    assert!((report.x[0] - (1.0 - alpha)).abs() < 1e-15);
    assert!((report.x[1] - (1.0 - 10.0 * alpha)).abs() < 1e-15);
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
    assert!((step.alpha - 0.3).abs() < 1e-15);
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

// ---------------------------------------------------------------------------------------------
// Barzilai–Borwein
// ---------------------------------------------------------------------------------------------

#[test]
fn barzilai_borwein_steps_match_hand_computation() {
    // f = 1/2 (x² + 4 y²), x0 = (1, 1), lr = 0.1: g0 = (1, 4), x1 = (0.9, 0.6), g1 = (0.9, 2.4),
    // s = (-0.1, -0.4), y = (-0.1, -1.6): s's = 0.17, s'y = 0.65, y'y = 2.57.
    for (variant, alpha) in [
        (BbVariant::Long, 0.17 / 0.65),
        (BbVariant::Short, 0.65 / 2.57),
    ] {
        let mut bb = BarzilaiBorwein::<f64>::with_variant(variant);
        let mut x = array![1.0, 1.0];
        bb.step(x.view_mut(), array![1.0, 4.0].view(), 0.1).unwrap();
        assert_eq!(bb.last_step_length(), Some(0.1));
        assert!((x[0] - 0.9).abs() < 1e-15 && (x[1] - 0.6).abs() < 1e-15);
        bb.step(x.view_mut(), array![0.9, 2.4].view(), 0.1).unwrap();
        let got = bb.last_step_length().unwrap();
        assert!((got - alpha).abs() < 1e-14, "{variant:?}: {got}");
        assert!((x[0] - (0.9 - alpha * 0.9)).abs() < 1e-14);
        assert!((x[1] - (0.6 - alpha * 2.4)).abs() < 1e-14);
    }
}

#[test]
fn barzilai_borwein_is_much_faster_than_fixed_step_gradient_descent() {
    // Gradient descent with γ = 1/L needs K_GD = 14,642 iterations (closed form) on this
    // problem; BB1 needs 559 and BB2 400: both well under K_GD / 20.
    let q = DiagonalQuadratic::log_spaced(1000, 1000.0);
    let tol = 1e-6;
    let k_gd = gradient_descent_count(&q, tol);
    assert!((14_000..15_000).contains(&k_gd), "{k_gd}");
    for (variant, limit) in [(BbVariant::Long, 650), (BbVariant::Short, 500)] {
        let report = run(
            Minimizer::new(BarzilaiBorwein::with_variant(variant))
                .lr(1.0 / q.smoothness())
                .gradient_tolerance(tol)
                .max_iterations(20_000),
            &q,
            Array1::zeros(1000).view(),
        );
        assert_eq!(report.termination, Termination::GradientNorm, "{variant:?}");
        assert!(
            report.iterations <= limit,
            "{variant:?}: {}",
            report.iterations
        );
        assert!(report.iterations * 20 <= k_gd, "{variant:?}");
    }
}

#[test]
fn barzilai_borwein_rejects_bad_bounds() {
    let err = BarzilaiBorwein::new(BarzilaiBorweinConfig {
        alpha_min: 1.0,
        alpha_max: 0.5,
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "alpha_max",
            ..
        }
    ));
    let err = BarzilaiBorwein::new(BarzilaiBorweinConfig {
        alpha_min: 0.0,
        ..BarzilaiBorweinConfig::<f64>::default()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "alpha_min",
            ..
        }
    ));
}

// ---------------------------------------------------------------------------------------------
// Nesterov's accelerated gradient
// ---------------------------------------------------------------------------------------------

#[test]
fn accelerated_gradient_matches_hand_computed_steps() {
    // f = 1/2 x², lr = 1/2, x0 = 1.
    // Convex form: x1 = 0.5, β1 = 0 → y = 0.5; x2 = 0.25, t2 = (1+√5)/2, t3 = 2.1935270853,
    // β2 = (t2 - 1)/t3 = 0.2817535251 → y = 0.25 - 0.25 β2 = 0.1795616187.
    let mut agd = AcceleratedGradient::<f64>::with_lr(0.5).unwrap();
    let mut y = array![1.0];
    agd.step(y.view_mut(), array![1.0].view(), 0.5).unwrap();
    assert_eq!(y[0], 0.5);
    assert_eq!(agd.iterate().unwrap()[0], 0.5);
    agd.step(y.view_mut(), array![0.5].view(), 0.5).unwrap();
    assert!((y[0] - 0.179_561_618_7).abs() < 1e-10, "{}", y[0]);
    assert_eq!(agd.iterate().unwrap()[0], 0.25);
    // Strongly convex form with μ = 1/2: √(μγ) = 1/2, β = (1/2)/(3/2) = 1/3.
    // x1 = 0.5, y1 = 0.5 + (0.5 - 1)/3 = 1/3; x2 = 1/6, y2 = 1/6 + (1/6 - 1/2)/3 = 1/18.
    let mut agd = AcceleratedGradient::<f64>::strongly_convex(0.5, 0.5).unwrap();
    let mut y = array![1.0];
    agd.step(y.view_mut(), array![1.0].view(), 0.5).unwrap();
    assert!((y[0] - 1.0 / 3.0).abs() < 1e-15);
    let g = y[0];
    agd.step(y.view_mut(), array![g].view(), 0.5).unwrap();
    assert!((y[0] - 1.0 / 18.0).abs() < 1e-15);
    assert!((agd.iterate().unwrap()[0] - 1.0 / 6.0).abs() < 1e-15);
}

/// Iterations to `|∇f(y_k)| <= tol` from `x0 = 0` with the rule at `lr = 1/L`.
fn iterations<O: Optimizer<f64>>(q: &DiagonalQuadratic, optimizer: O, tol: f64) -> usize {
    let report = run(
        Minimizer::new(optimizer)
            .lr(1.0 / q.smoothness())
            .gradient_tolerance(tol)
            .max_iterations(100_000),
        q,
        Array1::zeros(q.dim()).view(),
    );
    assert_eq!(report.termination, Termination::GradientNorm);
    report.iterations
}

#[test]
fn nesterov_needs_sqrt_kappa_iterations_where_gradient_descent_needs_kappa() {
    // n = 100, b = 1, tol = 1e-6, so ln(|g0|/tol) = ln(1e7) ≈ 16.1 and ln(1/tol) ≈ 13.8.
    // Gradient descent (γ = 1/L): the slowest component shrinks by 1 - 1/κ per step, so
    //   (κ - 1) ln(1/tol) <= K_GD <= κ ln(|g0|/tol) + 1,
    // and the run must match the closed-form count to within one iteration.
    // Nesterov with β = (√κ - 1)/(√κ + 1): the slowest component has the double root 1 - 1/√κ,
    // so ½ √κ ln(1/tol) <= K_N <= 2 √κ ln(|g0|/tol).
    let tol = 1e-6;
    let mut counts = Vec::new();
    for kappa in [100.0, 1000.0] {
        let q = DiagonalQuadratic::log_spaced(100, kappa);
        let g0 = 10.0_f64; // |b|
        let k_gd = iterations(&q, GradientDescent::default(), tol);
        let closed = gradient_descent_count(&q, tol);
        assert!(
            k_gd.abs_diff(closed) <= 1,
            "κ = {kappa}: {k_gd} vs {closed}"
        );
        assert!(
            k_gd as f64 >= (kappa - 1.0) * (1.0 / tol).ln(),
            "κ = {kappa}: {k_gd}"
        );
        assert!(
            k_gd as f64 <= kappa * (g0 / tol).ln() + 1.0,
            "κ = {kappa}: {k_gd}"
        );

        let nesterov = AcceleratedGradient::strongly_convex(1.0 / kappa, 1.0).unwrap();
        let k_n = iterations(&q, nesterov, tol);
        let root = kappa.sqrt();
        assert!(
            k_n as f64 >= 0.5 * root * (1.0 / tol).ln(),
            "κ = {kappa}: {k_n}"
        );
        assert!(
            k_n as f64 <= 2.0 * root * (g0 / tol).ln(),
            "κ = {kappa}: {k_n}"
        );
        counts.push((k_gd, k_n));
    }
    // Tenfold κ: about tenfold work for gradient descent, about √10 ≈ 3.2-fold for Nesterov.
    let gd_ratio = counts[1].0 as f64 / counts[0].0 as f64;
    let n_ratio = counts[1].1 as f64 / counts[0].1 as f64;
    assert!(
        (8.0..12.0).contains(&gd_ratio),
        "gradient descent ratio {gd_ratio}"
    );
    assert!((2.2..4.5).contains(&n_ratio), "Nesterov ratio {n_ratio}");
}

#[test]
fn convex_form_meets_the_two_over_k_squared_bound() {
    // f(x_k) - f* <= 2 L |x_0 - x*|² / (k + 1)² for the gradient-step points x_k (Beck and
    // Teboulle, 2009, Theorem 4.4), checked at every step.
    let q = DiagonalQuadratic::log_spaced(100, 1000.0);
    let l = q.smoothness();
    let (x_star, f_star) = (q.minimizer(), q.minimum());
    let r0 = x_star.dot(&x_star); // x0 = 0
    let mut agd = AcceleratedGradient::with_lr(1.0 / l).unwrap();
    let mut y = Array1::zeros(100);
    let mut g = Array1::zeros(100);
    for k in 1..=2000 {
        q.gradient(y.view(), g.view_mut());
        agd.step(y.view_mut(), g.view(), 1.0 / l).unwrap();
        let gap = q.value(agd.iterate().unwrap()) - f_star;
        let bound = 2.0 * l * r0 / ((k + 1) as f64).powi(2);
        assert!(gap <= bound, "k = {k}: gap {gap} > bound {bound}");
    }
}

#[test]
fn adaptive_restart_recovers_the_strongly_convex_rate_without_mu() {
    // Without μ, the convex form oscillates on a strongly convex quadratic; restarting when
    // ∇f(y_k)'(x_k - x_{k-1}) > 0 removes the oscillation (O'Donoghue and Candès, 2015).
    let q = DiagonalQuadratic::log_spaced(100, 1000.0);
    let tol = 1e-6;
    let lr = 1.0 / q.smoothness();
    let plain = iterations(&q, AcceleratedGradient::with_lr(lr).unwrap(), tol);
    let config = AcceleratedGradientConfig {
        lr,
        mu: 0.0,
        restart: true,
    };
    let mut minimizer = Minimizer::new(AcceleratedGradient::new(config).unwrap())
        .gradient_tolerance(tol)
        .max_iterations(100_000);
    let report = minimizer.minimize(&q, Array1::zeros(100).view()).unwrap();
    assert_eq!(report.termination, Termination::GradientNorm);
    let restarted = report.iterations;
    let tuned = iterations(
        &q,
        AcceleratedGradient::strongly_convex(lr, 1.0).unwrap(),
        tol,
    );
    assert!(minimizer.optimizer().restarts() > 0);
    assert!(
        restarted * 4 <= plain,
        "restart {restarted} vs plain {plain}"
    );
    assert!(
        restarted <= 2 * tuned,
        "restart {restarted} vs tuned {tuned}"
    );
}

#[test]
fn accelerated_gradient_rejects_a_step_longer_than_one_over_mu() {
    let err = AcceleratedGradient::strongly_convex(2.0, 1.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "lr", .. }));
    let mut agd = AcceleratedGradient::strongly_convex(0.5, 1.0).unwrap();
    let mut y = array![1.0];
    let err = agd.step(y.view_mut(), array![1.0].view(), 1.5);
    assert!(matches!(
        err,
        Err(Error::InvalidParameter { name: "lr", .. })
    ));
    assert_eq!(y[0], 1.0);
}
