//! Tests of the test problems: stated minimisers are stationary with the stated values, the
//! constants `L` and `μ` match the spectra, certificates hold, gradients match central
//! differences, datasets are reproducible, and evaluations allocate nothing.

mod common;

use std::sync::OnceLock;

use approx::{abs_diff_eq, assert_abs_diff_eq, relative_eq};
use gradus::problems::{
    Ackley, Beale, Booth, Dataset, Himmelblau, HuberRegression, LeastSquares, LogSumExp,
    LogisticRegression, Matyas, Quadratic, Rastrigin, Rosenbrock, Sphere, StyblinskiTang,
    SuiteProblem, TestFunction, ThreeHumpCamel, suite,
};
use gradus::{Error, Objective, check_gradient};
use ndarray::{Array1, Array2, ArrayView1, array};
use proptest::prelude::*;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

// ---------------------------------------------------------------------------------------------
// Independent helpers.

fn shared_suite() -> &'static [SuiteProblem] {
    static SUITE: OnceLock<Vec<SuiteProblem>> = OnceLock::new();
    SUITE.get_or_init(suite)
}

fn gradient_of<O: Objective<f64> + ?Sized>(f: &O, x: ArrayView1<'_, f64>) -> Array1<f64> {
    let mut g = Array1::zeros(x.len());
    f.gradient(x, g.view_mut());
    g
}

fn norm(v: &Array1<f64>) -> f64 {
    v.dot(v).sqrt()
}

/// `true` if the symmetric matrix `m` is positive definite (a Cholesky factorisation succeeds).
fn is_positive_definite(m: &Array2<f64>) -> bool {
    let n = m.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let d = m[[j, j]] - (0..j).map(|k| l[[j, k]] * l[[j, k]]).sum::<f64>();
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        l[[j, j]] = d.sqrt();
        for i in j + 1..n {
            let s = m[[i, j]] - (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum::<f64>();
            l[[i, j]] = s / l[[j, j]];
        }
    }
    true
}

/// Checks that `lo` and `hi` are the extreme eigenvalues of the symmetric matrix `m`, to a
/// relative precision `rel` of `hi`: `m - (lo - ε) I` is positive definite and `m - (lo + ε) I`
/// is not, and the same for `(hi + ε) I - m` and `(hi - ε) I - m`.
fn assert_extreme_eigenvalues(m: &Array2<f64>, lo: f64, hi: f64, rel: f64) {
    let eps = rel * hi.abs();
    let eye = Array2::<f64>::eye(m.nrows());
    assert!(
        is_positive_definite(&(m - &eye * (lo - eps))),
        "λ_min > {lo}"
    );
    assert!(
        !is_positive_definite(&(m - &eye * (lo + eps))),
        "λ_min < {lo}"
    );
    assert!(
        is_positive_definite(&(&eye * (hi + eps) - m)),
        "λ_max < {hi}"
    );
    assert!(
        !is_positive_definite(&(&eye * (hi - eps) - m)),
        "λ_max > {hi}"
    );
}

/// `XᵀX / N` computed by the test.
fn gram(data: &Dataset<f64>) -> Array2<f64> {
    data.features.t().dot(&data.features) / data.len() as f64
}

// ---------------------------------------------------------------------------------------------
// Minimisers and minimum values.

#[test]
fn every_stated_minimizer_is_stationary_with_the_stated_value() {
    for problem in shared_suite() {
        let name = problem.name();
        let f_star = problem.minimum();
        let minimizers = problem.minimizers().unwrap();
        assert!(!minimizers.is_empty(), "{name}: no minimiser");
        for x in &minimizers {
            assert_eq!(x.len(), problem.dim(), "{name}");
            let g = gradient_of(&**problem, x.view());
            assert!(norm(&g) <= 1e-10, "{name}: |∇f(x*)| = {:e}", norm(&g));
            let f = problem.value(x.view());
            assert!(
                relative_eq!(f, f_star, epsilon = 1e-12, max_relative = 1e-12),
                "{name}: f(x*) = {f}, stated f* = {f_star}"
            );
        }
    }
}

#[test]
fn fused_value_and_gradient_agree_with_separate_calls() {
    for problem in shared_suite() {
        let name = problem.name();
        let x = problem.start().unwrap().mapv(|v| v + 0.3);
        let mut g = Array1::zeros(x.len());
        let f = problem.value_and_gradient(x.view(), g.view_mut());
        let f_alone = problem.value(x.view());
        assert!(
            relative_eq!(f, f_alone, epsilon = 1e-13, max_relative = 1e-13),
            "{name}"
        );
        let g_alone = gradient_of(&**problem, x.view());
        assert!(
            norm(&(&g - &g_alone)) <= 1e-13 * norm(&g_alone).max(1.0),
            "{name}"
        );
    }
}

