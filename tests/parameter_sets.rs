//! Parameter sets: one rule over many tensors of any shape and layout, with groups, is the rule
//! run on each tensor alone, bit for bit; errors for every mismatch, and no allocation after the
//! first step.

use gradus::optim::{AdamConfig, ElementwiseRule, Rule};
use gradus::params::{ParameterSet, clip_grad_norm, clip_grad_value};
use gradus::{Error, Optimizer};
use ndarray::{Array1, ArrayD, ArrayViewD, ArrayViewMutD, IxDyn, ShapeBuilder};
use proptest::prelude::*;

mod common;

use common::configs::{ConfigCheck, Saveable, every_elementwise, every_gathering, every_layerwise};
use common::counting::allocations_during;

#[global_allocator]
static COUNTING: common::counting::Counting = common::counting::Counting;

/// Every elementwise rule of the registry, as a configuration with its options on and weight
/// decay `wd`, behind a trait object that runs the comparisons below.
fn configs(wd: f64) -> Vec<Box<dyn Case>> {
    struct Collect(Vec<Box<dyn Case>>);
    impl ConfigCheck for Collect {
        fn config<C>(&mut self, config: C)
        where
            C: ElementwiseRule<Float = f64> + Saveable + 'static,
            C::State: Saveable,
        {
            self.0.push(Box::new(config));
        }
    }
    let mut all = Collect(Vec::new());
    every_elementwise(&mut all, wd);
    all.0
}

/// Every rule whose step needs sums over the coordinates, as configurations with weight decay
/// `wd`.
fn gathering_configs(wd: f64) -> Vec<Box<dyn Case>> {
    struct Collect(Vec<Box<dyn Case>>);
    impl ConfigCheck for Collect {
        fn config<C>(&mut self, config: C)
        where
            C: ElementwiseRule<Float = f64> + Saveable + 'static,
            C::State: Saveable,
        {
            self.0.push(Box::new(config));
        }
    }
    let mut all = Collect(Vec::new());
    every_gathering(&mut all, wd);
    all.0
}

/// Every layer-wise rule (sums per tensor), as configurations with weight decay `wd`.
fn layerwise_configs(wd: f64) -> Vec<Box<dyn Case>> {
    struct Collect(Vec<Box<dyn Case>>);
    impl ConfigCheck for Collect {
        fn config<C>(&mut self, config: C)
        where
            C: ElementwiseRule<Float = f64> + Saveable + 'static,
            C::State: Saveable,
        {
            assert!(C::SUMS_PER_TENSOR, "{}", config.name());
            self.0.push(Box::new(config));
        }
    }
    let mut all = Collect(Vec::new());
    every_layerwise(&mut all, wd);
    all.0
}

/// A configuration, type-erased: runs a parameter set and the per-tensor rules.
trait Case {
    fn name(&self) -> &'static str;
    /// Steps a set with groups `groups` (positions of tensors; group `k + 1` has step size
    /// `lr · (k + 2)`) over `tensors` with the gradients `grads[step][tensor]`, scaled by
    /// `scale`, and the same steps of one rule per tensor on its row-major values. Returns both
    /// final tensors, row-major.
    fn run(
        &self,
        tensors: &[ArrayD<f64>],
        layouts: &[bool],
        grads: &[Vec<ArrayD<f64>>],
        groups: &[Vec<usize>],
        scale: f64,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>);

    /// Steps a set of one group over `tensors` with the gradients `grads[step][tensor]`, and
    /// the rule over the tensors' row-major values laid end to end. Returns both, end to end.
    fn run_joined(
        &self,
        tensors: &[ArrayD<f64>],
        grads: &[Vec<ArrayD<f64>>],
    ) -> (Vec<f64>, Vec<f64>);
}

