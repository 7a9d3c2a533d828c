//! Sizes that cannot be allocated are typed errors (`Error::InvalidCount` naming the user's
//! count), never a panic ("capacity overflow", "shape too large") or an abort of the process
//! ("memory allocation failed").
//!
//! The sizes tried are beyond any machine: `usize::MAX` and its neighbours (whose bytes overflow
//! `isize`), products of sizes that overflow `usize`, and `2^46` entries of 8 bytes (`2^49`
//! bytes, above the 47-bit address space of x86-64 and AArch64 user processes, so refused even
//! where the kernel overcommits memory). Beside each, a size that works.

use gradus::constraints::{BoxSet, FnConstraint};
use gradus::finite_sum::{Batch, BatchReducer, FullBatch, evaluate_batch};
use gradus::problems::{
    Ackley, Dataset, HuberRegression, LeastSquares, LogSumExp, LogisticRegression, Quadratic,
    Rastrigin, Rosenbrock, Sphere, StyblinskiTang, TestFunction,
};
use gradus::solvers::AugmentedLagrangian;
use gradus::{Error, FiniteSum, GradientDescent, Minimizer, Objective};
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, array};

/// `2^46` entries: `2^49` bytes of `f64`, more than any address space holds.
const HUGE: usize = 1 << 46;

/// Counts that cannot be allocated as vectors of 8-byte entries.
const SIZES: [usize; 5] = [
    HUGE,
    1 << 60,
    usize::MAX / 8 + 1,
    usize::MAX / 2,
    usize::MAX,
];

