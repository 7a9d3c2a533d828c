//! The registry of every constraint set the tests run: each set once, in dimension 4, with
//! parameters that make it a proper subset of the space.
//!
//! Adding a set to the crate is one entry in [`sets`] (besides its own property test in
//! `projections.rs`): the allocation test of `projections.rs` and the feasibility of every
//! projected run in `projected.rs` then cover it.

use gradus::constraints::{
    Affine, BoxSet, HalfSpace, Hyperplane, L1Ball, L2Ball, LInfBall, NonNegative, Product,
    Projection, Simplex,
};
use ndarray::array;

/// The dimension of every set of the registry.
pub const N: usize = 4;

/// A way to build a fresh copy of a set.
pub type SetFactory = Box<dyn Fn() -> Box<dyn Projection<f64>>>;

/// Every set in dimension [`N`], as a factory (a run and its checker each get their own copy).
pub fn sets() -> Vec<(&'static str, SetFactory)> {
    let normal = array![1.0, -2.0, 0.5, 1.0];
    let a = array![[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, -1.0]];
    let center = array![0.5, -0.5, 0.25, 0.0];
    vec![
        (
            "box",
            Box::new(|| Box::new(BoxSet::uniform(N, -0.5, 0.75).unwrap())),
        ),
        ("nonnegative", Box::new(|| Box::new(NonNegative))),
        ("l2-ball", {
            let c = center.clone();
            Box::new(move || Box::new(L2Ball::centered(c.view(), 0.5).unwrap()))
        }),
        (
            "linf-ball",
            Box::new(|| Box::new(LInfBall::new(0.3).unwrap())),
        ),
        ("l1-ball", {
            let c = center.clone();
            Box::new(move || Box::new(L1Ball::centered(c.view(), 0.7).unwrap()))
        }),
        ("simplex", Box::new(|| Box::new(Simplex::new(2.0).unwrap()))),
        ("halfspace", {
            let a = normal.clone();
            Box::new(move || Box::new(HalfSpace::new(a.view(), -1.0).unwrap()))
        }),
        ("hyperplane", {
            let a = normal.clone();
            Box::new(move || Box::new(Hyperplane::new(a.view(), 2.0).unwrap()))
        }),
        (
            "affine",
            Box::new(move || Box::new(Affine::new(a.view(), array![1.0, -1.0].view()).unwrap())),
        ),
        (
            "product",
            Box::new(|| {
                Box::new(
                    Product::new()
                        .block(2, Simplex::probability())
                        .unwrap()
                        .block(2, L2Ball::new(0.5).unwrap())
                        .unwrap(),
                )
            }),
        ),
    ]
}