impl<C: ElementwiseRule<Float = f64> + 'static> Case for C {
    fn name(&self) -> &'static str {
        ElementwiseRule::name(self)
    }

    fn run(
        &self,
        tensors: &[ArrayD<f64>],
        layouts: &[bool],
        grads: &[Vec<ArrayD<f64>>],
        groups: &[Vec<usize>],
        scale: f64,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let group_config = |k: usize| {
            let mut c = self.clone();
            c.set_lr(self.lr() * (k + 2) as f64);
            c
        };
        let mut set = ParameterSet::new(self.clone()).unwrap();
        let mut config_of = vec![self.clone(); tensors.len()];
        for (k, members) in groups.iter().enumerate() {
            set = set.group(members.iter().copied(), group_config(k)).unwrap();
            for &i in members {
                config_of[i] = group_config(k);
            }
        }
        // The set's tensors, in the layout asked (row-major, or column-major: strides reversed).
        let mut xs: Vec<ArrayD<f64>> = tensors
            .iter()
            .zip(layouts)
            .map(|(t, &column_major)| in_layout(t, column_major))
            .collect();
        let mut rules: Vec<Rule<C>> = config_of
            .into_iter()
            .map(|c| Rule::new(c).unwrap())
            .collect();
        let mut flat: Vec<Array1<f64>> = tensors.iter().map(row_major).collect();
        for step in grads {
            let gs: Vec<ArrayD<f64>> = step
                .iter()
                .zip(layouts)
                .map(|(g, &column_major)| in_layout(g, !column_major))
                .collect();
            let mut views: Vec<ArrayViewMutD<f64>> = xs.iter_mut().map(|x| x.view_mut()).collect();
            let gviews: Vec<ArrayViewD<f64>> = gs.iter().map(|g| g.view()).collect();
            set.step_scaled(&mut views, &gviews, scale).unwrap();
            for ((rule, x), g) in rules.iter_mut().zip(&mut flat).zip(step) {
                let lr = rule.default_lr() * scale;
                rule.step(x.view_mut(), row_major(g).view(), lr).unwrap();
            }
        }
        (
            xs.iter().map(|x| row_major(x).to_vec()).collect(),
            flat.iter().map(|x| x.to_vec()).collect(),
        )
    }

    fn run_joined(
        &self,
        tensors: &[ArrayD<f64>],
        grads: &[Vec<ArrayD<f64>>],
    ) -> (Vec<f64>, Vec<f64>) {
        let joined =
            |ts: &[ArrayD<f64>]| -> Array1<f64> { ts.iter().flat_map(row_major).collect() };
        let mut set = ParameterSet::new(self.clone()).unwrap();
        let mut rule = Rule::new(self.clone()).unwrap();
        let mut xs = tensors.to_vec();
        let mut x = joined(tensors);
        for step in grads {
            let mut views: Vec<ArrayViewMutD<f64>> = xs.iter_mut().map(|x| x.view_mut()).collect();
            let gviews: Vec<ArrayViewD<f64>> = step.iter().map(|g| g.view()).collect();
            set.step(&mut views, &gviews).unwrap();
            rule.step(x.view_mut(), joined(step).view(), rule.default_lr())
                .unwrap();
        }
        (joined(&xs).to_vec(), x.to_vec())
    }
}

/// `a`'s values in row-major order.
fn row_major(a: &ArrayD<f64>) -> Array1<f64> {
    a.iter().copied().collect()
}

/// A copy of `a` laid out in row-major or column-major order.
fn in_layout(a: &ArrayD<f64>, column_major: bool) -> ArrayD<f64> {
    let mut b = ArrayD::zeros(IxDyn(a.shape()).set_f(column_major));
    b.assign(a);
    b
}

/// Tensors of the given shapes, filled with values derived from `seed`.
fn tensors_of(shapes: &[Vec<usize>], seed: f64) -> Vec<ArrayD<f64>> {
    shapes
        .iter()
        .enumerate()
        .map(|(t, shape)| {
            let mut k = 0.0;
            ArrayD::from_shape_fn(IxDyn(shape), |_| {
                k += 1.0;
                ((seed + 1.7 * t as f64 + 0.37 * k).sin() * 3.0).round() / 4.0 + 0.01 * k
            })
        })
        .collect()
}

