//! The rules that see each tensor's shape (Adafactor, Muon, SM3) over sets of tensors: a set is
//! each tensor alone, with its group's hyperparameters; everything is checked before anything
//! moves; a checkpoint resumes bit for bit.

use gradus::optim::{AdafactorConfig, AdamConfig, AdjustLr, MuonConfig, ShapedRule, Sm3Config};
use gradus::params::ShapedParameterSet;
use gradus::{Adafactor, Error, Optimizer, Sm3};
use ndarray::{Array1, ArrayD, ArrayViewD, ArrayViewMutD, IxDyn, s};

/// A tensor of shape `shape` with values from `seed`, of both signs.
fn tensor(shape: &[usize], seed: f64) -> ArrayD<f64> {
    let mut k = 0.0;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        k += 1.0;
        (seed * k + 0.3).sin() * 1.5
    })
}

/// The shapes of a small model: a 4 × 3 matrix, a bias of 4, a 2 × 2 × 3 stack, a scalar, a
/// 3 × 5 matrix and a bias of 1.
const SHAPES: [&[usize]; 6] = [&[4, 3], &[4], &[2, 2, 3], &[], &[3, 5], &[1]];

fn model(seed: f64) -> Vec<ArrayD<f64>> {
    SHAPES
        .iter()
        .enumerate()
        .map(|(i, shape)| tensor(shape, seed + i as f64))
        .collect()
}

/// `steps` steps of `set` on `x`, with gradients that change at every step; `scale` multiplies
/// the learning rates.
fn run<R: ShapedRule<Float = f64>>(
    set: &mut ShapedParameterSet<R>,
    x: &mut [ArrayD<f64>],
    steps: usize,
    scale: f64,
) {
    for k in 0..steps {
        let grads: Vec<ArrayD<f64>> = x
            .iter()
            .enumerate()
            .map(|(i, x)| tensor(x.shape(), 0.7 * k as f64 + 0.1 * i as f64 + 0.05))
            .collect();
        let mut views: Vec<ArrayViewMutD<f64>> = x.iter_mut().map(|x| x.view_mut()).collect();
        let grads: Vec<ArrayViewD<f64>> = grads.iter().map(|g| g.view()).collect();
        set.step_scaled(&mut views, &grads, scale).unwrap();
    }
}

/// Checks that a set of the model's tensors, with the tensors at `group` in a group of
/// configuration `other`, updates every tensor as a set of that tensor alone does.
fn assert_set_is_each_tensor_alone<R: ShapedRule<Float = f64>>(
    config: R,
    other: R,
    group: &[usize],
) {
    let mut set = ShapedParameterSet::new(config.clone())
        .unwrap()
        .group(group.iter().copied(), other.clone())
        .unwrap();
    let mut x = model(0.2);
    run(&mut set, &mut x, 4, 0.5);
    for (i, shape) in SHAPES.iter().enumerate() {
        let own = if group.contains(&i) { &other } else { &config };
        let mut alone = ShapedParameterSet::new(own.clone()).unwrap();
        let mut xi = vec![tensor(shape, 0.2 + i as f64)];
        // The same gradients: those of position i.
        for k in 0..4 {
            let g = tensor(shape, 0.7 * k as f64 + 0.1 * i as f64 + 0.05);
            alone
                .step_scaled(&mut [xi[0].view_mut()], &[g.view()], 0.5)
                .unwrap();
        }
        assert_eq!(
            x[i],
            xi.remove(0),
            "{}: tensor {i} of shape {shape:?}",
            config.name()
        );
    }
    assert_eq!(set.steps_taken(), 4);
}

