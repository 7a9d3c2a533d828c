//! The group lasso `λ Σ_g w_g |x_g|₂` over given groups of coordinates.

use ndarray::{Array1, ArrayView1, ArrayViewMut1};

use super::Prox;
use super::l2_norm::shrink_factor;
use super::penalty::Penalty;
use crate::Real;
use crate::error::{Domain, Error, Result, check, check_entries};
use crate::linalg::norm_of;

/// The group-lasso penalty (Yuan & Lin, "Model selection and estimation in regression with
/// grouped variables", JRSS B 68, 2006) over disjoint groups `g` of the coordinates of
/// `x ∈ R^n`:
///
/// ```text
/// h(x) = λ Σ_g w_g |x_g|₂ ,
/// prox_{γh}(v)_g = max(1 - γλw_g / |v_g|₂, 0) v_g     on each group g,
/// ```
///
/// and the identity on coordinates in no group (unpenalised). The penalty separates over the
/// groups, so its prox is the [`L2Norm`](super::L2Norm) prox of each group: a whole group is
/// zero or none of it is. The default weights are `w_g = √|g|` (Yuan & Lin), so that groups of
/// different sizes are penalised alike. `0` minimises `f + h` exactly when
/// `|∇f(0)_g|₂ <= λ w_g` for every group.
///
/// ```
/// use gradus::prox::{GroupLasso, Prox};
/// use ndarray::array;
///
/// // Groups {0, 1} and {3}; coordinate 2 is unpenalised. Unit weights.
/// let mut h = GroupLasso::new(4, &[vec![0, 1], vec![3]], 1.0)?.with_weights(&[1.0, 1.0])?;
/// let mut x = array![3.0, 4.0, 7.0, 0.5];
/// h.prox(x.view_mut(), 2.5);
/// assert_eq!(x, array![1.5, 2.0, 7.0, 0.0]);
/// # Ok::<(), gradus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupLasso<F> {
    n: usize,
    lambda: F,
    /// The indices of every group, one group after the other.
    indices: Vec<usize>,
    /// Group `k` is `indices[starts[k]..starts[k + 1]]`.
    starts: Vec<usize>,
    weights: Array1<F>,
}

impl<F: Real> GroupLasso<F> {
    /// The group lasso on `R^n` over `groups` (lists of coordinate indices), with weight
    /// `λ = lambda` and the group weights `√|g|`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `lambda`; [`Error::Empty`] for
    /// `n = 0`, no groups or an empty group; [`Error::InvalidEntry`] naming an index `>= n`, or
    /// one that appears twice (the groups must be disjoint).
    pub fn new(n: usize, groups: &[Vec<usize>], lambda: F) -> Result<Self> {
        check("lambda", lambda, Domain::NonNegative)?;
        if n == 0 {
            return Err(Error::Empty {
                what: "the group lasso's space (n = 0)",
            });
        }
        if groups.is_empty() {
            return Err(Error::Empty { what: "groups" });
        }
        let mut seen = vec![false; n];
        let mut indices = Vec::with_capacity(groups.iter().map(Vec::len).sum());
        let mut starts = Vec::with_capacity(groups.len() + 1);
        for group in groups {
            if group.is_empty() {
                return Err(Error::Empty {
                    what: "a group of the group lasso",
                });
            }
            starts.push(indices.len());
            for &i in group {
                if i >= n {
                    return Err(Error::InvalidEntry {
                        name: "groups",
                        index: indices.len(),
                        value: i as f64,
                        expected: "a coordinate index below n",
                    });
                }
                if seen[i] {
                    return Err(Error::InvalidEntry {
                        name: "groups",
                        index: indices.len(),
                        value: i as f64,
                        expected: "in one group only (the groups must be disjoint)",
                    });
                }
                seen[i] = true;
                indices.push(i);
            }
        }
        starts.push(indices.len());
        let weights = Array1::from_iter(groups.iter().map(|g| F::from_count(g.len()).sqrt()));
        Ok(GroupLasso {
            n,
            lambda,
            indices,
            starts,
            weights,
        })
    }