#[test]
fn the_list_of_configurations_is_every_elementwise_rule_of_the_registry() {
    let mut ours: Vec<&str> = configs(0.0).iter().map(|c| c.name()).collect();
    // Muon and SM3 are elementwise on one vector (AdamW, and one accumulator per coordinate),
    // but they see a tensor's shape, so their sets are `ShapedParameterSet`s.
    let mut registry: Vec<&str> = common::rules::rules::<f64>()
        .into_iter()
        .filter(|r| r.elementwise && !["Muon", "SM3"].contains(&r.name))
        .map(|r| r.name)
        .collect();
    ours.sort();
    registry.sort();
    assert_eq!(ours, registry);
}

#[test]
fn a_set_of_one_vector_is_the_rule_bit_for_bit() {
    for case in configs(0.05) {
        let x = tensors_of(&[vec![7]], 0.0);
        let grads: Vec<_> = (0..4)
            .map(|s| tensors_of(&[vec![7]], s as f64 + 1.0))
            .collect();
        let (set, rules) = case.run(&x, &[false], &grads, &[], 1.0);
        assert_eq!(set, rules, "{}", case.name());
    }
}

#[test]
fn a_set_of_one_vector_is_a_rule_with_sums_bit_for_bit() {
    for case in gathering_configs(0.05) {
        let x = tensors_of(&[vec![7]], 0.0);
        let grads: Vec<_> = (0..4)
            .map(|s| tensors_of(&[vec![7]], s as f64 + 1.0))
            .collect();
        let (set, rules) = case.run(&x, &[false], &grads, &[], 1.0);
        assert_eq!(set, rules, "{}", case.name());
    }
}

/// A rule whose step needs norms or inner products takes them over every tensor of a group:
/// the set is the rule on the tensors laid end to end, to the rounding of the sums (added per
/// tensor, then in position order).
#[test]
fn a_group_is_a_rule_with_sums_over_its_tensors_laid_end_to_end() {
    let shapes = vec![vec![3], vec![4, 5], vec![2, 3, 2]];
    let x = tensors_of(&shapes, 0.5);
    let grads: Vec<_> = (0..5)
        .map(|s| tensors_of(&shapes, s as f64 - 2.0))
        .collect();
    for case in gathering_configs(0.01) {
        let (set, rule) = case.run_joined(&x, &grads);
        for (a, b) in set.iter().zip(&rule) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{}: {a} vs {b}",
                case.name()
            );
        }
        assert_ne!(set, x.iter().flat_map(row_major).collect::<Vec<_>>());
    }
}

/// A layer-wise rule takes its norms per tensor: the set is one rule per tensor, bit for bit,
/// whatever the groups and layouts, and not the rule on the tensors laid end to end.
#[test]
fn a_set_of_a_layer_wise_rule_is_the_rule_on_each_tensor_alone_bit_for_bit() {
    let shapes = vec![vec![3], vec![4, 5], vec![2, 3, 2], vec![1], vec![6]];
    let x = tensors_of(&shapes, 0.5);
    let grads: Vec<_> = (0..5)
        .map(|s| tensors_of(&shapes, s as f64 - 2.0))
        .collect();
    let layouts = [false, true, false, false, true];
    for case in layerwise_configs(0.01) {
        let (set, rules) = case.run(&x, &layouts, &grads, &[vec![4, 1], vec![3]], 0.7);
        assert_eq!(set, rules, "{}", case.name());
        let (set, joined) = case.run_joined(&x, &grads);
        let apart: Vec<f64> = case.run(&x, &[false; 5], &grads, &[], 1.0).1.concat();
        assert_eq!(set, apart, "{}", case.name());
        assert_ne!(
            set,
            joined,
            "{}: the norms must be each tensor's",
            case.name()
        );
    }
}

