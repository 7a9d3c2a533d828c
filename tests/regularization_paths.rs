//! Regularization paths: `λ_max` against its closed form `|Xᵀy|_∞ / N` (and the elastic net's
//! and the group lasso's), the solution `0` at `λ_max` and the first feature to enter below it,
//! the log grid, every solution of a path certified by its duality gap, optimal values that
//! fall as `λ` falls, an unpenalised intercept, and the errors.

use approx::assert_abs_diff_eq;
use gradus::minimize::Restart;
use gradus::prelude::*;
use gradus::problems::{Dataset, LeastSquares, TestFunction};
use gradus::prox::Penalty;
use gradus::prox::{ElasticNet, GroupLasso, L1Norm, NonNegativeL1, WeightedL1, duality_gap};
use gradus::solvers::regularization_path::{RegularizationPath, lambda_max, log_grid};
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};

fn problem() -> (Dataset<f64>, LeastSquares<f64>, f64) {
    let data = Dataset::linear_regression(80, 6, 20.0, 0.5, 4).unwrap();
    let f = LeastSquares::new(data.clone()).unwrap();
    let l = f.smoothness().unwrap();
    (data, f, l)
}

/// `Xᵀy / N`, the negative gradient of least squares at 0.
fn correlations(data: &Dataset<f64>) -> Array1<f64> {
    data.features.t().dot(&data.targets) / data.len() as f64
}

fn fista(l: f64) -> Minimizer<'static, f64, GradientDescent<f64>> {
    Minimizer::new(GradientDescent::default())
        .lr(1.0 / l)
        .accelerate(Restart::Gradient)
        .gradient_tolerance(1e-12)
        .max_iterations(200_000)
}

#[test]
fn lambda_max_is_the_dual_norm_of_the_gradient_at_zero() {
    let (data, f, _) = problem();
    let c = correlations(&data);
    let inf = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let zero = Array1::zeros(6);
    assert_abs_diff_eq!(
        lambda_max(&L1Norm::new(1.0).unwrap(), &f, zero.view()).unwrap(),
        inf,
        epsilon = 1e-14
    );
    // Elastic net with mixing ρ = 0.25: |Xᵀy/N|_∞ / ρ (scikit-learn's alpha_max).
    assert_abs_diff_eq!(
        lambda_max(&ElasticNet::with_ratio(1.0, 0.25).unwrap(), &f, zero.view()).unwrap(),
        inf / 0.25,
        epsilon = 1e-13
    );
    // Group lasso over {0, 1, 2} and {3, 4, 5} with weights √3: max_g |c_g| / √3.
    let groups = GroupLasso::contiguous(&[3, 3], 1.0).unwrap();
    let g0 = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
    let g1 = (c[3] * c[3] + c[4] * c[4] + c[5] * c[5]).sqrt();
    assert_abs_diff_eq!(
        lambda_max(&groups, &f, zero.view()).unwrap(),
        g0.max(g1) / 3f64.sqrt(),
        epsilon = 1e-13
    );
    // Non-negative lasso: max_i (Xᵀy/N)_i, the largest positive correlation.
    assert_abs_diff_eq!(
        lambda_max(&NonNegativeL1::new(1.0).unwrap(), &f, zero.view()).unwrap(),
        c.iter().fold(0.0f64, |m, &v| m.max(v)),
        epsilon = 1e-14
    );
}

#[test]
fn zero_is_the_solution_at_lambda_max_and_the_most_correlated_feature_enters_below() {
    let (data, f, l) = problem();
    let c = correlations(&data);
    let first = (0..6)
        .max_by(|&i, &j| c[i].abs().total_cmp(&c[j].abs()))
        .unwrap();
    let zero = Array1::zeros(6);
    let top = lambda_max(&L1Norm::new(1.0).unwrap(), &f, zero.view()).unwrap();
    let mut m = fista(l);
    let path = RegularizationPath::compute(
        &mut m,
        &f,
        &L1Norm::new(1.0).unwrap(),
        &[top, 0.98 * top],
        zero.view(),
    )
    .unwrap();
    assert!(path.supports[0].is_empty());
    assert_eq!(path.solutions[0], zero);
    assert_eq!(path.supports[1], vec![first]);
}