#[test]
fn a_set_updates_each_tensor_as_the_rule_alone_with_its_groups_hyperparameters() {
    assert_set_is_each_tensor_alone(
        AdafactorConfig {
            weight_decay: 0.1,
            ..Default::default()
        },
        AdafactorConfig {
            lr: 0.05,
            d: 2.0,
            ..Default::default()
        },
        &[2, 5],
    );
    assert_set_is_each_tensor_alone(
        MuonConfig {
            lr: 0.02,
            ..Default::default()
        },
        MuonConfig {
            adjust_lr_fn: AdjustLr::MatchRmsAdamW,
            adamw: AdamConfig {
                lr: 3e-4,
                weight_decay: 0.0,
                ..AdamConfig::adamw()
            },
            ..Default::default()
        },
        &[1, 4],
    );
    assert_set_is_each_tensor_alone(
        Sm3Config::default(),
        Sm3Config {
            b2: 0.9,
            ..Default::default()
        },
        &[0],
    );
}

#[test]
fn a_vector_in_a_set_is_the_rule_on_one_vector() {
    // Shaped<R> on a vector is the set's tensor of one dimension, step for step.
    let mut set = ShapedParameterSet::new(AdafactorConfig::<f64>::default()).unwrap();
    let mut rule = Adafactor::<f64>::default();
    let (mut a, mut b) = (
        Array1::linspace(-1.0, 2.0, 7),
        Array1::linspace(-1.0, 2.0, 7),
    );
    for k in 0..5 {
        let g = Array1::from_shape_fn(7, |i| ((k * 7 + i) as f64).cos());
        set.step(&mut [a.view_mut().into_dyn()], &[g.view().into_dyn()])
            .unwrap();
        rule.step(b.view_mut(), g.view(), 1e-2).unwrap();
    }
    assert_eq!(a, b);
}

#[test]
fn factored_and_unfactored_second_moments_differ_unless_the_gradient_has_rank_one() {
    // The same six values as a 2 × 3 matrix (row and column averages) and as a vector (one
    // average per value): after a first step that agrees (every first update is sign(g) when the
    // gradient has rank one), a second gradient of rank two tells them apart.
    let rank_one: Vec<f64> = [0.5, -2.0]
        .iter()
        .flat_map(|a| [1.0, 0.25, -3.0].map(|b| a * b))
        .collect();
    let rank_two = [1.0, 0.0, 0.0, 0.0, 1.0, 2.0];
    let mut matrix = ShapedParameterSet::new(AdafactorConfig::<f64>::default()).unwrap();
    let mut vector = ShapedParameterSet::new(AdafactorConfig::<f64>::default()).unwrap();
    let mut xm = tensor(&[2, 3], 0.4);
    let mut xv = xm.clone().into_shape_with_order(IxDyn(&[6])).unwrap();
    for (k, g) in [&rank_one[..], &rank_two].into_iter().enumerate() {
        let gm = ArrayD::from_shape_vec(IxDyn(&[2, 3]), g.to_vec()).unwrap();
        let gv = ArrayD::from_shape_vec(IxDyn(&[6]), g.to_vec()).unwrap();
        matrix.step(&mut [xm.view_mut()], &[gm.view()]).unwrap();
        vector.step(&mut [xv.view_mut()], &[gv.view()]).unwrap();
        let flat: Vec<f64> = xm.iter().copied().collect();
        let close = flat
            .iter()
            .zip(xv.iter())
            .all(|(a, b)| (a - b).abs() < 1e-14);
        assert_eq!(close, k == 0, "step {}", k + 1);
    }
}

#[test]
fn strided_tensors_are_updated_as_contiguous_copies() {
    // A transposed matrix (shape 3 × 4, columns contiguous) and every other value of a vector.
    let config = MuonConfig::<f64> {
        lr: 0.02,
        ..Default::default()
    };
    let mut base = tensor(&[4, 3], 0.3);
    let mut wide = tensor(&[10], 0.9);
    let mut copy = [
        base.t().to_owned(),
        wide.slice(s![..;2]).to_owned().into_dyn(),
    ];
    let mut strided = ShapedParameterSet::new(config).unwrap();
    let mut contiguous = ShapedParameterSet::new(config).unwrap();
    for k in 0..3 {
        let g0 = tensor(&[3, 4], k as f64 + 0.1);
        let g1 = tensor(&[5], k as f64 + 0.6);
        let g0t = g0.t().to_owned();
        let g0_strided = g0t.t();
        strided
            .step(
                &mut [
                    base.view_mut().reversed_axes(),
                    wide.slice_mut(s![..;2]).into_dyn(),
                ],
                &[g0_strided, g1.view()],
            )
            .unwrap();
        let (first, second) = copy.split_at_mut(1);
        contiguous
            .step(
                &mut [first[0].view_mut(), second[0].view_mut()],
                &[g0.view(), g1.view()],
            )
            .unwrap();
    }
    assert_eq!(base.t(), copy[0]);
    assert_eq!(wide.slice(s![..;2]).into_dyn(), copy[1]);
}

