//! Trait methods called by hand with arguments outside their documented preconditions (vectors
//! of the wrong length, empty or out-of-range batches, a reducer built for another length):
//! never a number computed from the wrong data. A debug build panics with a message naming the
//! lengths; a release build returns NaN (and fills the gradient with NaN) instead of panicking.
//! The checked entry points (`evaluate_batch`, `Projection::try_project`) return typed errors.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use gradus::constraints::{BoxSet, Projection};
use gradus::finite_sum::{Batch, BatchReducer, evaluate_batch};
use gradus::problems::{
    Dataset, HuberRegression, LeastSquares, LogSumExp, LogisticRegression, Quadratic, Sphere,
    TestFunction, suite,
};
use gradus::{Error, FiniteSum, Objective};
use ndarray::{Array1, array};

/// The messages of the panics these tests provoke on purpose; other panics are printed as
/// usual.
const EXPECTED: [&str; 4] = [
    "was evaluated at x of length",
    "evaluated on",
    "BatchReducer::new(",
    "overrides neither `value_and_gradient` nor `gradient`",
];

/// Runs `f`; `Err(message)` if it panicked. The panics provoked on purpose are not printed.
fn outcome<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = panic_message(info.payload());
            if !EXPECTED.iter().any(|e| message.contains(e)) {
                default(info);
            }
        }));
    });
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// `true` in a build with debug assertions, where the preconditions are checked by panicking.
fn debug_build() -> bool {
    cfg!(debug_assertions)
}

/// A value computed from arguments that break a precondition: a panic naming `needles` in a
/// debug build, NaN in a release build.
#[track_caller]
fn assert_refused(result: Result<f64, String>, needles: &[String]) {
    match result {
        Err(message) => {
            assert!(debug_build(), "a release build must not panic: {message}");
            for needle in needles {
                assert!(
                    message.contains(needle.as_str()),
                    "{message} lacks {needle}"
                );
            }
        }
        Ok(value) => {
            assert!(!debug_build(), "a debug build must panic, got {value}");
            assert!(
                value.is_nan(),
                "a release build must return NaN, got {value}"
            );
        }
    }
}

/// Every method of `Objective` at an `x` (and a `grad`) of the wrong length.
fn check_objective(name: &str, p: &dyn TestFunction<f64>) {
    let n = p.dim();
    for len in [0, n - 1, n + 1, 2 * n + 3] {
        let x = Array1::from_elem(len, 0.5);
        let lengths = |g: Option<usize>| {
            let mut v = vec![format!("dimension {n}"), format!("x of length {len}")];
            v.extend(g.map(|g| format!("grad of length {g}")));
            v
        };
        assert_refused(outcome(|| p.value(x.view())), &lengths(None));
        let mut g = Array1::from_elem(n, 7.0);
        let f = outcome(|| p.value_and_gradient(x.view(), g.view_mut()));
        if f.is_ok() {
            assert!(g.iter().all(|v| v.is_nan()), "{name}: {g}");
        }
        assert_refused(f, &lengths(Some(n)));
        let mut g = Array1::from_elem(n, 7.0);
        let f = outcome(|| {
            p.gradient(x.view(), g.view_mut());
            f64::NAN
        });
        if f.is_ok() {
            assert!(g.iter().all(|v| v.is_nan()), "{name}: {g}");
        }
        assert_refused(f, &lengths(Some(n)));
    }
    // The right x with a gradient buffer of the wrong length.
    let x = p.start().unwrap();
    for len in [0, n + 1] {
        let mut g = Array1::from_elem(len, 7.0);
        let f = outcome(|| p.value_and_gradient(x.view(), g.view_mut()));
        assert_refused(
            f,
            &[format!("x of length {n}"), format!("grad of length {len}")],
        );
    }
    // And the right lengths give numbers.
    let mut g = Array1::zeros(n);
    assert!(
        p.value_and_gradient(x.view(), g.view_mut()).is_finite(),
        "{name}"
    );
}

#[test]
fn every_test_problem_refuses_vectors_of_the_wrong_length() {
    for p in suite() {
        check_objective(&p.name(), p.as_ref());
    }
    let f32_problems: Vec<Box<dyn TestFunction<f32>>> = vec![
        Box::new(Sphere::new(3)),
        Box::new(Quadratic::<f32>::log_spaced(4, 1.0, 3.0).unwrap()),
        Box::new(LogSumExp::<f32>::symmetric(2).unwrap()),
    ];
    for p in f32_problems {
        let x = Array1::<f32>::zeros(p.dim() + 2);
        let r = outcome(|| f64::from(p.value(x.view())));
        assert_refused(r, &[format!("x of length {}", p.dim() + 2)]);
    }
}

