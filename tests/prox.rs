//! Proximal operators against their definition, `prox_{γh}(v) = argmin_x h(x) + |x - v|²/(2γ)`:
//! the objective at the prox is below its value at points nearby by at least the margin its
//! strong convexity guarantees; closed forms computed by hand; non-expansiveness and Moreau's
//! decomposition (against the crate's projections onto the dual-norm balls) on random inputs;
//! NaN, wrong lengths, bad parameters; no allocation in `prox`; f32.

mod common;

use approx::assert_abs_diff_eq;
use gradus::Error;
use gradus::constraints::{BoxSet, L2Ball, LInfBall, NonNegative, Product, Projection};
use gradus::prox::{
    ElasticNet, GroupLasso, Indicator, L1Norm, L2Norm, NonNegativeL1, Prox, WeightedL1,
};
use ndarray::{Array1, ArrayView1, array};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// The dimension of the random tests.
const N: usize = 4;

/// A way to build a fresh copy of an operator.
type ProxFactory = Box<dyn Fn() -> Box<dyn Prox<f64>>>;

/// Every operator of the module in dimension [`N`] (as a factory), with parameters that make
/// each of its cases occur on entries of size about 1 to 5.
fn operators() -> Vec<(&'static str, ProxFactory)> {
    vec![
        ("l1", Box::new(|| Box::new(L1Norm::new(0.7).unwrap()))),
        (
            "weighted-l1",
            Box::new(|| Box::new(WeightedL1::new(0.8, array![0.0, 1.0, 2.5, 0.5].view()).unwrap())),
        ),
        (
            "elastic-net",
            Box::new(|| Box::new(ElasticNet::new(0.6, 1.5).unwrap())),
        ),
        ("l2", Box::new(|| Box::new(L2Norm::new(1.3).unwrap()))),
        (
            "group-lasso",
            Box::new(|| {
                Box::new(
                    GroupLasso::new(N, &[vec![0, 2], vec![3]], 1.1)
                        .unwrap()
                        .with_weights(&[1.0, 0.5])
                        .unwrap(),
                )
            }),
        ),
        (
            "nonnegative-l1",
            Box::new(|| Box::new(NonNegativeL1::new(0.9).unwrap())),
        ),
        (
            "indicator-box",
            Box::new(|| Box::new(Indicator(BoxSet::uniform(N, -1.0, 2.0).unwrap()))),
        ),
    ]
}

fn prox_of(h: &mut dyn Prox<f64>, v: &[f64], gamma: f64) -> (Array1<f64>, f64) {
    let mut x = Array1::from(v.to_vec());
    let value = h.prox(x.view_mut(), gamma);
    (x, value)
}

/// `h(x) + |x - v|²/(2γ)`, the objective the prox minimises.
fn moreau_objective(h: &dyn Prox<f64>, x: ArrayView1<f64>, v: &[f64], gamma: f64) -> f64 {
    let d2: f64 = x.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum();
    h.value(x) + d2 / (2.0 * gamma)
}

/// Points near `p`: moves along each axis and along mixed directions, at several scales, both
/// ways (moving a zero entry off zero, and an entry across zero).
fn nearby(p: &Array1<f64>) -> Vec<Array1<f64>> {
    let mut points = Vec::new();
    for scale in [1e-1, 1e-3, 1e-5] {
        for i in 0..p.len() {
            for sign in [-1.0, 1.0] {
                let mut q = p.clone();
                q[i] += sign * scale;
                points.push(q);
            }
        }
        for k in 0..6 {
            let q = Array1::from_shape_fn(p.len(), |i| {
                let s = ((i * 7 + k * 3) % 5) as f64 - 2.0;
                p[i] + scale * s / 2.0
            });
            points.push(q);
        }
    }
    points
}

