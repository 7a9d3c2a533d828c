//! Save and resume (the `serde` feature): `N` steps, a checkpoint written and read back, and `M`
//! more steps give the bits of `N + M` uninterrupted steps, for every rule, for parameter sets,
//! and for full-batch and minibatch runs of the loop; and every bad checkpoint is a typed error.
#![cfg(feature = "serde")]

use gradus::checkpoint::{FORMAT_VERSION, from_bytes, load, save, to_bytes};
use gradus::minimize::RunState;
use gradus::optim::{
    AcceleratedGradientConfig, AdamConfig, BbVariant, ElementwiseRule, LbfgsConfig, Rule,
};
use gradus::params::ParameterSet;
use gradus::prelude::*;
use gradus::problems::{Dataset, LogisticRegression};
use gradus::{AcceleratedGradient, BarzilaiBorwein, Lbfgs};
use ndarray::{Array1, ArrayD, IxDyn, array};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod common;

use common::configs::{ConfigCheck, Saveable, every_elementwise, every_gathering, every_layerwise};

/// A check run on one rule of every kind, whatever its type.
trait Check {
    fn rule<O: Optimizer<f64> + Serialize + DeserializeOwned + 'static>(&mut self, rule: O);
}

/// Runs `check` on every rule of the crate, each with its options on.
fn every_rule(check: &mut impl Check) {
    struct Elementwise<'c, K>(&'c mut K);
    impl<K: Check> ConfigCheck for Elementwise<'_, K> {
        fn config<C>(&mut self, config: C)
        where
            C: ElementwiseRule<Float = f64> + Saveable + 'static,
            C::State: Saveable,
        {
            self.0.rule(Rule::new(config).unwrap());
        }
    }
    every_elementwise(&mut Elementwise(check), 0.02);
    every_gathering(&mut Elementwise(check), 0.02);
    every_layerwise(&mut Elementwise(check), 0.02);
    check.rule(Lbfgs::new(LbfgsConfig::default()).unwrap());
    for variant in [BbVariant::Long, BbVariant::Short] {
        check.rule(BarzilaiBorwein::with_variant(variant));
    }
    check.rule(AcceleratedGradient::new(AcceleratedGradientConfig::default()).unwrap());
    // The rules that see a tensor's shape, on one vector.
    check.rule(
        gradus::Adafactor::new(gradus::optim::AdafactorConfig {
            weight_decay: 0.1,
            ..Default::default()
        })
        .unwrap(),
    );
    check.rule(
        gradus::Muon::new(gradus::optim::MuonConfig {
            adamw: gradus::optim::AdamConfig {
                amsgrad: true,
                ..gradus::optim::AdamConfig::adamw()
            },
            ..Default::default()
        })
        .unwrap(),
    );
    check.rule(
        gradus::Sm3::new(gradus::optim::Sm3Config {
            b2: 0.9,
            ..Default::default()
        })
        .unwrap(),
    );
}

#[test]
fn every_rule_of_the_registry_is_checked() {
    struct Names(Vec<&'static str>);
    impl Check for Names {
        fn rule<O: Optimizer<f64> + Serialize + DeserializeOwned + 'static>(&mut self, rule: O) {
            self.0.push(rule.name());
        }
    }
    let mut ours = Names(Vec::new());
    every_rule(&mut ours);
    let mut registry: Vec<&str> = common::rules::rules::<f64>()
        .into_iter()
        .map(|r| r.name)
        .collect();
    for name in &ours.0 {
        assert!(registry.contains(name), "{name} is not in the registry");
    }
    registry.retain(|name| !ours.0.contains(name));
    // Variants of the registry that differ only in options the list above also covers.
    assert!(registry.is_empty(), "not checked: {registry:?}");
}

/// The gradient of `f(x) = Σ (i+1)/2 (x_i - 1)²` (a convex quadratic).
fn gradient(x: &Array1<f64>) -> Array1<f64> {
    Array1::from_shape_fn(x.len(), |i| (i + 1) as f64 * (x[i] - 1.0))
}