#[test]
fn start_is_not_a_minimizer_and_has_the_right_dimension() {
    for problem in shared_suite() {
        let name = problem.name();
        let x0 = problem.start().unwrap();
        assert_eq!(x0.len(), problem.dim(), "{name}");
        assert!(problem.value(x0.view()) > problem.minimum(), "{name}");
    }
}

#[test]
fn suite_names_are_unique() {
    let mut names: Vec<String> = shared_suite().iter().map(|p| p.name()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n);
}

#[test]
fn himmelblau_minimizers_are_roots_to_full_precision() {
    // The minima are the common roots of u = x² + y - 11 and v = x + y² - 7. One Newton step on
    // (u, v) from each stored point must move it by no more than a couple of ulps.
    let stored: Vec<Array1<f64>> = Himmelblau.minimizers().unwrap();
    assert_eq!(stored.len(), 4);
    for p in &stored {
        let (x, y) = (p[0], p[1]);
        let (u, v) = (x * x + y - 11.0, x + y * y - 7.0);
        // Jacobian [[2x, 1], [1, 2y]].
        let det = 4.0 * x * y - 1.0;
        let dx = (2.0 * y * u - v) / det;
        let dy = (2.0 * x * v - u) / det;
        assert!(dx.abs() <= 4.0 * f64::EPSILON * x.abs(), "{p}: dx = {dx:e}");
        assert!(dy.abs() <= 4.0 * f64::EPSILON * y.abs(), "{p}: dy = {dy:e}");
    }
    // They are four distinct points, one in each quadrant.
    let mut quadrants: Vec<(bool, bool)> =
        stored.iter().map(|p| (p[0] > 0.0, p[1] > 0.0)).collect();
    quadrants.sort();
    quadrants.dedup();
    assert_eq!(quadrants.len(), 4);
}

#[test]
fn styblinski_tang_minimizer_is_the_lowest_root_of_the_cubic() {
    // The stationary coordinates solve 4t³ - 32t + 5 = 0; one Newton step from the stored root
    // must not move it, and the value there must beat the other local minimum near 2.7468.
    let st = StyblinskiTang::new(3);
    let t = TestFunction::<f64>::minimizers(&st).unwrap()[0][0];
    let step = (4.0 * t * t * t - 32.0 * t + 5.0) / (12.0 * t * t - 32.0);
    assert!(step.abs() <= 2.0 * f64::EPSILON * t.abs(), "step {step:e}");
    let per_dim = |t: f64| (t.powi(4) - 16.0 * t * t + 5.0 * t) / 2.0;
    assert!(per_dim(t) < per_dim(2.746_802_770_990_837));
    assert_abs_diff_eq!(
        TestFunction::<f64>::minimum(&st),
        3.0 * per_dim(t),
        epsilon = 1e-12
    );
}

#[test]
fn ackley_gradient_at_the_origin_is_zero_and_value_is_zero() {
    let f = Ackley::new(4);
    let x = Array1::<f64>::zeros(4);
    let mut g = Array1::from_elem(4, f64::NAN);
    let v = f.value_and_gradient(x.view(), g.view_mut());
    assert!(g.iter().all(|&gi| gi == 0.0), "{g}");
    assert_abs_diff_eq!(v, 0.0, epsilon = 1e-14);
    // Away from the origin the gradient is finite and nonzero.
    let g = gradient_of(&f, array![1e-300, 0.0, 0.0, 0.0].view());
    assert!(g.iter().all(|v| v.is_finite()));
}

#[test]
fn rastrigin_defeats_gradient_descent_from_its_start() {
    // Gradient descent with step 1/L from the standard start stops in a local minimum.
    let f = Rastrigin::new(3);
    let lr = 1.0 / TestFunction::<f64>::smoothness(&f).unwrap();
    let mut x: Array1<f64> = f.start().unwrap();
    let mut g = Array1::zeros(3);
    for _ in 0..20_000 {
        f.gradient(x.view(), g.view_mut());
        x.scaled_add(-lr, &g);
    }
    assert!(norm(&gradient_of(&f, x.view())) < 1e-8);
    assert!(f.value(x.view()) > 1.0, "reached {x}");
}

// ---------------------------------------------------------------------------------------------
// Constants L and μ.

