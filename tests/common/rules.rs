//! The registry of every update rule the tests run: each rule and each variant of it, once, with
//! its name, its constructors and the flags that say which properties it has.
//!
//! Adding a rule to the crate is one entry in [`rules`]: every test that loops over the registry
//! (the shared step properties of `rules_steps.rs`, the property tests of `rules_proptest.rs`,
//! the projected runs of `projected.rs`) then runs on it. A test that holds only for some rules
//! filters on a flag rather than keeping its own list, and a test that a flag is what the rule
//! says of itself ([`Optimizer::has_search_direction`], [`Optimizer::name`]) keeps the registry
//! honest.

use gradus::optim::{
    AcceleratedGradientConfig, AdaGradConfig, AdadeltaConfig, AdamConfig, AdamaxConfig,
    AdoptConfig, BarzilaiBorweinConfig, BbVariant, CocobConfig, DAdaptAdamWConfig, DAdaptSgdConfig,
    DogConfig, DogStart, DowgConfig, GradientDescentConfig, LbfgsConfig, MomentumConfig,
    NAdamConfig, ProdigyConfig, RAdamConfig, RmsPropConfig,
};
use gradus::optim::{AsgdConfig, RpropConfig};
use gradus::{
    AcceleratedGradient, AdaGrad, Adadelta, Adam, Adamax, Adopt, BarzilaiBorwein, Cocob,
    DAdaptAdamW, DAdaptSgd, Dog, Dowg, GradientDescent, Lbfgs, Momentum, NAdam, Optimizer, Prodigy,
    RAdam, Real, RmsProp,
};
use gradus::{Asgd, Rprop};

/// A rule behind the trait, as the tests drive it.
pub type Boxed<F> = Box<dyn Optimizer<F>>;

/// Draws of valid hyperparameters, in the rules' domains; each rule reads the ones it needs.
#[derive(Debug, Clone, Copy)]
pub struct Draw {
    /// A decay rate in `[0, 1)`: `β₁`, `α`, `ρ`, a momentum.
    pub rate1: f64,
    /// A second decay rate in `[0, 1)`: `β₂`, RMSProp's momentum.
    pub rate2: f64,
    /// A stabilising `eps > 0`.
    pub eps: f64,
    /// A decay in `[0, 1)` of another kind: AdaGrad's `lr_decay`, a fraction of `1/lr` for `μ`.
    pub lr_decay: f64,
    /// NAdam's `momentum_decay >= 0`.
    pub momentum_decay: f64,
}

/// One rule or one variant of a rule (PyTorch's `optim_db` entry).
pub struct Rule<F> {
    /// What [`Optimizer::name`] says for every instance the constructors make.
    pub name: &'static str,
    /// The update of `x_i` reads only `x_i`, `g_i`, the rule's state of coordinate `i` and the
    /// step count: no inner product or norm over the vector. A step on a vector is then the
    /// steps on its pieces, bit for bit.
    pub elementwise: bool,
    /// The rule has a search direction, so the loop can drive it with a line search.
    pub has_search_direction: bool,
    /// The rule estimates curvature from differences of successive gradients (secant pairs),
    /// which minibatch gradients, each of another sample, turn into noise: run it on exact
    /// gradients only.
    pub needs_exact_gradients: bool,
    /// The rule's estimate of its step size assumes that the gradient vanishes where the
    /// iterates settle (D-Adaptation's lower bound on the distance to a solution): with a
    /// projection, where the gradient at the solution does not vanish, the estimate grows
    /// without bound and the run diverges. Not run on constrained problems.
    pub needs_unconstrained: bool,
    /// The rule carries a velocity or a first moment: a zero gradient after some steps still
    /// moves `x`. Without it, a zero gradient leaves `x` where it is at any time.
    pub momentum: bool,
    /// The rule keeps per-coordinate state, allocated for the length of its first step.
    pub stateful: bool,
    /// The rule shrinks `x` towards zero at every step, whatever the gradient (ASGD's factor
    /// `1 - λη`, on at its defaults; Fromage's `1/√(1 + γ²)`): a zero gradient still moves `x`,
    /// from a fresh state too.
    pub shrinks: bool,
    /// The rule's state holds squared gradients (second moments, accumulators), so a gradient
    /// component beyond about `√MAX` makes it infinite: the rule reports
    /// `Error::NonFiniteState` after such a step.
    pub squares_gradient: bool,
    /// The default `lr` of the PyTorch optimizer of the same name, which the rule's
    /// [`Optimizer::default_lr`] must equal; `None` for rules PyTorch does not have.
    pub pytorch_lr: Option<f64>,
    /// The variant at its documented defaults.
    pub default: fn() -> Boxed<F>,
    /// The variant with every option on (dampening, centring, a learning-rate decay, a restart,
    /// a short memory, ...) and weight decay `wd` wherever the rule has it.
    pub with_options: fn(wd: F) -> Boxed<F>,
    /// The variant from raw hyperparameters `h` (`h[0]` is `lr`, the others in the order of the
    /// rule's configuration), which may be anything: `None` when construction rejects them.
    pub from_raw: fn(h: &[f64; 6]) -> Option<Boxed<F>>,
    /// The variant from valid hyperparameters, with `lr = 1`.
    pub from_draw: fn(d: &Draw) -> Boxed<F>,
}

impl<F> std::fmt::Debug for Rule<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

fn boxed<F: Real, O: Optimizer<F> + 'static>(rule: O) -> Boxed<F> {
    Box::new(rule)
}

/// `Some` boxed rule if construction succeeded.
fn built<F: Real, O: Optimizer<F> + 'static>(rule: gradus::Result<O>) -> Option<Boxed<F>> {
    rule.ok().map(boxed)
}