#[test]
fn the_log_grid_is_geometric() {
    let grid = log_grid(2.0, 1e-3, 7).unwrap();
    assert_eq!(grid.len(), 7);
    assert_eq!((grid[0], grid[6]), (2.0, 2.0 * 1e-3));
    for pair in grid.windows(2) {
        assert_abs_diff_eq!(pair[1] / pair[0], 10f64.powf(-0.5), epsilon = 1e-12);
    }
    assert_eq!(log_grid(3.0, 0.5, 1).unwrap(), vec![3.0]);
    assert!(matches!(
        log_grid(0.0, 0.1, 5),
        Err(Error::InvalidParameter {
            name: "lambda_max",
            ..
        })
    ));
    assert!(matches!(
        log_grid(1.0, 1.0, 5),
        Err(Error::InvalidParameter { name: "ratio", .. })
    ));
    assert!(matches!(
        log_grid(1.0, 0.1, 0),
        Err(Error::InvalidCount { .. })
    ));
}

#[test]
fn every_solution_of_lasso_and_elastic_net_paths_is_certified_by_its_gap() {
    let (data, f, l) = problem();
    let zero = Array1::zeros(6);
    for (l1_ratio, template) in [
        (1.0, ElasticNet::new(1.0, 0.0).unwrap()),
        (0.5, ElasticNet::with_ratio(1.0, 0.5).unwrap()),
    ] {
        let top = lambda_max(&template, &f, zero.view()).unwrap();
        let grid = log_grid(top, 1e-3, 12).unwrap();
        let mut m = fista(l);
        let path = RegularizationPath::compute(&mut m, &f, &template, &grid, zero.view()).unwrap();
        assert_eq!(path.len(), 12);
        for (k, &lambda) in grid.iter().enumerate() {
            let (l1, l2) = (lambda * l1_ratio, lambda * (1.0 - l1_ratio));
            let gap = duality_gap(&data, l1, l2, path.solutions[k].view()).unwrap();
            assert!(
                gap.gap < 1e-10,
                "ρ = {l1_ratio}, λ = {lambda}: {:e}",
                gap.gap
            );
            assert_abs_diff_eq!(gap.primal, path.objectives[k], epsilon = 1e-12);
            assert!(path.terminations[k].is_converged());
        }
        // min_x f + λh is non-decreasing in λ (h >= 0): along a falling grid it falls.
        for pair in path.objectives.windows(2) {
            assert!(pair[1] <= pair[0] + 1e-13);
        }
        assert!(path.supports[0].is_empty());
        assert_eq!(path.supports[11].len(), 6);
    }
}

#[test]
fn a_path_with_an_unpenalised_intercept_starts_at_the_intercept_only_model() {
    // Targets with mean 5 and a column of ones: at λ_max the solution is the mean alone.
    let (data, _, _) = problem();
    let n = data.len();
    let mut features = Array1::ones(n).insert_axis(ndarray::Axis(1));
    features =
        ndarray::concatenate(ndarray::Axis(1), &[features.view(), data.features.view()]).unwrap();
    let targets = &data.targets + 5.0;
    let mean = targets.sum() / n as f64;
    let with_intercept = Dataset::new(features, targets).unwrap();
    let f = LeastSquares::new(with_intercept).unwrap();
    let l = f.smoothness().unwrap();
    let weights = array![0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let penalty = WeightedL1::new(1.0, weights.view()).unwrap();
    let mut start = Array1::zeros(7);
    start[0] = mean;
    let top = lambda_max(&penalty, &f, start.view()).unwrap();
    let mut m = fista(l);
    let path = RegularizationPath::compute(
        &mut m,
        &f,
        &penalty,
        &log_grid(top, 0.01, 5).unwrap(),
        start.view(),
    )
    .unwrap();
    assert_eq!(path.supports[0], vec![0]);
    assert_abs_diff_eq!(path.solutions[0][0], mean, epsilon = 1e-10);
    assert!(path.supports[4].len() > 1);
    assert_eq!(penalty.with_lambda(2.0).lambda(), 2.0);
}

#[test]
fn path_errors_name_the_bad_input() {
    let (_, f, l) = problem();
    let zero = Array1::zeros(6);
    let mut m = fista(l);
    let h = L1Norm::new(1.0).unwrap();
    assert!(matches!(
        RegularizationPath::compute(&mut m, &f, &h, &[], zero.view()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        RegularizationPath::compute(&mut m, &f, &h, &[1.0, -1.0], zero.view()),
        Err(Error::InvalidEntry {
            name: "lambdas",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        lambda_max(&h, &f, Array1::zeros(3).view()),
        Err(Error::DimensionMismatch { .. })
    ));
    // A smooth part minimised at 0 has λ_max = 0, and no grid.
    let flat = FnObjective::new(
        2,
        |x: ArrayView1<f64>| x.dot(&x),
        |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&(&x * 2.0)),
    );
    let top = lambda_max(&h, &flat, Array1::zeros(2).view()).unwrap();
    assert_eq!(top, 0.0);
    assert!(log_grid(top, 0.1, 3).is_err());
}