#[test]
fn booth_and_matyas_constants_are_the_hessian_eigenvalues() {
    // Both are quadratics: their Hessian is the (exact) difference quotient of the gradient.
    fn hessian<O: Objective<f64>>(f: &O) -> Array2<f64> {
        let g0 = gradient_of(f, array![0.0, 0.0].view());
        let gx = gradient_of(f, array![1.0, 0.0].view());
        let gy = gradient_of(f, array![0.0, 1.0].view());
        array![
            [gx[0] - g0[0], gy[0] - g0[0]],
            [gx[1] - g0[1], gy[1] - g0[1]]
        ]
    }
    for (h, f) in [
        (hessian(&Booth), &Booth as &dyn TestFunction<f64>),
        (hessian(&Matyas), &Matyas),
    ] {
        let (a, b, c) = (h[[0, 0]], h[[0, 1]], h[[1, 1]]);
        let mid = (a + c) / 2.0;
        let rad = (((a - c) / 2.0).powi(2) + b * b).sqrt();
        assert!(
            abs_diff_eq!(f.smoothness().unwrap(), mid + rad, epsilon = 1e-12),
            "{}",
            f.name()
        );
        assert!(
            abs_diff_eq!(f.strong_convexity().unwrap(), mid - rad, epsilon = 1e-12),
            "{}",
            f.name()
        );
        assert!(f.is_convex());
    }
}

#[test]
fn log_spaced_quadratic_has_the_stated_spectrum_and_constants() {
    let (n, mu, l) = (7, 0.01, 4.0);
    let q = Quadratic::<f64>::log_spaced(n, mu, l).unwrap();
    for (i, &lam) in q.eigenvalues().iter().enumerate() {
        let want = mu * (l / mu).powf(i as f64 / (n - 1) as f64);
        assert!(
            relative_eq!(lam, want, epsilon = 0.0, max_relative = 1e-14),
            "λ_{i} = {lam}, want {want}"
        );
    }
    assert_eq!(q.smoothness(), Some(l));
    assert_eq!(q.strong_convexity(), Some(mu));
    assert_abs_diff_eq!(q.condition_number(), l / mu, epsilon = 1e-10);
    let k = Quadratic::<f64>::with_condition_number(5, 1e3).unwrap();
    assert_eq!(k.smoothness(), Some(1.0));
    assert_abs_diff_eq!(k.strong_convexity().unwrap(), 1e-3, epsilon = 1e-18);
}

#[test]
fn rotated_quadratic_matrix_has_the_chosen_spectrum() {
    let n = 8;
    let q = Quadratic::<f64>::with_condition_number(n, 100.0)
        .unwrap()
        .rotated(9)
        .unwrap();
    let a = q.matrix().unwrap();
    assert_eq!(a, a.t(), "A must be symmetric");
    // Not diagonal: the rotation mixes the coordinates.
    assert!(a[[0, 1]].abs() > 1e-6);
    // The power sums trace(A^k) = Σ λ_i^k, k = 1..n, determine the spectrum.
    let lam = q.eigenvalues().to_owned();
    let mut power = Array2::<f64>::eye(n);
    for k in 1..=n {
        power = power.dot(&a);
        let trace: f64 = power.diag().sum();
        let sum: f64 = lam.iter().map(|l| l.powi(k as i32)).sum();
        assert!(
            relative_eq!(trace, sum, epsilon = 0.0, max_relative = 1e-13),
            "k = {k}: {trace} vs {sum}"
        );
    }
    let (mu, l) = (q.strong_convexity().unwrap(), q.smoothness().unwrap());
    assert_extreme_eigenvalues(&a, mu, l, 1e-9);
}

#[test]
fn quadratic_gradient_is_a_x_minus_b() {
    let q = Quadratic::<f64>::log_spaced(6, 0.5, 3.0)
        .unwrap()
        .rotated(2)
        .unwrap();
    let x = array![0.3, -1.0, 2.0, 0.1, -0.7, 1.5];
    let want = q.matrix().unwrap().dot(&x) - q.linear_term();
    let got = gradient_of(&q, x.view());
    assert!(norm(&(&got - &want)) < 1e-14);
    let f = 0.5 * x.dot(&q.matrix().unwrap().dot(&x)) - q.linear_term().dot(&x);
    assert_abs_diff_eq!(q.value(x.view()), f, epsilon = 1e-14);
}

