//! Every iterative routine ends, whatever the data: here the Newton solves that certify the
//! minimisers of the data problems, on data large enough for their Hessians to overflow.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gradus::problems::{Dataset, HuberRegression, LogSumExp, LogisticRegression};
use ndarray::{Array1, Array2};

/// Runs `work` on its own thread and fails if it has not returned within a minute.
fn ends_in_bounded_time<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} did not return within 60 s"))
}

/// 20 examples in 3 features of magnitude `scale`, with labels of both classes.
fn data(scale: f64) -> (Array2<f64>, Array1<f64>) {
    let x = Array2::from_shape_fn((20, 3), |(i, j)| {
        scale * (((i * 7 + j * 3) % 11) as f64 - 5.0) / 5.0
    });
    let y = Array1::from_shape_fn(20, |i| if i % 3 == 0 { 1.0 } else { 0.0 });
    (x, y)
}

#[test]
fn certificates_end_when_the_hessian_overflows() {
    for scale in [1.0, 1e100, 1e155, 1e200, 1e300] {
        let (x, y) = data(scale);
        let logistic =
            LogisticRegression::new(Dataset::new(x.clone(), y.clone()).unwrap(), 0.01).unwrap();
        let c = ends_in_bounded_time("logistic certificate", move || {
            logistic.certificate().clone()
        });
        if scale == 1.0 {
            assert!(c.gradient_norm <= 1e-12, "{}", c.gradient_norm);
        }
        let huber =
            HuberRegression::new(Dataset::new(x.clone(), y.clone()).unwrap(), 1.0, 0.01).unwrap();
        let c = ends_in_bounded_time("Huber certificate", move || huber.certificate().clone());
        if scale == 1.0 {
            assert!(c.gradient_norm <= 1e-12, "{}", c.gradient_norm);
        }
        let lse = LogSumExp::new(x, y, 0.01).unwrap();
        let c = ends_in_bounded_time("log-sum-exp certificate", move || lse.certificate().clone());
        if scale == 1.0 {
            assert!(c.gradient_norm <= 1e-12, "{}", c.gradient_norm);
        }
    }
}
