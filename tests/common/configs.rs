//! Every elementwise rule of the registry as a configuration, each variant once with its options
//! on: for the tests that need the configuration type itself (parameter sets, checkpoints), not
//! a boxed rule. A test in `parameter_sets.rs` checks that the names are the registry's
//! elementwise rules.

use gradus::optim::{
    AdaGradConfig, AdadeltaConfig, AdamConfig, AdamaxConfig, AdoptConfig, CocobConfig,
    DAdaptAdamWConfig, DAdaptSgdConfig, DogConfig, DogStart, DowgConfig, ElementwiseRule,
    GradientDescentConfig, MomentumConfig, NAdamConfig, ProdigyConfig, RAdamConfig, RmsPropConfig,
};
use gradus::optim::{AsgdConfig, RpropConfig};

/// What a saved value must implement: serde's traits with the `serde` feature, nothing without.
#[cfg(feature = "serde")]
pub trait Saveable: serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> Saveable for T {}
/// What a saved value must implement: serde's traits with the `serde` feature, nothing without.
#[cfg(not(feature = "serde"))]
pub trait Saveable {}
#[cfg(not(feature = "serde"))]
impl<T> Saveable for T {}

/// A check run on one configuration, whatever its type.
pub trait ConfigCheck {
    fn config<C>(&mut self, config: C)
    where
        C: ElementwiseRule<Float = f64> + Saveable + 'static,
        C::State: Saveable;
}

/// Runs `check` on every elementwise variant, with weight decay `wd`.
pub fn every_elementwise(check: &mut impl ConfigCheck, wd: f64) {
    check.config(GradientDescentConfig {
        maximize: false,
        lr: 0.1,
        weight_decay: wd,
    });
    for nesterov in [false, true] {
        check.config(MomentumConfig {
            maximize: false,
            lr: 0.1,
            momentum: 0.8,
            dampening: if nesterov { 0.0 } else { 0.1 },
            weight_decay: wd,
            nesterov,
        });
    }
    for centered in [false, true] {
        check.config(RmsPropConfig {
            momentum: 0.5,
            weight_decay: wd,
            centered,
            ..Default::default()
        });
    }
    for amsgrad in [false, true] {
        check.config(AdamConfig {
            weight_decay: wd,
            amsgrad,
            ..Default::default()
        });
        check.config(AdamConfig {
            weight_decay: wd,
            amsgrad,
            ..AdamConfig::adamw()
        });
    }
    check.config(AdaGradConfig {
        lr_decay: 0.1,
        weight_decay: wd,
        initial_accumulator_value: 0.1,
        ..Default::default()
    });
    check.config(AdamaxConfig {
        weight_decay: wd,
        ..Default::default()
    });
    for decoupled_weight_decay in [false, true] {
        check.config(NAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        });
        check.config(RAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        });
    }
    check.config(AdadeltaConfig {
        weight_decay: wd,
        ..Default::default()
    });
    // Rprop has no weight decay.
    check.config(RpropConfig {
        etas: (0.3, 1.5),
        step_sizes: (1e-4, 1.0),
        ..Default::default()
    });
    check.config(AsgdConfig {
        lambd: 0.01,
        t0: 2.0,
        weight_decay: wd,
        ..Default::default()
    });
    // ADOPT has no weight decay.
    for nesterov in [false, true] {
        check.config(AdoptConfig {
            b2: 0.9,
            nesterov,
            use_clipping: !nesterov,
            ..Default::default()
        });
    }
    check.config(CocobConfig {
        alpha: 4.0,
        weight_decay: wd,
        ..Default::default()
    });
    check.config(gradus::optim::LionConfig {
        lr: 0.01,
        b1: 0.8,
        weight_decay: wd,
        ..Default::default()
    });
    // Sign SGD has no weight decay.
    check.config(gradus::optim::SignSgdConfig { lr: 0.01 });
    // Signum has no weight decay.
    check.config(gradus::optim::SignumConfig {
        lr: 0.01,
        beta: 0.5,
    });
    // Yogi has no weight decay.
    check.config(gradus::optim::YogiConfig {
        b2: 0.9,
        initial_accumulator_value: 0.1,
        ..Default::default()
    });
    // AdaBelief has no weight decay.
    for nesterov in [false, true] {
        check.config(gradus::optim::AdaBeliefConfig {
            b2: 0.9,
            eps_root: 1e-8,
            nesterov,
            ..Default::default()
        });
    }
    check.config(gradus::optim::AdanConfig {
        b1: 0.9,
        b3: 0.9,
        weight_decay: wd,
        ..Default::default()
    });
    // Optimistic gradient descent has no weight decay.
    check.config(gradus::optim::OptimisticGradientDescentConfig {
        lr: 0.01,
        alpha: 0.5,
        beta: 0.25,
    });
}

/// Runs `check` on every rule whose step needs sums over all coordinates (a first pass,
/// [`ElementwiseRule::gather`]), with weight decay `wd`: on a parameter set these sums run over
/// every tensor of a group, so a set is the rule on the tensors laid end to end, not on each
/// tensor alone.
pub fn every_gathering(check: &mut impl ConfigCheck, wd: f64) {
    for init_step in [DogStart::Heuristic(1e-4), DogStart::LearningRate(0.05)] {
        check.config(DogConfig {
            init_step,
            weight_decay: wd,
            ..Default::default()
        });
    }
    check.config(DowgConfig {
        weight_decay: wd,
        ..Default::default()
    });
    check.config(ProdigyConfig {
        estim_lr0: 1e-3,
        safeguard_warmup: true,
        weight_decay: wd,
        ..Default::default()
    });
    check.config(DAdaptAdamWConfig {
        estim_lr0: 1e-3,
        weight_decay: wd,
        ..Default::default()
    });
    check.config(DAdaptSgdConfig {
        momentum: 0.5,
        weight_decay: wd,
        ..Default::default()
    });
}

/// Runs `check` on every layer-wise rule (sums [per tensor](ElementwiseRule::SUMS_PER_TENSOR):
/// LAMB, LARS, NovoGrad, Fromage), with weight decay `wd`: on a parameter set every tensor is a
/// layer of its own, so a set is the rule on each tensor alone.
pub fn every_layerwise(check: &mut impl ConfigCheck, wd: f64) {
    check.config(gradus::optim::LambConfig {
        lr: 0.01,
        b2: 0.9,
        eps_root: 1e-8,
        weight_decay: wd,
        ..Default::default()
    });
    for nesterov in [false, true] {
        check.config(gradus::optim::LarsConfig {
            lr: 0.5,
            weight_decay: wd,
            trust_coefficient: 0.02,
            eps: 1e-9,
            momentum: 0.8,
            nesterov,
            ..Default::default()
        });
    }
    check.config(gradus::optim::NovoGradConfig {
        lr: 0.01,
        b2: 0.5,
        eps_root: 1e-8,
        weight_decay: wd,
        ..Default::default()
    });
    // Fromage has no weight decay (it shrinks x by 1/√(1 + γ²) instead).
    check.config(gradus::optim::FromageConfig {
        lr: 0.05,
        min_norm: 1e-6,
    });
}
