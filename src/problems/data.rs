//! Seeded synthetic datasets for the regression and classification problems.

use ndarray::{Array1, Array2};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use crate::Real;
use crate::error::{Domain, Error, Result, check, check_finite, check_len};
use crate::linalg::alloc::{too_large, try_from_fn, try_from_fn2, try_map2};
use crate::linalg::orthonormalize_columns;

/// A dataset of `N` examples with `d` features each: a design matrix and one target per example.
///
/// The synthetic constructors are deterministic: the same arguments and the same seed give the
/// same bits. They draw from the xoshiro256++ generator (Blackman & Vigna, 2021), a fixed
/// algorithm seeded through SplitMix64, compute always in `f64` with sums in a fixed order, and
/// round to `F` at the end, so the `f32` dataset is the `f64` one rounded to nearest.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<F> {
    /// The design matrix `X`, one example per row (`N x d`).
    pub features: Array2<F>,
    /// The targets `y` (length `N`): real responses for regression, labels for classification.
    pub targets: Array1<F>,
    /// The weights that generated the targets, for synthetic data; `None` for data given by the
    /// user.
    pub true_weights: Option<Array1<F>>,
}

impl<F: Real> Dataset<F> {
    /// A dataset from a design matrix (`N x d`, one example per row) and `N` targets.
    ///
    /// # Errors
    /// [`Error::Empty`] if there are no examples or no features, [`Error::DimensionMismatch`] if
    /// `targets` does not have one entry per row of `features`, [`Error::NonFinite`] for a NaN
    /// or infinite entry.
    pub fn new(features: Array2<F>, targets: Array1<F>) -> Result<Self> {
        let data = Dataset {
            features,
            targets,
            true_weights: None,
        };
        data.validate()?;
        Ok(data)
    }