#[test]
fn n_steps_a_checkpoint_and_m_steps_are_n_plus_m_steps_for_every_rule() {
    struct Resume(std::path::PathBuf);
    impl Check for Resume {
        fn rule<O: Optimizer<f64> + Serialize + DeserializeOwned + 'static>(&mut self, rule: O) {
            let lr = 0.05;
            let (mut a, mut x) = (rule, array![3.0, -1.0, 0.5, 2.0]);
            for _ in 0..5 {
                let g = gradient(&x);
                a.step(x.view_mut(), g.view(), lr).unwrap();
            }
            save(&self.0, &a).unwrap();
            let mut b: O = load(&self.0).unwrap();
            assert_eq!(b.steps_taken(), 5, "{}", b.name());
            let mut y = x.clone();
            for _ in 0..7 {
                let g = gradient(&x);
                a.step(x.view_mut(), g.view(), lr).unwrap();
                let g = gradient(&y);
                b.step(y.view_mut(), g.view(), lr).unwrap();
            }
            let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&x), bits(&y), "{}", a.name());
        }
    }
    let path = std::env::temp_dir().join(format!("gradus-rules-{}.ckpt", std::process::id()));
    every_rule(&mut Resume(path.clone()));
    std::fs::remove_file(path).unwrap();
}

/// NovoGrad keeps one second moment per tensor of each group: a set saved between steps and
/// read back resumes bit for bit, those moments included.
#[test]
fn a_parameter_set_of_a_layer_wise_rule_resumes_bit_for_bit() {
    use gradus::optim::NovoGradConfig;
    let shapes = [vec![3, 2], vec![3], vec![2, 2, 2]];
    let tensors = |seed: f64| -> Vec<ArrayD<f64>> {
        shapes
            .iter()
            .enumerate()
            .map(|(t, s)| {
                let mut k = 0.0;
                ArrayD::from_shape_fn(IxDyn(s), |_| {
                    k += 1.0;
                    (seed + t as f64 + 0.3 * k).sin()
                })
            })
            .collect()
    };
    let config = NovoGradConfig {
        lr: 0.05,
        weight_decay: 0.01,
        ..Default::default()
    };
    let mut set = ParameterSet::new(config)
        .unwrap()
        .group([1], NovoGradConfig { b2: 0.5, ..config })
        .unwrap();
    let step = |set: &mut ParameterSet<NovoGradConfig<f64>>, x: &mut [ArrayD<f64>], k: usize| {
        let g = tensors(k as f64);
        let mut xv: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
        let gv: Vec<_> = g.iter().map(|g| g.view()).collect();
        set.step(&mut xv, &gv).unwrap();
    };
    let mut x = tensors(0.0);
    for k in 0..3 {
        step(&mut set, &mut x, k);
    }
    let bytes = to_bytes(&set).unwrap();
    let mut resumed: ParameterSet<NovoGradConfig<f64>> = from_bytes(&bytes).unwrap();
    assert_eq!(
        resumed.group_state(0).unwrap().layer_second_moments().len(),
        2
    );
    let mut y = x.clone();
    for k in 3..8 {
        step(&mut set, &mut x, k);
        step(&mut resumed, &mut y, k);
    }
    assert_eq!(x, y);
}