    /// The group lasso over consecutive blocks of the given sizes (the first `sizes[0]`
    /// coordinates, then the next `sizes[1]`, ...), covering `R^n` with `n = Σ sizes`.
    ///
    /// # Errors
    /// As [`new`](GroupLasso::new).
    pub fn contiguous(sizes: &[usize], lambda: F) -> Result<Self> {
        let mut groups = Vec::with_capacity(sizes.len());
        let mut start = 0;
        for &size in sizes {
            groups.push((start..start + size).collect::<Vec<_>>());
            start += size;
        }
        Self::new(start, &groups, lambda)
    }

    /// The same groups with the weights `w_g` given, one per group, in the order of the groups.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless there is one weight per group;
    /// [`Error::InvalidEntry`] for a negative or non-finite weight.
    pub fn with_weights(mut self, weights: &[F]) -> Result<Self> {
        crate::error::check_len("weights vs groups", self.groups(), weights.len())?;
        check_entries("weights", weights.iter().copied(), Domain::NonNegative)?;
        self.weights = Array1::from(weights.to_vec());
        Ok(self)
    }

    /// The weight `λ`.
    pub fn lambda(&self) -> F {
        self.lambda
    }

    /// The same groups and group weights with the weight `λ = lambda`.
    pub(super) fn set_lambda(&mut self, lambda: F) {
        self.lambda = lambda;
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.starts.len() - 1
    }

    /// The coordinates of group `k`.
    ///
    /// # Panics
    /// If `k >= self.groups()`.
    pub fn group(&self, k: usize) -> &[usize] {
        &self.indices[self.starts[k]..self.starts[k + 1]]
    }

    /// The group weights `w_g`.
    pub fn weights(&self) -> ArrayView1<'_, F> {
        self.weights.view()
    }

    /// `|v_g|₂` for group `k`, computed without overflow.
    pub(super) fn group_norm(&self, v: &ArrayView1<'_, F>, k: usize) -> F {
        norm_of(self.group(k).iter().map(|&i| v[i]))
    }
}

impl<F: Real> Prox<F> for GroupLasso<F> {
    /// `λ Σ_g w_g |x_g|₂`; NaN if `x` does not have `n` entries.
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if x.len() != self.n {
            return F::nan();
        }
        let sum = (0..self.groups()).fold(F::zero(), |s, k| {
            s + self.weights[k] * self.group_norm(&x, k)
        });
        self.lambda * sum
    }

    fn prox(&mut self, mut x: ArrayViewMut1<'_, F>, gamma: F) -> F {
        if super::reject_wrong_length(self.n, &mut x) {
            return F::nan();
        }
        let mut sum = F::zero();
        for k in 0..self.groups() {
            let w = self.weights[k];
            let r = self.group_norm(&x.view(), k);
            let factor = shrink_factor(r, gamma * self.lambda * w);
            for &i in self.group(k) {
                x[i] *= factor;
            }
            sum += w * r * factor;
        }
        self.lambda * sum
    }

    fn dim(&self) -> Option<usize> {
        Some(self.n)
    }
}

impl<F: Real> Penalty<F> for GroupLasso<F> {
    fn lambda(&self) -> F {
        self.lambda
    }

    fn with_lambda(&self, lambda: F) -> Self {
        let mut h = self.clone();
        h.set_lambda(lambda);
        h
    }

    /// `max_g |g_g|₂ / w_g` over the groups of positive weight.
    fn lambda_max(&self, gradient: ArrayView1<'_, F>) -> F {
        (0..self.groups()).fold(F::zero(), |m, k| {
            let w = self.weights[k];
            if w > F::zero() {
                let r = self.group_norm(&gradient, k) / w;
                if r > m || r.is_nan() { r } else { m }
            } else {
                m
            }
        })
    }
}
