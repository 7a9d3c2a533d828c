//! Projections of finite points of every magnitude, up to the largest float, land in their set.
//!
//! Written as `x_i - τ`, the simplex threshold of `[a, a]` loses the sum `s` once `a` is about
//! `s/ε` and the projection comes out `[0, 0]`; sums of squares and differences `x - c` overflow
//! long before the entries do. Each case here is a point whose projection is known exactly.

use gradus::Real;
use gradus::constraints::{Affine, L1Ball, L2Ball, Projection, Simplex};
use ndarray::{Array1, array};
use proptest::prelude::*;

/// Magnitudes from 1 to the largest finite value, a decade or so apart.
fn magnitudes<F: Real>() -> Vec<F> {
    let top = F::max_value().log10().floor().as_f64() as i32;
    let mut m: Vec<F> = (0..=top).map(|e| F::lit(10f64.powi(e))).collect();
    m.push(F::max_value());
    m
}

fn close<F: Real>(a: F, b: F, scale: F) -> bool {
    (a - b).abs() <= F::lit(8.0) * F::epsilon() * scale
}

fn equal_coordinates_project_to_the_centre_of_the_simplex<F: Real>() {
    for a in magnitudes::<F>() {
        for a in [a, -a] {
            let mut x = array![a, a];
            Simplex::new(F::one()).unwrap().project(x.view_mut());
            let half = F::lit(0.5);
            assert!(
                close(x[0], half, F::one()) && close(x[1], half, F::one()),
                "a = {a:e}: {x}"
            );
        }
    }
}

#[test]
fn simplex_projection_of_equal_coordinates_is_exact_at_every_magnitude() {
    equal_coordinates_project_to_the_centre_of_the_simplex::<f32>();
    equal_coordinates_project_to_the_centre_of_the_simplex::<f64>();
}

fn l1_ball_projections_stay_in_the_ball<F: Real>() {
    let r = F::one();
    for a in magnitudes::<F>() {
        // [a, a] is symmetric: the projection onto the unit L1 ball is [1/2, 1/2].
        let mut x = array![a, -a];
        L1Ball::new(r).unwrap().project(x.view_mut());
        let half = F::lit(0.5);
        assert!(
            close(x[0], half, r) && close(x[1], -half, r),
            "a = {a:e}: {x}"
        );
        // About a centre on the other side of the origin, x - c overflows for the largest a.
        let c = array![-a / F::lit(2.0), F::zero()];
        let ball = L1Ball::centered(c.view(), r).unwrap();
        let mut x = array![a, F::zero()];
        let mut b = ball.clone();
        b.project(x.view_mut());
        // The nearest point of the ball is the vertex c + (r, 0); beyond 2^53 or so it rounds to
        // c itself, which is within rounding of it.
        let want = c[0] + r;
        assert!(close(x[0], want, r.max(want.abs())), "a = {a:e}: {x}");
        assert_eq!(x[1], F::zero(), "a = {a:e}: {x}");
        assert!(ball.contains(x.view(), F::lit(4.0) * F::epsilon() * r.max(a)));
    }
}

#[test]
fn l1_ball_projections_of_huge_points_are_exact() {
    l1_ball_projections_stay_in_the_ball::<f32>();
    l1_ball_projections_stay_in_the_ball::<f64>();
}

fn l2_ball_projections_of_huge_points<F: Real>() {
    let r = F::lit(2.0);
    for a in magnitudes::<F>() {
        // |(a, a)| = a √2 overflows for the largest a; the projection is r (1, 1)/√2.
        let mut x = array![a, a];
        L2Ball::new(r).unwrap().project(x.view_mut());
        let want = r / F::lit(2.0).sqrt();
        if a > r {
            assert!(
                close(x[0], want, r) && close(x[1], want, r),
                "a = {a:e}: {x}"
            );
        }
        // A centre at -a/2 puts x - c = 1.5 a, which overflows for the largest a.
        let c = array![-a / F::lit(2.0), F::zero()];
        let mut x = array![a, F::zero()];
        L2Ball::centered(c.view(), r).unwrap().project(x.view_mut());
        // (Only points farther than r from the centre move.)
        let want = if a * F::lit(1.5) > r { c[0] + r } else { a };
        assert!(close(x[0], want, r.max(want.abs())), "a = {a:e}: {x}");
        assert_eq!(x[1], F::zero());
    }
}

