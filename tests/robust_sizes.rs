//! Sizes and counts that cannot be represented or allocated are typed errors, never a panic or a
//! silent wrap-around.

use gradus::Error;
use gradus::constraints::{BoxSet, NonNegative, Product, Projection};

#[test]
fn product_dimensions_that_overflow_are_errors() {
    // In release builds the sum of the block lengths used to wrap around silently.
    let p = Product::<f64>::new()
        .block(usize::MAX, NonNegative)
        .unwrap();
    assert_eq!(p.dim(), Some(usize::MAX));
    let err = p.block(1, NonNegative).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCount {
                name: "len",
                value: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("usize::MAX"), "{err}");
    let p = Product::<f64>::new()
        .block(2, BoxSet::uniform(2, 0.0, 1.0).unwrap())
        .unwrap()
        .block(3, NonNegative)
        .unwrap();
    assert_eq!(p.dim(), Some(5));
}

#[test]
fn an_lbfgs_memory_that_cannot_be_allocated_is_an_error_on_the_first_step() {
    use gradus::{Lbfgs, Optimizer};
    use ndarray::Array1;
    // `usize::MAX` pairs overflow the count of values; `2^40` pairs of 1024 values are 8 PiB,
    // beyond any address space. Both were accepted, then aborted the process on the first step.
    for memory in [usize::MAX, 1 << 40] {
        let mut rule = Lbfgs::<f64>::with_memory(memory).unwrap();
        let mut x = Array1::from_elem(1024, 1.0);
        let g = Array1::from_elem(1024, 0.5);
        let err = rule.step(x.view_mut(), g.view(), 1.0).unwrap_err();
        assert!(
            matches!(err, Error::InvalidCount { name: "memory", value, .. } if value == memory),
            "{err:?}"
        );
        assert!(err.to_string().contains("memory"), "{err}");
        assert_eq!(x, Array1::from_elem(1024, 1.0), "nothing moved");
        // A sensible memory then works on the same rule's kind.
        let mut rule = Lbfgs::<f64>::with_memory(10).unwrap();
        rule.step(x.view_mut(), g.view(), 1.0).unwrap();
        assert!(x.iter().all(|&v| v < 1.0));
    }
}