/// NovoGrad keeps one second moment per tensor of a group, in position order, each the one
/// of the rule on that tensor alone; a reset starts them again.
#[test]
fn novograd_keeps_a_second_moment_per_tensor_of_each_group() {
    use gradus::NovoGrad;
    use gradus::optim::NovoGradConfig;
    let shapes = vec![vec![2, 2], vec![3], vec![5]];
    let mut xs = tensors_of(&shapes, 0.1);
    let g = tensors_of(&shapes, 1.3);
    let config = NovoGradConfig::<f64>::default();
    let mut set = ParameterSet::new(config)
        .unwrap()
        .group([1], config)
        .unwrap();
    for _ in 0..2 {
        let mut views: Vec<ArrayViewMutD<f64>> = xs.iter_mut().map(|x| x.view_mut()).collect();
        let gviews: Vec<ArrayViewD<f64>> = g.iter().map(|g| g.view()).collect();
        set.step(&mut views, &gviews).unwrap();
    }
    let alone = |t: usize| {
        let mut rule = NovoGrad::new(config).unwrap();
        let mut x = row_major(&tensors_of(&shapes, 0.1)[t]);
        for _ in 0..2 {
            rule.step(x.view_mut(), row_major(&g[t]).view(), 1e-3)
                .unwrap();
        }
        rule.state().layer_second_moments()[0]
    };
    let default_group = set.group_state(0).unwrap().layer_second_moments();
    assert_eq!(default_group, [alone(0), alone(2)]);
    assert_eq!(
        set.group_state(1).unwrap().layer_second_moments(),
        [alone(1)]
    );
    // ν_2 = (1 - β₂) ‖g‖² + β₂ ‖g‖² = ‖g‖² for a gradient that does not change.
    let squared: f64 = g[1].iter().map(|v| v * v).sum();
    assert!((alone(1) - squared).abs() <= 1e-12 * squared);
}

#[test]
fn large_sets_split_over_threads_are_the_rules_bit_for_bit() {
    // 2^18 values in all, so that the set is split over the pool, by tensors and within the
    // largest tensor.
    let shapes = vec![vec![3], vec![512, 300], vec![64, 64, 11], vec![5, 1]];
    let x = tensors_of(&shapes, 0.5);
    let grads: Vec<_> = (0..2)
        .map(|s| tensors_of(&shapes, s as f64 - 3.0))
        .collect();
    for case in configs(0.01)
        .iter()
        .step_by(3)
        .chain(&layerwise_configs(0.01))
    {
        let (set, rules) = case.run(&x, &[false, true, false, true], &grads, &[vec![2, 0]], 0.5);
        assert!(set == rules, "{}", case.name());
    }
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..5, 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random shapes, layouts, groups and scale: every rule's set is its rules, bit for bit.
    #[test]
    fn a_set_is_its_rules_on_each_tensor(
        shapes in proptest::collection::vec(shape(), 1..6),
        layouts in proptest::collection::vec(any::<bool>(), 6),
        assignment in proptest::collection::vec(0usize..3, 6),
        scale in 0.0f64..2.0,
        seed in -5.0f64..5.0,
    ) {
        let n = shapes.len();
        let groups: Vec<Vec<usize>> = (1..3)
            .map(|g| (0..n).filter(|&i| assignment[i] == g).collect())
            .collect();
        let x = tensors_of(&shapes, seed);
        let grads: Vec<_> = (0..3).map(|s| tensors_of(&shapes, seed + s as f64 + 0.5)).collect();
        for case in configs(0.03).into_iter().chain(layerwise_configs(0.03)) {
            let (set, rules) = case.run(&x, &layouts[..n], &grads, &groups, scale);
            prop_assert_eq!(set, rules, "{}", case.name());
        }
    }

    /// Any mismatch of counts or shapes is a typed error, and leaves tensors and states as they
    /// were: the next good step is the one the set would have taken.
    #[test]
    fn mismatches_are_errors_that_change_nothing(
        shapes in proptest::collection::vec(shape(), 1..4),
        other in shape(),
        which in 0usize..4,
        kind in 0usize..4,
    ) {
        let i = which % shapes.len();
        let mut set = ParameterSet::new(AdamConfig::<f64>::default()).unwrap();
        let mut reference = set.clone();
        let mut x = tensors_of(&shapes, 1.0);
        let mut x_ref = x.clone();
        let g = tensors_of(&shapes, 2.0);
        let step = |set: &mut ParameterSet<AdamConfig<f64>>, x: &mut Vec<ArrayD<f64>>, g: &[ArrayD<f64>]| {
            let mut xv: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
            let gv: Vec<_> = g.iter().map(|g| g.view()).collect();
            set.step(&mut xv, &gv)
        };
        step(&mut set, &mut x, &g).unwrap();
        step(&mut reference, &mut x_ref, &g).unwrap();
        let mut bad_x = x.clone();
        let mut bad_g = g.clone();
        match kind {
            0 => { bad_g[i] = ArrayD::zeros(IxDyn(&other)); }
            1 => { bad_x[i] = ArrayD::zeros(IxDyn(&other)); bad_g[i] = bad_x[i].clone(); }
            2 => { bad_g.pop(); }
            _ => { bad_x.push(ArrayD::zeros(IxDyn(&other))); bad_g.push(ArrayD::zeros(IxDyn(&other))); }
        }
        let same_shapes = bad_x.len() == x.len()
            && bad_g.len() == g.len()
            && bad_x.iter().zip(&x).all(|(a, b)| a.shape() == b.shape())
            && bad_g.iter().zip(&g).all(|(a, b)| a.shape() == b.shape());
        let result = step(&mut set, &mut bad_x, &bad_g);
        if same_shapes {
            prop_assert!(result.is_ok());
        } else {
            let err = result.unwrap_err();
            prop_assert!(
                matches!(err, Error::ShapeMismatch { .. } | Error::DimensionMismatch { .. }),
                "{err}"
            );
            prop_assert_eq!(set.steps_taken(), 1);
            step(&mut set, &mut x, &g).unwrap();
            step(&mut reference, &mut x_ref, &g).unwrap();
            prop_assert_eq!(&x, &x_ref);
        }
    }
}