/// `err` is the error for the count `name` of value `value`, and its message says so.
#[track_caller]
fn assert_too_large(err: Error, name: &str, value: usize) {
    match &err {
        Error::InvalidCount {
            name: n, value: v, ..
        } if *n == name && *v == value => {}
        _ => panic!("expected InvalidCount for `{name}` = {value}, got {err:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(name) && message.contains("allocated"),
        "{message}"
    );
}

#[test]
fn a_uniform_box_too_large_to_allocate_is_an_error() {
    for n in SIZES {
        assert_too_large(BoxSet::<f64>::uniform(n, 0.0, 1.0).unwrap_err(), "n", n);
        assert_too_large(BoxSet::<f32>::uniform(n, -1.0, 1.0).unwrap_err(), "n", n);
    }
    // The interval is checked before anything is allocated.
    assert!(matches!(
        BoxSet::<f64>::uniform(HUGE, 1.0, 0.0),
        Err(Error::InvalidSet { .. })
    ));
    assert!(matches!(
        BoxSet::<f64>::uniform(0, 0.0, 1.0),
        Err(Error::Empty { .. })
    ));
    let b = BoxSet::<f64>::uniform(3, -1.0, 2.0).unwrap();
    assert_eq!(b.lower(), array![-1.0, -1.0, -1.0]);
    assert_eq!(b.upper(), array![2.0, 2.0, 2.0]);
}

#[test]
fn test_functions_of_huge_dimension_build_their_vectors_on_demand_and_fail_typed() {
    for n in SIZES {
        let problems: Vec<Box<dyn TestFunction<f64>>> = vec![
            Box::new(Sphere::new(n)),
            Box::new(Rosenbrock::new(n)),
            Box::new(Rastrigin::new(n)),
            Box::new(Ackley::new(n)),
            Box::new(StyblinskiTang::new(n)),
        ];
        for p in &problems {
            // Building the problem allocates nothing; its facts that need no vector hold.
            assert_eq!(p.dim(), n);
            assert!(p.name().contains(&n.to_string()), "{}", p.name());
            assert!(p.minimum().is_finite() || p.minimum().is_infinite());
            assert_too_large(p.start().unwrap_err(), "n", n);
            assert_too_large(p.minimizers().unwrap_err(), "n", n);
        }
        assert_too_large(
            TestFunction::<f32>::start(&Sphere::new(n)).unwrap_err(),
            "n",
            n,
        );
    }
    let r = Rosenbrock::new(4);
    assert_eq!(
        TestFunction::<f64>::start(&r).unwrap(),
        array![-1.2, 1.0, -1.2, 1.0]
    );
    assert_eq!(
        TestFunction::<f64>::minimizers(&Sphere::new(2)).unwrap(),
        vec![array![0.0, 0.0]]
    );
}

#[test]
fn quadratics_too_large_to_allocate_are_errors() {
    for n in SIZES {
        assert_too_large(
            Quadratic::<f64>::log_spaced(n, 1.0, 10.0).unwrap_err(),
            "n",
            n,
        );
        assert_too_large(
            Quadratic::<f32>::with_condition_number(n, 10.0).unwrap_err(),
            "n",
            n,
        );
    }
    // The parameters are checked before the size.
    assert!(matches!(
        Quadratic::<f64>::log_spaced(HUGE, 2.0, 1.0),
        Err(Error::InvalidParameter { name: "l", .. })
    ));
    // Vectors of 2^24 entries fit; the dense 2^24 x 2^24 rotation and matrix (2^51 bytes) do
    // not.
    let n = 1 << 24;
    let q = Quadratic::<f32>::log_spaced(n, 1.0, 2.0).unwrap();
    assert_too_large(q.matrix().unwrap_err(), "n", n);
    assert_too_large(q.rotated(1).unwrap_err(), "n", n);
    let small = Quadratic::<f64>::log_spaced(3, 1.0, 4.0)
        .unwrap()
        .rotated(2)
        .unwrap();
    assert_eq!(small.matrix().unwrap().dim(), (3, 3));
}

#[test]
fn datasets_too_large_to_allocate_are_errors_naming_the_larger_size() {
    for n in SIZES {
        assert_too_large(Dataset::<f64>::classification(n, 3, 1).unwrap_err(), "n", n);
        assert_too_large(
            Dataset::<f32>::linear_regression(n, 2, 10.0, 0.1, 1).unwrap_err(),
            "n",
            n,
        );
        // d x d rotation of the regression features.
        assert_too_large(
            Dataset::<f64>::linear_regression(5, n, 10.0, 0.1, 1).unwrap_err(),
            "d",
            n,
        );
        assert_too_large(Dataset::<f64>::classification(2, n, 1).unwrap_err(), "d", n);
    }
    // n x d overflows usize although each fits.
    let side = 1 << 33;
    assert_too_large(
        Dataset::<f64>::classification(side, side, 1).unwrap_err(),
        "n",
        side,
    );
    assert_too_large(
        Dataset::<f64>::classification(side, side + 1, 1).unwrap_err(),
        "d",
        side + 1,
    );
    // Parameters first, then sizes; empty sizes stay `Empty`.
    assert!(matches!(
        Dataset::<f64>::linear_regression(HUGE, 2, 0.5, 0.1, 1),
        Err(Error::InvalidParameter {
            name: "condition_number",
            ..
        })
    ));
    assert!(matches!(
        Dataset::<f64>::classification(0, HUGE, 1),
        Err(Error::Empty { .. })
    ));
    // Same data as before the checks: the generators draw in the same order.
    let data = Dataset::<f64>::classification(40, 3, 9).unwrap();
    assert_eq!(data.features.dim(), (40, 3));
    assert!(data.targets.iter().all(|&y| y == 0.0 || y == 1.0));
}

#[test]
fn log_sum_exp_sizes_that_overflow_or_cannot_be_allocated_are_errors() {
    // 2n overflows for n > usize::MAX / 2.
    for n in [
        usize::MAX,
        usize::MAX / 2 + 1,
        usize::MAX / 2,
        HUGE,
        1 << 24,
    ] {
        assert_too_large(LogSumExp::<f64>::symmetric(n).unwrap_err(), "n", n);
    }
    let f = LogSumExp::<f64>::symmetric(3).unwrap();
    assert_eq!(f.matrix().dim(), (6, 3));
    for m in SIZES {
        assert_too_large(LogSumExp::<f64>::random(m, 2, 0.1, 1).unwrap_err(), "m", m);
        assert_too_large(LogSumExp::<f32>::random(2, m, 0.1, 1).unwrap_err(), "n", m);
    }
    assert!(matches!(
        LogSumExp::<f64>::random(HUGE, 2, -1.0, 1),
        Err(Error::InvalidParameter { name: "lambda", .. })
    ));
}

#[test]
fn a_data_problem_too_wide_for_its_gram_matrix_is_an_error() {
    // One example of 2^24 features (64 MB in f32): the d x d Gram matrix would take 2^51 bytes.
    let d = 1 << 24;
    let features = Array2::<f32>::from_elem((1, d), 0.5);
    let data = Dataset::new(features, array![1.0_f32]).unwrap();
    let name = "features (columns)";
    assert_too_large(LeastSquares::ridge(data.clone(), 1.0).unwrap_err(), name, d);
    assert_too_large(
        LogisticRegression::new(data.clone(), 1.0).unwrap_err(),
        name,
        d,
    );
    assert_too_large(HuberRegression::new(data, 1.0, 1.0).unwrap_err(), name, d);
}

#[test]
fn constraints_counting_more_functions_than_fit_in_memory_are_errors() {
    let objective = Sphere::new(2);
    let x0 = array![1.0, 2.0];
    for count in SIZES {
        let constraint = FnConstraint::new(
            2,
            count,
            |_: ArrayView1<'_, f64>| [0.0],
            |_: ArrayView1<'_, f64>, _: ArrayView1<'_, f64>, _: ArrayViewMut1<'_, f64>| {},
        );
        let err = AugmentedLagrangian::new(Minimizer::new(GradientDescent::default()))
            .equalities(&constraint)
            .minimize(&objective, x0.view())
            .unwrap_err();
        assert_too_large(err, "equality constraints' count()", count);
        let err = AugmentedLagrangian::new(Minimizer::new(GradientDescent::default()))
            .inequalities(&constraint)
            .minimize(&objective, x0.view())
            .unwrap_err();
        assert_too_large(err, "inequality constraints' count()", count);
        // A constraint of huge dimension does not match x0.
        let wide = FnConstraint::new(
            count,
            1,
            |_: ArrayView1<'_, f64>| [0.0],
            |_: ArrayView1<'_, f64>, _: ArrayView1<'_, f64>, _: ArrayViewMut1<'_, f64>| {},
        );
        let err = AugmentedLagrangian::new(Minimizer::new(GradientDescent::default()))
            .equalities(&wide)
            .minimize(&objective, x0.view())
            .unwrap_err();
        assert!(
            matches!(err, Error::DimensionMismatch { found: 2, .. }),
            "{err:?}"
        );
    }
}

/// `f_i(x) = x - i` in one variable: a finite sum of any number of examples that allocates
/// nothing, as a user's sum over a huge (virtual) index space would.
struct Shifts(usize);

impl FiniteSum<f64> for Shifts {
    fn dim(&self) -> usize {
        1
    }
    fn examples(&self) -> usize {
        self.0
    }
    fn batch_value_and_gradient(
        &self,
        x: ArrayView1<'_, f64>,
        batch: Batch<'_>,
        grad: ArrayViewMut1<'_, f64>,
    ) -> f64 {
        BatchReducer::new(1).mean(batch, grad, |i, mut acc| {
            let r = x[0] - i as f64;
            acc[0] += r;
            0.5 * r * r
        })
    }
}

#[test]
fn batches_of_indices_near_usize_max_reduce_without_overflow() {
    let sum = Shifts(usize::MAX);
    let x = array![0.0];
    let mut g = Array1::zeros(1);
    // The last 1000 examples: several chunks, indices up to usize::MAX - 1.
    let (start, end) = (usize::MAX - 1000, usize::MAX);
    let batch = Batch::Range { start, end };
    assert_eq!(batch.max_index(), Some(usize::MAX - 1));
    let value = evaluate_batch(&sum, x.view(), batch, g.view_mut()).unwrap();
    // Each index is about 1.8e19: f_i ≈ i²/2 and ∇f_i = -i, to rounding.
    let mid = usize::MAX as f64;
    assert!((g[0] + mid).abs() <= 1e-12 * mid, "{}", g[0]);
    assert!(
        (value - 0.5 * mid * mid).abs() <= 1e-12 * mid * mid,
        "{value}"
    );
    // An index out of range is refused by the checked entry point.
    let err = evaluate_batch(&Shifts(10), x.view(), Batch::Indices(&[10]), g.view_mut());
    assert!(matches!(err, Err(Error::InvalidParameter { .. })));
}

#[test]
fn a_finite_sum_reporting_usize_max_examples_is_a_typed_error_of_the_sampler() {
    use gradus::Minibatch;
    let sum = Shifts(usize::MAX);
    let result = Minimizer::new(GradientDescent::default())
        .lr(0.1)
        .max_iterations(3)
        .minibatch(Minibatch {
            batch_size: 4,
            ..Minibatch::default()
        })
        .minimize_finite_sum(&sum, array![0.0].view());
    assert!(matches!(result, Err(Error::InvalidCount { .. })));
}

#[test]
fn a_full_batch_objective_of_a_sum_of_many_examples_allocates_per_dimension_only() {
    // Through `FullBatch` the loop evaluates the whole (virtual) sum; nothing is sized by N.
    let sum = Shifts(3000);
    let full = FullBatch::new(sum);
    let mut g = Array1::zeros(1);
    let x = array![1499.5];
    let value = full.value_and_gradient(x.view(), g.view_mut());
    // Mean of x - i over i < 3000 is x - 1499.5 = 0.
    assert_eq!(g[0], 0.0);
    // Mean of (x - i)²/2 = variance/2 of 0..3000 = (3000² - 1)/24.
    assert!((value - (3000.0_f64.powi(2) - 1.0) / 24.0).abs() < 1e-6);
}
