//! Distributed finite sums, with the processes as threads of this test (the MPI transport runs
//! the same runs in `tests/distributed_mpi.rs`, under `mpirun`).

mod common;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

use common::distributed::{BLOCK, D, LAMBDA, N, Threads, data, distributed, runs, whole};
use gradus::distributed::{Collective, DistributedSum, SingleProcess, shard_rows};
use gradus::finite_sum::{Batch, evaluate_batch};
use gradus::prelude::*;
use gradus::problems::LogisticRegression;
use ndarray::Array1;

fn bits(x: &Array1<f64>) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn a_batch_is_the_mean_of_its_examples_on_any_number_of_processes() {
    let problem = whole();
    let x = Array1::from_shape_fn(D, |j| 0.1 * j as f64 - 0.3);
    let batch: Vec<usize> = (0..257).map(|k| (k * 2_711 + 5) % N).collect();
    let mut expected = Array1::zeros(D);
    let f = evaluate_batch(
        &problem,
        x.view(),
        Batch::Indices(&batch),
        expected.view_mut(),
    )
    .unwrap();
    let mut reference = None;
    for size in 1..=4 {
        let results = Threads::run(size, |t| {
            let sum = distributed(t).unwrap();
            let mut g = Array1::zeros(D);
            let v = sum.batch_value_and_gradient(x.view(), Batch::Indices(&batch), g.view_mut());
            let mut full = Array1::zeros(D);
            let w = sum.batch_value_and_gradient(x.view(), Batch::all(N), full.view_mut());
            (v, g, w, full)
        });
        for (v, g, w, full) in &results {
            // The mean of the batch, to rounding.
            assert!((v - f).abs() <= 1e-14 * f.abs(), "{v} vs {f}");
            for (a, b) in g.iter().zip(&expected) {
                assert!((a - b).abs() <= 1e-14 * (1.0 + b.abs()), "{a} vs {b}");
            }
            // And the same bits on every process and for every number of processes.
            let here = (v.to_bits(), bits(g), w.to_bits(), bits(full));
            match &reference {
                None => reference = Some(here),
                Some(r) => assert_eq!(&here, r, "{size} processes"),
            }
        }
    }
}

#[test]
fn runs_give_the_same_iterates_on_one_two_three_and_four_processes() {
    let single = runs(&distributed(SingleProcess).unwrap());
    // Against the problem in one process without a distributed sum: the same to rounding.
    let plain = runs(&whole());
    for ((name, a), (_, b)) in single.iter().zip(&plain) {
        let gap = (a - b).mapv(f64::abs).fold(0.0, |m: f64, &v| m.max(v));
        assert!(gap < 1e-10, "{name}: {gap:e} from the undistributed run");
    }
    for size in 2..=4 {
        let all = Threads::run(size, |t| runs(&distributed(t).unwrap()));
        for (rank, theirs) in all.iter().enumerate() {
            for ((name, a), (_, b)) in theirs.iter().zip(&single) {
                assert_eq!(bits(a), bits(b), "{name}, rank {rank} of {size}");
            }
        }
    }
}

