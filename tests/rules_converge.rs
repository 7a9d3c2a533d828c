//! Every update rule, driven by the shared `Minimizer`, reaches the known minimiser of a convex
//! quadratic and of the 2-D Rosenbrock function (ADOPT and COCOB: of the quadratic and of a
//! logistic regression).
//!
//! Step sizes and budgets are tuned per rule (a sweep over `lr` in `[3e-4, 5]`), choosing a step
//! inside the range where the rule converges rather than at its edge, and a budget of about
//! twice the iterations the run needs, so that the tests are robust yet fail on a regression in
//! speed. The rules that learn their step size (Prodigy, D-Adaptation) run with their defaults
//! instead, on a regularised logistic regression of `gradus::problems`. Everything runs in well
//! under a second in a debug build.

use approx::assert_abs_diff_eq;
use gradus::optim::{AdamConfig, AsgdConfig, MomentumConfig, RmsPropConfig, RpropConfig};
use gradus::problems::{Dataset, LogisticRegression, Rosenbrock, TestFunction};
use gradus::schedule::Exponential;
use gradus::{
    AdaGrad, Adadelta, Adam, Adamax, Adopt, Asgd, Cocob, DAdaptAdamW, DAdaptSgd, FnObjective,
    GradientDescent, Minimizer, Momentum, NAdam, Objective, Optimizer, Prodigy, RAdam, Real,
    RmsProp, Rprop, Termination,
};
use ndarray::{Array1, ArrayView1, array};

/// `f(x) = ½ x'Ax - b'x` with `A = diag(1, 10)` and `b = (1, -2)`: `x* = A⁻¹b = (1, -0.2)`,
/// `L = 10`, `μ = 1`. Since `x - x* = A⁻¹ ∇f(x)`, a gradient norm `<= ε` puts `x` within `ε/μ = ε`
/// of `x*`.
fn quadratic<F: Real>() -> impl Objective<F> {
    FnObjective::new(
        2,
        |x: ArrayView1<'_, F>| {
            let (a, b) = (x[0], x[1]);
            F::lit(0.5) * (a * a + F::lit(10.0) * b * b) - (a - F::lit(2.0) * b)
        },
        |x: ArrayView1<'_, F>, mut g: ndarray::ArrayViewMut1<'_, F>| {
            g[0] = x[0] - F::one();
            g[1] = F::lit(10.0) * x[1] + F::lit(2.0);
        },
    )
}

const QUADRATIC_MINIMIZER: [f64; 2] = [1.0, -0.2];

