//! Unit tests of the helpers; the operators are tested against their definitions in
//! `tests/prox.rs`.

use super::l2_norm::shrink_factor;
use super::soft_threshold;

#[test]
fn soft_threshold_is_the_prox_of_the_absolute_value_and_keeps_nan() {
    assert_eq!(soft_threshold(3.0, 1.0), 2.0);
    assert_eq!(soft_threshold(-3.0, 1.0), -2.0);
    assert_eq!(soft_threshold(1.0, 1.0), 0.0);
    assert_eq!(soft_threshold(-0.5, 1.0), 0.0);
    assert_eq!(soft_threshold(0.5, 0.0), 0.5);
    assert!(soft_threshold(f64::NAN, 1.0).is_nan());
    assert_eq!(soft_threshold(f64::INFINITY, 1.0), f64::INFINITY);
    assert_eq!(soft_threshold(2.5f32, 0.5), 2.0);
}

#[test]
fn shrink_factor_of_block_soft_thresholding() {
    assert_eq!(shrink_factor(5.0, 2.5), 0.5);
    assert_eq!(shrink_factor(2.0, 2.5), 0.0);
    assert_eq!(shrink_factor(0.0, 0.0), 0.0);
    assert_eq!(shrink_factor(f64::INFINITY, 1.0), 1.0);
    assert!(shrink_factor(f64::NAN, 1.0).is_nan());
}