#[test]
fn least_squares_no_longer_returns_a_number_for_a_short_vector() {
    // The reproducer: `value_and_gradient` with x of length 2 for a problem of 5 variables
    // summed the first two features of each row and returned a plausible loss.
    let data = Dataset::<f64>::linear_regression(50, 5, 10.0, 0.1, 1).unwrap();
    let p = LeastSquares::new(data).unwrap();
    let x = array![0.1, 0.2];
    let mut g = Array1::zeros(5);
    let r = outcome(|| p.value_and_gradient(x.view(), g.view_mut()));
    assert_refused(r, &["dimension 5".into(), "x of length 2".into()]);
}

/// The data problems as finite sums.
fn finite_sums() -> Vec<(&'static str, Box<dyn FiniteSum<f64>>)> {
    let regression = Dataset::<f64>::linear_regression(300, 4, 10.0, 0.5, 3).unwrap();
    let classes = Dataset::<f64>::classification(300, 4, 3).unwrap();
    vec![
        (
            "least squares",
            Box::new(LeastSquares::ridge(regression.clone(), 0.1).unwrap()),
        ),
        (
            "logistic",
            Box::new(LogisticRegression::new(classes, 0.1).unwrap()),
        ),
        (
            "huber",
            Box::new(HuberRegression::new(regression, 1.0, 0.1).unwrap()),
        ),
    ]
}

#[test]
fn finite_sums_refuse_bad_batches_and_lengths_and_evaluate_batch_types_the_errors() {
    for (name, sum) in finite_sums() {
        let (n, examples) = (sum.dim(), sum.examples());
        let x = Array1::from_elem(n, 0.1);
        let mut g = Array1::zeros(n);
        let cases: Vec<(Batch<'_>, &str)> = vec![
            (Batch::Indices(&[]), "empty batch"),
            (Batch::Range { start: 10, end: 10 }, "empty batch"),
            (Batch::Indices(&[3, 300, 5]), "index 300"),
            (
                Batch::Range {
                    start: 290,
                    end: 301,
                },
                "index 300",
            ),
        ];
        for (batch, needle) in cases {
            let r = outcome(|| sum.batch_value_and_gradient(x.view(), batch, g.view_mut()));
            if r.is_ok() {
                assert!(g.iter().all(|v| v.is_nan()), "{name}");
            }
            assert_refused(r, &[needle.to_string()]);
            let err = evaluate_batch(sum.as_ref(), x.view(), batch, g.view_mut()).unwrap_err();
            assert!(
                matches!(err, Error::Empty { .. } | Error::InvalidParameter { .. }),
                "{name}: {err:?}"
            );
        }
        let batch = Batch::Range { start: 0, end: 7 };
        let short = Array1::from_elem(n - 1, 0.1);
        let r = outcome(|| sum.batch_value_and_gradient(short.view(), batch, g.view_mut()));
        assert_refused(r, &[format!("x of length {}", n - 1)]);
        let err = evaluate_batch(sum.as_ref(), short.view(), batch, g.view_mut()).unwrap_err();
        assert!(
            matches!(err, Error::DimensionMismatch { .. }),
            "{name}: {err:?}"
        );
        let mut long = Array1::zeros(n + 2);
        let r = outcome(|| sum.batch_value_and_gradient(x.view(), batch, long.view_mut()));
        assert_refused(r, &[format!("grad of length {}", n + 2)]);
        // Within the preconditions: a finite value, and the checked entry point agrees.
        let f = sum.batch_value_and_gradient(x.view(), batch, g.view_mut());
        let mut h = Array1::zeros(n);
        let checked = evaluate_batch(sum.as_ref(), x.view(), batch, h.view_mut()).unwrap();
        assert!(f.is_finite(), "{name}");
        assert_eq!(f.to_bits(), checked.to_bits(), "{name}");
        assert_eq!(g, h, "{name}");
        // A prefetch hint has no precondition.
        sum.prefetch(Batch::Indices(&[examples + 5, usize::MAX]));
    }
}