fn distance(x: &Array1<f64>, to: &[f64]) -> f64 {
    x.iter()
        .zip(to)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

/// Runs `rule` on the quadratic from (5, 5) with step size `lr` and checks that it stops on the
/// gradient tolerance `1e-6` within `budget` iterations, `1e-6`-close to `x*`.
fn quadratic_converges(rule: impl Optimizer<f64>, lr: f64, budget: usize) {
    let name = rule.name();
    let report = Minimizer::new(rule)
        .lr(lr)
        .gradient_tolerance(1e-6)
        .max_iterations(budget)
        .minimize(&quadratic(), array![5.0, 5.0].view())
        .unwrap();
    assert_eq!(
        report.termination,
        Termination::GradientNorm,
        "{name}: {report:?}"
    );
    let d = distance(&report.x, &QUADRATIC_MINIMIZER);
    assert!(d <= 1e-6, "{name}: |x - x*| = {d:e}");
}

#[test]
fn gradient_descent_reaches_the_quadratic_minimiser() {
    // γ = 2/(μ + L) = 2/11, the optimal constant step: contraction (κ-1)/(κ+1) = 9/11.
    quadratic_converges(GradientDescent::default(), 0.18, 200);
}

#[test]
fn momentum_reaches_the_quadratic_minimiser() {
    // μ = 0.9 is under-damped here (the optimal heavy ball has μ ≈ 0.27): the contraction is
    // √μ ≈ 0.95 per step, about 290 steps.
    quadratic_converges(Momentum::heavy_ball(0.0, 0.9).unwrap(), 0.1, 600);
    quadratic_converges(Momentum::nesterov(0.0, 0.9).unwrap(), 0.1, 300);
}

#[test]
fn rmsprop_reaches_the_quadratic_minimiser() {
    quadratic_converges(RmsProp::default(), 0.05, 600);
    let centered = RmsProp::new(RmsPropConfig {
        momentum: 0.9,
        centered: true,
        ..Default::default()
    })
    .unwrap();
    quadratic_converges(centered, 0.01, 600);
}

#[test]
fn adam_and_its_variants_reach_the_quadratic_minimiser() {
    // Without weight decay AdamW is Adam; its decay is checked in the unit tests.
    quadratic_converges(Adam::default(), 0.1, 600);
    quadratic_converges(Adam::amsgrad(0.0).unwrap(), 0.1, 600);
    quadratic_converges(Adamax::default(), 0.3, 600);
    quadratic_converges(NAdam::default(), 0.3, 400);
    quadratic_converges(RAdam::default(), 0.3, 700);
}

#[test]
fn adagrad_and_adadelta_reach_the_quadratic_minimiser() {
    quadratic_converges(AdaGrad::default(), 1.0, 400);
    // Adadelta with Zeiler's γ = 1: its steps start at √ε ≈ 1e-3 and take a while to grow.
    quadratic_converges(Adadelta::default(), 1.0, 2500);
}

#[test]
fn rprop_reaches_the_quadratic_minimiser() {
    // Δ_min = 0, so that the step sizes can shrink below the tolerance: the iterates then close
    // in on x* by halving steps at each change of sign (~75 steps).
    let rprop = Rprop::new(RpropConfig {
        step_sizes: (0.0, 50.0),
        ..Default::default()
    })
    .unwrap();
    quadratic_converges(rprop, 0.1, 150);
}

#[test]
fn asgd_reaches_the_quadratic_minimiser() {
    // λ = 0, a constant step: with t0 at its default the average is the iterate, and ASGD is
    // gradient descent, at the optimal step 2/(μ + L).
    let asgd = Asgd::new(AsgdConfig {
        lambd: 0.0,
        ..Default::default()
    })
    .unwrap();
    quadratic_converges(asgd, 0.18, 200);
}

#[test]
fn asgds_average_is_closer_than_its_iterate_on_noisy_gradients() {
    // The quadratic's gradient plus a deterministic noise of standard deviation about 0.3 in
    // each coordinate. With a constant step the iterates hover around x* at a distance of the
    // order of √γ·σ; their average from step t0 + 2 on is much closer (Polyak-Juditsky): here
    // 1.0e-3 against 1.2e-2.
    let calls = std::cell::Cell::new(0u64);
    let noise = |k: u64| {
        // A 64-bit LCG, its top bits as a uniform in [-0.5, 0.5), times √12 · 0.3.
        let r = k
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 12f64.sqrt() * 0.3
    };
    let noisy = FnObjective::new(
        2,
        |x: ArrayView1<'_, f64>| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]) - (x[0] - 2.0 * x[1]),
        |x: ArrayView1<'_, f64>, mut g: ndarray::ArrayViewMut1<'_, f64>| {
            let k = calls.get();
            calls.set(k + 2);
            g[0] = x[0] - 1.0 + noise(k);
            g[1] = 10.0 * x[1] + 2.0 + noise(k + 1);
        },
    );
    let asgd = Asgd::new(AsgdConfig {
        lambd: 0.0,
        t0: 100.0,
        ..Default::default()
    })
    .unwrap();
    let mut minimizer = Minimizer::new(asgd).lr(0.05).max_iterations(5_000);
    let report = minimizer.minimize(&noisy, array![5.0, 5.0].view()).unwrap();
    let iterate = minimizer.run_state().unwrap().x().to_owned();
    let average = Array1::from(minimizer.optimizer().state().average().to_vec());
    assert_eq!(report.x, average, "the report is at the average");
    let (d_average, d_iterate) = (
        distance(&average, &QUADRATIC_MINIMIZER),
        distance(&iterate, &QUADRATIC_MINIMIZER),
    );
    assert!(
        d_average < 5e-3 && d_average < d_iterate / 4.0,
        "average {d_average:e}, iterate {d_iterate:e}"
    );
}

#[test]
fn adopt_and_cocob_reach_the_quadratic_minimiser() {
    // ADOPT's first step does not move; ~700 steps. COCOB with its own lr = 1: ~80 steps.
    quadratic_converges(Adopt::default(), 0.1, 1_500);
    quadratic_converges(Cocob::default(), 1.0, 200);
}

/// Runs `minimizer` on an L2-regularised logistic regression (`λ = 1e-2`) from `w = 0` and
/// checks that it stops on the gradient tolerance `1e-6` within `budget` iterations. The problem
/// is smooth and `μ = λ`-strongly convex, so the iterate is then within `1e-6/μ = 1e-4` of the
/// certified minimiser.
fn logistic_converges(minimizer: Minimizer<'_, f64, impl Optimizer<f64>>, budget: usize) {
    let problem =
        LogisticRegression::new(Dataset::classification(200, 5, 3).unwrap(), 1e-2).unwrap();
    let minimiser = problem.minimizers().unwrap().remove(0);
    let name = minimizer.optimizer().name();
    let report = minimizer
        .gradient_tolerance(1e-6)
        .max_iterations(budget)
        .minimize(&problem, problem.start().unwrap().view())
        .unwrap();
    assert_eq!(
        report.termination,
        Termination::GradientNorm,
        "{name}: {report:?}"
    );
    let d = distance(&report.x, minimiser.as_slice().unwrap());
    assert!(d <= 1e-4, "{name}: |w - w*| = {d:e}");
    assert!(report.f - problem.minimum() <= 1e-9, "{name}");
}

#[test]
fn adopt_and_cocob_reach_the_logistic_regression_minimiser_with_their_defaults() {
    // ADOPT's guarantee (smooth objectives, a constant step for a given horizon) and COCOB's
    // (convex Lipschitz losses, no step size at all) both apply here. ADOPT: ~420 steps with
    // γ = 0.03; COCOB at the loop's default step (its own lr = 1): ~100 steps.
    logistic_converges(Minimizer::new(Adopt::default()).lr(0.03), 1_000);
    logistic_converges(Minimizer::new(Cocob::default()), 300);
}

#[test]
fn coupled_weight_decay_reaches_the_ridge_minimiser() {
    // An L2 penalty λ makes every rule minimise f + λ/2 |x|², whose minimiser is
    // (A + λI)⁻¹ b = (1/1.5, -2/10.5) for λ = 0.5.
    let ridge = [1.0 / 1.5, -2.0 / 10.5];
    let run = |rule: Box<dyn Optimizer<f64>>, lr: f64, iterations: usize| {
        let name = rule.name();
        let report = Minimizer::new(rule)
            .lr(lr)
            .gradient_tolerance(0.0)
            .max_iterations(iterations)
            .minimize(&quadratic(), array![5.0, 5.0].view())
            .unwrap();
        let d = distance(&report.x, &ridge);
        assert!(d <= 1e-6, "{name}: |x - x_ridge| = {d:e}");
    };
    let wd = 0.5;
    run(
        Box::new(
            Momentum::new(MomentumConfig {
                momentum: 0.5,
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        0.1,
        300,
    );
    run(
        Box::new(
            Adam::new(AdamConfig {
                weight_decay: wd,
                ..Default::default()
            })
            .unwrap(),
        ),
        0.1,
        1000,
    );
}

#[test]
fn prodigy_reaches_the_logistic_minimiser() {
    // ~240 steps.
    logistic_converges(Minimizer::new(Prodigy::default()), 500);
}

#[test]
fn dadapt_adamw_reaches_the_logistic_minimiser() {
    // ~230 steps.
    logistic_converges(Minimizer::new(DAdaptAdamW::default()), 500);
}

#[test]
fn dadapt_sgd_reaches_the_logistic_minimiser() {
    // ~45 steps: the learnt step d/‖g₀‖ suits this well-conditioned problem.
    logistic_converges(Minimizer::new(DAdaptSgd::default()), 100);
}

/// Runs `rule` on Rosenbrock from (-1.2, 1) and checks that it stops on the gradient tolerance
/// `1e-5` within `budget` iterations. At (1, 1) the Hessian's smallest eigenvalue is about 0.4,
/// so the iterate is then within about `1e-5 / 0.4 = 2.5e-5` of the minimiser; `5e-5` is asked.
fn rosenbrock_converges<'a>(minimizer: Minimizer<'a, f64, impl Optimizer<f64>>, budget: usize) {
    let f = Rosenbrock::new(2);
    let name = minimizer.optimizer().name();
    let report = minimizer
        .gradient_tolerance(1e-5)
        .max_iterations(budget)
        .minimize(&f, f.start().unwrap().view())
        .unwrap();
    assert_eq!(
        report.termination,
        Termination::GradientNorm,
        "{name}: {report:?}"
    );
    let d = distance(&report.x, &[1.0, 1.0]);
    assert!(d <= 5e-5, "{name}: |x - x*| = {d:e}");
}

#[test]
fn gradient_descent_reaches_the_rosenbrock_minimiser() {
    // The curvature reaches about 1000 along the valley floor near (1, 1), so γ = 2e-3 is close
    // to the largest stable step 2/L; the slow tail (κ ≈ 2500 at the minimiser) costs ~13k steps.
    rosenbrock_converges(Minimizer::new(GradientDescent::default()).lr(2e-3), 30_000);
}

#[test]
fn momentum_reaches_the_rosenbrock_minimiser() {
    // Momentum 0.9 divides the tail by about ten (~2.5k steps); stable up to γ L < 2(1 + μ).
    rosenbrock_converges(
        Minimizer::new(Momentum::heavy_ball(0.0, 0.9).unwrap()).lr(1e-3),
        5_000,
    );
    rosenbrock_converges(
        Minimizer::new(Momentum::nesterov(0.0, 0.9).unwrap()).lr(1e-3),
        5_000,
    );
}

#[test]
fn rmsprop_reaches_the_rosenbrock_minimiser_with_a_decaying_step() {
    // RMSProp moves each coordinate by about γ whatever the gradient, so with a constant step
    // it hovers about γ away from the minimiser of the narrow valley: the step decays by 0.999
    // per iteration (total travel ≤ 1000 γ₀). Momentum 0.9: ~4.7k steps.
    let rule = RmsProp::new(RmsPropConfig {
        momentum: 0.9,
        ..Default::default()
    })
    .unwrap();
    let schedule = Exponential::new(3e-3, 0.999).unwrap();
    rosenbrock_converges(Minimizer::new(rule).schedule(schedule), 10_000);
}

#[test]
fn adam_and_its_variants_reach_the_rosenbrock_minimiser() {
    // Adam converges with a constant step because √v̂ remembers the large gradients of the
    // valley's walls (β₂ = 0.999) and shrinks the steps near the minimiser: ~1.1k steps.
    rosenbrock_converges(Minimizer::new(Adam::default()).lr(0.2), 3_000);
    rosenbrock_converges(Minimizer::new(Adam::amsgrad(0.0).unwrap()).lr(0.2), 4_000);
    rosenbrock_converges(Minimizer::new(Adamax::default()).lr(0.5), 6_000);
    // NAdam and RAdam need small steps here (~10k iterations): in a sweep NAdam stalls near the
    // minimiser for γ >= 3e-3, and RAdam's first five steps are plain momentum steps γ m̂ that
    // throw it far off the valley from (-1.2, 1), where |∇f| ≈ 230, for γ >= 1e-2.
    rosenbrock_converges(Minimizer::new(NAdam::default()).lr(2e-3), 20_000);
    rosenbrock_converges(Minimizer::new(RAdam::default()).lr(5e-3), 20_000);
}

#[test]
fn adagrad_reaches_the_rosenbrock_minimiser() {
    // AdaGrad's steps decay like 1/√t on their own: γ = 0.5 reaches the tolerance in ~14k.
    rosenbrock_converges(Minimizer::new(AdaGrad::default()).lr(0.5), 30_000);
}

#[test]
fn adadelta_reaches_the_rosenbrock_minimiser_with_a_decaying_step() {
    // Adadelta with its defaults (ρ = 0.9, γ = 1) hovers in the valley; γ decaying by 0.9995 per
    // iteration settles it in ~12.6k steps.
    let schedule = Exponential::new(1.0, 0.9995).unwrap();
    rosenbrock_converges(
        Minimizer::new(Adadelta::default()).schedule(schedule),
        30_000,
    );
}

#[test]
fn rules_run_in_f32() {
    // In single precision the gradient of the quadratic is known to about 1e-6; ask for 1e-4.
    let runs: [(Box<dyn Optimizer<f32>>, f32, usize); 6] = [
        (Box::new(GradientDescent::default()), 0.18, 200),
        (Box::new(Momentum::nesterov(0.0, 0.9).unwrap()), 0.1, 300),
        (Box::new(Adam::default()), 0.1, 600),
        (Box::new(AdaGrad::default()), 1.0, 400),
        (Box::new(Adopt::default()), 0.1, 1_200),
        (Box::new(Cocob::default()), 1.0, 200),
    ];
    for (rule, lr, budget) in runs {
        let name = rule.name();
        let report = Minimizer::new(rule)
            .lr(lr)
            .gradient_tolerance(1e-4)
            .max_iterations(budget)
            .minimize(&quadratic::<f32>(), array![5.0f32, 5.0].view())
            .unwrap();
        assert_eq!(report.termination, Termination::GradientNorm, "{name}");
        assert_abs_diff_eq!(report.x[0], 1.0, epsilon = 1e-4);
        assert_abs_diff_eq!(report.x[1], -0.2, epsilon = 1e-4);
    }
}

/// DoG and DoWG need no step size: with their defaults and the multiplier `1` they find the
/// quadratic's minimiser from (5, 5), their first step `1e-6`-small (DoG's `r_ε = 1e-6 (1 +
/// ‖x₀‖)`, DoWG's `r̄² = 1e-4`) and growing geometrically until it matches the problem's scale.
#[test]
fn dog_and_dowg_reach_the_quadratic_minimiser_without_a_step_size() {
    quadratic_converges(gradus::Dog::default(), 1.0, 5_000);
    quadratic_converges(gradus::Dowg::default(), 1.0, 5_000);
}

/// Runs `minimizer` on the quadratic from (5, 5) and checks that it stops on the gradient
/// tolerance `1e-6` within `budget` iterations, `1e-6`-close to `x*`.
fn quadratic_converges_with(minimizer: Minimizer<'_, f64, impl Optimizer<f64>>, budget: usize) {
    let name = minimizer.optimizer().name();
    let report = minimizer
        .gradient_tolerance(1e-6)
        .max_iterations(budget)
        .minimize(&quadratic(), array![5.0, 5.0].view())
        .unwrap();
    assert_eq!(
        report.termination,
        Termination::GradientNorm,
        "{name}: {report:?}"
    );
    let d = distance(&report.x, &QUADRATIC_MINIMIZER);
    assert!(d <= 1e-6, "{name}: |x - x*| = {d:e}");
}

#[test]
fn the_sign_rules_reach_the_quadratic_minimiser_with_a_decaying_step() {
    // Every coordinate moves by the step size γ_t whatever its gradient, so the iterates end
    // within about γ_t of x*: a geometric decay γ_t = γ₀ ρᵗ, whose remaining sum γ_t ρ/(1 - ρ)
    // always covers that distance, brings them to x*.
    let schedule = || Exponential::new(0.5, 0.99).unwrap();
    // ~1300 to ~1450 steps each: until γ_t is near 1e-7.
    let signs: [Box<dyn Optimizer<f64>>; 3] = [
        Box::new(gradus::SignSgd::default()),
        Box::new(gradus::Signum::default()),
        Box::new(gradus::Lion::default()),
    ];
    for rule in signs {
        quadratic_converges_with(Minimizer::new(rule).schedule(schedule()), 3_000);
    }
}

#[test]
fn the_optax_adaptive_rules_reach_the_quadratic_minimiser() {
    // Yogi and AdaBelief: ~310 steps; Adan, whose average of the gradients forgets slowly
    // (β₁ = 0.98): ~1130.
    quadratic_converges_with(Minimizer::new(gradus::Yogi::default()).lr(0.1), 600);
    quadratic_converges_with(Minimizer::new(gradus::AdaBelief::default()).lr(0.1), 600);
    quadratic_converges_with(Minimizer::new(gradus::Adan::default()).lr(0.1), 2_200);
}

#[test]
fn optimistic_gradient_descent_reaches_the_quadratic_minimiser() {
    // A step along 2 g_t - g_{t-1}, stable on a quadratic for γL < 2/3 (L = 10 here):
    // γ = 0.05, ~310 steps.
    quadratic_converges_with(
        Minimizer::new(gradus::OptimisticGradientDescent::default()).lr(0.05),
        600,
    );
}

#[test]
fn the_layer_wise_rules_reach_the_quadratic_minimiser_with_a_decaying_step() {
    // LAMB, LARS and Fromage move by a fraction of ‖x‖ whatever the gradient's scale, and
    // NovoGrad by about γ g/‖g‖ (with its momentum): as for the sign rules, a geometric decay
    // of the step brings them to x*. ~720 (LAMB), ~1050 (LARS, whose trust coefficient 1e-3
    // asks for γ₀ = 50), ~1170 (NovoGrad) and ~790 (Fromage) steps.
    let schedule = |lr| Exponential::new(lr, 0.99).unwrap();
    quadratic_converges_with(
        Minimizer::new(gradus::Lamb::default()).schedule(schedule(0.05)),
        1_500,
    );
    quadratic_converges_with(
        Minimizer::new(gradus::Lars::default()).schedule(schedule(50.0)),
        2_100,
    );
    quadratic_converges_with(
        Minimizer::new(gradus::NovoGrad::default()).schedule(schedule(0.05)),
        2_400,
    );
    quadratic_converges_with(
        Minimizer::new(gradus::Fromage::default()).schedule(schedule(0.05)),
        1_600,
    );
}
