//! Basin hopping: a random walk over the local minima of a function, each step a random jump
//! followed by a local minimisation, accepted by the Metropolis rule.

use ndarray::{Array1, ArrayView1};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_count, check_that};
use crate::minimize::{Minimizer, Report};
use crate::objective::Objective;
use crate::optim::Optimizer;

/// Settings of [`BasinHopping`]; the defaults are SciPy's `basinhopping`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BasinHoppingConfig<F> {
    /// The number of hops (jumps, each followed by a local minimisation). Default `100`.
    pub hops: usize,
    /// The temperature `T > 0` of the Metropolis acceptance: a hop from a minimum of value `f`
    /// to one of value `f' > f` is accepted with probability `exp(-(f' - f) / T)`. It should be
    /// comparable to the differences between the values of neighbouring local minima.
    /// Default `1`.
    pub temperature: F,
    /// The initial half-width `s` of the jump: each coordinate moves by a uniform draw from
    /// `[-s, s]`. Default `0.5`.
    pub step_size: F,
    /// Adapt the step size every this many hops (`0`: never), towards the target acceptance
    /// rate. Default `50`.
    pub adapt_every: usize,
    /// The acceptance rate the adaptation aims at, in `(0, 1)`. Default `0.5`.
    pub target_accept_rate: F,
    /// The factor `φ` in `(0, 1)` of the adaptation: above the target rate the step size is
    /// divided by `φ`, below it multiplied. Default `0.9`.
    pub step_factor: F,
    /// What the step size adapts to. Default [`Adaptation::Acceptance`] (SciPy's).
    pub adaptation: Adaptation,
    /// Stop as soon as a local minimum of value at most this is found. Default `None`.
    pub target: Option<F>,
    /// The seed of the jumps and of the acceptance draws. Default `0`.
    pub seed: u64,
}

impl<F: Real> Default for BasinHoppingConfig<F> {
    fn default() -> Self {
        BasinHoppingConfig {
            hops: 100,
            temperature: F::one(),
            step_size: F::lit(0.5),
            adapt_every: 50,
            target_accept_rate: F::lit(0.5),
            step_factor: F::lit(0.9),
            adaptation: Adaptation::Acceptance,
            target: None,
            seed: 0,
        }
    }
}

/// The rate the step size of [`BasinHopping`] is adapted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adaptation {
    /// The fraction of hops that reach another local minimum than the current one (its point
    /// differs by more than `1e-6 max(1, |x_i|)` in some coordinate): the step grows while fewer
    /// hops than the target rate escape, and shrinks while more do. A hop that falls back into
    /// the basin it left has explored nothing, whatever the Metropolis test says; adapting to
    /// this rate makes the jumps as long as the landscape's basins are wide. With frequent
    /// adaptation (every 10 hops, factor 0.7) it solves Styblinski-Tang in 5-D from every start
    /// tried, where the acceptance rule stays at jumps too short to leave a basin (see the
    /// `global_search` example).
    Escape,
    /// The fraction of hops accepted by the Metropolis test, as SciPy's `basinhopping` does:
    /// the step grows while more hops than the target rate are accepted. A hop back to the
    /// current minimum counts as accepted (its value is not higher), so on a landscape of wide
    /// basins short jumps look successful and the step grows slowly.
    Acceptance,
}