#[test]
fn quadratic_with_linear_term_is_minimised_at_a_inverse_b() {
    let b = array![1.0, -2.0, 0.5, 3.0];
    let q = Quadratic::<f64>::log_spaced(4, 0.1, 10.0)
        .unwrap()
        .rotated(3)
        .unwrap()
        .with_linear_term(b.clone())
        .unwrap();
    let x = q.minimizers().unwrap()[0].clone();
    // A x* = b, checked with the dense matrix.
    assert!(norm(&(q.matrix().unwrap().dot(&x) - &b)) < 1e-13);
    assert_abs_diff_eq!(q.minimum(), -0.5 * b.dot(&x), epsilon = 1e-13);
    let moved = Quadratic::<f64>::diagonal(array![1.0, 2.0])
        .unwrap()
        .with_minimizer(array![5.0, -1.0])
        .unwrap();
    assert_eq!(moved.linear_term(), array![5.0, -2.0]);
    assert_eq!(moved.minimum(), -0.5 * (25.0 + 2.0));
}

#[test]
fn quadratic_same_seed_gives_same_rotation() {
    let make = |seed| {
        Quadratic::<f64>::with_condition_number(5, 10.0)
            .unwrap()
            .rotated(seed)
            .unwrap()
            .matrix()
            .unwrap()
    };
    assert_eq!(make(1), make(1));
    assert_ne!(make(1), make(2));
}