#[test]
fn errors_name_the_tensor_and_the_fix() {
    let mut set = ParameterSet::new(AdamConfig::<f64>::default()).unwrap();
    let (mut w, mut b) = (
        ArrayD::<f64>::zeros(IxDyn(&[2, 3])),
        ArrayD::<f64>::zeros(IxDyn(&[3])),
    );
    let (gw, gb) = (w.clone(), b.clone());
    set.step(&mut [w.view_mut(), b.view_mut()], &[gw.view(), gb.view()])
        .unwrap();
    let mut w2 = ArrayD::<f64>::zeros(IxDyn(&[2, 4]));
    let gw2 = w2.clone();
    let message = set
        .step(&mut [w2.view_mut(), b.view_mut()], &[gw2.view(), gb.view()])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("tensor 0")
            && message.contains("[2, 3]")
            && message.contains("[2, 4]")
            && message.contains("reset()"),
        "{message}"
    );
    let message = set
        .step(&mut [w.view_mut(), b.view_mut()], &[gb.view(), gw.view()])
        .unwrap_err()
        .to_string();
    assert!(message.contains("gradient vs tensor"), "{message}");
    // After a reset, other tensors are welcome.
    set.reset();
    set.step(&mut [w2.view_mut()], &[gw2.view()]).unwrap();
}

#[test]
fn groups_are_checked() {
    let config = AdamConfig::<f64>::default();
    let twice = ParameterSet::new(config)
        .unwrap()
        .group([1, 2], config)
        .unwrap()
        .group([2], config)
        .unwrap_err();
    assert!(
        matches!(twice, Error::InvalidEntry { index: 0, .. }),
        "{twice}"
    );
    let bad = ParameterSet::new(config)
        .unwrap()
        .group([0], AdamConfig { lr: -1.0, ..config })
        .unwrap_err();
    assert!(
        matches!(bad, Error::InvalidParameter { name: "lr", .. }),
        "{bad}"
    );
    // A group naming a tensor beyond the last one given.
    let mut set = ParameterSet::new(config)
        .unwrap()
        .group([5], config)
        .unwrap();
    let mut x = ArrayD::<f64>::zeros(IxDyn(&[2]));
    let g = x.clone();
    let err = set.step(&mut [x.view_mut()], &[g.view()]).unwrap_err();
    assert!(matches!(err, Error::DimensionMismatch { .. }), "{err}");
    assert_eq!(set.steps_taken(), 0);
    assert!(set.set_group_config(2, config).is_err());
    set.set_group_config(1, AdamConfig { lr: 0.5, ..config })
        .unwrap();
    assert_eq!(set.groups()[1].lr, 0.5);
    assert_eq!((set.group_of(5), set.group_of(4)), (1, 0));
}