#[test]
fn a_reducer_built_for_another_length_is_named_in_debug_and_sums_correctly_in_release() {
    let reducer = BatchReducer::<f64>::new(3);
    let mut g = Array1::zeros(5);
    // 600 examples: three chunks. f_i = i, ∇f_i = (1, 1, 1, 1, 1).
    let r = outcome(|| {
        reducer.mean(Batch::all(600), g.view_mut(), |i, mut acc| {
            acc.mapv_inplace(|a| a + 1.0);
            i as f64
        })
    });
    match r {
        Err(message) => {
            assert!(debug_build());
            assert!(
                message.contains("BatchReducer::new(3)") && message.contains("length 5"),
                "{message}"
            );
        }
        Ok(value) => {
            assert_eq!(value, 299.5);
            assert_eq!(g, Array1::from_elem(5, 1.0));
        }
    }
}

#[test]
fn a_reducer_of_dimension_zero_sums_the_values_of_a_large_batch() {
    // `BatchReducer::new(0)` with a batch of many chunks used to panic (chunks of size 0).
    let reducer = BatchReducer::<f64>::new(0);
    let mut g = Array1::<f64>::zeros(0);
    for len in [1, 255, 256, 257, 10_000, 100_000] {
        let value = reducer.mean(Batch::all(len), g.view_mut(), |i, _| i as f64);
        let mean = (len - 1) as f64 / 2.0;
        assert!((value - mean).abs() <= 1e-15 * mean, "len {len}: {value}");
    }
    // And an empty batch gives 0 with a zero gradient.
    let reducer = BatchReducer::<f64>::new(2);
    let mut g = array![5.0, 5.0];
    assert_eq!(reducer.mean(Batch::all(0), g.view_mut(), |_, _| 1.0), 0.0);
    assert_eq!(g, array![0.0, 0.0]);
}

#[test]
fn projecting_by_hand_with_the_wrong_length_is_nan_or_a_typed_error() {
    let mut set = BoxSet::<f64>::uniform(3, 0.0, 1.0).unwrap();
    let mut x = array![2.0, -1.0];
    set.project(x.view_mut());
    assert!(x.iter().all(|v| v.is_nan()));
    let mut x = array![2.0, -1.0];
    assert!(matches!(
        set.try_project(x.view_mut()),
        Err(Error::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        })
    ));
    assert_eq!(x, array![2.0, -1.0]);
}

/// An objective that writes only its value.
struct ValueOnly;

impl Objective<f64> for ValueOnly {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: ndarray::ArrayView1<'_, f64>) -> f64 {
        x.dot(&x)
    }
}

/// `f(x) = |x|^2 / 2` with value and gradient written separately (the default
/// `value_and_gradient` combines them), evaluated inside the gradient of an outer objective of
/// the same kind: a default call of another object from inside a default call is no cycle.
struct Separate<'a>(Option<&'a Separate<'a>>);

impl Objective<f64> for Separate<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: ndarray::ArrayView1<'_, f64>) -> f64 {
        0.5 * x.dot(&x)
    }
    fn gradient(&self, x: ndarray::ArrayView1<'_, f64>, mut grad: ndarray::ArrayViewMut1<'_, f64>) {
        grad.assign(&x);
        if let Some(inner) = self.0 {
            let mut g = Array1::zeros(2);
            let f = inner.value_and_gradient(x, g.view_mut());
            assert_eq!(f, 0.5 * x.dot(&x));
        }
    }
}

#[test]
fn an_objective_without_a_gradient_panics_with_a_message_instead_of_overflowing_the_stack() {
    // The defaults of `value`, `gradient` and `value_and_gradient` are written in terms of each
    // other; with only `value` written they used to recurse until the process aborted.
    let x = array![1.0, 2.0];
    let message = outcome(|| ValueOnly.gradient(x.view(), Array1::zeros(2).view_mut()))
        .expect_err("an objective without a gradient cannot give one");
    assert!(message.contains("ValueOnly"), "{message}");
    assert!(
        message.contains("implement `value_and_gradient`"),
        "{message}"
    );
    let message = outcome(|| ValueOnly.value_and_gradient(x.view(), Array1::zeros(2).view_mut()))
        .unwrap_err();
    assert!(message.contains("ValueOnly"), "{message}");

    // After the panic, objectives that write their gradient work as before, nested or not.
    let inner = Separate(None);
    let outer = Separate(Some(&inner));
    let mut g = Array1::zeros(2);
    assert_eq!(outer.value_and_gradient(x.view(), g.view_mut()), 2.5);
    assert_eq!(g, x);
}