#[test]
fn a_parameter_set_resumes_bit_for_bit() {
    let shapes = [vec![3, 2], vec![3], vec![2, 2, 2]];
    let tensors = |seed: f64| -> Vec<ArrayD<f64>> {
        shapes
            .iter()
            .enumerate()
            .map(|(t, s)| {
                let mut k = 0.0;
                ArrayD::from_shape_fn(IxDyn(s), |_| {
                    k += 1.0;
                    (seed + t as f64 + 0.3 * k).sin()
                })
            })
            .collect()
    };
    let mut set = ParameterSet::new(AdamConfig::adamw())
        .unwrap()
        .group(
            [1],
            AdamConfig {
                weight_decay: 0.0,
                ..AdamConfig::adamw()
            },
        )
        .unwrap();
    let mut x = tensors(0.0);
    let step = |set: &mut ParameterSet<AdamConfig<f64>>, x: &mut [ArrayD<f64>], k: usize| {
        let g = tensors(k as f64);
        let mut xv: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
        let gv: Vec<_> = g.iter().map(|g| g.view()).collect();
        set.step(&mut xv, &gv).unwrap();
    };
    for k in 0..4 {
        step(&mut set, &mut x, k);
    }
    let bytes = to_bytes(&set).unwrap();
    let mut resumed: ParameterSet<AdamConfig<f64>> = from_bytes(&bytes).unwrap();
    let mut y = x.clone();
    for k in 4..9 {
        step(&mut set, &mut x, k);
        step(&mut resumed, &mut y, k);
    }
    assert_eq!(x, y);
    assert_eq!(resumed.steps_taken(), 9);
    // A resumed set given tensors of another shape says so.
    let mut other = vec![ArrayD::zeros(IxDyn(&[3, 3])), y[1].clone(), y[2].clone()];
    let g = other.clone();
    let mut ov: Vec<_> = other.iter_mut().map(|x| x.view_mut()).collect();
    let gv: Vec<_> = g.iter().map(|g| g.view()).collect();
    let err = resumed.step(&mut ov, &gv).unwrap_err();
    assert!(
        matches!(err, gradus::Error::ShapeMismatch { index: 0, .. }),
        "{err}"
    );
}

fn logistic() -> LogisticRegression<f64> {
    LogisticRegression::new(Dataset::classification(300, 6, 5).unwrap(), 1e-3).unwrap()
}

/// A run of `N` iterations is saved (its rule and its state), loaded into a new `Minimizer`
/// and resumed to `N + M`: the bits of an uninterrupted run of `N + M`.
fn check_loop_resume<O>(
    rule: &dyn Fn() -> O,
    configure: &dyn Fn(Minimizer<'static, f64, O>) -> Minimizer<'static, f64, O>,
    minibatch: bool,
) where
    O: Optimizer<f64> + Serialize + DeserializeOwned,
{
    let p = logistic();
    let x0 = Array1::zeros(6);
    let run = |m: &mut Minimizer<'static, f64, O>, resume: bool| {
        match (minibatch, resume) {
            (true, false) => m.minimize_finite_sum(&p, x0.view()),
            (true, true) => m.resume_finite_sum(&p),
            (false, false) => m.minimize(&p, x0.view()),
            (false, true) => m.resume(&p),
        }
        .unwrap()
    };
    let whole = run(
        &mut configure(Minimizer::new(rule())).max_iterations(60),
        false,
    );
    let mut first = configure(Minimizer::new(rule())).max_iterations(23);
    run(&mut first, false);
    let path = std::env::temp_dir().join(format!(
        "gradus-loop-{}-{minibatch}.ckpt",
        std::process::id()
    ));
    save(&path, &(first.optimizer(), first.run_state().unwrap())).unwrap();
    let (rule, state): (O, RunState<f64>) = load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut second = configure(Minimizer::new(rule)).max_iterations(60);
    second.set_run_state(state);
    let resumed = run(&mut second, true);
    assert_eq!(resumed.iterations, whole.iterations);
    let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&resumed.x), bits(&whole.x));
}

#[test]
fn full_batch_runs_resume_from_a_checkpoint_bit_for_bit() {
    check_loop_resume(&Adam::default, &|m| m.lr(0.05), false);
    check_loop_resume(
        &|| Lbfgs::new(LbfgsConfig::default()).unwrap(),
        &|m| m.line_search(StrongWolfe::default()),
        false,
    );
}

#[test]
fn minibatch_runs_resume_from_a_checkpoint_bit_for_bit() {
    for estimator in [
        Estimator::Minibatch,
        Estimator::Svrg {
            snapshot_every: Some(15),
        },
        Estimator::Saga,
    ] {
        for sampling in [Sampling::Shuffle, Sampling::WithReplacement] {
            let settings = Minibatch {
                sampling,
                estimator,
                seed: 3,
                ..Minibatch::default()
            };
            check_loop_resume(
                &Adam::default,
                &|m| m.lr(0.01).minibatch(settings.clone()),
                true,
            );
            check_loop_resume(
                &GradientDescent::default,
                &|m| m.lr(0.2).minibatch(settings.clone()),
                true,
            );
        }
    }
}