/// Basin hopping (Wales & Doye, 1997), with the adaptive step size of SciPy's
/// `basinhopping`.
///
/// From the local minimum `x` found from `x0`, each hop
///
/// 1. jumps: `y = x + u`, each `u_i` uniform in `[-s, s]`;
/// 2. minimises locally from `y`, with the [`Minimizer`] given (any rule, line search and
///    criteria), to a local minimum `y*`;
/// 3. accepts `x ← y*` if `f(y*) <= f(x)`, and otherwise with probability
///    `exp(-(f(y*) - f(x)) / T)` (the Metropolis criterion);
/// 4. every `adapt_every` hops, divides `s` by `φ` if more than the target fraction of the hops
///    since the last adaptation were accepted, and multiplies it by `φ` otherwise (or adapts to
///    the fraction of hops that escaped their basin, [`Adaptation::Escape`]).
///
/// The walk thus moves over the landscape of local minima (the "basins"), downhill mostly but
/// able to climb over barriers of height about `T`, and keeps the lowest minimum seen. It stops
/// after `hops` hops, or as soon as a minimum reaches the `target` value. Local runs that stop
/// for a NaN, divergence or a failed line search still give a point of finite value, which is
/// judged like any other; a run whose value is not finite is rejected.
///
/// The jumps and acceptance draws come from a generator seeded by `seed`: the same settings,
/// start and local minimizer give the same walk.
///
/// Reference: D. J. Wales and J. P. K. Doye, "Global optimization by basin-hopping and the
/// lowest energy structures of Lennard-Jones clusters containing up to 110 atoms", *J. Phys.
/// Chem. A* 101 (1997), 5111–5116.
///
/// ```
/// use gradus::line_search::StrongWolfe;
/// use gradus::problems::{Rastrigin, TestFunction};
/// use gradus::solvers::{BasinHopping, BasinHoppingConfig};
/// use gradus::{Lbfgs, Minimizer};
/// use ndarray::array;
///
/// // Rastrigin in 2-D: a local minimum near every integer point, the global one at the origin.
/// let mut local = Minimizer::new(Lbfgs::default()).line_search(StrongWolfe::default());
/// let hopping = BasinHopping::new(BasinHoppingConfig {
///     hops: 200,
///     target: Some(1e-6),
///     seed: 1,
///     ..Default::default()
/// })?;
/// let report = hopping.minimize(&mut local, &Rastrigin::new(2), array![3.2, -2.1].view())?;
/// assert!(report.f <= 1e-6, "{report:?}");
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BasinHopping<F> {
    config: BasinHoppingConfig<F>,
}

/// What a [`BasinHopping`] walk found.
#[derive(Debug, Clone, PartialEq)]
pub struct BasinHoppingReport<F> {
    /// The lowest local minimum found.
    pub x: Array1<F>,
    /// `f(x)`.
    pub f: F,
    /// The hop that found it (`0`: the local minimisation from `x0`).
    pub found_at_hop: usize,
    /// Hops made.
    pub hops: usize,
    /// Hops accepted.
    pub accepted: usize,
    /// `true` if the walk stopped on reaching the target value.
    pub reached_target: bool,
    /// The jump's half-width at the end.
    pub step_size: F,
    /// Evaluations of `f` (alone or with the gradient) over all local runs.
    pub function_evaluations: usize,
    /// Evaluations of the gradient over all local runs.
    pub gradient_evaluations: usize,
}

impl<F: Real> Default for BasinHopping<F> {
    /// The walk with SciPy's settings ([`BasinHoppingConfig::default`]).
    fn default() -> Self {
        BasinHopping {
            config: BasinHoppingConfig::default(),
        }
    }
}

impl<F: Real> BasinHopping<F> {
    /// The walk with the given settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless the temperature and the step size are finite and
    /// positive, the target rate and the factor in `(0, 1)`, and the target (if any) not NaN;
    /// [`Error::InvalidCount`] for zero hops.
    pub fn new(config: BasinHoppingConfig<F>) -> Result<Self> {
        check_count("hops", config.hops, 1)?;
        check("temperature", config.temperature, Domain::Positive)?;
        check("step_size", config.step_size, Domain::Positive)?;
        check(
            "target_accept_rate",
            config.target_accept_rate,
            Domain::OpenUnitInterval,
        )?;
        check("step_factor", config.step_factor, Domain::OpenUnitInterval)?;
        if let Some(target) = config.target {
            check_that("target", target, "not NaN", !target.is_nan())?;
        }
        Ok(BasinHopping { config })
    }

    /// The settings.
    pub fn config(&self) -> &BasinHoppingConfig<F> {
        &self.config
    }