/// The prox `p` of `v` minimises `φ(x) = h(x) + |x - v|²/(2γ)`, which is `1/γ`-strongly convex:
/// so `φ(q) >= φ(p) + |q - p|²/(2γ)` at every `q`, checked at the points nearby (a tolerance for
/// the rounding of `φ`). The value returned by `prox` is `h(p)`.
fn check_minimises(h: &mut dyn Prox<f64>, v: &[f64], gamma: f64) -> Result<(), TestCaseError> {
    let (p, value) = prox_of(h, v, gamma);
    let at_p = moreau_objective(h, p.view(), v, gamma);
    prop_assert!(at_p.is_finite(), "φ(prox) = {at_p} at {p}");
    prop_assert!(
        (value - h.value(p.view())).abs() <= 1e-12 * (1.0 + value.abs()),
        "prox returned h = {value}, but h(prox) = {}",
        h.value(p.view())
    );
    for q in nearby(&p) {
        let at_q = moreau_objective(h, q.view(), v, gamma);
        let d2: f64 = q.iter().zip(&p).map(|(a, b)| (a - b) * (a - b)).sum();
        prop_assert!(
            at_q >= at_p + d2 / (2.0 * gamma) - 1e-11 * (1.0 + at_p.abs()),
            "φ({q}) = {at_q} < φ(prox = {p}) + |q - p|²/(2γ) = {}",
            at_p + d2 / (2.0 * gamma)
        );
    }
    Ok(())
}

fn vectors() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-5.0..5.0f64, N)
}

fn steps() -> impl Strategy<Value = f64> {
    0.05..3.0f64
}