#[test]
fn bad_checkpoints_are_typed_errors_that_say_what_is_wrong() {
    let mut adam = Adam::<f64>::default();
    let mut x = array![1.0, 2.0];
    let g = x.clone();
    adam.step(x.view_mut(), g.view(), 0.1).unwrap();
    let bytes = to_bytes(&adam).unwrap();
    let message = |r: gradus::Result<Adam<f64>>| r.unwrap_err().to_string();
    // Another rule, another float type.
    let other = from_bytes::<RmsProp<f64>>(&bytes).unwrap_err().to_string();
    assert!(
        other.contains("RmsPropConfig") && other.contains("AdamConfig"),
        "{other}"
    );
    let other = from_bytes::<Adam<f32>>(&bytes).unwrap_err().to_string();
    assert!(other.contains("f32"), "{other}");
    // Not a checkpoint; a newer format; truncated anywhere; a flipped bit anywhere.
    assert!(message(from_bytes(b"{\"lr\": 1}")).contains("not a gradus checkpoint"));
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(message(from_bytes(&newer)).contains("newer"));
    for cut in 0..bytes.len() {
        let m = message(from_bytes(&bytes[..cut]));
        assert!(
            m.contains("truncated") || m.contains("not a gradus"),
            "{cut}: {m}"
        );
    }
    for at in 12..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        assert!(
            from_bytes::<Adam<f64>>(&flipped).is_err(),
            "a flipped bit at {at} passed"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(message(from_bytes(&longer)).contains("corrupted"));
    // A missing file.
    let missing = std::env::temp_dir().join("gradus-no-such-dir/x.ckpt");
    assert!(message(load(&missing)).contains("cannot read"));
}

#[test]
fn a_save_that_fails_leaves_the_previous_checkpoint_whole() {
    /// A value whose encoding fails half-way.
    struct Failing;
    impl Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut seq = s.serialize_seq(Some(3))?;
            seq.serialize_element(&1.0)?;
            Err(S::Error::custom("the disk is full"))
        }
    }
    let path = std::env::temp_dir().join(format!("gradus-atomic-{}.ckpt", std::process::id()));
    let adam = Adam::<f64>::with_lr(0.5).unwrap();
    save(&path, &adam).unwrap();
    assert!(save(&path, &Failing).is_err());
    // Writing into a directory that does not exist fails too, and touches nothing.
    assert!(
        save(
            std::env::temp_dir().join("gradus-no-such-dir/x.ckpt"),
            &adam
        )
        .is_err()
    );
    let kept: Adam<f64> = load(&path).unwrap();
    assert_eq!(kept.config().lr, 0.5);
    let mut temporary = path.clone().into_os_string();
    temporary.push(".tmp");
    assert!(!std::path::Path::new(&temporary).exists());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn schedules_resume_bit_for_bit() {
    use gradus::schedule::{
        Anneal, CosineAnnealing, LinearWarmup, ReduceOnPlateau, ReduceOnPlateauConfig, SwaLr,
    };
    fn check<S: gradus::Schedule<f64> + Serialize + DeserializeOwned>(mut a: S) {
        // Losses that plateau, so that reduce-on-plateau cuts its step.
        let loss = |t: usize| 1.0 / (1.0 + (t.min(6)) as f64);
        for t in 0..10 {
            a.step_size(t);
            a.observe(loss(t));
        }
        let mut b: S = from_bytes(&to_bytes(&a).unwrap()).unwrap();
        for t in 10..40 {
            assert_eq!(
                a.step_size(t).to_bits(),
                b.step_size(t).to_bits(),
                "t = {t}"
            );
            a.observe(loss(t));
            b.observe(loss(t));
        }
    }
    let plateau = ReduceOnPlateau::new(
        0.1,
        ReduceOnPlateauConfig {
            patience: 2,
            ..Default::default()
        },
    )
    .unwrap();
    check(plateau);
    check(LinearWarmup::from_factor(CosineAnnealing::new(0.1, 30, 0.0).unwrap(), 5, 0.1).unwrap());
    check(SwaLr::new(0.1, 0.01, 20, Anneal::Cos).unwrap());
}