#[test]
fn a_schedule_scales_every_learning_rate_of_the_set() {
    // step_scaled(0.5) is the step of a set whose learning rates (Muon's and its AdamW's) are
    // halved.
    let config = MuonConfig::<f64> {
        lr: 0.02,
        weight_decay: 0.0,
        ..Default::default()
    };
    let halved = MuonConfig {
        lr: 0.01,
        adamw: AdamConfig {
            lr: 5e-4,
            ..config.adamw
        },
        ..config
    };
    let mut scaled = ShapedParameterSet::new(config).unwrap();
    let mut plain = ShapedParameterSet::new(halved).unwrap();
    let (mut a, mut b) = (model(0.1), model(0.1));
    run(&mut scaled, &mut a, 3, 0.5);
    run(&mut plain, &mut b, 3, 1.0);
    assert_eq!(a, b);
}

#[test]
fn reset_makes_the_next_steps_those_of_a_new_set_and_allows_other_tensors() {
    let mut set = ShapedParameterSet::new(Sm3Config::<f64>::default()).unwrap();
    let mut x = model(0.3);
    run(&mut set, &mut x, 3, 1.0);
    set.reset();
    assert_eq!(set.steps_taken(), 0);
    let (mut a, mut b) = (model(0.5), model(0.5));
    run(&mut set, &mut a, 2, 1.0);
    run(
        &mut ShapedParameterSet::new(Sm3Config::default()).unwrap(),
        &mut b,
        2,
        1.0,
    );
    assert_eq!(a, b);
    set.reset();
    let mut other = vec![tensor(&[2, 7], 0.1)];
    run(&mut set, &mut other, 1, 1.0);
}