    /// Walks from `x0`, with `local` as the local minimizer (its rule is reset for every local
    /// run).
    ///
    /// # Errors
    /// The errors of [`Minimizer::minimize`] (a bad `x0`, an objective of another dimension, a
    /// rule's error); [`Error::NonFinite`] if the local minimum from `x0` has no finite value.
    pub fn minimize<O, Obj>(
        &self,
        local: &mut Minimizer<'_, F, O>,
        objective: &Obj,
        x0: ArrayView1<'_, F>,
    ) -> Result<BasinHoppingReport<F>>
    where
        O: Optimizer<F>,
        Obj: Objective<F> + ?Sized,
    {
        let c = self.config;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(c.seed);
        let mut counts = (0, 0);
        let mut run =
            |local: &mut Minimizer<'_, F, O>, x: ArrayView1<'_, F>| -> Result<Report<F>> {
                let report = local.minimize(objective, x)?;
                counts.0 += report.function_evaluations;
                counts.1 += report.gradient_evaluations;
                Ok(report)
            };
        let first = run(local, x0)?;
        if !first.f.is_finite() {
            return Err(Error::NonFinite {
                what: "f at the local minimum found from x0",
                index: 0,
                value: first.f.as_f64(),
            });
        }
        let (mut current, mut f_current) = (first.x.clone(), first.f);
        let (mut best, mut f_best, mut found_at_hop) = (first.x, first.f, 0);
        let reached = |f: F| c.target.is_some_and(|t| f <= t);
        let mut reached_target = reached(f_best);
        let (mut hops, mut accepted, mut counted_since_adapt) = (0, 0, 0);
        let mut step = c.step_size;
        let mut trial = current.clone();
        while hops < c.hops && !reached_target {
            hops += 1;
            for (t, &x) in trial.iter_mut().zip(&current) {
                let u: f64 = rng.random_range(-1.0..=1.0);
                *t = x + step * F::lit(u);
            }
            let report = run(local, trial.view())?;
            let f = report.f;
            // The uniform draw is made for every hop, so that the walk's draws do not depend on
            // which hops improved.
            let draw: f64 = rng.random();
            let accept = f.is_finite()
                && (f <= f_current || F::lit(draw) < (-(f - f_current) / c.temperature).exp());
            let counts = match c.adaptation {
                Adaptation::Acceptance => accept,
                Adaptation::Escape => f.is_finite() && !same_point(&report.x, &current),
            };
            if counts {
                counted_since_adapt += 1;
            }
            if accept {
                accepted += 1;
                current.assign(&report.x);
                f_current = f;
            }
            if f < f_best {
                best.assign(&report.x);
                f_best = f;
                found_at_hop = hops;
                reached_target = reached(f);
            }
            if c.adapt_every > 0 && hops % c.adapt_every == 0 {
                let rate = F::from_count(counted_since_adapt) / F::from_count(c.adapt_every);
                // Many hops accepted: the jumps are too short to leave the basin's floor, lengthen
                // them. Many hops escaping: the jumps are too long to stay near good minima,
                // shorten them.
                let longer = match c.adaptation {
                    Adaptation::Acceptance => rate > c.target_accept_rate,
                    Adaptation::Escape => rate < c.target_accept_rate,
                };
                step = if longer {
                    step / c.step_factor
                } else {
                    step * c.step_factor
                };
                counted_since_adapt = 0;
            }
        }
        Ok(BasinHoppingReport {
            x: best,
            f: f_best,
            found_at_hop,
            hops,
            accepted,
            reached_target,
            step_size: step,
            function_evaluations: counts.0,
            gradient_evaluations: counts.1,
        })
    }
}

/// `true` if `a` and `b` agree to `1e-3 max(1, |a_i|)` in every coordinate: the same local
/// minimum, to the accuracy of a local run. A run stopped on a relative decrease of `f` below
/// `τ` finds a minimum only to about `√τ` in `x` (`f` is flat to first order there): `1e-3`
/// covers runs stopped as SciPy stops L-BFGS-B (`τ ≈ 2.2e-9`), and is far below the distance
/// between the minima of the usual multimodal landscapes.
fn same_point<F: Real>(a: &Array1<F>, b: &Array1<F>) -> bool {
    let tolerance = F::lit(1e-3);
    a.iter()
        .zip(b)
        .all(|(&a, &b)| (a - b).abs() <= tolerance * a.abs().max(F::one()))
}