/// A rule read back from a value whose parts were edited apart (a buffer shortened, a length
/// dropped, a hyperparameter out of its domain) is refused when read, with a typed error naming
/// the rule or the hyperparameter, rather than met as a panic in a later step.
#[test]
fn a_rule_read_with_parts_that_disagree_is_refused() {
    use ciborium::value::Value;

    let mut adam = Adam::<f64>::amsgrad(1e-2).unwrap();
    let mut x = array![1.0, 2.0, 3.0];
    adam.step(x.view_mut(), array![0.5, -0.5, 1.0].view(), 1e-2)
        .unwrap();
    let saved = Value::serialized(&adam).unwrap();
    let read = |v: &Value| v.deserialized::<Adam<f64>>();
    let back = read(&saved).unwrap();
    assert_eq!(format!("{back:?}"), format!("{adam:?}"));
    fn field<'v>(v: &'v mut Value, key: &str) -> &'v mut Value {
        let Value::Map(entries) = v else {
            panic!("not a map")
        };
        &mut entries
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(key))
            .unwrap()
            .1
    }
    type Edit = (&'static str, &'static str, fn(&mut Value));
    let edits: [Edit; 4] = [
        ("a buffer shortened", "AMSGrad", |v| {
            let state = field(field(v, "state"), "state");
            *field(state, "exp_avg_sq") = Value::Array(vec![Value::Float(0.0)]);
        }),
        ("the AMSGrad maximum dropped", "AMSGrad", |v| {
            let state = field(field(v, "state"), "state");
            *field(state, "max_exp_avg_sq") = Value::Array(vec![]);
        }),
        ("the length dropped", "AMSGrad", |v| {
            *field(field(v, "state"), "len") = Value::Null;
        }),
        ("a negative step size", "lr", |v| {
            *field(field(v, "config"), "lr") = Value::Float(-1.0);
        }),
    ];
    for (what, named, edit) in edits {
        let mut edited = saved.clone();
        edit(&mut edited);
        let err = read(&edited)
            .err()
            .unwrap_or_else(|| panic!("{what}: read"));
        assert!(err.to_string().contains(named), "{what}: {err}");
    }
    // A rule that never stepped has nothing to check but its configuration.
    let fresh = Value::serialized(&Adam::<f64>::default()).unwrap();
    assert!(read(&fresh).is_ok());
}

/// A schedule read from a value whose period was edited to zero (which its constructor refuses)
/// gives a NaN step size, which the loop refuses with a typed error: no division by zero, no
/// endless cycle.
#[test]
fn a_schedule_read_with_a_period_of_zero_gives_nan_not_a_panic_or_a_hang() {
    use ciborium::value::Value;
    use gradus::Schedule;
    use gradus::schedule::{CosineAnnealingWarmRestarts, InverseTime, StepDecay};

    fn zeroed<S: Serialize + DeserializeOwned>(schedule: &S, key: &str) -> S {
        let mut v = Value::serialized(schedule).unwrap();
        let Value::Map(entries) = &mut v else {
            panic!("not a map")
        };
        let entry = entries
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(key))
            .unwrap();
        entry.1 = Value::from(0);
        v.deserialized().unwrap()
    }
    let mut step = zeroed(&StepDecay::new(0.1, 10, 0.5).unwrap(), "step_size");
    let mut inverse = zeroed(
        &InverseTime::new(0.1, 0.5, 10, true).unwrap(),
        "decay_steps",
    );
    let mut restarts = [
        zeroed(
            &CosineAnnealingWarmRestarts::new(0.1, 10, 2, 0.0).unwrap(),
            "t_0",
        ),
        zeroed(
            &CosineAnnealingWarmRestarts::new(0.1, 10, 2, 0.0).unwrap(),
            "t_mult",
        ),
    ];
    for t in [0, 5, 50] {
        assert!(Schedule::<f64>::step_size(&mut step, t).is_nan());
        assert!(Schedule::<f64>::step_size(&mut inverse, t).is_nan());
        for r in &mut restarts {
            assert!(Schedule::<f64>::step_size(r, t).is_nan());
        }
    }
    let f = gradus::problems::Sphere::new(2);
    let err = Minimizer::new(GradientDescent::default())
        .schedule(step)
        .minimize(&f, array![1.0, 1.0].view())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "lr", .. }),
        "{err}"
    );
}

