//! No entry point of the loop panics, whatever the inputs and settings.

use gradus::prelude::*;
use gradus::problems::{Rosenbrock, Sphere};
use ndarray::Array1;
use proptest::prelude::*;

/// Any f64, non-finite values included, with the interesting ones more likely.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e3..1e3f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => any::<f64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn minimize_never_panics(
        x0 in proptest::collection::vec(any_value(), 0..4),
        lr in any_value(),
        tol in any_value(),
        f_tol in any_value(),
        target in any_value(),
        max_iterations in 0usize..50,
        line_search in any::<bool>(),
        clip in any_value(),
    ) {
        let mut m = Minimizer::new(GradientDescent::default())
            .max_iterations(max_iterations)
            .gradient_tolerance(tol)
            .target(target)
            .f_change(f_tol);
        m = if line_search { m.line_search(Backtracking::default()) } else { m.lr(lr) };
        if clip.is_finite() {
            m = m.clip(Clip::GlobalNorm(clip));
        }
        let x0 = Array1::from(x0);
        // Errors are fine; panics are not.
        let _ = m.minimize(&Rosenbrock::new(x0.len().max(2)), x0.view());
        let _ = m.minimize(&Sphere::new(x0.len()), x0.view());
    }
}
