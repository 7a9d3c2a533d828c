//! Multi-start: local minimisations from seeded random starts in a box, and the distinct local
//! minima they reach.

use ndarray::{Array1, ArrayView1};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_count, check_finite, check_len};
use crate::minimize::{Minimizer, Report};
use crate::objective::Objective;
use crate::optim::Optimizer;

/// Settings of [`MultiStart`].
#[derive(Debug, Clone, PartialEq)]
pub struct MultiStartConfig<F> {
    /// The lower corner of the box the starts are drawn from.
    pub lower: Array1<F>,
    /// The upper corner.
    pub upper: Array1<F>,
    /// The number of starts. Default `20`.
    pub starts: usize,
    /// The seed of the starts. Default `0`.
    pub seed: u64,
    /// Two local minima are the same when their points differ by at most this in every
    /// coordinate, relative to `max(1, |x_i|)`. Default `1e-4`.
    pub distinct: F,
}

impl<F: Real> MultiStartConfig<F> {
    /// `starts` starts drawn from the box `[lower, upper]`, the other settings at their defaults.
    pub fn new(lower: Array1<F>, upper: Array1<F>, starts: usize) -> Self {
        MultiStartConfig {
            lower,
            upper,
            starts,
            seed: 0,
            distinct: F::lit(1e-4),
        }
    }
}

/// A local minimum reached by a [`MultiStart`] search.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMinimum<F> {
    /// The point (the lowest of the runs that reached this minimum).
    pub x: Array1<F>,
    /// `f(x)`.
    pub f: F,
    /// How many starts reached it.
    pub hits: usize,
    /// The index of the first start that reached it.
    pub first_start: usize,
}

/// What a [`MultiStart`] search found.
#[derive(Debug, Clone)]
pub struct MultiStartReport<F> {
    /// The distinct local minima reached, lowest first.
    pub minima: Vec<LocalMinimum<F>>,
    /// Every local run, in the order of the starts.
    pub runs: Vec<Report<F>>,
    /// Evaluations of `f` over all runs.
    pub function_evaluations: usize,
    /// Evaluations of the gradient over all runs.
    pub gradient_evaluations: usize,
}

impl<F: Real> MultiStartReport<F> {
    /// The lowest local minimum found (`None` if no run ended at a finite value).
    pub fn best(&self) -> Option<&LocalMinimum<F>> {
        self.minima.first()
    }
}

/// Multi-start local search: local minimisations from starts drawn uniformly from a box, with the
/// distinct local minima they reach, how often each was reached, and the lowest.
///
/// Start `k` is drawn from a generator seeded by `seed` and `k` alone, so that the starts (and,
/// for a deterministic local minimizer, the results) are the same whatever the number of threads.
/// With the `parallel` feature the starts run on all cores, each with a local minimizer built by
/// the `local` closure.
///
/// Two runs reached the same minimum when their points agree to `distinct · max(1, |x_i|)` in
/// every coordinate. Runs whose value is not finite are kept in [`runs`](MultiStartReport::runs)
/// but count as no minimum.
///
/// ```
/// use gradus::line_search::StrongWolfe;
/// use gradus::problems::StyblinskiTang;
/// use gradus::solvers::{MultiStart, MultiStartConfig};
/// use gradus::{Lbfgs, Minimizer};
/// use ndarray::Array1;
///
/// // Styblinski-Tang in 2-D: four local minima, at x_i ≈ -2.90 or 2.75.
/// let config = MultiStartConfig::new(Array1::from_elem(2, -5.0_f64), Array1::from_elem(2, 5.0), 40);
/// let search = MultiStart::new(config)?;
/// let local = || Minimizer::new(Lbfgs::default()).line_search(StrongWolfe::default());
/// let report = search.minimize(local, &StyblinskiTang::new(2))?;
/// assert_eq!(report.minima.len(), 4);
/// let best = report.best().unwrap();
/// assert!((best.x[0] + 2.9035).abs() < 1e-3 && (best.x[1] + 2.9035).abs() < 1e-3);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MultiStart<F> {
    config: MultiStartConfig<F>,
}

