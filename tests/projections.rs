//! Projection sets: the defining properties of a Euclidean projection on random inputs,
//! hand-computed projections, comparison of the simplex and L1-ball projections with a slow
//! bisection reference, rejection of bad set definitions, and no allocation in `project`.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use gradus::Error;
use gradus::constraints::{
    Affine, BoxSet, HalfSpace, Hyperplane, L1Ball, L2Ball, LInfBall, NonNegative, Product,
    Projection, Simplex,
};
use ndarray::{Array1, Array2, ArrayView1, array};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// Tolerance for properties that hold exactly in real arithmetic, for entries of size about 10.
const TOL: f64 = 1e-9;

fn projected<P: Projection<f64> + ?Sized>(set: &mut P, x: &[f64]) -> Array1<f64> {
    let mut p = Array1::from(x.to_vec());
    set.project(p.view_mut());
    p
}

fn dist(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

fn max_abs_diff(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// Checks, for points `x`, `y`, `w` of the set's dimension:
/// P(x) ∈ C; P(P(x)) = P(x); |P(x) - P(y)| <= |x - y|; and, with z = P(w) ∈ C,
/// <x - P(x), z - P(x)> <= 0 (the obtuse-angle condition).
fn check_properties<P: Projection<f64> + ?Sized>(
    set: &mut P,
    x: &[f64],
    y: &[f64],
    w: &[f64],
) -> Result<(), TestCaseError> {
    let px = projected(set, x);
    let py = projected(set, y);
    let z = projected(set, w);
    prop_assert!(
        set.contains(px.view(), TOL),
        "P(x) = {px} is not in the set"
    );
    prop_assert!(set.contains(z.view(), TOL), "P(w) = {z} is not in the set");

    let ppx = projected(set, px.as_slice().unwrap());
    prop_assert!(
        max_abs_diff(ppx.view(), px.view()) <= TOL,
        "not idempotent: P(x) = {px}, P(P(x)) = {ppx}"
    );

    let xs = Array1::from(x.to_vec());
    let ys = Array1::from(y.to_vec());
    prop_assert!(
        dist(px.view(), py.view()) <= dist(xs.view(), ys.view()) + TOL,
        "expansive: |P(x) - P(y)| = {} > |x - y| = {}",
        dist(px.view(), py.view()),
        dist(xs.view(), ys.view())
    );

    let r = &xs - &px;
    let d = &z - &px;
    let inner = r.dot(&d);
    let scale = 1.0 + r.dot(&r).sqrt() * d.dot(&d).sqrt();
    prop_assert!(
        inner <= TOL * scale,
        "obtuse-angle condition fails: <x - P(x), z - P(x)> = {inner}"
    );
    Ok(())
}

/// Three points of dimension `n` with entries in [-10, 10].
fn points(n: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    let v = || prop::collection::vec(-10.0..10.0f64, n);
    (v(), v(), v())
}

/// A dimension in 1..=7 and three points of that dimension.
fn sized_points() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (1usize..=7).prop_flat_map(points)
}

// --- Slow references: bisection on the threshold ---------------------------------------------

/// τ with Σ max(y_i - τ, 0) = s by bisection; φ(τ) = Σ max(y_i - τ, 0) decreases from
/// φ(min y - s) >= n s >= s to φ(max y) = 0.
fn threshold_by_bisection(y: &[f64], s: f64) -> f64 {
    let phi = |t: f64| y.iter().map(|&v| (v - t).max(0.0)).sum::<f64>();
    let mut lo = y.iter().cloned().fold(f64::INFINITY, f64::min) - s;
    let mut hi = y.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if phi(mid) > s { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

fn simplex_reference(y: &[f64], s: f64) -> Vec<f64> {
    let tau = threshold_by_bisection(y, s);
    y.iter().map(|&v| (v - tau).max(0.0)).collect()
}

fn l1_ball_reference(y: &[f64], r: f64) -> Vec<f64> {
    if y.iter().map(|v| v.abs()).sum::<f64>() <= r {
        return y.to_vec();
    }
    let magnitudes: Vec<f64> = y.iter().map(|v| v.abs()).collect();
    let tau = threshold_by_bisection(&magnitudes, r);
    y.iter()
        .map(|&v| v.signum() * (v.abs() - tau).max(0.0))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn box_projection_is_a_projection(
        (x, y, w) in sized_points(),
        seed in prop::collection::vec((-5.0..5.0f64, 0.0..5.0f64, 0u8..4), 7),
    ) {
        let n = x.len();
        // Lower bound a, upper bound a + width; flag 1 opens the lower side, 2 the upper side.
        let lower: Array1<f64> = seed[..n]
            .iter()
            .map(|&(a, _, f)| if f == 1 { f64::NEG_INFINITY } else { a })
            .collect();
        let upper: Array1<f64> = seed[..n]
            .iter()
            .map(|&(a, wd, f)| if f == 2 { f64::INFINITY } else { a + wd })
            .collect();
        let mut set = BoxSet::new(lower.view(), upper.view()).unwrap();
        check_properties(&mut set, &x, &y, &w)?;
        // The projection is coordinate-wise clipping.
        let px = projected(&mut set, &x);
        for i in 0..n {
            prop_assert_eq!(px[i], x[i].max(lower[i]).min(upper[i]));
        }
    }

    #[test]
    fn nonnegative_projection_is_a_projection((x, y, w) in sized_points()) {
        check_properties(&mut NonNegative, &x, &y, &w)?;
    }

    #[test]
    fn l2_ball_projection_is_a_projection(
        (x, y, w) in sized_points(),
        c in prop::collection::vec(-3.0..3.0f64, 7),
        r in 0.0..6.0f64,
    ) {
        let n = x.len();
        check_properties(&mut L2Ball::new(r).unwrap(), &x, &y, &w)?;
        let mut centered = L2Ball::centered(ArrayView1::from(&c[..n]), r).unwrap();
        check_properties(&mut centered, &x, &y, &w)?;
    }

    #[test]
    fn linf_ball_projection_is_a_projection(
        (x, y, w) in sized_points(),
        c in prop::collection::vec(-3.0..3.0f64, 7),
        r in 0.0..6.0f64,
    ) {
        let n = x.len();
        check_properties(&mut LInfBall::new(r).unwrap(), &x, &y, &w)?;
        let mut centered = LInfBall::centered(ArrayView1::from(&c[..n]), r).unwrap();
        check_properties(&mut centered, &x, &y, &w)?;
    }

    #[test]
    fn l1_ball_projection_is_a_projection(
        (x, y, w) in sized_points(),
        c in prop::collection::vec(-3.0..3.0f64, 7),
        r in 0.0..6.0f64,
    ) {
        let n = x.len();
        check_properties(&mut L1Ball::new(r).unwrap(), &x, &y, &w)?;
        let mut centered = L1Ball::centered(ArrayView1::from(&c[..n]), r).unwrap();
        check_properties(&mut centered, &x, &y, &w)?;
    }

    #[test]
    fn simplex_projection_is_a_projection((x, y, w) in sized_points(), s in 0.1..10.0f64) {
        check_properties(&mut Simplex::probability(), &x, &y, &w)?;
        check_properties(&mut Simplex::new(s).unwrap(), &x, &y, &w)?;
    }

    #[test]
    fn halfspace_projection_is_a_projection(
        (x, y, w) in sized_points(),
        a in prop::collection::vec(-3.0..3.0f64, 7),
        b in -5.0..5.0f64,
    ) {
        let a = &a[..x.len()];
        prop_assume!(a.iter().map(|v| v * v).sum::<f64>() > 1e-2);
        let mut set = HalfSpace::new(ArrayView1::from(a), b).unwrap();
        check_properties(&mut set, &x, &y, &w)?;
    }

    #[test]
    fn hyperplane_projection_is_a_projection(
        (x, y, w) in sized_points(),
        a in prop::collection::vec(-3.0..3.0f64, 7),
        b in -5.0..5.0f64,
    ) {
        let a = &a[..x.len()];
        prop_assume!(a.iter().map(|v| v * v).sum::<f64>() > 1e-2);
        let mut set = Hyperplane::new(ArrayView1::from(a), b).unwrap();
        check_properties(&mut set, &x, &y, &w)?;
    }

    #[test]
    fn affine_projection_is_a_projection(
        (m, extra) in (1usize..=3, 0usize..=3),
        r in prop::collection::vec(-2.0..2.0f64, 9),
        b in prop::collection::vec(-5.0..5.0f64, 3),
        (x, y, w) in points(6),
    ) {
        // A = [I_m | R] has full row rank and A Aᵀ = I + R Rᵀ is well conditioned.
        let n = m + extra;
        let mut a = Array2::<f64>::zeros((m, n));
        for i in 0..m {
            a[[i, i]] = 1.0;
            for j in 0..extra {
                a[[i, m + j]] = r[i * 3 + j];
            }
        }
        let mut set = Affine::new(a.view(), ArrayView1::from(&b[..m])).unwrap();
        check_properties(&mut set, &x[..n], &y[..n], &w[..n])?;
    }

    #[test]
    fn product_projection_is_a_projection(
        (x, y, w) in points(7),
        a in prop::collection::vec(-3.0..3.0f64, 2),
        s in 0.1..5.0f64,
    ) {
        prop_assume!(a[0] * a[0] + a[1] * a[1] > 1e-2);
        let mut set = Product::new()
            .block(3, Simplex::new(s).unwrap()).unwrap()
            .block(2, HalfSpace::new(ArrayView1::from(&a[..]), 1.0).unwrap()).unwrap()
            .block(2, BoxSet::uniform(2, -1.0, 2.0).unwrap()).unwrap();
        check_properties(&mut set, &x, &y, &w)?;
        // Block by block, it is the projection onto each factor.
        let px = projected(&mut set, &x);
        let p1 = projected(&mut Simplex::new(s).unwrap(), &x[..3]);
        prop_assert_eq!(px.slice(ndarray::s![..3]), p1.view());
    }

    #[test]
    fn simplex_projection_matches_bisection_reference(
        x in prop::collection::vec(-10.0..10.0f64, 1..40),
        s in 0.01..20.0f64,
    ) {
        let p = projected(&mut Simplex::new(s).unwrap(), &x);
        let reference = simplex_reference(&x, s);
        for (a, b) in p.iter().zip(&reference) {
            prop_assert!(abs_diff_eq!(a, b, epsilon = 1e-10), "{p} vs reference {reference:?}");
        }
    }

    #[test]
    fn l1_ball_projection_matches_bisection_reference(
        x in prop::collection::vec(-10.0..10.0f64, 1..40),
        r in 0.01..30.0f64,
    ) {
        let p = projected(&mut L1Ball::new(r).unwrap(), &x);
        let reference = l1_ball_reference(&x, r);
        for (a, b) in p.iter().zip(&reference) {
            prop_assert!(abs_diff_eq!(a, b, epsilon = 1e-10), "{p} vs reference {reference:?}");
        }
    }
}

// --- Hand-computed projections -----------------------------------------------------------------

#[test]
fn box_clips_to_finite_and_leaves_infinite_sides_open() {
    let mut set = BoxSet::new(
        array![0.0, f64::NEG_INFINITY, -1.0].view(),
        array![1.0, 2.0, f64::INFINITY].view(),
    )
    .unwrap();
    assert_eq!(
        projected(&mut set, &[-3.0, -1e300, 1e300]),
        array![0.0, -1e300, 1e300]
    );
    assert_eq!(
        projected(&mut set, &[5.0, 5.0, -5.0]),
        array![1.0, 2.0, -1.0]
    );
}

#[test]
fn centered_l2_ball_moves_a_point_radially() {
    // c = (1, 1), r = 1, x - c = (3, 4) with norm 5: P(x) = c + (3, 4)/5.
    let mut set = L2Ball::centered(array![1.0, 1.0].view(), 1.0).unwrap();
    let p = projected(&mut set, &[4.0, 5.0]);
    assert_abs_diff_eq!(p[0], 1.6, epsilon = 1e-15);
    assert_abs_diff_eq!(p[1], 1.8, epsilon = 1e-15);
    // A point inside stays exactly where it is.
    assert_eq!(projected(&mut set, &[1.5, 0.5]), array![1.5, 0.5]);
}

#[test]
fn l2_ball_projection_does_not_overflow_for_huge_entries() {
    // |x| = 5e300 overflows when squared; P(x) = (0.6, 0.8).
    let p = projected(&mut L2Ball::new(1.0).unwrap(), &[3e300, 4e300]);
    assert_abs_diff_eq!(p[0], 0.6, epsilon = 1e-15);
    assert_abs_diff_eq!(p[1], 0.8, epsilon = 1e-15);
}

#[test]
fn scaled_simplex_projection_of_the_origin_is_the_barycenter() {
    // By symmetry P(0) on {x >= 0, Σx = 2} in R^3 is (2/3, 2/3, 2/3).
    let p = projected(&mut Simplex::new(2.0).unwrap(), &[0.0, 0.0, 0.0]);
    for v in &p {
        assert_abs_diff_eq!(*v, 2.0 / 3.0, epsilon = 1e-15);
    }
}

#[test]
fn simplex_projection_needs_several_threshold_passes() {
    // y = (5, 1, 0.9, -2), s = 1. All four active: τ0 = (4.9 - 1)/4 = 0.975; then {5, 1}
    // remain: τ1 = (6 - 1)/2 = 2.5; then {5}: τ2 = 4, and P(y) = (1, 0, 0, 0).
    let p = projected(&mut Simplex::probability(), &[5.0, 1.0, 0.9, -2.0]);
    assert_eq!(p, array![1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn l1_ball_soft_thresholds_points_outside_and_keeps_points_inside() {
    // |(3, -2, 0.5)|₁ = 5.5 > 2: τ with (3 - τ) + (2 - τ) = 2 is 1.5 (0.5 < τ drops out).
    let mut set = L1Ball::new(2.0).unwrap();
    let p = projected(&mut set, &[3.0, -2.0, 0.5]);
    assert_eq!(p, array![1.5, -0.5, 0.0]);
    assert_eq!(projected(&mut set, &[0.5, -0.25]), array![0.5, -0.25]);
    // Radius zero: the ball is the center.
    assert_eq!(
        projected(&mut L1Ball::new(0.0).unwrap(), &[1.0, -1.0]),
        array![0.0, 0.0]
    );
}

#[test]
fn halfspace_leaves_feasible_points_and_hyperplane_moves_every_point() {
    let mut half = HalfSpace::new(array![0.0, 2.0].view(), 2.0).unwrap(); // y <= 1
    assert_eq!(projected(&mut half, &[3.0, 0.5]), array![3.0, 0.5]);
    assert_eq!(projected(&mut half, &[3.0, 4.0]), array![3.0, 1.0]);
    let mut plane = Hyperplane::new(array![0.0, 2.0].view(), 2.0).unwrap(); // y = 1
    assert_eq!(projected(&mut plane, &[3.0, 0.5]), array![3.0, 1.0]);
}

#[test]
fn affine_projection_matches_the_normal_equations_by_hand() {
    // A = [1 1 0; 0 1 1], b = (1, 1), x = 0. A Aᵀ = [2 1; 1 2], and (A Aᵀ)⁻¹ b = (1/3, 1/3),
    // so P(0) = Aᵀ (1/3, 1/3) = (1/3, 2/3, 1/3).
    let a = array![[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]];
    let mut set = Affine::new(a.view(), array![1.0, 1.0].view()).unwrap();
    let p = projected(&mut set, &[0.0, 0.0, 0.0]);
    let expected = [1.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0];
    for (a, b) in p.iter().zip(expected) {
        assert!(abs_diff_eq!(*a, b, epsilon = 1e-15), "{p}");
    }
}

#[test]
fn f32_simplex_and_l1_projections_agree_with_the_f64_reference() {
    let x = [0.7f32, -0.2, 1.3, 0.05, 0.4];
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut p = Array1::from(x.to_vec());
    Simplex::<f32>::probability().project(p.view_mut());
    for (a, b) in p.iter().zip(simplex_reference(&x64, 1.0)) {
        assert_abs_diff_eq!(f64::from(*a), b, epsilon = 1e-6);
    }
    let mut p = Array1::from(x.to_vec());
    L1Ball::<f32>::new(1.0).unwrap().project(p.view_mut());
    for (a, b) in p.iter().zip(l1_ball_reference(&x64, 1.0)) {
        assert_abs_diff_eq!(f64::from(*a), b, epsilon = 1e-6);
    }
}

#[test]
fn product_projects_each_block_onto_its_own_set() {
    let mut set = Product::new()
        .block(2, NonNegative)
        .unwrap()
        .block(2, L2Ball::new(1.0).unwrap())
        .unwrap();
    assert_eq!(set.dim(), Some(4));
    let p = projected(&mut set, &[-1.0, 2.0, 0.0, -3.0]);
    assert_eq!(p, array![0.0, 2.0, 0.0, -1.0]);
}

#[test]
fn contains_measures_violation_against_the_tolerance() {
    let half = HalfSpace::new(array![3.0, 4.0].view(), 5.0).unwrap(); // distance = (3x+4y-5)/5
    // (1, 0.6) is at distance (3 + 2.4 - 5)/5 = 0.08 from the half-space.
    assert!(half.contains(array![1.0, 0.6].view(), 0.09));
    assert!(!half.contains(array![1.0, 0.6].view(), 0.07));
    let simplex = Simplex::probability();
    assert!(simplex.contains(array![0.5, 0.5].view(), 0.0));
    assert!(!simplex.contains(array![0.6, 0.5].view(), 0.05));
    assert!(!simplex.contains(array![1.1, -0.1].view(), 0.05));
}

// --- Bad definitions are typed errors ------------------------------------------------------

#[test]
fn empty_box_is_rejected_naming_the_bounds() {
    let err = BoxSet::new(array![0.0, 2.0].view(), array![1.0, 1.0].view()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSet { set: "BoxSet", .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("lower bound 2 exceeds upper bound 1 at index 1"),
        "{text}"
    );
}

#[test]
fn nan_or_impossible_box_bounds_are_rejected() {
    let nan = BoxSet::new(array![0.0, f64::NAN].view(), array![1.0, 1.0].view());
    assert!(matches!(nan, Err(Error::InvalidSet { .. })));
    let inf = BoxSet::new(array![f64::INFINITY].view(), array![f64::INFINITY].view());
    assert!(matches!(inf, Err(Error::InvalidSet { .. })));
    let mismatch = BoxSet::new(array![0.0].view(), array![1.0, 2.0].view());
    assert!(matches!(mismatch, Err(Error::DimensionMismatch { .. })));
    let empty = BoxSet::<f64>::new(array![].view(), array![].view());
    assert!(matches!(empty, Err(Error::Empty { .. })));
}

#[test]
fn negative_or_nan_radius_is_rejected() {
    for r in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            L2Ball::new(r),
            Err(Error::InvalidParameter { name: "radius", .. })
        ));
        assert!(matches!(
            LInfBall::new(r),
            Err(Error::InvalidParameter { name: "radius", .. })
        ));
        assert!(matches!(
            L1Ball::new(r),
            Err(Error::InvalidParameter { name: "radius", .. })
        ));
    }
    let err = L2Ball::new(-1.0).unwrap_err();
    assert!(err.to_string().contains("-1"), "{err}");
    let bad_center = L2Ball::centered(array![0.0, f64::NAN].view(), 1.0);
    assert!(matches!(bad_center, Err(Error::NonFinite { index: 1, .. })));
}

#[test]
fn nonpositive_simplex_sum_is_rejected() {
    for s in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            Simplex::new(s),
            Err(Error::InvalidParameter { name: "sum", .. })
        ));
    }
}

#[test]
fn zero_normal_vector_is_rejected() {
    let zero = array![0.0, 0.0];
    assert!(matches!(
        HalfSpace::new(zero.view(), 1.0),
        Err(Error::InvalidSet {
            set: "HalfSpace",
            ..
        })
    ));
    assert!(matches!(
        Hyperplane::new(zero.view(), 1.0),
        Err(Error::InvalidSet {
            set: "Hyperplane",
            ..
        })
    ));
    assert!(matches!(
        HalfSpace::new(array![1.0].view(), f64::NAN),
        Err(Error::InvalidParameter { name: "b", .. })
    ));
}

#[test]
fn rank_deficient_or_inconsistent_affine_data_is_rejected() {
    // Row 2 = row 0 + row 1.
    let dependent = array![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 2.0]];
    let err = Affine::new(dependent.view(), array![1.0, 1.0, 2.0].view()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSet { set: "Affine", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("row 2"), "{err}");
    let zero_row = array![[1.0, 0.0], [0.0, 0.0]];
    assert!(matches!(
        Affine::new(zero_row.view(), array![1.0, 1.0].view()),
        Err(Error::InvalidSet { .. })
    ));
    let wide = array![[1.0], [2.0]];
    assert!(matches!(
        Affine::new(wide.view(), array![1.0, 1.0].view()),
        Err(Error::InvalidSet { .. })
    ));
    let a = array![[1.0, 2.0]];
    assert!(matches!(
        Affine::new(a.view(), array![1.0, 1.0].view()),
        Err(Error::DimensionMismatch { .. })
    ));
    let nan = array![[1.0, f64::NAN]];
    assert!(matches!(
        Affine::new(nan.view(), array![1.0].view()),
        Err(Error::NonFinite { index: 1, .. })
    ));
}

#[test]
fn product_rejects_blocks_of_the_wrong_size() {
    let wrong = Product::new().block(3, BoxSet::uniform(2, 0.0, 1.0).unwrap());
    assert!(matches!(
        wrong,
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    let empty = Product::<f64>::new().block(0, NonNegative);
    assert!(matches!(empty, Err(Error::Empty { .. })));
}

#[test]
fn try_project_rejects_a_vector_of_the_wrong_length() {
    let mut set = HalfSpace::new(array![1.0, 1.0].view(), 1.0).unwrap();
    let mut x = array![1.0, 2.0, 3.0];
    assert!(matches!(
        set.try_project(x.view_mut()),
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    assert_eq!(x, array![1.0, 2.0, 3.0]);
}

// --- No allocation in `project` ------------------------------------------------------------

#[test]
fn projections_allocate_nothing() {
    let mut x = Array1::zeros(common::sets::N);
    for (name, make) in common::sets::sets() {
        let mut set = make();
        x.assign(&array![3.0, -4.0, 5.0, -6.0]);
        let before = common::counting::allocations();
        set.project(x.view_mut());
        let after = common::counting::allocations();
        assert_eq!(after, before, "{name} allocated in project");
        assert!(set.contains(x.view(), 1e-12), "{name}: {x}");
    }
}

#[test]
fn projecting_a_vector_of_the_wrong_length_fills_it_with_nan_instead_of_panicking() {
    use gradus::constraints::{BoxSet, HalfSpace};
    let mut set = BoxSet::new(
        ndarray::array![0.0, 0.0].view(),
        ndarray::array![1.0, 1.0].view(),
    )
    .unwrap();
    let mut x = ndarray::array![0.5_f64, 0.5, 0.5];
    set.project(x.view_mut());
    assert!(x.iter().all(|v| v.is_nan()));
    let mut h = HalfSpace::new(ndarray::array![1.0, 0.0].view(), 0.0).unwrap();
    let mut y = ndarray::array![2.0_f64];
    h.project(y.view_mut());
    assert!(y[0].is_nan());
}
