//! Optimality certificates of sparse models: the lasso and elastic-net duality gap against
//! closed-form solutions on an orthogonal design, weak duality on random points, the
//! augmented-data identity of the elastic net; the coordinatewise KKT residuals of every
//! penalty against closed-form minimisers of `½|x - c|² + h(x)`.

use approx::assert_abs_diff_eq;
use gradus::problems::{Dataset, LeastSquares};
use gradus::prox::{
    ElasticNet, GroupLasso, L1Norm, L2Norm, NonNegativeL1, WeightedL1, duality_gap, kkt,
};
use gradus::{Error, FnObjective, Objective};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Axis, array, concatenate};
use proptest::prelude::*;

/// An orthogonal design, `XᵀX/N = I` (N = 4, d = 2), on which the elastic net is solved in
/// closed form: `w* = soft(Xᵀy/N, λ₁) / (1 + λ₂)`.
fn orthogonal() -> Dataset<f64> {
    Dataset::new(
        array![[1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [1.0, -1.0]],
        array![3.0, 1.0, 2.0, -0.5],
    )
    .unwrap()
}

fn soft(v: f64, t: f64) -> f64 {
    v.signum() * (v.abs() - t).max(0.0)
}

/// `P(w) = |y - Xw|²/(2N) + λ₁|w|₁ + (λ₂/2)|w|²`, computed directly.
fn primal(data: &Dataset<f64>, l1: f64, l2: f64, w: ArrayView1<f64>) -> f64 {
    let r = &data.targets - &data.features.dot(&w);
    r.dot(&r) / (2.0 * data.len() as f64)
        + l1 * w.iter().map(|v| v.abs()).sum::<f64>()
        + 0.5 * l2 * w.dot(&w)
}

#[test]
fn the_gap_vanishes_at_the_closed_form_solution_and_bounds_the_suboptimality() {
    let data = orthogonal();
    // Xᵀy/N = (5.5/4, 4.5/4) = (1.375, 1.125).
    for (l1, l2) in [(0.5, 0.0), (1.2, 0.0), (0.5, 2.0), (2.0, 1.0)] {
        let z = [1.375, 1.125];
        let w_star = Array1::from_shape_fn(2, |i| soft(z[i], l1) / (1.0 + l2));
        let p_star = primal(&data, l1, l2, w_star.view());
        let at_star = duality_gap(&data, l1, l2, w_star.view()).unwrap();
        assert!(at_star.gap.abs() < 1e-14, "{l1} {l2}: {:e}", at_star.gap);
        assert_abs_diff_eq!(at_star.primal, p_star, epsilon = 1e-15);
        assert_abs_diff_eq!(at_star.scale, 1.0, epsilon = 1e-14);
        for w in [
            array![0.0, 0.0],
            array![1.0, -1.0],
            array![0.3, 0.9],
            array![5.0, 5.0],
        ] {
            let g = duality_gap(&data, l1, l2, w.view()).unwrap();
            let suboptimality = primal(&data, l1, l2, w.view()) - p_star;
            assert!(suboptimality >= 0.0);
            assert!(
                g.gap >= suboptimality - 1e-14,
                "gap {} < {suboptimality}",
                g.gap
            );
            assert_abs_diff_eq!(g.primal - g.dual, g.gap, epsilon = 1e-13);
            assert!(
                g.dual <= p_star + 1e-14,
                "weak duality: D = {} > P* = {p_star}",
                g.dual
            );
            assert!((0.0..=1.0).contains(&g.scale));
        }
    }
}

#[test]
fn the_elastic_net_gap_is_the_lasso_gap_on_augmented_data() {
    // |ỹ - X̃w|² with X̃ = [X; √(Nλ₂) I], ỹ = [y; 0] adds Nλ₂|w|² to |y - Xw|²: the elastic net
    // on N rows is (N/N') times the lasso with weight λ₁N/N' on the N' = N + d rows.
    let data = Dataset::linear_regression(30, 4, 10.0, 0.5, 3).unwrap();
    let (n, d): (f64, usize) = (30.0, 4);
    let (l1, l2) = (0.2, 0.7);
    let augmented = Dataset::new(
        concatenate(
            Axis(0),
            &[
                data.features.view(),
                (Array2::eye(d) * (n * l2).sqrt()).view(),
            ],
        )
        .unwrap(),
        concatenate(Axis(0), &[data.targets.view(), Array1::zeros(d).view()]).unwrap(),
    )
    .unwrap();
    let n_aug = n + d as f64;
    for w in [
        array![0.0, 0.0, 0.0, 0.0],
        array![0.5, -0.2, 0.0, 1.0],
        array![2.0, 1.0, -1.0, 0.3],
    ] {
        let enet = duality_gap(&data, l1, l2, w.view()).unwrap();
        let lasso = duality_gap(&augmented, l1 * n / n_aug, 0.0, w.view()).unwrap();
        assert_abs_diff_eq!(enet.gap * n / n_aug, lasso.gap, epsilon = 1e-12);
        assert_abs_diff_eq!(enet.primal * n / n_aug, lasso.primal, epsilon = 1e-12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn weak_duality_holds_at_every_point(
        w in prop::collection::vec(-3.0..3.0f64, 4),
        l1 in 0.0..2.0f64,
        l2 in 0.0..2.0f64,
    ) {
        let data = Dataset::linear_regression(25, 4, 30.0, 1.0, 8).unwrap();
        let g = duality_gap(&data, l1, l2, ArrayView1::from(&w)).unwrap();
        prop_assert!(g.gap >= -1e-13, "gap {}", g.gap);
    }
}

#[test]
fn gap_errors_name_the_bad_input() {
    let data = orthogonal();
    assert!(matches!(
        duality_gap(&data, -1.0, 0.0, array![0.0, 0.0].view()),
        Err(Error::InvalidParameter { name: "l1", .. })
    ));
    assert!(matches!(
        duality_gap(&data, 1.0, 0.0, array![0.0].view()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        duality_gap(&data, 1.0, 0.0, array![f64::NAN, 0.0].view()),
        Err(Error::NonFinite { .. })
    ));
}

/// `f(x) = ½|x - c|²`, whose `f + h` is minimised by `prox_h(c)` (the prox with `γ = 1`).
fn centered_at(c: Array1<f64>) -> impl Objective<f64> {
    let c2 = c.clone();
    FnObjective::new(
        c.len(),
        move |x: ArrayView1<f64>| 0.5 * (&x - &c).mapv(|v| v * v).sum(),
        move |x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>| g.assign(&(&x - &c2)),
    )
}

#[test]
fn kkt_residuals_vanish_at_closed_form_minimisers_and_locate_violations() {
    let c = array![3.0, -0.5, 1.5, -2.0];
    let f = centered_at(c.clone());
    // L1, λ = 1: x* = (2, 0, 0.5, -1).
    let l1 = L1Norm::new(1.0).unwrap();
    assert_eq!(
        kkt(&l1, &f, array![2.0, 0.0, 0.5, -1.0].view())
            .unwrap()
            .max,
        0.0
    );
    let off = kkt(&l1, &f, array![2.0, 0.25, 0.5, -1.0].view()).unwrap();
    // At x_1 = 0.25 > 0: |g_1 + λ| = |0.75 + 1| = 1.75.
    assert_eq!((off.worst, off.max), (1, 1.75));
    // At zero the residual is the excess of |g_i| over λ: x = 0 has g = -c.
    let at_zero = kkt(&l1, &f, Array1::zeros(4).view()).unwrap();
    assert_eq!(at_zero.residuals, array![2.0, 0.0, 0.5, 1.0]);
    // Weighted, w = (0, 1, 2, 4): x* = (3, 0, 0, 0).
    let weighted = WeightedL1::new(1.0, array![0.0, 1.0, 2.0, 4.0].view()).unwrap();
    assert_eq!(
        kkt(&weighted, &f, array![3.0, 0.0, 0.0, 0.0].view())
            .unwrap()
            .max,
        0.0
    );
    // Elastic net (1, 1): x* = soft(c, 1)/2 = (1, 0, 0.25, -0.5).
    let enet = ElasticNet::new(1.0, 1.0).unwrap();
    assert_eq!(
        kkt(&enet, &f, array![1.0, 0.0, 0.25, -0.5].view())
            .unwrap()
            .max,
        0.0
    );
    assert!(
        kkt(&enet, &f, array![2.0, 0.0, 0.5, -1.0].view())
            .unwrap()
            .max
            > 0.5
    );
    // Non-negative lasso, λ = 1: x* = max(c - 1, 0) = (2, 0, 0.5, 0).
    let nonneg = NonNegativeL1::new(1.0).unwrap();
    assert_eq!(
        kkt(&nonneg, &f, array![2.0, 0.0, 0.5, 0.0].view())
            .unwrap()
            .max,
        0.0
    );
    assert_eq!(
        kkt(&nonneg, &f, array![2.0, 0.0, 0.5, -0.1].view())
            .unwrap()
            .max,
        f64::INFINITY
    );
    // Group lasso over {0, 1} and {2, 3} with unit weights, λ = 2: |c_{01}| = √9.25 > 2 is
    // shrunk, |c_{23}| = 2.5 > 2 is shrunk by 2/2.5.
    let groups = GroupLasso::contiguous(&[2, 2], 2.0)
        .unwrap()
        .with_weights(&[1.0, 1.0])
        .unwrap();
    let r = 9.25f64.sqrt();
    let x = array![
        3.0 * (1.0 - 2.0 / r),
        -0.5 * (1.0 - 2.0 / r),
        1.5 * 0.2,
        -2.0 * 0.2
    ];
    assert!(kkt(&groups, &f, x.view()).unwrap().max < 1e-15);
    // L2 norm, λ = 10 > |c|: x* = 0.
    let l2 = L2Norm::new(10.0).unwrap();
    assert_eq!(kkt(&l2, &f, Array1::zeros(4).view()).unwrap().max, 0.0);
    assert!(
        kkt(&L2Norm::new(1.0).unwrap(), &f, Array1::zeros(4).view())
            .unwrap()
            .max
            > 0.0
    );
}

#[test]
fn kkt_checks_lengths_and_finiteness() {
    let f = centered_at(array![1.0, 2.0]);
    assert!(matches!(
        kkt(&L1Norm::new(1.0).unwrap(), &f, array![1.0].view()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        kkt(
            &WeightedL1::new(1.0, array![1.0, 1.0, 1.0].view()).unwrap(),
            &f,
            array![1.0, 1.0].view()
        ),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        kkt(
            &L1Norm::new(1.0).unwrap(),
            &f,
            array![f64::INFINITY, 1.0].view()
        ),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn the_lasso_gap_of_least_squares_agrees_with_its_objective() {
    // The gap's primal is the LeastSquares objective plus the penalty.
    let data = Dataset::linear_regression(40, 3, 5.0, 0.3, 1).unwrap();
    let f = LeastSquares::new(data.clone()).unwrap();
    let w = array![0.3f64, -0.7, 0.1];
    let g = duality_gap(&data, 0.4, 0.0, w.view()).unwrap();
    let h = 0.4 * w.iter().map(|v| v.abs()).sum::<f64>();
    assert_abs_diff_eq!(g.primal, f.value(w.view()) + h, epsilon = 1e-13);
}