fn dist(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_prox_minimises_its_moreau_objective(v in vectors(), gamma in steps()) {
        for (name, make) in operators() {
            let mut h = make();
            check_minimises(h.as_mut(), &v, gamma)
                .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        }
    }

    #[test]
    fn every_prox_is_firmly_non_expansive(u in vectors(), v in vectors(), gamma in steps()) {
        // |p - q|² <= (p - q)ᵀ(u - v), which implies |p - q| <= |u - v|.
        for (name, make) in operators() {
            let mut h = make();
            let (p, _) = prox_of(h.as_mut(), &u, gamma);
            let (q, _) = prox_of(h.as_mut(), &v, gamma);
            let pq2 = dist(&p, &q).powi(2);
            let inner: f64 = (0..N).map(|i| (p[i] - q[i]) * (u[i] - v[i])).sum();
            prop_assert!(pq2 <= inner + 1e-12, "{name}: |p - q|² = {pq2} > {inner}");
            let uv = dist(&Array1::from(u.clone()), &Array1::from(v.clone()));
            prop_assert!(dist(&p, &q) <= uv + 1e-12, "{name}: expansive");
        }
    }

    #[test]
    fn l1_moreau_decomposition_with_the_linf_ball(v in vectors(), gamma in steps()) {
        // h = λ|·|₁, h* = ι{|y|_∞ <= λ}: v = prox_{γh}(v) + γ P_{B∞(λ)}(v/γ).
        let lambda = 0.7;
        let (p, _) = prox_of(&mut L1Norm::new(lambda).unwrap(), &v, gamma);
        let mut dual = Array1::from(v.clone()) / gamma;
        LInfBall::new(lambda).unwrap().project(dual.view_mut());
        for i in 0..N {
            prop_assert!((p[i] + gamma * dual[i] - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn weighted_l1_moreau_decomposition_with_a_box(v in vectors(), gamma in steps()) {
        // h = λ Σ w_i |x_i|, h* = ι{|y_i| <= λ w_i}.
        let (lambda, w) = (0.8, array![0.0, 1.0, 2.5, 0.5]);
        let (p, _) = prox_of(&mut WeightedL1::new(lambda, w.view()).unwrap(), &v, gamma);
        let bound = &w * lambda;
        let mut dual = Array1::from(v.clone()) / gamma;
        BoxSet::new((-&bound).view(), bound.view()).unwrap().project(dual.view_mut());
        for i in 0..N {
            prop_assert!((p[i] + gamma * dual[i] - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn l2_moreau_decomposition_with_the_l2_ball(v in vectors(), gamma in steps()) {
        // h = λ|·|₂, h* = ι{|y|₂ <= λ}.
        let lambda = 1.3;
        let (p, _) = prox_of(&mut L2Norm::new(lambda).unwrap(), &v, gamma);
        let mut dual = Array1::from(v.clone()) / gamma;
        L2Ball::new(lambda).unwrap().project(dual.view_mut());
        for i in 0..N {
            prop_assert!((p[i] + gamma * dual[i] - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn group_lasso_moreau_decomposition_with_a_product_of_balls(
        v in vectors(),
        gamma in steps(),
    ) {
        // Groups {0, 1} and {2, 3} with weights √2 (the default): h* is the indicator of the
        // product of the L2 balls of radius λ√2.
        let lambda = 0.9;
        let mut h = GroupLasso::contiguous(&[2, 2], lambda).unwrap();
        let (p, _) = prox_of(&mut h, &v, gamma);
        let r = lambda * 2f64.sqrt();
        let mut balls = Product::new()
            .block(2, L2Ball::new(r).unwrap())
            .unwrap()
            .block(2, L2Ball::new(r).unwrap())
            .unwrap();
        let mut dual = Array1::from(v.clone()) / gamma;
        balls.project(dual.view_mut());
        for i in 0..N {
            prop_assert!((p[i] + gamma * dual[i] - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn nonnegative_l1_moreau_decomposition_with_a_half_box(v in vectors(), gamma in steps()) {
        // h = λΣx_i + ι{x >= 0}: h*(y) = sup_{x >= 0} (y - λ)ᵀx = ι{y <= λ}.
        let lambda = 0.9;
        let (p, _) = prox_of(&mut NonNegativeL1::new(lambda).unwrap(), &v, gamma);
        let mut dual = Array1::from(v.clone()) / gamma;
        BoxSet::new(Array1::from_elem(N, f64::NEG_INFINITY).view(), Array1::from_elem(N, lambda).view())
            .unwrap()
            .project(dual.view_mut());
        for i in 0..N {
            prop_assert!((p[i] + gamma * dual[i] - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn elastic_net_moreau_decomposition_with_its_conjugate(v in vectors(), gamma in steps()) {
        // h = λ₁|x|₁ + (λ₂/2)|x|², h*(y) = Σ max(|y_i| - λ₁, 0)² / (2λ₂), whose scaled prox
        // prox_{h*/γ}(u)_i is u_i for |u_i| <= λ₁ and sign(u_i)(γλ₂|u_i| + λ₁)/(1 + γλ₂) beyond
        // (the stationarity condition of the parabola (|y| - λ₁)²/(2γλ₂) + (y - u)²/2).
        let (l1, l2) = (0.6, 1.5);
        let (p, _) = prox_of(&mut ElasticNet::new(l1, l2).unwrap(), &v, gamma);
        for i in 0..N {
            let u = v[i] / gamma;
            let y = if u.abs() <= l1 {
                u
            } else {
                u.signum() * (gamma * l2 * u.abs() + l1) / (1.0 + gamma * l2)
            };
            prop_assert!((p[i] + gamma * y - v[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn the_indicator_prox_is_the_projection_for_every_step(v in vectors(), gamma in steps()) {
        let set = BoxSet::uniform(N, -1.0, 2.0).unwrap();
        let (p, value) = prox_of(&mut Indicator(set.clone()), &v, gamma);
        let mut q = Array1::from(v.clone());
        set.clone().project(q.view_mut());
        prop_assert_eq!(p, q);
        prop_assert_eq!(value, 0.0);
    }
}

#[test]
fn closed_forms_computed_by_hand() {
    // Soft thresholding by γλ = 2 · 0.5 = 1.
    let (p, h) = prox_of(&mut L1Norm::new(2.0).unwrap(), &[3.0, -1.0, 0.5, -4.0], 0.5);
    assert_eq!(p, array![2.0, 0.0, 0.0, -3.0]);
    assert_eq!(h, 2.0 * 5.0);
    // Weighted: thresholds γλw = (0, 1, 2, 4).
    let w = array![0.0, 1.0, 2.0, 4.0];
    let (p, h) = prox_of(
        &mut WeightedL1::new(1.0, w.view()).unwrap(),
        &[-3.0, 3.0, 3.0, 3.0],
        1.0,
    );
    assert_eq!(p, array![-3.0, 2.0, 1.0, 0.0]);
    assert_eq!(h, 0.0 * 3.0 + 2.0 + 2.0);
    // Elastic net: (|v| - γλ₁)₊ / (1 + γλ₂) with γλ₁ = 1, 1 + γλ₂ = 4.
    let (p, h) = prox_of(
        &mut ElasticNet::new(0.5, 1.5).unwrap(),
        &[9.0, -5.0, 1.0, 0.0],
        2.0,
    );
    assert_eq!(p, array![2.0, -1.0, 0.0, 0.0]);
    assert_eq!(h, 0.5 * 3.0 + 0.75 * 5.0);
    // The sklearn form: alpha = 2, l1_ratio = 0.25 is λ₁ = 0.5, λ₂ = 1.5.
    assert_eq!(
        ElasticNet::with_ratio(2.0, 0.25).unwrap(),
        ElasticNet::new(0.5, 1.5).unwrap()
    );
    // Block soft thresholding: |(6, 8)| = 10 shrunk by γλ = 5 to length 5.
    let (p, h) = prox_of(&mut L2Norm::new(2.5).unwrap(), &[6.0, 8.0], 2.0);
    assert_eq!(p, array![3.0, 4.0]);
    assert_abs_diff_eq!(h, 2.5 * 5.0, epsilon = 1e-12);
    let (p, _) = prox_of(&mut L2Norm::new(2.5).unwrap(), &[3.0, 4.0], 2.0);
    assert_eq!(p, array![0.0, 0.0]);
    // Group lasso with the default weights √|g|: group {1, 3} has |(3, 4)| = 5 and threshold
    // γλ√2 = √2, group {0} has |-2| = 2 and threshold 1; coordinate 2 is unpenalised.
    let mut g = GroupLasso::new(4, &[vec![1, 3], vec![0]], 1.0).unwrap();
    let (p, _) = prox_of(&mut g, &[-2.0, 3.0, 7.0, 4.0], 1.0);
    let f = 1.0 - 2f64.sqrt() / 5.0;
    let expected = [-1.0, 3.0 * f, 7.0, 4.0 * f];
    for (a, b) in p.iter().zip(expected) {
        assert_abs_diff_eq!(*a, b, epsilon = 1e-15);
    }
    // Non-negative lasso: max(v - γλ, 0).
    let (p, h) = prox_of(
        &mut NonNegativeL1::new(1.0).unwrap(),
        &[3.0, 0.5, -2.0, 1.0],
        1.0,
    );
    assert_eq!(p, array![2.0, 0.0, 0.0, 0.0]);
    assert_eq!(h, 2.0);
}

#[test]
fn a_zero_step_is_the_identity_on_the_domain() {
    for (name, make) in operators() {
        let mut h = make();
        let v = [1.5, -0.5, 0.25, 1.0];
        let (p, _) = prox_of(h.as_mut(), &v, 0.0);
        let mut inside = Array1::from(v.to_vec());
        h.enter_domain(inside.view_mut());
        assert_eq!(p, inside, "{name}");
    }
}

#[test]
fn nan_entries_stay_nan() {
    for (name, make) in operators() {
        let mut h = make();
        let (p, _) = prox_of(h.as_mut(), &[f64::NAN, 1.0, -1.0, 0.0], 0.5);
        assert!(p[0].is_nan(), "{name}: {p}");
    }
}

#[test]
fn values_and_domains() {
    let x = array![1.0, -2.0, 0.0, 3.0];
    assert_eq!(L1Norm::new(0.5).unwrap().value(x.view()), 3.0);
    assert_eq!(
        ElasticNet::new(1.0, 2.0).unwrap().value(x.view()),
        6.0 + 14.0
    );
    assert_eq!(
        L2Norm::new(2.0).unwrap().value(array![3.0, 4.0].view()),
        10.0
    );
    assert_eq!(
        NonNegativeL1::new(1.0).unwrap().value(x.view()),
        f64::INFINITY
    );
    let mut positive = x.clone();
    let h = NonNegativeL1::new(1.0)
        .unwrap()
        .enter_domain(positive.view_mut());
    assert_eq!((positive, h), (array![1.0, 0.0, 0.0, 3.0], 4.0));
    let set = Indicator(NonNegative);
    assert_eq!(Prox::<f64>::value(&set, array![0.0, 1.0].view()), 0.0);
    assert_eq!(
        Prox::<f64>::value(&set, array![-1.0, 1.0].view()),
        f64::INFINITY
    );
}

#[test]
fn bad_parameters_are_typed_errors() {
    assert!(matches!(
        L1Norm::new(-1.0),
        Err(Error::InvalidParameter { name: "lambda", .. })
    ));
    assert!(matches!(
        L2Norm::new(f64::NAN),
        Err(Error::InvalidParameter { name: "lambda", .. })
    ));
    assert!(matches!(
        ElasticNet::new(1.0, -0.5),
        Err(Error::InvalidParameter { name: "l2", .. })
    ));
    assert!(matches!(
        ElasticNet::with_ratio(1.0, 1.5),
        Err(Error::InvalidParameter {
            name: "l1_ratio",
            ..
        })
    ));
    assert!(matches!(
        WeightedL1::new(1.0, array![1.0, -1.0].view()),
        Err(Error::InvalidEntry {
            name: "weights",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        WeightedL1::<f64>::new(1.0, Array1::zeros(0).view()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        GroupLasso::new(3, &[vec![0, 1], vec![1]], 1.0),
        Err(Error::InvalidEntry {
            name: "groups",
            index: 2,
            ..
        })
    ));
    assert!(matches!(
        GroupLasso::new(3, &[vec![0, 3]], 1.0),
        Err(Error::InvalidEntry { name: "groups", .. })
    ));
    assert!(matches!(
        GroupLasso::new(3, &[vec![]], 1.0),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        GroupLasso::new(3, &[vec![0]], 1.0)
            .unwrap()
            .with_weights(&[1.0, 2.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    let message = GroupLasso::new(3, &[vec![0, 1], vec![1]], 1.0)
        .unwrap_err()
        .to_string();
    assert!(message.contains("disjoint"), "{message}");
}

#[test]
fn wrong_lengths_fill_nan_or_are_refused_by_try_prox() {
    let mut h = WeightedL1::new(1.0, array![1.0, 2.0].view()).unwrap();
    let mut x = array![1.0f64, 2.0, 3.0];
    assert!(h.prox(x.view_mut(), 1.0).is_nan());
    assert!(x.iter().all(|v| v.is_nan()));
    assert!(matches!(
        h.try_prox(array![1.0, 2.0, 3.0].view_mut(), 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        L1Norm::new(1.0)
            .unwrap()
            .try_prox(array![1.0].view_mut(), -1.0),
        Err(Error::InvalidParameter { name: "gamma", .. })
    ));
    let mut g = GroupLasso::new(3, &[vec![0, 1]], 1.0f64).unwrap();
    let mut y = array![1.0f64, 2.0];
    g.prox(y.view_mut(), 1.0);
    assert!(y.iter().all(|v| v.is_nan()));
    assert!(g.value(array![1.0].view()).is_nan());
}

#[test]
fn prox_allocates_nothing() {
    for (name, make) in operators() {
        let mut h = make();
        let mut x = array![1.5, -0.5, 0.25, 3.0];
        let allocations = common::counting::allocations_during(|| {
            for _ in 0..100 {
                h.prox(x.view_mut(), 0.1);
            }
        });
        assert_eq!(allocations, 0, "{name}");
    }
}

#[test]
fn f32_soft_thresholding_and_group_shrinkage() {
    let mut x = array![3.0f32, -0.25, -2.0];
    L1Norm::new(1.0f32).unwrap().prox(x.view_mut(), 0.5);
    assert_eq!(x, array![2.5f32, 0.0, -1.5]);
    let mut y = array![6.0f32, 8.0];
    L2Norm::new(1.0f32).unwrap().prox(y.view_mut(), 5.0);
    assert_eq!(y, array![3.0f32, 4.0]);
    let mut z = array![1.0f32, -1.0];
    ElasticNet::new(0.5f32, 1.0)
        .unwrap()
        .prox(z.view_mut(), 1.0);
    assert_eq!(z, array![0.25f32, -0.25]);
}