impl<F: Real> MultiStart<F> {
    /// The search with the given settings.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty box; [`Error::DimensionMismatch`] if the corners differ in
    /// length; [`Error::NonFinite`] for a corner that is not finite; [`Error::InvalidSet`] if a
    /// lower bound exceeds its upper bound; [`Error::InvalidCount`] for zero starts;
    /// [`Error::InvalidParameter`] for a negative or non-finite `distinct`.
    pub fn new(config: MultiStartConfig<F>) -> Result<Self> {
        if config.lower.is_empty() {
            return Err(Error::Empty { what: "lower" });
        }
        check_len("upper vs lower", config.lower.len(), config.upper.len())?;
        check_finite("lower", config.lower.view())?;
        check_finite("upper", config.upper.view())?;
        if let Some(i) = (0..config.lower.len()).find(|&i| config.lower[i] > config.upper[i]) {
            return Err(Error::InvalidSet {
                set: "box of starts",
                reason: format!(
                    "it is empty: lower[{i}] = {:e} > upper[{i}] = {:e}; swap them",
                    config.lower[i].as_f64(),
                    config.upper[i].as_f64()
                ),
            });
        }
        check_count("starts", config.starts, 1)?;
        check("distinct", config.distinct, Domain::NonNegative)?;
        Ok(MultiStart { config })
    }

    /// The settings.
    pub fn config(&self) -> &MultiStartConfig<F> {
        &self.config
    }

    /// Start `k` (from 0): uniform in the box, from a generator seeded by the seed and `k`.
    pub fn start(&self, k: usize) -> Array1<F> {
        let c = &self.config;
        let seed = c.seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x = c.lower.clone();
        for (x, &hi) in x.iter_mut().zip(&c.upper) {
            let u: f64 = rng.random();
            *x = *x + (hi - *x) * F::lit(u);
        }
        x
    }

    /// Runs a local minimisation from every start, each with a minimizer built by `local`.
    ///
    /// # Errors
    /// The first error of a local run, in the order of the starts (for instance an objective of
    /// another dimension than the box).
    pub fn minimize<'m, O, Obj>(
        &self,
        local: impl Fn() -> Minimizer<'m, F, O> + Sync,
        objective: &Obj,
    ) -> Result<MultiStartReport<F>>
    where
        O: Optimizer<F>,
        Obj: Objective<F> + Sync + ?Sized,
    {
        let run = |k: usize| local().minimize(objective, self.start(k).view());
        #[cfg(feature = "parallel")]
        let runs: Vec<Result<Report<F>>> = {
            use rayon::prelude::*;
            (0..self.config.starts).into_par_iter().map(run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let runs: Vec<Result<Report<F>>> = (0..self.config.starts).map(run).collect();
        let runs = runs.into_iter().collect::<Result<Vec<_>>>()?;
        let mut minima: Vec<LocalMinimum<F>> = Vec::new();
        for (k, r) in runs.iter().enumerate() {
            if !r.f.is_finite() {
                continue;
            }
            match minima
                .iter_mut()
                .find(|m| same_point(m.x.view(), r.x.view(), self.config.distinct))
            {
                Some(m) => {
                    m.hits += 1;
                    if r.f < m.f {
                        m.x.assign(&r.x);
                        m.f = r.f;
                    }
                }
                None => minima.push(LocalMinimum {
                    x: r.x.clone(),
                    f: r.f,
                    hits: 1,
                    first_start: k,
                }),
            }
        }
        minima.sort_by(|a, b| a.f.partial_cmp(&b.f).expect("finite values"));
        Ok(MultiStartReport {
            function_evaluations: runs.iter().map(|r| r.function_evaluations).sum(),
            gradient_evaluations: runs.iter().map(|r| r.gradient_evaluations).sum(),
            minima,
            runs,
        })
    }
}

/// `true` if `a` and `b` agree to `tolerance · max(1, |a_i|)` in every coordinate.
fn same_point<F: Real>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>, tolerance: F) -> bool {
    a.iter()
        .zip(b)
        .all(|(&a, &b)| (a - b).abs() <= tolerance * a.abs().max(F::one()))
}