    /// Checks the invariants [`new`](Dataset::new) promises (the fields are public, so a
    /// problem built from a dataset checks them again).
    pub(crate) fn validate(&self) -> Result<()> {
        if self.features.nrows() == 0 {
            return Err(Error::Empty { what: "features" });
        }
        if self.features.ncols() == 0 {
            return Err(Error::Empty {
                what: "features (no columns)",
            });
        }
        check_len(
            "targets vs rows of features",
            self.features.nrows(),
            self.targets.len(),
        )?;
        if let Some((index, &value)) = self
            .features
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(Error::NonFinite {
                what: "features (row-major index)",
                index,
                value: value.as_f64(),
            });
        }
        check_finite("targets", self.targets.view())
    }

    /// A linear regression dataset with correlated features and Gaussian noise:
    ///
    /// ```text
    /// x_i ~ N(0, Σ),  Σ = Q diag(σ_1², ..., σ_d²) Qᵀ,  σ_j² = κ^{-(j-1)/(d-1)}
    /// w° ~ N(0, I_d),  y_i = x_iᵀ w° + noise · ε_i,  ε_i ~ N(0, 1)
    /// ```
    ///
    /// The covariance `Σ` has eigenvalues log-spaced in `[1/κ, 1]`, so its condition number is
    /// exactly `κ = condition_number`; the empirical Hessian `XᵀX/N` of least squares has a
    /// condition number close to `κ` when `N` is much larger than `d`. `Q` is a uniformly random
    /// rotation (the orthogonal factor of a Gaussian matrix). With `noise = 0` the targets are
    /// exactly linear and `w°` (in [`true_weights`](Dataset::true_weights)) is the least-squares
    /// solution.
    ///
    /// # Errors
    /// [`Error::Empty`] if `n` or `d` is zero; [`Error::InvalidParameter`] if `condition_number`
    /// is not a finite number `>= 1` or `noise` is negative or not finite;
    /// [`Error::InvalidCount`] naming `n` or `d` when the `n x d` features (or the `d x d`
    /// rotation) cannot be allocated.
    ///
    /// ```
    /// use gradus::problems::Dataset;
    ///
    /// let data = Dataset::<f64>::linear_regression(100, 5, 10.0, 0.1, 42)?;
    /// assert_eq!(data.features.dim(), (100, 5));
    /// assert_eq!(data, Dataset::linear_regression(100, 5, 10.0, 0.1, 42)?);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn linear_regression(
        n: usize,
        d: usize,
        condition_number: F,
        noise: F,
        seed: u64,
    ) -> Result<Self> {
        let oversize = check_sizes(n, d)?;
        check("condition_number", condition_number, Domain::AtLeastOne)?;
        check("noise", noise, Domain::NonNegative)?;
        let kappa = condition_number.as_f64();
        let noise = noise.as_f64();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut q = gaussian_matrix(&mut rng, d, d).ok_or_else(|| too_large("d", d))?;
        orthonormalize_columns(&mut q);
        let scales = Array1::from_shape_fn(d, |j| {
            if d == 1 {
                1.0
            } else {
                kappa.powf(-(j as f64) / (2.0 * (d - 1) as f64))
            }
        });
        let z = gaussian_matrix(&mut rng, n, d).ok_or_else(oversize)?;
        // x_i = Q diag(σ) z_i, so that Cov(x_i) = Q diag(σ²) Qᵀ.
        let x = try_from_fn2((n, d), |(i, j)| {
            (0..d).fold(0.0, |s, k| s + q[[j, k]] * scales[k] * z[[i, k]])
        })
        .ok_or_else(oversize)?;
        drop(z);
        let w = gaussian_vector(&mut rng, d).ok_or_else(oversize)?;
        let mut y = fixed_order_mat_vec(&x, &w).ok_or_else(oversize)?;
        for yi in y.iter_mut() {
            let e: f64 = rng.sample(StandardNormal);
            *yi += noise * e;
        }
        Ok(Dataset {
            features: try_map2(&x, F::lit).ok_or_else(oversize)?,
            targets: y.mapv(F::lit),
            true_weights: Some(w.mapv(F::lit)),
        })
    }

    /// A binary classification dataset from a logistic model, with labels in `{0, 1}`:
    ///
    /// ```text
    /// x_i ~ N(0, I_d),  w° ~ N(0, (4/d) I_d),
    /// y_i = 1 with probability σ(x_iᵀ w°) = 1 / (1 + exp(-x_iᵀ w°)), else 0.
    /// ```
    ///
    /// The margins `x_iᵀ w°` have standard deviation about 2, so the labels are informative but
    /// noisy, and the classes are not linearly separable once `N` is a few times `d`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `n` or `d` is zero; [`Error::InvalidCount`] naming `n` or `d` when
    /// the `n x d` features cannot be allocated.
    ///
    /// ```
    /// use gradus::problems::Dataset;
    ///
    /// let data = Dataset::<f32>::classification(50, 3, 7)?;
    /// assert!(data.targets.iter().all(|&y| y == 0.0 || y == 1.0));
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn classification(n: usize, d: usize, seed: u64) -> Result<Self> {
        let oversize = check_sizes(n, d)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let x = gaussian_matrix(&mut rng, n, d).ok_or_else(oversize)?;
        let w = gaussian_vector(&mut rng, d).ok_or_else(oversize)? * (2.0 / (d as f64).sqrt());
        let mut y = fixed_order_mat_vec(&x, &w).ok_or_else(oversize)?;
        // The margins become the labels in place, drawing in the same order.
        y.mapv_inplace(|z| {
            let u: f64 = rng.random();
            let p = 1.0 / (1.0 + (-z).exp());
            if u < p { 1.0 } else { 0.0 }
        });
        Ok(Dataset {
            features: try_map2(&x, F::lit).ok_or_else(oversize)?,
            targets: y.mapv(F::lit),
            true_weights: Some(w.mapv(F::lit)),
        })
    }

    /// Number of examples `N`.
    pub fn len(&self) -> usize {
        self.features.nrows()
    }

    /// `true` if there are no examples (never the case for a dataset built by a constructor).
    pub fn is_empty(&self) -> bool {
        self.features.nrows() == 0
    }

    /// Number of features `d`.
    pub fn dim(&self) -> usize {
        self.features.ncols()
    }

    /// The examples `rows` (a copy): a shard of the data set, as one process of a distributed
    /// run holds it (see [`distributed`](crate::distributed)). The true weights stay.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming `rows.end` when the
    /// range reaches beyond the last example; [`Error::Empty`](crate::Error::Empty) for an
    /// empty range.
    ///
    /// ```
    /// use gradus::problems::Dataset;
    ///
    /// let data = Dataset::<f64>::classification(10, 3, 1)?;
    /// let shard = data.rows(4..7)?;
    /// assert_eq!(shard.features.row(0), data.features.row(4));
    /// assert_eq!(shard.len(), 3);
    /// # Ok::<(), gradus::Error>(())
    /// ```
    pub fn rows(&self, rows: std::ops::Range<usize>) -> Result<Self> {
        if rows.end > self.len() {
            return Err(crate::Error::InvalidParameter {
                name: "rows.end",
                value: rows.end as f64,
                expected: "at most the number of examples",
            });
        }
        if rows.is_empty() {
            return Err(crate::Error::Empty { what: "rows" });
        }
        Ok(Dataset {
            features: self
                .features
                .slice(ndarray::s![rows.clone(), ..])
                .to_owned(),
            targets: self.targets.slice(ndarray::s![rows]).to_owned(),
            true_weights: self.true_weights.clone(),
        })
    }

    /// The design matrix converted to `f64`.
    pub(crate) fn features_f64(&self) -> Array2<f64> {
        self.features.mapv(|v| v.as_f64())
    }

    /// The targets converted to `f64`.
    pub(crate) fn targets_f64(&self) -> Array1<f64> {
        self.targets.mapv(|v| v.as_f64())
    }
}

/// Checks that a dataset of `n` examples and `d` features is not empty, and returns the error
/// for arrays of its size that cannot be allocated: it names the larger of `n` and `d`.
fn check_sizes(n: usize, d: usize) -> Result<impl Fn() -> Error + Copy> {
    if n == 0 {
        return Err(Error::Empty {
            what: "dataset (n = 0 examples)",
        });
    }
    if d == 0 {
        return Err(Error::Empty {
            what: "dataset (d = 0 features)",
        });
    }
    Ok(move || {
        if n >= d {
            too_large("n", n)
        } else {
            too_large("d", d)
        }
    })
}

/// `A v`, each entry summed left to right (no SIMD reordering), so the bits do not depend on
/// the machine; `None` if the result cannot be allocated.
fn fixed_order_mat_vec(a: &Array2<f64>, v: &Array1<f64>) -> Option<Array1<f64>> {
    try_from_fn(a.nrows(), |i| {
        a.row(i).iter().zip(v).fold(0.0, |s, (x, w)| s + x * w)
    })
}

/// An `rows x cols` matrix of independent standard normals, drawn in row-major order; `None`
/// if it cannot be allocated (nothing is drawn then).
pub(crate) fn gaussian_matrix(
    rng: &mut Xoshiro256PlusPlus,
    rows: usize,
    cols: usize,
) -> Option<Array2<f64>> {
    try_from_fn2((rows, cols), |_| rng.sample(StandardNormal))
}

/// A vector of `n` independent standard normals; `None` if it cannot be allocated.
pub(crate) fn gaussian_vector(rng: &mut Xoshiro256PlusPlus, n: usize) -> Option<Array1<f64>> {
    try_from_fn(n, |_| rng.sample(StandardNormal))
}
