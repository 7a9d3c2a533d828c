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