#[test]
fn errors_are_found_before_anything_moves() {
    let mut set = ShapedParameterSet::new(AdafactorConfig::<f64>::default())
        .unwrap()
        .group([1], AdafactorConfig::default())
        .unwrap();
    let mut x = model(0.2);
    run(&mut set, &mut x, 1, 1.0);
    let before = x.clone();
    let good: Vec<ArrayD<f64>> = x.iter().map(|x| tensor(x.shape(), 0.9)).collect();
    let attempt = |set: &mut ShapedParameterSet<AdafactorConfig<f64>>,
                   x: &mut [ArrayD<f64>],
                   grads: &[ArrayD<f64>],
                   scale: f64| {
        let mut views: Vec<ArrayViewMutD<f64>> = x.iter_mut().map(|x| x.view_mut()).collect();
        let grads: Vec<ArrayViewD<f64>> = grads.iter().map(|g| g.view()).collect();
        set.step_scaled(&mut views, &grads, scale)
    };
    // A gradient of another shape.
    let mut bad = good.clone();
    bad[4] = tensor(&[5, 3], 0.1);
    assert!(matches!(
        attempt(&mut set, &mut x, &bad, 1.0),
        Err(Error::ShapeMismatch { index: 4, .. })
    ));
    // A tensor reshaped after the first step.
    let mut reshaped = x.clone();
    reshaped[0] = tensor(&[3, 4], 0.1);
    let mut bad = good.clone();
    bad[0] = tensor(&[3, 4], 0.2);
    assert!(matches!(
        attempt(&mut set, &mut reshaped, &bad, 1.0),
        Err(Error::ShapeMismatch { index: 0, .. })
    ));
    // Fewer tensors, fewer gradients, a negative scale.
    assert!(matches!(
        attempt(&mut set, &mut x[..5], &good[..5], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        attempt(&mut set, &mut x, &good[..5], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        attempt(&mut set, &mut x, &good, -1.0),
        Err(Error::InvalidParameter { name: "scale", .. })
    ));
    assert_eq!(x, before);
    assert_eq!(set.steps_taken(), 1);
    // Groups are fixed once the set has stepped, and a position is in one group.
    assert!(matches!(
        set.clone().group([2], AdafactorConfig::default()),
        Err(Error::Incompatible { .. })
    ));
    assert!(matches!(
        ShapedParameterSet::new(AdafactorConfig::<f64>::default())
            .unwrap()
            .group([1, 1], AdafactorConfig::default()),
        Err(Error::InvalidEntry { .. })
    ));
    // A group naming a tensor beyond the last one given.
    let mut beyond = ShapedParameterSet::new(AdafactorConfig::<f64>::default())
        .unwrap()
        .group([9], AdafactorConfig::default())
        .unwrap();
    assert!(matches!(
        attempt(&mut beyond, &mut x, &good, 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    // Invalid hyperparameters, in a group or replacing one.
    assert!(matches!(
        ShapedParameterSet::new(AdafactorConfig::<f64> {
            d: 0.5,
            ..Default::default()
        }),
        Err(Error::InvalidParameter { name: "d", .. })
    ));
    assert!(
        set.set_group_config(
            1,
            AdafactorConfig {
                lr: 0.1,
                ..Default::default()
            }
        )
        .is_ok()
    );
    assert!(set.set_group_config(2, AdafactorConfig::default()).is_err());
}

#[test]
fn a_state_that_overflows_names_its_tensor_after_the_step() {
    let mut set = ShapedParameterSet::new(Sm3Config::<f64>::default()).unwrap();
    let mut x = model(0.2);
    let mut grads: Vec<ArrayD<f64>> = x.iter().map(|x| tensor(x.shape(), 0.9)).collect();
    grads[2][[1, 0, 2]] = 1e200;
    let mut views: Vec<ArrayViewMutD<f64>> = x.iter_mut().map(|x| x.view_mut()).collect();
    let gviews: Vec<ArrayViewD<f64>> = grads.iter().map(|g| g.view()).collect();
    let err = set.step(&mut views, &gviews);
    assert!(matches!(
        err,
        Err(Error::NonFiniteState {
            rule: "SM3",
            tensor: Some(2)
        })
    ));
    assert_eq!(set.steps_taken(), 1);
}

#[test]
fn muon_replacing_its_adamw_by_amsgrad_needs_a_reset() {
    let config = MuonConfig::<f64>::default();
    let mut set = ShapedParameterSet::new(config).unwrap();
    let mut x = model(0.2);
    run(&mut set, &mut x, 1, 1.0);
    let amsgrad = MuonConfig {
        adamw: AdamConfig {
            amsgrad: true,
            ..config.adamw
        },
        ..config
    };
    assert!(matches!(
        set.set_group_config(0, amsgrad),
        Err(Error::Incompatible { .. })
    ));
    set.reset();
    assert!(set.set_group_config(0, amsgrad).is_ok());
    run(&mut set, &mut x, 1, 1.0);
}

#[test]
fn large_sets_split_over_threads_give_the_same_bits() {
    // About 330 000 values: with the `parallel` feature the tensors are updated on the pool.
    let shapes: [&[usize]; 4] = [&[300, 400], &[400], &[200, 500, 2], &[100]];
    let config = Sm3Config::<f64>::default();
    let mut set = ShapedParameterSet::new(config).unwrap();
    let mut x: Vec<ArrayD<f64>> = shapes.iter().map(|s| tensor(s, 0.1)).collect();
    run(&mut set, &mut x, 2, 1.0);
    for (i, shape) in shapes.iter().enumerate() {
        let mut alone = ShapedParameterSet::new(config).unwrap();
        let mut xi = tensor(shape, 0.1);
        for k in 0..2 {
            let g = tensor(shape, 0.7 * k as f64 + 0.1 * i as f64 + 0.05);
            alone.step(&mut [xi.view_mut()], &[g.view()]).unwrap();
        }
        assert_eq!(x[i], xi, "{i}");
    }
    // The rules on one vector agree with the set's vector.
    let mut sm3 = Sm3::<f64>::default();
    let mut v = Array1::linspace(-1.0, 1.0, 5);
    sm3.step(v.view_mut(), Array1::ones(5).view(), 0.1).unwrap();
    assert!(v.iter().all(|&v| v < 1.0));
}

#[cfg(feature = "serde")]
#[test]
fn a_checkpoint_resumes_bit_for_bit_and_an_edited_one_is_refused() {
    use gradus::checkpoint::{from_bytes, to_bytes};
    fn resumes<R>(config: R)
    where
        R: ShapedRule<Float = f64> + serde::Serialize + serde::de::DeserializeOwned,
        R::State: serde::Serialize + serde::de::DeserializeOwned,
    {
        let mut set = ShapedParameterSet::new(config.clone())
            .unwrap()
            .group([1, 3], config)
            .unwrap();
        let mut x = model(0.4);
        run(&mut set, &mut x, 2, 1.0);
        let bytes = to_bytes(&set).unwrap();
        let mut resumed: ShapedParameterSet<R> = from_bytes(&bytes).unwrap();
        let mut y = x.clone();
        run(&mut set, &mut x, 3, 1.0);
        run(&mut resumed, &mut y, 3, 1.0);
        assert_eq!(x, y);
        assert_eq!(resumed.steps_taken(), 5);
        // Read for another model, the states do not fit.
        let mut other = ShapedParameterSet::new(set.groups()[0].clone()).unwrap();
        let mut z: Vec<ArrayD<f64>> = SHAPES
            .iter()
            .map(|s| {
                let mut s = s.to_vec();
                s.push(2);
                tensor(&s, 0.1)
            })
            .collect();
        run(&mut other, &mut z, 1, 1.0);
        let mut value: ciborium::Value =
            ciborium::from_reader(&to_bytes(&set).unwrap()[..]).unwrap();
        let mut other_value: ciborium::Value =
            ciborium::from_reader(&to_bytes(&other).unwrap()[..]).unwrap();
        if let (ciborium::Value::Map(fields), ciborium::Value::Map(others)) =
            (&mut value, &mut other_value)
        {
            let shapes = others
                .iter()
                .find(|(k, _)| k.as_text() == Some("shapes"))
                .unwrap()
                .1
                .clone();
            for (k, v) in fields.iter_mut() {
                if k.as_text() == Some("shapes") {
                    *v = shapes.clone();
                }
            }
        }
        let mut edited = Vec::new();
        ciborium::into_writer(&value, &mut edited).unwrap();
        assert!(matches!(
            from_bytes::<ShapedParameterSet<R>>(&edited),
            Err(Error::Checkpoint { .. })
        ));
    }
    resumes(AdafactorConfig::<f64>::default());
    resumes(MuonConfig::<f64> {
        lr: 0.02,
        ..Default::default()
    });
    resumes(Sm3Config::<f64>::default());
    // A rule on one vector, too.
    let mut rule = gradus::Muon::<f64>::default();
    let mut x = Array1::linspace(-1.0, 1.0, 4);
    rule.step(x.view_mut(), Array1::ones(4).view(), 0.1)
        .unwrap();
    let mut resumed: gradus::Muon<f64> = from_bytes(&to_bytes(&rule).unwrap()).unwrap();
    let mut y = x.clone();
    rule.step(x.view_mut(), Array1::ones(4).view(), 0.1)
        .unwrap();
    resumed
        .step(y.view_mut(), Array1::ones(4).view(), 0.1)
        .unwrap();
    assert_eq!(x, y);
}