/// Every rule and variant of the crate.
pub fn rules<F: Real>() -> Vec<Rule<F>> {
    vec![
        Rule {
            name: "GradientDescent",
            elementwise: true,
            has_search_direction: true,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: false,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: Some(1e-3),
            default: || boxed(GradientDescent::default()),
            with_options: |wd| {
                boxed(
                    GradientDescent::new(GradientDescentConfig {
                        maximize: false,
                        lr: F::lit(0.1),
                        weight_decay: wd,
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(GradientDescent::new(GradientDescentConfig {
                    maximize: false,
                    lr: F::lit(h[0]),
                    weight_decay: F::lit(h[1]),
                }))
            },
            from_draw: |_| boxed(GradientDescent::with_lr(F::one()).unwrap()),
        },
        momentum_rule(false),
        momentum_rule(true),
        rmsprop_rule(false),
        rmsprop_rule(true),
        adam_rule(false, false),
        adam_rule(true, false),
        adam_rule(false, true),
        adam_rule(true, true),
        Rule {
            name: "AdaGrad",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: true,
            pytorch_lr: Some(1e-2),
            default: || boxed(AdaGrad::default()),
            with_options: |wd| {
                boxed(
                    AdaGrad::new(AdaGradConfig {
                        lr_decay: F::lit(0.1),
                        weight_decay: wd,
                        initial_accumulator_value: F::lit(0.1),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(AdaGrad::new(AdaGradConfig {
                    maximize: false,
                    lr: F::lit(h[0]),
                    lr_decay: F::lit(h[1]),
                    weight_decay: F::lit(h[2]),
                    initial_accumulator_value: F::lit(h[3]),
                    eps: F::lit(h[4]),
                }))
            },
            from_draw: |d| {
                boxed(
                    AdaGrad::new(AdaGradConfig {
                        maximize: false,
                        lr: F::one(),
                        lr_decay: F::lit(d.lr_decay),
                        weight_decay: F::zero(),
                        initial_accumulator_value: F::lit(d.rate1),
                        eps: F::lit(d.eps),
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "Adamax",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: true,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: Some(2e-3),
            default: || boxed(Adamax::default()),
            with_options: |wd| {
                boxed(
                    Adamax::new(AdamaxConfig {
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Adamax::new(AdamaxConfig {
                    maximize: false,
                    lr: F::lit(h[0]),
                    betas: (F::lit(h[1]), F::lit(h[2])),
                    eps: F::lit(h[3]),
                    weight_decay: F::lit(h[4]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Adamax::new(AdamaxConfig {
                        maximize: false,
                        lr: F::one(),
                        betas: (F::lit(d.rate1), F::lit(d.rate2)),
                        eps: F::lit(d.eps),
                        weight_decay: F::zero(),
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "DoG",
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(Dog::default()),
            with_options: |wd| {
                boxed(
                    Dog::new(DogConfig {
                        init_step: DogStart::Distance(F::lit(1e-3)),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Dog::new(DogConfig {
                    lr: F::lit(h[0]),
                    init_step: DogStart::Heuristic(F::lit(h[1])),
                    eps: F::lit(h[2]),
                    weight_decay: F::lit(h[3]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Dog::new(DogConfig {
                        lr: F::one(),
                        eps: F::lit(d.eps),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "DoWG",
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(Dowg::default()),
            with_options: |wd| {
                boxed(
                    Dowg::new(DowgConfig {
                        init_estim_sq_dist: Some(F::lit(1e-2)),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Dowg::new(DowgConfig {
                    lr: F::lit(h[0]),
                    init_estim_sq_dist: Some(F::lit(h[1])),
                    eps: F::lit(h[2]),
                    weight_decay: F::lit(h[3]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Dowg::new(DowgConfig {
                        lr: F::one(),
                        eps: F::lit(d.eps),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "Prodigy",
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: true,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(Prodigy::default()),
            with_options: |wd| {
                boxed(
                    Prodigy::new(ProdigyConfig {
                        estim_lr0: F::lit(1e-3),
                        safeguard_warmup: true,
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Prodigy::new(ProdigyConfig {
                    lr: F::lit(h[0]),
                    betas: (F::lit(h[1]), F::lit(h[2])),
                    eps: F::lit(h[3]),
                    weight_decay: F::lit(h[4]),
                    estim_lr0: F::lit(h[5]),
                    ..Default::default()
                }))
            },
            from_draw: |d| {
                boxed(
                    Prodigy::new(ProdigyConfig {
                        lr: F::one(),
                        betas: (F::lit(d.rate1), F::lit(d.rate2)),
                        eps: F::lit(d.eps),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "DAdaptAdamW",
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: true,
            momentum: true,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(DAdaptAdamW::default()),
            with_options: |_wd| {
                boxed(
                    // Weight decay, decoupled, leaves a gradient that does not vanish where
                    // the iterates settle: D-Adaptation's estimate then grows without bound
                    // (see `DAdaptAdamW`'s documentation). So no weight decay here.
                    DAdaptAdamW::new(DAdaptAdamWConfig {
                        estim_lr0: F::lit(1e-3),
                        weight_decay: F::zero(),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(DAdaptAdamW::new(DAdaptAdamWConfig {
                    lr: F::lit(h[0]),
                    betas: (F::lit(h[1]), F::lit(h[2])),
                    eps: F::lit(h[3]),
                    weight_decay: F::lit(h[4]),
                    estim_lr0: F::lit(h[5]),
                }))
            },
            from_draw: |d| {
                boxed(
                    DAdaptAdamW::new(DAdaptAdamWConfig {
                        lr: F::one(),
                        betas: (F::lit(d.rate1), F::lit(d.rate2)),
                        eps: F::lit(d.eps),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "DAdaptSGD",
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: true,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(DAdaptSgd::default()),
            with_options: |wd| {
                boxed(
                    DAdaptSgd::new(DAdaptSgdConfig {
                        momentum: F::lit(0.5),
                        growth_rate: Some(F::lit(2.0)),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(DAdaptSgd::new(DAdaptSgdConfig {
                    lr: F::lit(h[0]),
                    momentum: F::lit(h[1]),
                    weight_decay: F::lit(h[2]),
                    d0: F::lit(h[3]),
                    growth_rate: Some(F::lit(h[4])),
                }))
            },
            from_draw: |d| {
                boxed(
                    DAdaptSgd::new(DAdaptSgdConfig {
                        lr: F::one(),
                        momentum: F::lit(d.rate1),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
        },
        nadam_rule(false),
        nadam_rule(true),
        radam_rule(false),
        radam_rule(true),
        Rule {
            name: "Adadelta",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: true,
            pytorch_lr: Some(1.0),
            default: || boxed(Adadelta::default()),
            with_options: |wd| {
                boxed(
                    Adadelta::new(AdadeltaConfig {
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Adadelta::new(AdadeltaConfig {
                    maximize: false,
                    lr: F::lit(h[0]),
                    rho: F::lit(h[1]),
                    eps: F::lit(h[2]),
                    weight_decay: F::lit(h[3]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Adadelta::new(AdadeltaConfig {
                        maximize: false,
                        lr: F::one(),
                        rho: F::lit(d.rate1),
                        eps: F::lit(d.eps),
                        weight_decay: F::zero(),
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "Rprop",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: Some(1e-2),
            default: || boxed(Rprop::default()),
            with_options: |_wd| {
                boxed(
                    Rprop::new(RpropConfig {
                        etas: (F::lit(0.3), F::lit(1.5)),
                        step_sizes: (F::lit(1e-4), F::lit(1.0)),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Rprop::new(RpropConfig {
                    lr: F::lit(h[0]),
                    etas: (F::lit(h[1]), F::lit(h[2])),
                    step_sizes: (F::lit(h[3]), F::lit(h[4])),
                    maximize: false,
                }))
            },
            from_draw: |d| {
                boxed(
                    Rprop::new(RpropConfig {
                        lr: F::one(),
                        etas: (F::lit(0.1 + 0.8 * d.rate1), F::lit(1.1 + d.rate2)),
                        step_sizes: (F::lit(1e-6), F::lit(50.0)),
                        maximize: false,
                    })
                    .unwrap(),
                )
            },
        },
        Rule {
            name: "ASGD",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: true,
            squares_gradient: false,
            pytorch_lr: Some(1e-2),
            default: || boxed(Asgd::default()),
            with_options: |wd| {
                boxed(
                    Asgd::new(AsgdConfig {
                        lambd: F::lit(0.01),
                        t0: F::lit(2.0),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Asgd::new(AsgdConfig {
                    lr: F::lit(h[0]),
                    lambd: F::lit(h[1]),
                    alpha: F::lit(h[2]),
                    t0: F::lit(h[3]),
                    weight_decay: F::lit(h[4]),
                    maximize: false,
                }))
            },
            from_draw: |d| {
                boxed(
                    // λ shrinks x towards 0 as a weight decay does, whatever the gradient:
                    // zero, as the weight decay of every draw.
                    Asgd::new(AsgdConfig {
                        lr: F::one(),
                        lambd: F::zero(),
                        alpha: F::lit(d.rate1 + d.lr_decay),
                        t0: F::lit(d.momentum_decay),
                        weight_decay: F::zero(),
                        maximize: false,
                    })
                    .unwrap(),
                )
            },
        },
        adopt_rule(false),
        adopt_rule(true),
        Rule {
            name: "COCOB",
            elementwise: true,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            // A zero gradient leaves the state, and so x = x₀ + bet, as it was.
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(Cocob::default()),
            with_options: |wd| {
                boxed(
                    Cocob::new(CocobConfig {
                        alpha: F::lit(4.0),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(Cocob::new(CocobConfig {
                    lr: F::lit(h[0]),
                    alpha: F::lit(h[1]),
                    eps: F::lit(h[2]),
                    weight_decay: F::lit(h[3]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Cocob::new(CocobConfig {
                        lr: F::one(),
                        alpha: F::lit(1.0 + 200.0 * d.rate1),
                        eps: F::lit(d.eps),
                        weight_decay: F::zero(),
                    })
                    .unwrap(),
                )
            },
        },
        lion_rule(),
        sign_sgd_rule(),
        signum_rule(),
        yogi_rule(),
        adabelief_rule(false),
        adabelief_rule(true),
        adan_rule(),
        optimistic_gradient_descent_rule(),
        adafactor_rule(),
        muon_rule(),
        sm3_rule(),
        lamb_rule(),
        lars_rule(false),
        lars_rule(true),
        novograd_rule(),
        fromage_rule(),
        Rule {
            name: "L-BFGS",
            elementwise: false,
            has_search_direction: true,
            needs_exact_gradients: true,
            needs_unconstrained: false,
            momentum: false,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            // torch.optim.LBFGS(lr=1).
            pytorch_lr: Some(1.0),
            default: || boxed(Lbfgs::default()),
            with_options: |_| boxed(Lbfgs::with_memory(3).unwrap()),
            from_raw: |h| {
                built(Lbfgs::new(LbfgsConfig {
                    lr: F::lit(h[0]),
                    // A saturating cast: NaN and negative values give 0, which is rejected.
                    memory: h[1].min(64.0) as usize,
                    curvature_eps: F::lit(h[2]),
                }))
            },
            from_draw: |d| {
                boxed(
                    Lbfgs::new(LbfgsConfig {
                        lr: F::one(),
                        memory: 1 + (10.0 * d.rate1) as usize,
                        curvature_eps: F::lit(d.eps),
                    })
                    .unwrap(),
                )
            },
        },
        barzilai_borwein_rule(BbVariant::Long),
        barzilai_borwein_rule(BbVariant::Short),
        Rule {
            name: "AcceleratedGradient",
            // The adaptive restart tests the inner product ∇f(y_k)'(x_k - x_{k-1}).
            elementwise: false,
            has_search_direction: false,
            needs_exact_gradients: false,
            needs_unconstrained: false,
            momentum: true,
            stateful: true,
            shrinks: false,
            squares_gradient: false,
            pytorch_lr: None,
            default: || boxed(AcceleratedGradient::default()),
            with_options: |_| {
                boxed(
                    AcceleratedGradient::new(AcceleratedGradientConfig {
                        lr: F::lit(0.1),
                        mu: F::lit(0.5),
                        restart: true,
                    })
                    .unwrap(),
                )
            },
            from_raw: |h| {
                built(AcceleratedGradient::new(AcceleratedGradientConfig {
                    lr: F::lit(h[0]),
                    mu: F::lit(h[1]),
                    restart: true,
                }))
            },
            from_draw: |d| {
                boxed(
                    AcceleratedGradient::new(AcceleratedGradientConfig {
                        lr: F::one(),
                        mu: F::lit(0.1 * d.lr_decay),
                        restart: true,
                    })
                    .unwrap(),
                )
            },
        },
    ]
}

/// Heavy ball (`nesterov = false`) or Nesterov's momentum.
fn momentum_rule<F: Real>(nesterov: bool) -> Rule<F> {
    Rule {
        name: if nesterov { "Nesterov" } else { "Momentum" },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        momentum: true,
        stateful: true,
        shrinks: false,
        squares_gradient: false,
        pytorch_lr: Some(1e-3),
        default: if nesterov {
            || boxed(Momentum::nesterov(F::lit(1e-3), F::lit(0.9)).unwrap())
        } else {
            || boxed(Momentum::default())
        },
        with_options: if nesterov {
            // Nesterov's momentum needs zero dampening.
            |wd| {
                boxed(
                    Momentum::new(MomentumConfig {
                        momentum: F::lit(0.8),
                        weight_decay: wd,
                        nesterov: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            |wd| {
                boxed(
                    Momentum::new(MomentumConfig {
                        momentum: F::lit(0.8),
                        dampening: F::lit(0.1),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        },
        from_raw: if nesterov {
            |h| momentum_from_raw(h, true)
        } else {
            |h| momentum_from_raw(h, false)
        },
        from_draw: if nesterov {
            // Nesterov's momentum needs a positive momentum.
            |d| momentum_from_draw(d.rate1.max(1e-3), true)
        } else {
            |d| momentum_from_draw(d.rate1, false)
        },
    }
}

fn momentum_from_raw<F: Real>(h: &[f64; 6], nesterov: bool) -> Option<Boxed<F>> {
    built(Momentum::new(MomentumConfig {
        maximize: false,
        lr: F::lit(h[0]),
        momentum: F::lit(h[1]),
        dampening: F::lit(h[2]),
        weight_decay: F::lit(h[3]),
        nesterov,
    }))
}

fn momentum_from_draw<F: Real>(momentum: f64, nesterov: bool) -> Boxed<F> {
    boxed(
        Momentum::new(MomentumConfig {
            maximize: false,
            lr: F::one(),
            momentum: F::lit(momentum),
            dampening: F::zero(),
            weight_decay: F::zero(),
            nesterov,
        })
        .unwrap(),
    )
}

/// RMSProp, plain or centred.
fn rmsprop_rule<F: Real>(centered: bool) -> Rule<F> {
    Rule {
        name: if centered {
            "RMSProp (centered)"
        } else {
            "RMSProp"
        },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        // A velocity only with `momentum > 0`, which is not the default.
        momentum: false,
        stateful: true,
        shrinks: false,
        squares_gradient: true,
        pytorch_lr: Some(1e-2),
        default: if centered {
            || {
                boxed(
                    RmsProp::new(RmsPropConfig {
                        centered: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            || boxed(RmsProp::default())
        },
        with_options: if centered {
            |wd| {
                boxed(
                    RmsProp::new(RmsPropConfig {
                        alpha: F::lit(0.9),
                        weight_decay: wd,
                        momentum: F::lit(0.5),
                        centered: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            |wd| {
                boxed(
                    RmsProp::new(RmsPropConfig {
                        alpha: F::lit(0.9),
                        weight_decay: wd,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        },
        from_raw: if centered {
            |h| rmsprop_from_raw(h, true)
        } else {
            |h| rmsprop_from_raw(h, false)
        },
        from_draw: if centered {
            |d| rmsprop_from_draw(d, true)
        } else {
            |d| rmsprop_from_draw(d, false)
        },
    }
}

fn rmsprop_from_raw<F: Real>(h: &[f64; 6], centered: bool) -> Option<Boxed<F>> {
    built(RmsProp::new(RmsPropConfig {
        maximize: false,
        lr: F::lit(h[0]),
        alpha: F::lit(h[1]),
        eps: F::lit(h[2]),
        weight_decay: F::lit(h[3]),
        momentum: F::lit(h[4]),
        centered,
    }))
}

fn rmsprop_from_draw<F: Real>(d: &Draw, centered: bool) -> Boxed<F> {
    boxed(
        RmsProp::new(RmsPropConfig {
            maximize: false,
            lr: F::one(),
            alpha: F::lit(d.rate1),
            eps: F::lit(d.eps),
            weight_decay: F::zero(),
            momentum: F::lit(d.rate2),
            centered,
        })
        .unwrap(),
    )
}

/// Adam, AMSGrad, AdamW or AMSGradW.
fn adam_rule<F: Real>(amsgrad: bool, decoupled: bool) -> Rule<F> {
    Rule {
        name: match (amsgrad, decoupled) {
            (false, false) => "Adam",
            (true, false) => "AMSGrad",
            (false, true) => "AdamW",
            (true, true) => "AMSGradW",
        },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        momentum: true,
        stateful: true,
        shrinks: false,
        squares_gradient: true,
        pytorch_lr: Some(1e-3),
        default: match (amsgrad, decoupled) {
            (false, false) => || boxed(Adam::default()),
            (true, false) => || boxed(Adam::amsgrad(F::lit(1e-3)).unwrap()),
            (false, true) => || boxed(Adam::new(AdamConfig::adamw()).unwrap()),
            (true, true) => || {
                boxed(
                    Adam::new(AdamConfig {
                        amsgrad: true,
                        ..AdamConfig::adamw()
                    })
                    .unwrap(),
                )
            },
        },
        with_options: match (amsgrad, decoupled) {
            (false, false) => |wd| adam_with(wd, false, false),
            (true, false) => |wd| adam_with(wd, true, false),
            (false, true) => |wd| adam_with(wd, false, true),
            (true, true) => |wd| adam_with(wd, true, true),
        },
        from_raw: match (amsgrad, decoupled) {
            (false, false) => |h| adam_from_raw(h, false, false),
            (true, false) => |h| adam_from_raw(h, true, false),
            (false, true) => |h| adam_from_raw(h, false, true),
            (true, true) => |h| adam_from_raw(h, true, true),
        },
        from_draw: match (amsgrad, decoupled) {
            (false, false) => |d| adam_from_draw(d, false, false),
            (true, false) => |d| adam_from_draw(d, true, false),
            (false, true) => |d| adam_from_draw(d, false, true),
            (true, true) => |d| adam_from_draw(d, true, true),
        },
    }
}

fn adam_with<F: Real>(wd: F, amsgrad: bool, decoupled_weight_decay: bool) -> Boxed<F> {
    boxed(
        Adam::new(AdamConfig {
            weight_decay: wd,
            amsgrad,
            decoupled_weight_decay,
            ..Default::default()
        })
        .unwrap(),
    )
}

fn adam_from_raw<F: Real>(h: &[f64; 6], amsgrad: bool, decoupled: bool) -> Option<Boxed<F>> {
    built(Adam::new(AdamConfig {
        maximize: false,
        lr: F::lit(h[0]),
        betas: (F::lit(h[1]), F::lit(h[2])),
        eps: F::lit(h[3]),
        weight_decay: F::lit(h[4]),
        amsgrad,
        decoupled_weight_decay: decoupled,
    }))
}

fn adam_from_draw<F: Real>(d: &Draw, amsgrad: bool, decoupled: bool) -> Boxed<F> {
    boxed(
        Adam::new(AdamConfig {
            maximize: false,
            lr: F::one(),
            betas: (F::lit(d.rate1), F::lit(d.rate2)),
            eps: F::lit(d.eps),
            weight_decay: F::zero(),
            amsgrad,
            decoupled_weight_decay: decoupled,
        })
        .unwrap(),
    )
}

/// NAdam or NAdamW.
fn nadam_rule<F: Real>(decoupled: bool) -> Rule<F> {
    Rule {
        name: if decoupled { "NAdamW" } else { "NAdam" },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        momentum: true,
        stateful: true,
        shrinks: false,
        squares_gradient: true,
        pytorch_lr: Some(2e-3),
        default: if decoupled {
            || {
                boxed(
                    NAdam::new(NAdamConfig {
                        decoupled_weight_decay: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            || boxed(NAdam::default())
        },
        with_options: if decoupled {
            |wd| nadam_with(wd, true)
        } else {
            |wd| nadam_with(wd, false)
        },
        from_raw: if decoupled {
            |h| nadam_from_raw(h, true)
        } else {
            |h| nadam_from_raw(h, false)
        },
        from_draw: if decoupled {
            |d| nadam_from_draw(d, true)
        } else {
            |d| nadam_from_draw(d, false)
        },
    }
}

fn nadam_with<F: Real>(wd: F, decoupled_weight_decay: bool) -> Boxed<F> {
    boxed(
        NAdam::new(NAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        })
        .unwrap(),
    )
}

fn nadam_from_raw<F: Real>(h: &[f64; 6], decoupled: bool) -> Option<Boxed<F>> {
    built(NAdam::new(NAdamConfig {
        maximize: false,
        lr: F::lit(h[0]),
        betas: (F::lit(h[1]), F::lit(h[2])),
        eps: F::lit(h[3]),
        weight_decay: F::lit(h[4]),
        momentum_decay: F::lit(h[5]),
        decoupled_weight_decay: decoupled,
    }))
}

fn nadam_from_draw<F: Real>(d: &Draw, decoupled: bool) -> Boxed<F> {
    boxed(
        NAdam::new(NAdamConfig {
            maximize: false,
            lr: F::one(),
            betas: (F::lit(d.rate1), F::lit(d.rate2)),
            eps: F::lit(d.eps),
            weight_decay: F::zero(),
            momentum_decay: F::lit(d.momentum_decay),
            decoupled_weight_decay: decoupled,
        })
        .unwrap(),
    )
}

/// RAdam or RAdamW.
fn radam_rule<F: Real>(decoupled: bool) -> Rule<F> {
    Rule {
        name: if decoupled { "RAdamW" } else { "RAdam" },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        momentum: true,
        stateful: true,
        shrinks: false,
        squares_gradient: true,
        pytorch_lr: Some(1e-3),
        default: if decoupled {
            || {
                boxed(
                    RAdam::new(RAdamConfig {
                        decoupled_weight_decay: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            || boxed(RAdam::default())
        },
        with_options: if decoupled {
            |wd| radam_with(wd, true)
        } else {
            |wd| radam_with(wd, false)
        },
        from_raw: if decoupled {
            |h| radam_from_raw(h, true)
        } else {
            |h| radam_from_raw(h, false)
        },
        from_draw: if decoupled {
            |d| radam_from_draw(d, true)
        } else {
            |d| radam_from_draw(d, false)
        },
    }
}

fn radam_with<F: Real>(wd: F, decoupled_weight_decay: bool) -> Boxed<F> {
    boxed(
        RAdam::new(RAdamConfig {
            weight_decay: wd,
            decoupled_weight_decay,
            ..Default::default()
        })
        .unwrap(),
    )
}

fn radam_from_raw<F: Real>(h: &[f64; 6], decoupled: bool) -> Option<Boxed<F>> {
    built(RAdam::new(RAdamConfig {
        maximize: false,
        lr: F::lit(h[0]),
        betas: (F::lit(h[1]), F::lit(h[2])),
        eps: F::lit(h[3]),
        weight_decay: F::lit(h[4]),
        decoupled_weight_decay: decoupled,
    }))
}

fn radam_from_draw<F: Real>(d: &Draw, decoupled: bool) -> Boxed<F> {
    boxed(
        RAdam::new(RAdamConfig {
            maximize: false,
            lr: F::one(),
            betas: (F::lit(d.rate1), F::lit(d.rate2)),
            eps: F::lit(d.eps),
            weight_decay: F::zero(),
            decoupled_weight_decay: decoupled,
        })
        .unwrap(),
    )
}

/// Barzilai–Borwein with the long (BB1) or the short (BB2) step.
fn barzilai_borwein_rule<F: Real>(variant: BbVariant) -> Rule<F> {
    let long = variant == BbVariant::Long;
    Rule {
        name: if long { "BB1" } else { "BB2" },
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: true,
        needs_unconstrained: false,
        momentum: false,
        stateful: true,
        shrinks: false,
        squares_gradient: false,
        pytorch_lr: None,
        default: if long {
            || boxed(BarzilaiBorwein::with_variant(BbVariant::Long))
        } else {
            || boxed(BarzilaiBorwein::with_variant(BbVariant::Short))
        },
        with_options: if long {
            |_| bb_with(BbVariant::Long)
        } else {
            |_| bb_with(BbVariant::Short)
        },
        from_raw: if long {
            |h| bb_from_raw(h, BbVariant::Long)
        } else {
            |h| bb_from_raw(h, BbVariant::Short)
        },
        from_draw: if long {
            |d| bb_from_draw(d, BbVariant::Long)
        } else {
            |d| bb_from_draw(d, BbVariant::Short)
        },
    }
}

fn bb_with<F: Real>(variant: BbVariant) -> Boxed<F> {
    boxed(
        BarzilaiBorwein::new(BarzilaiBorweinConfig {
            lr: F::lit(0.1),
            variant,
            alpha_min: F::lit(1e-6),
            alpha_max: F::lit(1e3),
        })
        .unwrap(),
    )
}

fn bb_from_raw<F: Real>(h: &[f64; 6], variant: BbVariant) -> Option<Boxed<F>> {
    built(BarzilaiBorwein::new(BarzilaiBorweinConfig {
        lr: F::lit(h[0]),
        variant,
        alpha_min: F::lit(h[1]),
        alpha_max: F::lit(h[2]),
    }))
}

fn bb_from_draw<F: Real>(d: &Draw, variant: BbVariant) -> Boxed<F> {
    boxed(
        BarzilaiBorwein::new(BarzilaiBorweinConfig {
            lr: F::one(),
            variant,
            alpha_min: F::lit(d.eps),
            alpha_max: F::lit(1.0 / d.eps),
        })
        .unwrap(),
    )
}

/// The registry entry named `name`.
///
/// # Panics
/// If no rule has that name.
pub fn rule<F: Real>(name: &str) -> Rule<F> {
    rules()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule named {name} in the registry"))
}

/// ADOPT, with plain or Nesterov's momentum.
fn adopt_rule<F: Real>(nesterov: bool) -> Rule<F> {
    Rule {
        name: if nesterov {
            "ADOPT (Nesterov)"
        } else {
            "ADOPT"
        },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        momentum: true,
        stateful: true,
        shrinks: false,
        squares_gradient: true,
        pytorch_lr: None,
        default: if nesterov {
            || adopt_with(F::lit(1e-3), true, true)
        } else {
            || boxed(Adopt::default())
        },
        // ADOPT has no weight decay; its other option is the clip, turned off.
        with_options: if nesterov {
            |_| adopt_with(F::lit(0.01), true, false)
        } else {
            |_| adopt_with(F::lit(0.01), false, false)
        },
        from_raw: if nesterov {
            |h| adopt_from_raw(h, true)
        } else {
            |h| adopt_from_raw(h, false)
        },
        from_draw: if nesterov {
            |d| adopt_from_draw(d, true)
        } else {
            |d| adopt_from_draw(d, false)
        },
    }
}

fn adopt_with<F: Real>(lr: F, nesterov: bool, use_clipping: bool) -> Boxed<F> {
    boxed(
        Adopt::new(AdoptConfig {
            lr,
            nesterov,
            use_clipping,
            ..Default::default()
        })
        .unwrap(),
    )
}

fn adopt_from_raw<F: Real>(h: &[f64; 6], nesterov: bool) -> Option<Boxed<F>> {
    built(Adopt::new(AdoptConfig {
        lr: F::lit(h[0]),
        b1: F::lit(h[1]),
        b2: F::lit(h[2]),
        eps: F::lit(h[3]),
        nesterov,
        use_clipping: h[4] >= 0.0,
    }))
}

fn adopt_from_draw<F: Real>(d: &Draw, nesterov: bool) -> Boxed<F> {
    boxed(
        Adopt::new(AdoptConfig {
            lr: F::one(),
            b1: F::lit(d.rate1),
            b2: F::lit(d.rate2),
            eps: F::lit(d.eps),
            nesterov,
            use_clipping: true,
        })
        .unwrap(),
    )
}

/// Lion (`optax.lion`): its momentum moves `x` after a zero gradient, and its default weight
/// decay moves it even before.
fn lion_rule<F: Real>() -> Rule<F> {
    use gradus::Lion;
    use gradus::optim::LionConfig;
    Rule {
        name: "Lion",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Lion::default()),
        with_options: |wd| {
            boxed(
                Lion::new(LionConfig {
                    lr: F::lit(0.01),
                    weight_decay: wd,
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Lion::new(LionConfig {
                lr: F::lit(h[0]),
                b1: F::lit(h[1]),
                b2: F::lit(h[2]),
                weight_decay: F::lit(h[3]),
            }))
        },
        from_draw: |d| {
            boxed(
                Lion::new(LionConfig {
                    lr: F::one(),
                    b1: F::lit(d.rate1),
                    b2: F::lit(d.rate2),
                    weight_decay: F::zero(),
                })
                .unwrap(),
            )
        },
    }
}

/// Sign SGD (`optax.sign_sgd`): no state, and a zero gradient leaves `x` where it is.
fn sign_sgd_rule<F: Real>() -> Rule<F> {
    use gradus::SignSgd;
    use gradus::optim::SignSgdConfig;
    Rule {
        name: "SignSGD",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: false,
        stateful: false,
        pytorch_lr: None,
        default: || boxed(SignSgd::default()),
        // Sign SGD has no option and no weight decay.
        with_options: |_| boxed(SignSgd::new(SignSgdConfig { lr: F::lit(0.01) }).unwrap()),
        from_raw: |h| built(SignSgd::new(SignSgdConfig { lr: F::lit(h[0]) })),
        from_draw: |_| boxed(SignSgd::new(SignSgdConfig { lr: F::one() }).unwrap()),
    }
}

/// Signum (`optax.signum`): its momentum moves `x` after a zero gradient.
fn signum_rule<F: Real>() -> Rule<F> {
    use gradus::Signum;
    use gradus::optim::SignumConfig;
    Rule {
        name: "Signum",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Signum::default()),
        // Signum has no weight decay.
        with_options: |_| {
            boxed(
                Signum::new(SignumConfig {
                    lr: F::lit(0.01),
                    beta: F::lit(0.5),
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Signum::new(SignumConfig {
                lr: F::lit(h[0]),
                beta: F::lit(h[1]),
            }))
        },
        from_draw: |d| {
            boxed(
                Signum::new(SignumConfig {
                    lr: F::one(),
                    beta: F::lit(d.rate1),
                })
                .unwrap(),
            )
        },
    }
}

/// Yogi (`optax.yogi`): both moments start at `v₀ = 1e-6`, so even a zero first gradient moves
/// `x` a little.
fn yogi_rule<F: Real>() -> Rule<F> {
    use gradus::Yogi;
    use gradus::optim::YogiConfig;
    Rule {
        name: "Yogi",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Yogi::default()),
        // Yogi has no weight decay; its option is the starting value of the moments.
        with_options: |_| {
            boxed(
                Yogi::new(YogiConfig {
                    initial_accumulator_value: F::lit(0.1),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Yogi::new(YogiConfig {
                lr: F::lit(h[0]),
                b1: F::lit(h[1]),
                b2: F::lit(h[2]),
                eps: F::lit(h[3]),
                initial_accumulator_value: F::lit(h[4]),
            }))
        },
        from_draw: |d| {
            boxed(
                Yogi::new(YogiConfig {
                    lr: F::one(),
                    b1: F::lit(d.rate1),
                    b2: F::lit(d.rate2),
                    eps: F::lit(d.eps),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
    }
}

/// AdaBelief (`optax.adabelief`), with plain or Nesterov's momentum.
fn adabelief_rule<F: Real>(nesterov: bool) -> Rule<F> {
    use gradus::AdaBelief;
    use gradus::optim::AdaBeliefConfig;
    fn with<F: Real>(lr: F, nesterov: bool) -> Boxed<F> {
        boxed(
            AdaBelief::new(AdaBeliefConfig {
                lr,
                nesterov,
                ..Default::default()
            })
            .unwrap(),
        )
    }
    fn from_raw<F: Real>(h: &[f64; 6], nesterov: bool) -> Option<Boxed<F>> {
        built(AdaBelief::new(AdaBeliefConfig {
            lr: F::lit(h[0]),
            b1: F::lit(h[1]),
            b2: F::lit(h[2]),
            eps: F::lit(h[3]),
            eps_root: F::lit(h[4]),
            nesterov,
        }))
    }
    fn from_draw<F: Real>(d: &Draw, nesterov: bool) -> Boxed<F> {
        boxed(
            AdaBelief::new(AdaBeliefConfig {
                lr: F::one(),
                b1: F::lit(d.rate1),
                b2: F::lit(d.rate2),
                eps: F::lit(d.eps),
                eps_root: F::lit(d.eps),
                nesterov,
            })
            .unwrap(),
        )
    }
    Rule {
        name: if nesterov {
            "AdaBelief (Nesterov)"
        } else {
            "AdaBelief"
        },
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: if nesterov {
            || with(F::lit(1e-3), true)
        } else {
            || boxed(AdaBelief::default())
        },
        // AdaBelief has no weight decay.
        with_options: if nesterov {
            |_| with(F::lit(0.01), true)
        } else {
            |_| with(F::lit(0.01), false)
        },
        from_raw: if nesterov {
            |h| from_raw(h, true)
        } else {
            |h| from_raw(h, false)
        },
        from_draw: if nesterov {
            |d| from_draw(d, true)
        } else {
            |d| from_draw(d, false)
        },
    }
}

/// Adan (`optax.adan`): four buffers, one of them the previous gradient.
fn adan_rule<F: Real>() -> Rule<F> {
    use gradus::Adan;
    use gradus::optim::AdanConfig;
    Rule {
        name: "Adan",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Adan::default()),
        with_options: |wd| {
            boxed(
                Adan::new(AdanConfig {
                    lr: F::lit(0.01),
                    weight_decay: wd,
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Adan::new(AdanConfig {
                lr: F::lit(h[0]),
                b1: F::lit(h[1]),
                b2: F::lit(h[2]),
                b3: F::lit(h[3]),
                eps: F::lit(h[4]),
                weight_decay: F::lit(h[5]),
                ..Default::default()
            }))
        },
        from_draw: |d| {
            boxed(
                Adan::new(AdanConfig {
                    lr: F::one(),
                    b1: F::lit(d.rate1),
                    b2: F::lit(d.rate2),
                    b3: F::lit(d.rate2),
                    eps: F::lit(d.eps),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
    }
}

/// Optimistic gradient descent (`optax.optimistic_gradient_descent`): the previous gradient
/// moves `x` after a zero one.
fn optimistic_gradient_descent_rule<F: Real>() -> Rule<F> {
    use gradus::OptimisticGradientDescent;
    use gradus::optim::OptimisticGradientDescentConfig;
    Rule {
        name: "OptimisticGradientDescent",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(OptimisticGradientDescent::default()),
        // No weight decay; the option is the weights of the gradient and of its change.
        with_options: |_| {
            boxed(
                OptimisticGradientDescent::new(OptimisticGradientDescentConfig {
                    lr: F::lit(0.01),
                    alpha: F::lit(0.5),
                    beta: F::lit(0.25),
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(OptimisticGradientDescent::new(
                OptimisticGradientDescentConfig {
                    lr: F::lit(h[0]),
                    alpha: F::lit(h[1]),
                    beta: F::lit(h[2]),
                },
            ))
        },
        from_draw: |d| {
            boxed(
                OptimisticGradientDescent::new(OptimisticGradientDescentConfig {
                    lr: F::one(),
                    alpha: F::one(),
                    beta: F::lit(d.rate1),
                })
                .unwrap(),
            )
        },
    }
}

/// Adafactor (`torch.optim.Adafactor`) on one vector: its unfactored second moment. Not
/// elementwise: the relative step and the clipping are root mean squares over the vector.
fn adafactor_rule<F: Real>() -> Rule<F> {
    use gradus::Adafactor;
    use gradus::optim::AdafactorConfig;
    Rule {
        name: "Adafactor",
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        // No first moment: a zero gradient gives a zero update.
        momentum: false,
        stateful: true,
        pytorch_lr: Some(1e-2),
        default: || boxed(Adafactor::default()),
        with_options: |wd| {
            boxed(
                Adafactor::new(AdafactorConfig {
                    lr: F::lit(0.05),
                    beta2_decay: F::lit(-0.5),
                    eps: (Some(F::lit(1e-6)), F::lit(1e-2)),
                    d: F::lit(1.5),
                    weight_decay: wd,
                    maximize: false,
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Adafactor::new(AdafactorConfig {
                lr: F::lit(h[0]),
                beta2_decay: F::lit(h[1]),
                eps: (Some(F::lit(h[2])), F::lit(h[3])),
                d: F::lit(h[4]),
                weight_decay: F::lit(h[5]),
                maximize: false,
            }))
        },
        from_draw: |d| {
            boxed(
                Adafactor::new(AdafactorConfig {
                    lr: F::one(),
                    beta2_decay: F::lit(-d.rate1),
                    eps: (Some(F::lit(d.eps)), F::lit(d.eps)),
                    d: F::lit(1.0 + d.rate2),
                    weight_decay: F::zero(),
                    maximize: false,
                })
                .unwrap(),
            )
        },
    }
}

/// Muon (`torch.optim.Muon`) on one vector, which it gives to its AdamW (PyTorch's defaults):
/// elementwise, as AdamW is.
fn muon_rule<F: Real>() -> Rule<F> {
    use gradus::Muon;
    use gradus::optim::{AdamConfig, MuonConfig};
    Rule {
        name: "Muon",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        // AdamW's decoupled weight decay is on at its defaults, but the first moment moves x
        // anyway; the variant with options has none.
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        // torch.optim.Muon(lr=1e-3), and AdamW's, the step size of a vector.
        pytorch_lr: Some(1e-3),
        default: || boxed(Muon::default()),
        with_options: |wd| {
            boxed(
                Muon::new(MuonConfig {
                    adamw: AdamConfig {
                        lr: F::lit(0.01),
                        amsgrad: true,
                        weight_decay: wd,
                        ..AdamConfig::adamw()
                    },
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Muon::new(MuonConfig {
                lr: F::lit(h[0]),
                momentum: F::lit(h[1]),
                eps: F::lit(h[2]),
                adamw: AdamConfig {
                    lr: F::lit(h[0]),
                    betas: (F::lit(h[3]), F::lit(h[4])),
                    weight_decay: F::lit(h[5]),
                    ..AdamConfig::adamw()
                },
                ..Default::default()
            }))
        },
        from_draw: |d| {
            boxed(
                Muon::new(MuonConfig {
                    lr: F::one(),
                    momentum: F::lit(d.rate1),
                    adamw: AdamConfig {
                        lr: F::one(),
                        betas: (F::lit(d.rate1), F::lit(d.rate2)),
                        eps: F::lit(d.eps),
                        weight_decay: F::zero(),
                        ..AdamConfig::adamw()
                    },
                    ..Default::default()
                })
                .unwrap(),
            )
        },
    }
}

/// SM3 (`optax.sm3`) on one vector: an accumulator per coordinate, AdaGrad's sums with a moving
/// average of the updates.
fn sm3_rule<F: Real>() -> Rule<F> {
    use gradus::Sm3;
    use gradus::optim::Sm3Config;
    Rule {
        name: "SM3",
        elementwise: true,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Sm3::default()),
        // No weight decay; the option is a moving average of the accumulators.
        with_options: |_| {
            boxed(
                Sm3::new(Sm3Config {
                    lr: F::lit(0.05),
                    b2: F::lit(0.9),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Sm3::new(Sm3Config {
                lr: F::lit(h[0]),
                momentum: F::lit(h[1]),
                b2: F::lit(h[2]),
                eps: F::lit(h[3]),
            }))
        },
        from_draw: |d| {
            boxed(
                Sm3::new(Sm3Config {
                    lr: F::one(),
                    momentum: F::lit(d.rate1),
                    b2: F::lit(1.0 - d.rate2.min(0.99)),
                    eps: F::lit(d.eps),
                })
                .unwrap(),
            )
        },
    }
}

/// LAMB (`optax.lamb`): Adam's moments, and a trust ratio `‖x‖/‖u‖` per layer, so not
/// elementwise.
fn lamb_rule<F: Real>() -> Rule<F> {
    use gradus::Lamb;
    use gradus::optim::LambConfig;
    Rule {
        name: "LAMB",
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: true,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(Lamb::default()),
        with_options: |wd| {
            boxed(
                Lamb::new(LambConfig {
                    lr: F::lit(0.01),
                    eps_root: F::lit(1e-8),
                    weight_decay: wd,
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Lamb::new(LambConfig {
                lr: F::lit(h[0]),
                b1: F::lit(h[1]),
                b2: F::lit(h[2]),
                eps: F::lit(h[3]),
                eps_root: F::lit(h[4]),
                weight_decay: F::lit(h[5]),
            }))
        },
        from_draw: |d| {
            boxed(
                Lamb::new(LambConfig {
                    lr: F::one(),
                    b1: F::lit(d.rate1),
                    b2: F::lit(d.rate2),
                    eps: F::lit(d.eps),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
    }
}

/// LARS (`optax.lars`): a trust ratio per layer and a velocity of steps.
fn lars_rule<F: Real>(nesterov: bool) -> Rule<F> {
    use gradus::Lars;
    use gradus::optim::LarsConfig;
    fn from_raw<F: Real>(h: &[f64; 6], nesterov: bool) -> Option<Boxed<F>> {
        built(Lars::new(LarsConfig {
            lr: F::lit(h[0]),
            weight_decay: F::lit(h[1]),
            trust_coefficient: F::lit(h[2]),
            eps: F::lit(h[3]),
            momentum: F::lit(h[4]),
            trust_ratio_mask: h[5] >= 0.0,
            nesterov,
        }))
    }
    fn from_draw<F: Real>(d: &Draw, nesterov: bool) -> Boxed<F> {
        boxed(
            Lars::new(LarsConfig {
                lr: F::one(),
                trust_coefficient: F::lit(0.1),
                eps: F::lit(d.eps),
                momentum: F::lit(d.rate1),
                nesterov,
                ..Default::default()
            })
            .unwrap(),
        )
    }
    Rule {
        name: if nesterov { "LARS (Nesterov)" } else { "LARS" },
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: if nesterov {
            || {
                boxed(
                    Lars::new(LarsConfig {
                        nesterov: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            || boxed(Lars::default())
        },
        with_options: if nesterov {
            |wd| {
                boxed(
                    Lars::new(LarsConfig {
                        lr: F::lit(0.5),
                        weight_decay: wd,
                        trust_coefficient: F::lit(0.02),
                        eps: F::lit(1e-9),
                        nesterov: true,
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        } else {
            |wd| {
                boxed(
                    Lars::new(LarsConfig {
                        lr: F::lit(0.5),
                        weight_decay: wd,
                        trust_coefficient: F::lit(0.02),
                        eps: F::lit(1e-9),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }
        },
        from_raw: if nesterov {
            |h| from_raw(h, true)
        } else {
            |h| from_raw(h, false)
        },
        from_draw: if nesterov {
            |d| from_draw(d, true)
        } else {
            |d| from_draw(d, false)
        },
    }
}

/// NovoGrad (`optax.novograd`): a second moment of one scalar per layer.
fn novograd_rule<F: Real>() -> Rule<F> {
    use gradus::NovoGrad;
    use gradus::optim::NovoGradConfig;
    Rule {
        name: "NovoGrad",
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: false,
        squares_gradient: false,
        momentum: true,
        stateful: true,
        pytorch_lr: None,
        default: || boxed(NovoGrad::default()),
        with_options: |wd| {
            boxed(
                NovoGrad::new(NovoGradConfig {
                    lr: F::lit(0.01),
                    b2: F::lit(0.5),
                    eps_root: F::lit(1e-8),
                    weight_decay: wd,
                    ..Default::default()
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(NovoGrad::new(NovoGradConfig {
                lr: F::lit(h[0]),
                b1: F::lit(h[1]),
                b2: F::lit(h[2]),
                eps: F::lit(h[3]),
                eps_root: F::lit(h[4]),
                weight_decay: F::lit(h[5]),
            }))
        },
        from_draw: |d| {
            boxed(
                NovoGrad::new(NovoGradConfig {
                    lr: F::one(),
                    b1: F::lit(d.rate1),
                    b2: F::lit(d.rate2),
                    eps: F::lit(d.eps),
                    ..Default::default()
                })
                .unwrap(),
            )
        },
    }
}

/// Fromage (`optax.fromage`): no state, and a shrinking of `x` by `1/√(1 + γ²)` at every step,
/// whatever the gradient.
fn fromage_rule<F: Real>() -> Rule<F> {
    use gradus::Fromage;
    use gradus::optim::FromageConfig;
    Rule {
        name: "Fromage",
        elementwise: false,
        has_search_direction: false,
        needs_exact_gradients: false,
        needs_unconstrained: false,
        shrinks: true,
        squares_gradient: false,
        momentum: false,
        stateful: false,
        pytorch_lr: None,
        default: || boxed(Fromage::default()),
        with_options: |_| {
            boxed(
                Fromage::new(FromageConfig {
                    lr: F::lit(0.05),
                    min_norm: F::lit(1e-4),
                })
                .unwrap(),
            )
        },
        from_raw: |h| {
            built(Fromage::new(FromageConfig {
                lr: F::lit(h[0]),
                min_norm: F::lit(h[1]),
            }))
        },
        from_draw: |d| {
            boxed(
                Fromage::new(FromageConfig {
                    lr: F::one(),
                    min_norm: F::lit(d.eps),
                })
                .unwrap(),
            )
        },
    }
}
