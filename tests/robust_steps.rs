//! Steps taken by hand with degenerate arguments leave every rule usable.

mod common;

use common::rules::rules;
use gradus::Error;
use ndarray::{Array1, array};

#[test]
fn an_empty_step_is_an_error_and_leaves_the_rule_as_it_was() {
    // An empty step used to succeed and tie the rule's state to length 0, so that every later
    // step failed with "expected length 0" until reset().
    for entry in rules::<f64>() {
        let mut rule = (entry.default)();
        let (mut empty, no_gradient) = (Array1::<f64>::zeros(0), Array1::<f64>::zeros(0));
        let err = rule
            .step(empty.view_mut(), no_gradient.view(), 0.1)
            .unwrap_err();
        assert_eq!(err, Error::Empty { what: "x" }, "{}", entry.name);
        assert_eq!(rule.steps_taken(), 0, "{}", entry.name);
        let mut x = array![1.0, -2.0];
        rule.step(x.view_mut(), array![0.5, -0.5].view(), 0.1)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(rule.steps_taken(), 1, "{}", entry.name);
        assert!(x.iter().all(|v| v.is_finite()), "{}: {x}", entry.name);
    }
}
