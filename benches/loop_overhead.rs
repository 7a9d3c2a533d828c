//! The shared loop's cost per iteration against a loop a user would write by hand, on 2-D
//! Rosenbrock with a fixed step of gradient descent.
//!
//! - `hand-loop`: plain ndarray, no trait of the crate: `f` and `g` written inline, the gradient
//!   norm tested against a tolerance, `x -= lr g`. The same work as the loop does per iteration.
//! - `minimizer`: [`Minimizer`] with [`GradientDescent`] on the same `f` and `g`, written as a
//!   user's [`Objective`]. The ratio `minimizer / hand-loop` is the loop's own cost: evaluation
//!   through the trait, the criteria, the finiteness and divergence checks, the undo buffer.
//!   (A plain run: the loop's copy without the tests of observers, clipping, a prox, and so on.)
//! - `hand-loop-traits` / `minimizer-problems`: the same two on [`problems::Rosenbrock`]
//!   (the n-dimensional form) and, for the hand loop, [`Optimizer::step`].
//!
//! Times are the thread's CPU time on Linux (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`), so that
//! time slices lost to other processes on a shared machine do not count; wall time elsewhere.
//!
//! `cargo bench --bench loop_overhead -- 'hand-loop$|minimizer$'`  (the ratio the loop is held to)
//! `cargo bench --bench loop_overhead`                              (all four)

use criterion::{Criterion, criterion_group, criterion_main};
use gradus::prelude::*;
use gradus::problems::Rosenbrock;
use ndarray::{Array1, ArrayView1, ArrayViewMut1, array};
use std::hint::black_box;
use std::time::Duration;

const STEPS: usize = 1000;
const LR: f64 = 1e-4;
const TOL: f64 = 1e-12;

/// 2-D Rosenbrock `100 (y - x²)² + (1 - x)²`, as a user would write it for the loop.
struct Rosenbrock2;

impl Objective<f64> for Rosenbrock2 {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: ArrayView1<f64>) -> f64 {
        let (a, b) = (x[1] - x[0] * x[0], 1.0 - x[0]);
        100.0 * a * a + b * b
    }
    fn gradient(&self, x: ArrayView1<f64>, g: ArrayViewMut1<f64>) {
        self.value_and_gradient(x, g);
    }
    fn value_and_gradient(&self, x: ArrayView1<f64>, mut g: ArrayViewMut1<f64>) -> f64 {
        let (a, b) = (x[1] - x[0] * x[0], 1.0 - x[0]);
        g[0] = -400.0 * x[0] * a - 2.0 * b;
        g[1] = 200.0 * a;
        100.0 * a * a + b * b
    }
}

/// The CPU time of the calling thread.
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid `struct timespec` for the call to write.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.sec as u64, t.nsec as u32)
}

/// Wall time since the first call, where no thread CPU clock is at hand.
#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Times `iters` calls of `routine`.
fn timed(iters: u64, mut routine: impl FnMut()) -> Duration {
    let start = cpu_time();
    for _ in 0..iters {
        routine();
    }
    cpu_time() - start
}

fn loop_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("loop-overhead-1000-steps");
    group.bench_function("hand-loop", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                let mut x = array![-1.2, 1.0];
                let mut g = Array1::<f64>::zeros(2);
                let mut f = 0.0;
                for _ in 0..STEPS {
                    let (a, b) = (x[1] - x[0] * x[0], 1.0 - x[0]);
                    f = 100.0 * a * a + b * b;
                    g[0] = -400.0 * x[0] * a - 2.0 * b;
                    g[1] = 200.0 * a;
                    black_box(f);
                    if g.dot(&g).sqrt() <= TOL {
                        break;
                    }
                    x.scaled_add(-LR, &g);
                }
                black_box((f, x));
            })
        })
    });
    group.bench_function("minimizer", |b| {
        let mut m = Minimizer::new(GradientDescent::<f64>::default())
            .lr(LR)
            .gradient_tolerance(TOL)
            .max_iterations(STEPS);
        let x0 = array![-1.2, 1.0];
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(m.minimize(&Rosenbrock2, x0.view()).unwrap().f);
            })
        })
    });
    let f = Rosenbrock::new(2);
    group.bench_function("hand-loop-traits", |b| {
        let mut gd = GradientDescent::<f64>::default();
        let mut x = array![-1.2, 1.0];
        let mut g = Array1::<f64>::zeros(2);
        b.iter_custom(|iters| {
            timed(iters, || {
                x.assign(&array![-1.2, 1.0]);
                let mut value = 0.0;
                for _ in 0..STEPS {
                    value = f.value_and_gradient(x.view(), g.view_mut());
                    if g.dot(&g).sqrt() <= TOL {
                        break;
                    }
                    gd.step(x.view_mut(), g.view(), LR).unwrap();
                }
                black_box(value);
            })
        })
    });
    group.bench_function("minimizer-problems", |b| {
        let mut m = Minimizer::new(GradientDescent::<f64>::default())
            .lr(LR)
            .gradient_tolerance(TOL)
            .max_iterations(STEPS);
        let x0 = array![-1.2, 1.0];
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(m.minimize(&f, x0.view()).unwrap().f);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, loop_overhead);
criterion_main!(benches);