#[test]
fn a_step_after_the_first_allocates_nothing() {
    let shapes = [vec![4, 3], vec![3], vec![2, 2, 2]];
    let mut x = tensors_of(&shapes, 0.0);
    let g: Vec<_> = tensors_of(&shapes, 1.0)
        .iter()
        .enumerate()
        .map(|(i, g)| in_layout(g, i == 0))
        .collect();
    let mut set = ParameterSet::new(AdamConfig::<f64> {
        amsgrad: true,
        ..Default::default()
    })
    .unwrap()
    .group([1], AdamConfig::default())
    .unwrap();
    let [a, b, c] = &mut x[..] else {
        unreachable!()
    };
    let [ga, gb, gc] = &g[..] else { unreachable!() };
    let mut step = || {
        set.step(
            &mut [a.view_mut(), b.view_mut(), c.view_mut()],
            &[ga.view(), gb.view(), gc.view()],
        )
        .unwrap()
    };
    step();
    assert_eq!(allocations_during(|| (0..50).for_each(|_| step())), 0);
}

#[test]
fn a_step_of_a_layer_wise_rule_after_the_first_allocates_nothing() {
    use gradus::optim::NovoGradConfig;
    let shapes = [vec![4, 3], vec![3], vec![2, 2, 2]];
    let mut x = tensors_of(&shapes, 0.0);
    let g: Vec<_> = tensors_of(&shapes, 1.0)
        .iter()
        .enumerate()
        .map(|(i, g)| in_layout(g, i == 0))
        .collect();
    let config = NovoGradConfig::<f64>::default();
    let mut set = ParameterSet::new(config)
        .unwrap()
        .group([1], config)
        .unwrap();
    let [a, b, c] = &mut x[..] else {
        unreachable!()
    };
    let [ga, gb, gc] = &g[..] else { unreachable!() };
    let mut step = |set: &mut ParameterSet<NovoGradConfig<f64>>| {
        set.step(
            &mut [a.view_mut(), b.view_mut(), c.view_mut()],
            &[ga.view(), gb.view(), gc.view()],
        )
        .unwrap()
    };
    step(&mut set);
    assert_eq!(
        allocations_during(|| (0..50).for_each(|_| step(&mut set))),
        0
    );
    // Nor does a reset, whose next step refills the per-tensor moments in place.
    set.reset();
    assert_eq!(
        allocations_during(|| (0..5).for_each(|_| step(&mut set))),
        0
    );
}