#[test]
fn a_process_that_cannot_load_its_data_stops_every_process() {
    let errors = Threads::run(3, |t| {
        let rank = t.rank();
        let rows = shard_rows(N, BLOCK, rank, 3).unwrap();
        let shard = if rank == 1 {
            Err(gradus::Error::Data {
                source: "shard-1.csv".into(),
                line: 7,
                reason: "field 3 is not a number".into(),
            })
        } else {
            data()
                .rows(rows.clone())
                .and_then(|d| LogisticRegression::new(d, LAMBDA))
        };
        DistributedSum::<LogisticRegression<f64>, _, f64>::new(t, shard, rows, BLOCK).unwrap_err()
    });
    for e in errors {
        assert!(
            matches!(e, gradus::Error::Distributed { rank: Some(1), .. }),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(text.contains("shard-1.csv, line 7"), "{text}");
    }
}

#[test]
fn shards_that_disagree_are_refused_on_every_process() {
    // Rank 2 holds another number of features.
    let errors = Threads::run(3, |t| {
        let rank = t.rank();
        let rows = shard_rows(N, BLOCK, rank, 3).unwrap();
        let d = if rank == 2 { D + 1 } else { D };
        let shard = gradus::problems::Dataset::classification(rows.len(), d, 3)
            .and_then(|data| LogisticRegression::new(data, LAMBDA));
        DistributedSum::<_, _, f64>::new(t, shard, rows, BLOCK).unwrap_err()
    });
    for e in &errors {
        let text = e.to_string();
        assert!(
            text.contains("rank 2") && text.contains("9 features"),
            "{text}"
        );
    }
    // Rows that leave a gap, and rows cut inside a block.
    for (cut, what) in [(BLOCK * 5, "gap"), (BLOCK * 5 + 1, "inside a block")] {
        let errors = Threads::run(2, |t| {
            let rows = if t.rank() == 0 {
                0..BLOCK * 5
            } else if what == "gap" {
                cut + BLOCK..N
            } else {
                cut..N
            };
            let shard = data()
                .rows(rows.clone())
                .and_then(|d| LogisticRegression::new(d, LAMBDA));
            DistributedSum::<_, _, f64>::new(t, shard, rows, BLOCK).unwrap_err()
        });
        for e in errors {
            assert!(
                matches!(e, gradus::Error::Distributed { rank: Some(1), .. }),
                "{what}: {e}"
            );
            assert!(e.to_string().contains("shard_rows"), "{e}");
        }
    }
}

#[test]
fn a_seed_that_differs_between_processes_stops_every_process() {
    let outcomes = Threads::run(3, |t| {
        let seed = if t.rank() == 2 { 8 } else { 7 };
        let sum = distributed(t).unwrap();
        let report = Minimizer::new(GradientDescent::default())
            .lr(0.1)
            .minibatch(Minibatch {
                batch_size: 30,
                seed,
                ..Minibatch::default()
            })
            .max_epochs(2)
            .minimize_finite_sum(&sum, Array1::zeros(D).view())
            .unwrap();
        (report, sum.failure())
    });
    for (report, failure) in outcomes {
        assert_eq!(report.termination, Termination::NonFinite);
        // The last good iterate is the start: the first batch already differed.
        assert!(report.x.iter().all(|&v| v == 0.0));
        let e = failure.expect("the failure is kept");
        assert!(
            matches!(e, gradus::Error::Distributed { rank: Some(2), .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("Minibatch::seed"), "{e}");
    }
}

#[test]
fn an_iterate_that_differs_between_processes_is_found() {
    let failures = Threads::run(2, |t| {
        let rank = t.rank();
        let sum = distributed(t).unwrap();
        let x = Array1::from_elem(D, rank as f64);
        let mut g = Array1::zeros(D);
        let v = sum.batch_value_and_gradient(x.view(), Batch::all(N), g.view_mut());
        assert!(v.is_nan() && g.iter().all(|g| g.is_nan()));
        // Once failed, every later call is NaN at once, without waiting for the others.
        if rank == 0 {
            let v = sum.batch_value_and_gradient(x.view(), Batch::all(N), g.view_mut());
            assert!(v.is_nan());
        }
        sum.failure().unwrap().to_string()
    });
    for f in failures {
        assert!(f.contains("another iterate"), "{f}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn a_checkpoint_written_by_one_process_resumes_on_another_number_of_processes() {
    use gradus::checkpoint::{load, save};
    // Two processes run 2 epochs, and rank 0 writes the checkpoint (the rule and the run
    // state); three processes read it and resume for 2 more epochs; one process runs the 4
    // epochs in one go: the same bits.
    let settings = Minibatch {
        batch_size: 50,
        seed: 9,
        ..Minibatch::default()
    };
    let x0 = Array1::<f64>::zeros(D);
    let whole_run = {
        let sum = distributed(SingleProcess).unwrap();
        Minimizer::new(Adam::default())
            .lr(1e-2)
            .minibatch(settings.clone())
            .max_epochs(4)
            .minimize_finite_sum(&sum, x0.view())
            .unwrap()
            .x
    };
    let path = std::env::temp_dir().join(format!("gradus-distributed-{}.ckpt", std::process::id()));
    Threads::run(2, |t| {
        let rank = t.rank();
        let sum = distributed(t).unwrap();
        let mut m = Minimizer::new(Adam::default())
            .lr(1e-2)
            .minibatch(settings.clone())
            .max_epochs(2);
        m.minimize_finite_sum(&sum, x0.view()).unwrap();
        if rank == 0 {
            save(&path, &(m.optimizer(), m.run_state().unwrap())).unwrap();
        }
    });
    let resumed = Threads::run(3, |t| {
        let sum = distributed(t).unwrap();
        let (rule, state): (gradus::Adam<f64>, RunState<f64>) = load(&path).unwrap();
        let mut m = Minimizer::new(rule)
            .lr(1e-2)
            .minibatch(settings.clone())
            .max_epochs(4);
        m.set_run_state(state);
        m.resume_finite_sum(&sum).unwrap().x
    });
    std::fs::remove_file(&path).unwrap();
    for x in resumed {
        assert_eq!(bits(&x), bits(&whole_run));
    }
}

#[test]
fn a_saga_state_resumes_only_on_the_shards_it_was_made_on() {
    let settings = Minibatch {
        batch_size: 40,
        seed: 3,
        estimator: Estimator::Saga,
        ..Minibatch::default()
    };
    let states = Threads::run(2, |t| {
        let sum = distributed(t).unwrap();
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(0.2)
            .minibatch(settings.clone())
            .max_epochs(1);
        m.minimize_finite_sum(&sum, Array1::zeros(D).view())
            .unwrap();
        m.run_state().cloned().unwrap()
    });
    // On the same two shards, each process's own state goes on.
    let resumed = Threads::run(2, |t| {
        let rank = t.rank();
        let sum = distributed(t).unwrap();
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(0.2)
            .minibatch(settings.clone())
            .max_epochs(2);
        m.set_run_state(states[rank].clone());
        m.resume_finite_sum(&sum).map(|r| r.x)
    });
    assert!(resumed.iter().all(|r| r.is_ok()));
    // On three shards, every process refuses it, before any communication.
    let refused = Threads::run(3, |t| {
        let sum = distributed(t).unwrap();
        let mut m = Minimizer::new(GradientDescent::default())
            .lr(0.2)
            .minibatch(settings.clone())
            .max_epochs(2);
        m.set_run_state(states[0].clone());
        m.resume_finite_sum(&sum).unwrap_err()
    });
    for e in refused {
        assert!(e.to_string().contains("SAGA table"), "{e}");
    }
}

#[test]
fn evaluations_allocate_nothing_once_the_buffers_are_grown() {
    use common::counting::allocations_during;
    let sum = distributed(SingleProcess).unwrap();
    let x = Array1::from_elem(D, 0.1);
    let mut g = Array1::zeros(D);
    let batches: Vec<Vec<usize>> = (0..20)
        .map(|b| (0..100).map(|k| (k * 613 + b * 97) % N).collect())
        .collect();
    let mut terms = vec![0.0; 1 + D];
    let run = |g: &mut Array1<f64>, terms: &mut [f64]| {
        for b in &batches {
            sum.batch_value_and_gradient(x.view(), Batch::Indices(b), g.view_mut());
        }
        sum.batch_value_and_gradient(x.view(), Batch::all(N), g.view_mut());
        if let Some(shards) = sum.shards() {
            shards.sum_terms(
                x.view(),
                Batch::Indices(&batches[0]),
                1 + D,
                &mut |_, f, gradient, t| {
                    t[0] = f;
                    t[1..].iter_mut().zip(gradient).for_each(|(t, &v)| *t = v);
                },
                terms,
            );
        }
    };
    run(&mut g, &mut terms);
    assert_eq!(allocations_during(|| run(&mut g, &mut terms)), 0);
}

#[test]
fn a_saga_state_moves_between_the_plain_and_the_one_process_distributed_sum() {
    // The same examples in one process, as a plain sum and as a distributed one: a SAGA state
    // of either goes on over the other (its scratch has the other layout), close to the run
    // that was not interrupted.
    let settings = Minibatch {
        batch_size: 1,
        seed: 4,
        estimator: Estimator::Saga,
        ..Minibatch::default()
    };
    let plain = whole();
    let one = distributed(SingleProcess).unwrap();
    let run = |epochs: usize| {
        Minimizer::new(GradientDescent::default())
            .lr(0.05)
            .minibatch(settings.clone())
            .max_epochs(epochs)
    };
    let reference = run(2)
        .minimize_finite_sum(&plain, Array1::zeros(D).view())
        .unwrap()
        .x;
    let mut first = run(1);
    first
        .minimize_finite_sum(&plain, Array1::zeros(D).view())
        .unwrap();
    let mut second = run(2);
    second.set_run_state(first.run_state().cloned().unwrap());
    let x = second.resume_finite_sum(&one).unwrap().x;
    let gap = (&x - &reference)
        .mapv(f64::abs)
        .fold(0.0, |m: f64, &v| m.max(v));
    assert!(gap < 1e-10, "{gap:e}");
    let mut third = run(3);
    third.set_run_state(second.run_state().cloned().unwrap());
    let x = third.resume_finite_sum(&plain).unwrap().x;
    assert!(x.iter().all(|v| v.is_finite()));
}
