//! Error messages say what is wrong with the argument the user gave, and what to do.

use gradus::constraints::Affine;
use gradus::optim::AdamConfig;
use gradus::problems::Quadratic;
use gradus::{Adam, Error};
use ndarray::array;

#[test]
fn affine_rows_that_agree_are_called_redundant() {
    // Row 2 = row 0 + row 1, and b_2 = b_0 + b_1.
    let a = array![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 2.0]];
    let msg = Affine::new(a.view(), array![1.0, 1.0, 2.0].view())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("row 2") && msg.contains("redundant"), "{msg}");
    assert!(!msg.contains("empty"), "{msg}");
}

#[test]
fn affine_rows_that_contradict_each_other_say_the_set_is_empty() {
    // x + y = 1 and 2x + 2y = 3 have no common point.
    let a = array![[1.0, 1.0], [2.0, 2.0]];
    let msg = Affine::new(a.view(), array![1.0, 3.0].view())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("row 1") && msg.contains("empty"), "{msg}");
    assert!(!msg.contains("redundant"), "{msg}");
    // A zero row with a non-zero right-hand side: 0 = 1.
    let a = array![[1.0, 0.0], [0.0, 0.0]];
    let msg = Affine::new(a.view(), array![1.0, 1.0].view())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("row 1") && msg.contains("empty"), "{msg}");
    // More equations than unknowns, consistent: the third is redundant.
    let a = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let msg = Affine::new(a.view(), array![1.0, 2.0, 3.0].view())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("row 2") && msg.contains("redundant"), "{msg}");
}

#[test]
fn extreme_values_print_in_scientific_notation_and_the_domain_once() {
    let err = Adam::new(AdamConfig {
        lr: -f64::MAX,
        ..Default::default()
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("-1.7976931348623157e308"), "{msg}");
    assert!(msg.len() < 120, "{msg}");
    assert_eq!(msg.matches("finite and >= 0").count(), 1, "{msg}");
    assert!(matches!(err, Error::InvalidParameter { name: "lr", .. }));
}

#[test]
fn log_spaced_quadratics_accept_every_valid_range() {
    // In f32 the interior eigenvalues of a range down to the smallest subnormal used to round to
    // 0 and be reported as a bad `eigenvalues[i]`, an argument the caller never passed.
    let q = Quadratic::<f32>::log_spaced(5, f32::from_bits(1), 1.0).unwrap();
    assert!(q.eigenvalues().iter().all(|&l| l > 0.0 && l <= 1.0));
    let q = Quadratic::<f64>::log_spaced(4, 1e-300, 1e300).unwrap();
    assert!(q.eigenvalues().windows(2).into_iter().all(|w| w[0] <= w[1]));
}

#[test]
fn bad_entries_of_a_list_are_named_with_their_index() {
    use gradus::schedule::PiecewiseConstant;
    let err = PiecewiseConstant::new(vec![10, 20], vec![1.0, 0.5, -0.1]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidEntry {
                name: "values",
                index: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("index 2"), "{err}");
    let err = PiecewiseConstant::new(vec![10, 30, 20], vec![1.0; 4]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidEntry {
                name: "boundaries",
                index: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn tiny_normals_are_normals_and_unreachable_boundaries_are_named() {
    use gradus::constraints::{HalfSpace, Hyperplane, Projection};
    // |a| underflows when squared: it used to be called "zero".
    let a = array![3e-200_f64, 4e-200];
    let mut h = HalfSpace::new(a.view(), 5e-200).unwrap();
    let n = h.unit_normal();
    assert!(
        (n[0] - 0.6).abs() < 1e-15 && (n[1] - 0.8).abs() < 1e-15,
        "{n}"
    );
    assert!((h.unit_offset() - 1.0).abs() < 1e-15);
    let mut x = array![3.0_f64, 4.0];
    h.project(x.view_mut());
    assert!(
        (x[0] - 0.6).abs() < 1e-14 && (x[1] - 0.8).abs() < 1e-14,
        "{x}"
    );
    // b/|a| overflows: the plane lies beyond the largest float.
    let err = Hyperplane::new(array![1e-300, 0.0].view(), 1e300).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidSet {
                set: "Hyperplane",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("scale a and b"), "{err}");
    let zero = HalfSpace::new(array![0.0, 0.0].view(), 1.0).unwrap_err();
    assert!(zero.to_string().contains("zero"), "{zero}");
}