#[test]
fn global_norm_clipping_over_a_set() {
    let mut a = ArrayD::from_shape_vec(IxDyn(&[2]), vec![3.0, 0.0]).unwrap();
    let mut b = ArrayD::from_shape_vec(IxDyn(&[1, 1]), vec![4.0]).unwrap();
    // |(3, 0, 4)| = 5: scaled by 2.5/5 exactly.
    let norm = clip_grad_norm(&mut [a.view_mut(), b.view_mut()], 2.5).unwrap();
    assert_eq!((norm, a[[0]], b[[0, 0]]), (5.0, 1.5, 2.0));
    // Within the threshold: untouched, and the norm is still returned.
    let norm = clip_grad_norm(&mut [a.view_mut(), b.view_mut()], 10.0).unwrap();
    assert_eq!((norm, a[[0]], b[[0, 0]]), (2.5, 1.5, 2.0));
    // Entries whose squares overflow: the norm is still right.
    let big = f64::MAX / 4.0;
    let mut c = ArrayD::from_elem(IxDyn(&[2, 2]), big);
    let norm = clip_grad_norm(&mut [c.view_mut()], 1.0).unwrap();
    assert!((norm / (2.0 * big) - 1.0).abs() < 1e-15, "{norm}");
    assert!(c.iter().all(|&v| (v - 0.5).abs() < 1e-15));
    // One tensor of a set is the vector function, bit for bit.
    let v: Vec<f64> = (0..37).map(|i| (i as f64 * 0.7).sin()).collect();
    let mut flat = Array1::from(v.clone());
    let mut d = ArrayD::from_shape_vec(IxDyn(&[37]), v).unwrap();
    let n1 = gradus::clip::clip_by_global_norm(flat.view_mut(), 0.5).unwrap();
    let n2 = clip_grad_norm(&mut [d.view_mut()], 0.5).unwrap();
    assert_eq!((n1, flat.to_vec()), (n2, d.iter().copied().collect()));
    // Bad thresholds are refused before anything moves.
    assert!(clip_grad_norm(&mut [d.view_mut()], -1.0).is_err());
    assert!(clip_grad_value(&mut [d.view_mut()], f64::NAN).is_err());
    let mut e = ArrayD::from_shape_vec(IxDyn(&[3]), vec![-2.0, 0.5, 7.0]).unwrap();
    clip_grad_value(&mut [e.view_mut()], 1.0).unwrap();
    assert_eq!(e.as_slice().unwrap(), &[-1.0, 0.5, 1.0]);
}

#[test]
fn a_group_keeps_its_buffers_until_a_reset() {
    let adam = AdamConfig::<f64>::default();
    let amsgrad = AdamConfig {
        amsgrad: true,
        ..adam
    };
    let mut set = ParameterSet::new(adam).unwrap();
    // Before the first step, any configuration goes.
    set.set_group_config(0, amsgrad).unwrap();
    set.set_group_config(0, adam).unwrap();
    let mut x = ArrayD::<f64>::ones(IxDyn(&[2, 2]));
    let g = x.clone();
    set.step(&mut [x.view_mut()], &[g.view()]).unwrap();
    assert!(set.group_state(0).is_some() && set.group_state(1).is_none());
    // AMSGrad needs a buffer the state was not started with: refused, the set unchanged.
    let err = set.set_group_config(0, amsgrad).unwrap_err();
    assert!(
        matches!(err, Error::Incompatible { .. }) && err.to_string().contains("reset()"),
        "{err}"
    );
    assert!(!set.groups()[0].amsgrad);
    // Other hyperparameters may change at any time.
    set.set_group_config(0, AdamConfig { lr: 0.5, ..adam })
        .unwrap();
    set.step(&mut [x.view_mut()], &[g.view()]).unwrap();
    set.reset();
    set.set_group_config(0, amsgrad).unwrap();
    set.step(&mut [x.view_mut()], &[g.view()]).unwrap();
}

/// A set read back from a file whose parts were edited apart is refused when read, with a
/// typed error, rather than met as a panic in a later step.
#[cfg(feature = "serde")]
#[test]
fn a_set_read_with_parts_that_disagree_is_refused() {
    use ciborium::value::Value;

    let shapes = [vec![2, 3], vec![4]];
    let mut x = tensors_of(&shapes, 0.0);
    let g = tensors_of(&shapes, 1.0);
    let mut set = ParameterSet::new(AdamConfig::<f64>::default())
        .unwrap()
        .group([1], AdamConfig::default())
        .unwrap();
    let mut views: Vec<_> = x.iter_mut().map(|x| x.view_mut()).collect();
    let gviews: Vec<_> = g.iter().map(|g| g.view()).collect();
    set.step(&mut views, &gviews).unwrap();
    let saved = Value::serialized(&set).unwrap();
    let read = |v: &Value| v.deserialized::<ParameterSet<AdamConfig<f64>>>();
    assert!(read(&saved).is_ok());
    // The value under `key` of a map.
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
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 4] = [
        ("a group that does not exist", |v| {
            *field(v, "group_of") = Value::Array(vec![Value::from(7)]);
        }),
        ("a range moved", |v| {
            let Value::Array(tensors) = field(v, "tensors") else {
                panic!()
            };
            *field(&mut tensors[0], "offset") = Value::from(3);
        }),
        ("a buffer emptied", |v| {
            let Value::Array(states) = field(v, "states") else {
                panic!()
            };
            *field(&mut states[1], "exp_avg_sq") = Value::Array(vec![]);
        }),
        ("a tensor dropped from its group", |v| {
            let Value::Array(members) = field(v, "members") else {
                panic!()
            };
            members[0] = Value::Array(vec![]);
        }),
    ];
    for (what, edit) in edits {
        let mut edited = saved.clone();
        edit(&mut edited);
        let err = read(&edited)
            .err()
            .unwrap_or_else(|| panic!("{what}: read"));
        assert!(
            err.to_string().contains("does not hold together"),
            "{what}: {err}"
        );
    }
}