/// An L-BFGS state read from a value whose pair matrices were edited to another shape is refused
/// when read.
#[test]
fn an_lbfgs_state_read_with_pairs_of_another_shape_is_refused() {
    use ciborium::value::Value;

    let mut rule = Lbfgs::<f64>::with_memory(3).unwrap();
    let mut x = array![1.0, 2.0];
    for g in [array![0.5, -1.0], array![0.2, 0.3]] {
        rule.step(x.view_mut(), g.view(), 0.1).unwrap();
    }
    let saved = Value::serialized(&rule).unwrap();
    assert!(saved.deserialized::<Lbfgs<f64>>().is_ok());
    // The `state` map, then its `rho`: one value fewer than the memory.
    let mut edited = saved.clone();
    let Value::Map(top) = &mut edited else {
        panic!("not a map")
    };
    let state = &mut top
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some("state"))
        .unwrap()
        .1;
    let Value::Map(fields) = state else {
        panic!("no state")
    };
    let rho = &mut fields
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some("rho"))
        .unwrap()
        .1;
    let short = Value::serialized(&ndarray::Array1::<f64>::zeros(2)).unwrap();
    *rho = short;
    let err = edited.deserialized::<Lbfgs<f64>>().unwrap_err();
    assert!(err.to_string().contains("L-BFGS"), "{err}");
}

/// The Barzilai-Borwein and accelerated-gradient states read with a vector of another length are
/// refused when read.
#[test]
fn barzilai_borwein_and_accelerated_gradient_states_that_disagree_are_refused() {
    use ciborium::value::Value;

    fn shorten(saved: &Value, buffer: &str) -> Value {
        let mut edited = saved.clone();
        let Value::Map(top) = &mut edited else {
            panic!("not a map")
        };
        let outer = &mut top
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some("state"))
            .unwrap()
            .1;
        let Value::Map(outer) = outer else { panic!() };
        let inner = &mut outer
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some("state"))
            .unwrap()
            .1;
        let Value::Map(fields) = inner else { panic!() };
        fields
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(buffer))
            .unwrap()
            .1 = Value::Array(vec![Value::Float(0.0)]);
        edited
    }
    let mut x = array![1.0, 2.0, 3.0];
    let g = array![0.5, -1.0, 0.25];
    let mut bb = BarzilaiBorwein::<f64>::default();
    bb.step(x.view_mut(), g.view(), 0.1).unwrap();
    let saved = Value::serialized(&bb).unwrap();
    assert!(saved.deserialized::<BarzilaiBorwein<f64>>().is_ok());
    let err = shorten(&saved, "g_prev")
        .deserialized::<BarzilaiBorwein<f64>>()
        .unwrap_err();
    assert!(err.to_string().contains("buffers"), "{err}");
    let mut ag = AcceleratedGradient::<f64>::default();
    ag.step(x.view_mut(), g.view(), 0.1).unwrap();
    let saved = Value::serialized(&ag).unwrap();
    assert!(saved.deserialized::<AcceleratedGradient<f64>>().is_ok());
    let err = shorten(&saved, "x")
        .deserialized::<AcceleratedGradient<f64>>()
        .unwrap_err();
    assert!(err.to_string().contains("buffers"), "{err}");
}