#[test]
fn quadratic_rejects_bad_spectra() {
    assert!(matches!(
        Quadratic::<f64>::diagonal(array![1.0, -1.0]),
        Err(Error::InvalidEntry { index: 1, value, .. }) if value == -1.0
    ));
    assert!(matches!(
        Quadratic::<f64>::diagonal(Array1::zeros(0)),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        Quadratic::<f64>::log_spaced(3, 2.0, 1.0),
        Err(Error::InvalidParameter { name: "l", .. })
    ));
    assert!(matches!(
        Quadratic::<f64>::with_condition_number(3, 0.5),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        Quadratic::<f64>::diagonal(array![1.0])
            .unwrap()
            .with_minimizer(array![1.0, 2.0]),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn least_squares_and_ridge_constants_bound_the_hessian_spectrum() {
    let data = Dataset::<f64>::linear_regression(300, 6, 50.0, 0.1, 4).unwrap();
    for lambda in [0.0, 0.5] {
        let p = LeastSquares::ridge(data.clone(), lambda).unwrap();
        let h = gram(&data) + Array2::<f64>::eye(6) * lambda;
        let (mu, l) = (p.strong_convexity().unwrap(), p.smoothness().unwrap());
        assert_extreme_eigenvalues(&h, mu, l, 1e-9);
    }
}

#[test]
fn least_squares_minimizer_solves_the_normal_equations() {
    let data = Dataset::<f64>::linear_regression(150, 5, 1e3, 0.5, 8).unwrap();
    let n = data.len() as f64;
    for lambda in [0.0, 0.1] {
        let p = LeastSquares::ridge(data.clone(), lambda).unwrap();
        let w = p.minimizers().unwrap()[0].clone();
        let lhs = gram(&data).dot(&w) + &w * lambda;
        let rhs = data.features.t().dot(&data.targets) / n;
        assert!(norm(&(lhs - rhs)) < 1e-12);
        assert!(p.certificate().gradient_norm < 1e-12);
        let r = data.features.dot(&w) - &data.targets;
        let f = r.dot(&r) / (2.0 * n) + 0.5 * lambda * w.dot(&w);
        assert_abs_diff_eq!(p.minimum(), f, epsilon = 1e-13);
    }
}

#[test]
fn noise_free_least_squares_recovers_the_generating_weights() {
    let data = Dataset::<f64>::linear_regression(40, 4, 100.0, 0.0, 12).unwrap();
    let truth = data.true_weights.clone().unwrap();
    let p = LeastSquares::new(data).unwrap();
    assert!(norm(&(&p.minimizers().unwrap()[0] - &truth)) < 1e-11);
    assert!(p.minimum() < 1e-25);
}

#[test]
fn least_squares_rejects_rank_deficient_features_but_ridge_accepts_them() {
    // Two equal columns.
    let x = array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]];
    let data = Dataset::new(x, array![1.0, 2.0, 3.0]).unwrap();
    assert!(matches!(
        LeastSquares::new(data.clone()),
        Err(Error::Incompatible { .. })
    ));
    let ridge = LeastSquares::ridge(data, 1e-3).unwrap();
    assert!(ridge.certificate().gradient_norm < 1e-12);
    assert!(matches!(
        LeastSquares::ridge(ridge.dataset().clone(), -1.0),
        Err(Error::InvalidParameter { name: "lambda", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Certified minimisers.

/// For a `μ`-strongly convex `f`: `0 <= f(x) - f* <= |∇f(x)|² / (2μ)` at every `x` (the
/// Polyak–Łojasiewicz inequality), checked at points around the start.
fn assert_strongly_convex_optimality<P: TestFunction<f64>>(p: &P, mu: f64) {
    let f_star = p.minimum();
    let x_star = &p.minimizers().unwrap()[0];
    for k in 0..20 {
        let t = k as f64 / 4.0;
        let x = x_star.mapv(|v| v + t * (v * 1.3 + 0.7).sin()) + &p.start().unwrap() * (t / 5.0);
        let g = gradient_of(p, x.view());
        let gap = p.value(x.view()) - f_star;
        assert!(gap >= -1e-14, "{}: f(x) < f* by {gap:e}", p.name());
        assert!(gap <= g.dot(&g) / (2.0 * mu) + 1e-14, "{}", p.name());
    }
}

#[test]
fn logistic_certificate_holds() {
    let data = Dataset::<f64>::classification(300, 6, 21).unwrap();
    let lambda = 1e-2;
    let p = LogisticRegression::new(data.clone(), lambda).unwrap();
    let cert = p.certificate();
    assert!(cert.gradient_norm <= 1e-12, "{:e}", cert.gradient_norm);
    assert!(cert.iterations > 0);
    // The gradient at the minimiser, written out independently:
    // (1/N) Σ (σ(x_iᵀw) - y_i) x_i + λ w.
    let w = &cert.minimizer;
    let n = data.len() as f64;
    let mut g = w * lambda;
    for (row, &y) in data.features.rows().into_iter().zip(&data.targets) {
        let s = 1.0 / (1.0 + (-row.dot(w)).exp());
        g.scaled_add((s - y) / n, &row);
    }
    assert!(norm(&g) <= 1e-12, "{:e}", norm(&g));
    // The minimum is the mean log-likelihood loss at w.
    let f: f64 = data
        .features
        .rows()
        .into_iter()
        .zip(&data.targets)
        .map(|(row, &y)| {
            let z = row.dot(w);
            (1.0 + z.exp()).ln() - y * z
        })
        .sum::<f64>()
        / n
        + 0.5 * lambda * w.dot(w);
    assert_abs_diff_eq!(p.minimum(), f, epsilon = 1e-14);
    assert_strongly_convex_optimality(&p, lambda);
    // L = λ_max(XᵀX/N)/4 + λ and μ = λ.
    let h = gram(&data) / 4.0 + Array2::<f64>::eye(6) * lambda;
    let l = p.smoothness().unwrap();
    let lo = h.diag().iter().fold(f64::INFINITY, |m, &v| m.min(v));
    assert!(is_positive_definite(
        &(Array2::eye(6) * (l * (1.0 + 1e-9)) - &h)
    ));
    assert!(!is_positive_definite(
        &(Array2::eye(6) * (l * (1.0 - 1e-9)) - &h)
    ));
    assert!(lo >= lambda && p.strong_convexity() == Some(lambda));
}

#[test]
fn logistic_rejects_bad_labels_and_penalties() {
    let x = array![[1.0], [2.0]];
    let bad = Dataset::new(x.clone(), array![1.0, -1.0]).unwrap();
    assert!(matches!(
        LogisticRegression::new(bad, 0.1),
        Err(Error::InvalidParameter { name: "targets", value, .. }) if value == -1.0
    ));
    let good = Dataset::new(x, array![1.0, 0.0]).unwrap();
    assert!(matches!(
        LogisticRegression::new(good, 0.0),
        Err(Error::InvalidParameter { name: "lambda", .. })
    ));
}

#[test]
fn huber_certificate_holds_and_gradient_is_clipped_residuals() {
    let data = Dataset::<f64>::linear_regression(250, 5, 20.0, 2.0, 31).unwrap();
    let (delta, lambda) = (1.0, 1e-3);
    let p = HuberRegression::new(data.clone(), delta, lambda).unwrap();
    let cert = p.certificate();
    assert!(cert.gradient_norm <= 1e-12, "{:e}", cert.gradient_norm);
    let w = &cert.minimizer;
    let n = data.len() as f64;
    let mut g = w * lambda;
    let mut clipped = 0;
    for (row, &y) in data.features.rows().into_iter().zip(&data.targets) {
        let r = row.dot(w) - y;
        if r.abs() > delta {
            clipped += 1;
        }
        g.scaled_add(r.clamp(-delta, delta) / n, &row);
    }
    assert!(
        clipped > 10,
        "the noise must put some residuals in the linear part"
    );
    assert!(norm(&g) <= 1e-12);
    assert_strongly_convex_optimality(&p, lambda);
}

#[test]
fn huber_with_a_huge_threshold_is_least_squares() {
    let data = Dataset::<f64>::linear_regression(100, 4, 10.0, 0.3, 5).unwrap();
    let huber = HuberRegression::new(data.clone(), 1e6, 0.0).unwrap();
    let ls = LeastSquares::new(data).unwrap();
    assert!(norm(&(&huber.minimizers().unwrap()[0] - &ls.minimizers().unwrap()[0])) < 1e-12);
    assert_abs_diff_eq!(huber.minimum(), ls.minimum(), epsilon = 1e-14);
    assert!(huber.strong_convexity().is_none());
}

#[test]
fn log_sum_exp_symmetric_matches_its_closed_form() {
    let f = LogSumExp::<f64>::symmetric(3).unwrap();
    let x = array![0.5, -1.0, 2.0];
    let want = x.iter().map(|v: &f64| 2.0 * v.cosh()).sum::<f64>().ln();
    assert_abs_diff_eq!(f.value(x.view()), want, epsilon = 1e-15);
    assert_abs_diff_eq!(f.minimum(), 6f64.ln(), epsilon = 1e-15);
    // ∂f/∂x_j = 2 sinh(x_j) / Σ 2 cosh(x_k)
    let denom: f64 = x.iter().map(|v| 2.0 * v.cosh()).sum();
    let g = gradient_of(&f, x.view());
    for j in 0..3 {
        assert_abs_diff_eq!(g[j], 2.0 * x[j].sinh() / denom, epsilon = 1e-15);
    }
    // No overflow far out: f(1000, 0, 0) = 1000 + log(1 + e^-2000 + 4 e^-1000).
    let far = f.value(array![1000.0, 0.0, 0.0].view());
    assert!(abs_diff_eq!(far, 1000.0, epsilon = 1e-12), "{far}");
    assert_eq!(f.smoothness(), Some(1.0));
    assert!(f.strong_convexity().is_none());
}

#[test]
fn log_sum_exp_random_certificate_holds() {
    let lambda = 0.05;
    let f = LogSumExp::<f64>::random(30, 6, lambda, 17).unwrap();
    let cert = f.certificate();
    assert!(cert.gradient_norm <= 1e-12);
    // ∇f = Aᵀ softmax(Ax + b) + λx, written out with plain exponentials.
    let x = &cert.minimizer;
    let z = f.matrix().dot(x) + f.offsets();
    let e = z.mapv(f64::exp);
    let g = f.matrix().t().dot(&(&e / e.sum())) + x * lambda;
    assert!(norm(&g) <= 1e-12);
    assert_abs_diff_eq!(
        f.minimum(),
        e.sum().ln() + 0.5 * lambda * x.dot(x),
        epsilon = 1e-14
    );
    assert_strongly_convex_optimality(&f, lambda);
    let l = f
        .matrix()
        .rows()
        .into_iter()
        .map(|r| r.dot(&r))
        .fold(0.0, f64::max);
    assert_eq!(f.smoothness(), Some(l + lambda));
}

// ---------------------------------------------------------------------------------------------
// Datasets.

#[test]
fn same_seed_gives_same_bits_and_another_seed_does_not() {
    let a = Dataset::<f64>::linear_regression(30, 4, 10.0, 0.5, 99).unwrap();
    let b = Dataset::<f64>::linear_regression(30, 4, 10.0, 0.5, 99).unwrap();
    let bits = |d: &Dataset<f64>| -> Vec<u64> {
        d.features
            .iter()
            .chain(&d.targets)
            .map(|v| v.to_bits())
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    let c = Dataset::<f64>::linear_regression(30, 4, 10.0, 0.5, 100).unwrap();
    assert_ne!(bits(&a), bits(&c));
    let p = Dataset::<f64>::classification(30, 4, 5).unwrap();
    let q = Dataset::<f64>::classification(30, 4, 5).unwrap();
    assert_eq!(bits(&p), bits(&q));
}

#[test]
fn f32_dataset_is_the_f64_dataset_rounded() {
    let d64 = Dataset::<f64>::linear_regression(20, 3, 5.0, 0.1, 3).unwrap();
    let d32 = Dataset::<f32>::linear_regression(20, 3, 5.0, 0.1, 3).unwrap();
    assert_eq!(d32.features, d64.features.mapv(|v| v as f32));
    assert_eq!(d32.targets, d64.targets.mapv(|v| v as f32));
}

#[test]
fn regression_features_have_the_requested_condition_number() {
    // In 2-D the eigenvalues of the sample covariance have a closed form. The population
    // covariance has eigenvalues 1 and 1/κ; with N = 40000 samples each is within a few percent.
    let kappa = 100.0;
    let data = Dataset::<f64>::linear_regression(40_000, 2, kappa, 0.0, 6).unwrap();
    let c = gram(&data);
    let (a, b, d) = (c[[0, 0]], c[[0, 1]], c[[1, 1]]);
    let mid = (a + d) / 2.0;
    let rad = (((a - d) / 2.0).powi(2) + b * b).sqrt();
    let (hi, lo) = (mid + rad, mid - rad);
    assert!(abs_diff_eq!(hi, 1.0, epsilon = 0.05), "{hi}");
    assert!(abs_diff_eq!(lo * kappa, 1.0, epsilon = 0.05), "{lo}");
    // The rotation makes the features correlated.
    assert!(b.abs() > 0.01, "{b}");
}

#[test]
fn classification_labels_are_binary_and_follow_the_model() {
    let data = Dataset::<f64>::classification(4000, 5, 8).unwrap();
    let w = data.true_weights.clone().unwrap();
    let mut agree = 0;
    for (row, &y) in data.features.rows().into_iter().zip(&data.targets) {
        assert!(y == 0.0 || y == 1.0);
        if (row.dot(&w) > 0.0) == (y == 1.0) {
            agree += 1;
        }
    }
    // Margins have standard deviation about 2: the Bayes classifier is right about 75% of the
    // time (E[σ(|z|)] for z ~ N(0, 4)).
    let rate = agree as f64 / 4000.0;
    assert!(rate > 0.68 && rate < 0.82, "{rate}");
}

#[test]
fn dataset_constructors_reject_malformed_input() {
    assert!(matches!(
        Dataset::new(Array2::<f64>::zeros((3, 2)), Array1::zeros(2)),
        Err(Error::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        Dataset::new(array![[1.0, f64::NAN]], array![0.0]),
        Err(Error::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        Dataset::<f64>::linear_regression(0, 3, 1.0, 0.0, 1),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        Dataset::<f64>::linear_regression(5, 3, 0.5, 0.0, 1),
        Err(Error::InvalidParameter {
            name: "condition_number",
            ..
        })
    ));
    assert!(matches!(
        Dataset::<f64>::linear_regression(5, 3, 2.0, -1.0, 1),
        Err(Error::InvalidParameter { name: "noise", .. })
    ));
    // A dataset with its public fields edited into inconsistency is caught by the problems.
    let mut data = Dataset::<f64>::classification(5, 2, 1).unwrap();
    data.targets = Array1::zeros(4);
    assert!(matches!(
        LogisticRegression::new(data, 0.1),
        Err(Error::DimensionMismatch { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Allocation.

#[test]
fn evaluations_allocate_nothing() {
    for problem in shared_suite() {
        // Solve any lazy certificate first: that is a one-off, not an evaluation.
        let _ = problem.minimizers().unwrap();
        let x = problem.start().unwrap().mapv(|v| v + 0.25);
        let mut g = Array1::zeros(x.len());
        let count = common::counting::allocations_during(|| {
            for _ in 0..3 {
                problem.value_and_gradient(x.view(), g.view_mut());
                problem.gradient(x.view(), g.view_mut());
                problem.value(x.view());
            }
        });
        assert_eq!(count, 0, "{} allocated", problem.name());
    }
}

// ---------------------------------------------------------------------------------------------
// f32.

fn f32_problems() -> Vec<(Box<dyn TestFunction<f32>>, SuiteProblem)> {
    let reg32 = Dataset::<f32>::linear_regression(100, 4, 10.0, 0.5, 3).unwrap();
    let reg64 = Dataset::<f64>::linear_regression(100, 4, 10.0, 0.5, 3).unwrap();
    let cls32 = Dataset::<f32>::classification(100, 4, 3).unwrap();
    let cls64 = Dataset::<f64>::classification(100, 4, 3).unwrap();
    vec![
        (Box::new(Sphere::new(4)), Box::new(Sphere::new(4))),
        (Box::new(Rosenbrock::new(4)), Box::new(Rosenbrock::new(4))),
        (
            Box::new(
                Quadratic::<f32>::with_condition_number(6, 50.0)
                    .unwrap()
                    .rotated(1)
                    .unwrap(),
            ),
            Box::new(
                Quadratic::<f64>::with_condition_number(6, 50.0)
                    .unwrap()
                    .rotated(1)
                    .unwrap(),
            ),
        ),
        (
            Box::new(LeastSquares::ridge(reg32.clone(), 0.1).unwrap()),
            Box::new(LeastSquares::ridge(reg64.clone(), 0.1).unwrap()),
        ),
        (
            Box::new(LogisticRegression::new(cls32, 0.1).unwrap()),
            Box::new(LogisticRegression::new(cls64, 0.1).unwrap()),
        ),
        (
            Box::new(HuberRegression::new(reg32, 0.5, 0.01).unwrap()),
            Box::new(HuberRegression::new(reg64, 0.5, 0.01).unwrap()),
        ),
        (
            Box::new(LogSumExp::<f32>::random(20, 4, 0.1, 2).unwrap()),
            Box::new(LogSumExp::<f64>::random(20, 4, 0.1, 2).unwrap()),
        ),
        (
            Box::new(LogSumExp::<f32>::symmetric(3).unwrap()),
            Box::new(LogSumExp::<f64>::symmetric(3).unwrap()),
        ),
        (Box::new(Beale), Box::new(Beale)),
        (Box::new(Booth), Box::new(Booth)),
        (Box::new(Matyas), Box::new(Matyas)),
        (Box::new(Himmelblau), Box::new(Himmelblau)),
        (Box::new(ThreeHumpCamel), Box::new(ThreeHumpCamel)),
        (
            Box::new(StyblinskiTang::new(3)),
            Box::new(StyblinskiTang::new(3)),
        ),
        (Box::new(Rastrigin::new(3)), Box::new(Rastrigin::new(3))),
        (Box::new(Ackley::new(3)), Box::new(Ackley::new(3))),
    ]
}

#[test]
fn f32_variants_agree_with_f64_and_have_near_stationary_minimizers() {
    for (p32, p64) in f32_problems() {
        let name = p32.name();
        assert_eq!(name, p64.name());
        // At the same point (representable in f32), values and gradients agree to f32 precision.
        let x32 = p32.start().unwrap().mapv(|v| v + 0.375);
        let x64 = x32.mapv(f64::from);
        let mut g32 = Array1::<f32>::zeros(x32.len());
        let f32v = p32.value_and_gradient(x32.view(), g32.view_mut());
        let mut g64 = Array1::<f64>::zeros(x64.len());
        let f64v = p64.value_and_gradient(x64.view(), g64.view_mut());
        assert!(
            relative_eq!(f64::from(f32v), f64v, epsilon = 1e-5, max_relative = 1e-5),
            "{name}: {f32v} vs {f64v}"
        );
        let gscale = norm(&g64).max(1.0);
        let diff = norm(&(g32.mapv(f64::from) - &g64));
        assert!(diff <= 1e-4 * gscale, "{name}: gradient off by {diff:e}");
        // Stated minimisers are stationary to f32 precision (relative to the gradient scale).
        let fscale = p64.minimum().abs().max(1.0);
        for x in p32.minimizers().unwrap() {
            let mut g = Array1::<f32>::zeros(x.len());
            let f = p32.value_and_gradient(x.view(), g.view_mut());
            let gn = g.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
            assert!(gn <= 1e-3 * gscale, "{name}: |∇f(x*)| = {gn:e} in f32");
            assert!(
                abs_diff_eq!(
                    f64::from(f),
                    f64::from(p32.minimum()),
                    epsilon = 1e-5 * fscale
                ),
                "{name}: f32 value at x*"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gradients against central differences.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn gradients_match_central_differences_around_the_start(
        index in 0usize..64,
        offsets in prop::collection::vec(-1.0f64..1.0, 16),
    ) {
        let problems = shared_suite();
        let problem = &problems[index % problems.len()];
        let x0 = problem.start().unwrap();
        let x = Array1::from_shape_fn(x0.len(), |i| x0[i] + offsets[i % offsets.len()]);
        let check = check_gradient(&**problem, x.view()).unwrap();
        prop_assert!(
            check.passes(1e-6),
            "{} at {}: {:?}", problem.name(), x, check
        );
    }

    #[test]
    fn f32_gradients_match_central_differences_around_the_start(
        index in 0usize..64,
        offsets in prop::collection::vec(-1.0f32..1.0, 16),
    ) {
        let problems = f32_problems();
        let problem = &problems[index % problems.len()].0;
        let x0 = problem.start().unwrap();
        let x = Array1::from_shape_fn(x0.len(), |i| x0[i] + offsets[i % offsets.len()]);
        let check = check_gradient(&**problem, x.view()).unwrap();
        prop_assert!(
            check.passes(2e-2),
            "{} at {}: {:?}", problem.name(), x, check
        );
    }
}