/// Steps a set of the tensors `shapes` (the second one column-major) with `config` and the rule
/// on all their values end to end, and checks that both agree to `1e-12` at every step: the
/// rules that take sums over the coordinates (a norm, an inner product) take them over the
/// whole group. Returns the estimate `d` of both at the end.
fn a_group_steps_as_one_vector<C>(config: C, d: fn(&C::State) -> f64) -> (f64, f64)
where
    C: ElementwiseRule<Float = f64>,
{
    let shapes = vec![vec![3], vec![4, 5], vec![2, 1, 3]];
    let mut set = ParameterSet::new(config.clone()).unwrap();
    let mut rule = Rule::new(config).unwrap();
    let layouts = [false, true, false];
    let mut xs: Vec<ArrayD<f64>> = tensors_of(&shapes, 0.3)
        .iter()
        .zip(layouts)
        .map(|(t, column_major)| in_layout(t, column_major))
        .collect();
    let mut flat: Array1<f64> = xs.iter().flat_map(row_major).collect();
    for step in 0..6 {
        // Gradients that keep a direction, so that the estimates grow.
        let gs: Vec<ArrayD<f64>> = tensors_of(&shapes, 0.3)
            .into_iter()
            .zip(&xs)
            .map(|(g, x)| &g + &(x * 0.1 * step as f64))
            .collect();
        let g_flat: Array1<f64> = gs.iter().flat_map(row_major).collect();
        let mut views: Vec<ArrayViewMutD<f64>> = xs.iter_mut().map(|x| x.view_mut()).collect();
        let gviews: Vec<ArrayViewD<f64>> = gs.iter().map(|g| g.view()).collect();
        set.step(&mut views, &gviews).unwrap();
        rule.step(flat.view_mut(), g_flat.view(), rule.default_lr())
            .unwrap();
        let set_flat: Vec<f64> = xs.iter().flat_map(row_major).collect();
        for (a, b) in set_flat.iter().zip(&flat) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{}: {a} {b} at step {step}",
                rule.name()
            );
        }
    }
    (d(set.group_state(0).unwrap()), d(rule.state()))
}

#[test]
fn the_rules_that_learn_their_step_size_sum_over_the_whole_group() {
    use gradus::optim::{
        DAdaptAdamWConfig, DAdaptAdamWState, DAdaptSgdConfig, DAdaptSgdState, ProdigyConfig,
        ProdigyState,
    };
    let estimates = [
        a_group_steps_as_one_vector(
            ProdigyConfig {
                estim_lr0: 1e-2,
                weight_decay: 0.01,
                ..Default::default()
            },
            ProdigyState::d,
        ),
        a_group_steps_as_one_vector(
            DAdaptAdamWConfig {
                estim_lr0: 1e-2,
                ..Default::default()
            },
            DAdaptAdamWState::d,
        ),
        a_group_steps_as_one_vector(
            DAdaptSgdConfig {
                d0: 1e-2,
                momentum: 0.5,
                weight_decay: 0.01,
                ..Default::default()
            },
            DAdaptSgdState::d,
        ),
    ];
    for (set, rule) in estimates {
        assert!(set > 1e-2, "the estimate must have grown: {set}");
        assert!((set - rule).abs() <= 1e-12 * rule, "{set} {rule}");
    }
}