#[test]
fn l2_ball_projections_of_huge_points_are_exact() {
    l2_ball_projections_of_huge_points::<f32>();
    l2_ball_projections_of_huge_points::<f64>();
}

/// A radius of `MAX` about a centre near `MAX/34`, and the point `-MAX`: `x - c` overflows, and
/// `r (x - c)/|x - c|` rounds past `MAX` when computed at full scale, though the projection,
/// `c - r`, is about `-0.97 MAX`.
#[test]
fn l2_ball_projections_with_a_radius_near_max_stay_finite() {
    let mut ball = L2Ball::centered(array![9.868_750_6e36_f32].view(), f32::MAX).unwrap();
    let mut x = array![-f32::MAX];
    ball.project(x.view_mut());
    let expected = 9.868_750_6e36_f32 - f32::MAX;
    assert!(x[0].is_finite(), "{x}");
    assert!(
        (x[0] - expected).abs() <= 1e-6 * expected.abs(),
        "{x} vs {expected}"
    );
    assert!(ball.contains(x.view(), 1e-6 * f32::MAX), "{x}");
}

proptest! {
    #[test]
    fn projections_of_finite_points_of_any_magnitude_are_in_the_set(
        mantissas in proptest::collection::vec(-1.0..1.0f64, 1..8),
        exponents in proptest::collection::vec(-300..308i32, 8),
        radius in 1e-3..1e3f64,
    ) {
        let x: Array1<f64> = mantissas
            .iter()
            .zip(&exponents)
            .map(|(&m, &e)| m * 10f64.powi(e))
            .collect();
        let scale = x.iter().fold(radius, |m, v| m.max(v.abs()));
        let sets: Vec<(Box<dyn Projection<f64>>, f64)> = vec![
            (Box::new(Simplex::new(radius).unwrap()), radius),
            (Box::new(L1Ball::new(radius).unwrap()), radius),
            (Box::new(L2Ball::new(radius).unwrap()), radius),
        ];
        for (mut set, size) in sets {
            let mut p = x.clone();
            set.project(p.view_mut());
            prop_assert!(p.iter().all(|v| v.is_finite()), "{x} -> {p}");
            prop_assert!(set.contains(p.view(), 1e-12 * size), "{x} -> {p}");
            // Idempotent: a point of the set stays where it is (to rounding of the set's size).
            let mut q = p.clone();
            set.project(q.view_mut());
            for (a, b) in p.iter().zip(&q) {
                prop_assert!((a - b).abs() <= 1e-12 * size.max(1e-300 * scale), "{p} -> {q}");
            }
        }
    }
}

/// Membership tests whose sums overflow on the way although the residual is small: a point of
/// the simplex of sum `F::MAX` just off it, and a point of an affine set whose first two terms
/// add up beyond `F::MAX`. Both used to be reported outside their set.
fn membership_near_the_largest_float<F: Real>() {
    let max = F::max_value();
    let (off, tolerance) = if F::epsilon() > F::lit(1e-10) {
        (F::lit(1e-6), F::lit(1e-4))
    } else {
        (F::lit(1e-12), F::lit(1e-10))
    };
    let simplex = Simplex::new(max).unwrap();
    assert!(simplex.contains(array![max, max * off].view(), max * tolerance));
    assert!(!simplex.contains(array![max, max * off].view(), max * off * F::lit(0.1)));

    // x₀ + x₁ - x₂ = 0.8 F::MAX at x = (0.9, 0.9, 1) F::MAX.
    let a = ndarray::Array2::from_shape_vec((1, 3), vec![F::one(), F::one(), -F::one()]).unwrap();
    let nine = F::lit(0.9) * max;
    let b = nine - (max - nine);
    assert!(b.is_finite());
    let affine = Affine::new(a.view(), array![b].view()).unwrap();
    let x = array![nine, nine, max];
    assert!(affine.contains(x.view(), max * tolerance));
    assert!(!affine.contains(array![nine, nine, nine].view(), max * tolerance));
}

#[test]
fn membership_is_decided_without_overflow_near_the_largest_float() {
    membership_near_the_largest_float::<f32>();
    membership_near_the_largest_float::<f64>();
}
