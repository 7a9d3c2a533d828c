//! Norm balls `{x : ‖x - c‖ <= r}`: one type for every norm, with each norm's distance and
//! projection in the norm's own file ([`L1`](super::L1), [`L2`](super::L2),
//! [`LInf`](super::LInf)).

use std::fmt::Debug;
use std::marker::PhantomData;

use ndarray::{Array1, ArrayView1, ArrayViewMut1};

use super::{Projection, check_center};
use crate::Real;
use crate::error::{Domain, Result, check};

/// A norm whose balls have an exact projection: the distance it measures and the projection
/// onto its ball. Implemented by the markers [`L1`](super::L1), [`L2`](super::L2) and
/// [`LInf`](super::LInf); sealed.
pub trait BallNorm: Debug + Clone + Copy + PartialEq + sealed::Sealed {
    /// `‖x - c‖` (`c = 0` when there is no center), without overflow where the norm allows.
    fn distance<F: Real>(x: ArrayView1<'_, F>, center: Option<&Array1<F>>) -> F;

    /// Moves the finite point `x`, which lies outside the ball (`‖x - c‖ > r > 0`), to its
    /// projection onto the ball.
    fn project_outside<F: Real>(x: ArrayViewMut1<'_, F>, center: Option<&Array1<F>>, radius: F);
}

/// The ball `{x ∈ R^n : ‖x - c‖ <= r}` of the norm `N`, about a center `c` or the origin.
///
/// Use it through its names for each norm: [`L1Ball`](super::L1Ball),
/// [`L2Ball`](super::L2Ball), [`LInfBall`](super::LInfBall). A ball about the origin
/// ([`new`](Ball::new)) applies in any dimension; a ball with a center
/// ([`centered`](Ball::centered)) has the center's dimension. Points inside are left exactly as
/// they are; points with an infinite or NaN entry become NaN (the loop reports it).
#[derive(Debug, Clone, PartialEq)]
pub struct Ball<F, N> {
    center: Option<Array1<F>>,
    radius: F,
    norm: PhantomData<N>,
}

impl<F: Real, N: BallNorm> Ball<F, N> {
    /// The ball of radius `radius` about the origin, in any dimension.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite
    /// radius.
    pub fn new(radius: F) -> Result<Self> {
        check("radius", radius, Domain::NonNegative)?;
        Ok(Ball {
            center: None,
            radius,
            norm: PhantomData,
        })
    }

    /// The ball of radius `radius` about `center`.
    ///
    /// # Errors
    /// As [`new`](Ball::new); [`Error::Empty`](crate::Error::Empty) or
    /// [`Error::NonFinite`](crate::Error::NonFinite) for an empty or non-finite center.
    pub fn centered(center: ArrayView1<'_, F>, radius: F) -> Result<Self> {
        let mut ball = Self::new(radius)?;
        check_center("center", center)?;
        ball.center = Some(center.to_owned());
        Ok(ball)
    }

    /// The radius `r`.
    pub fn radius(&self) -> F {
        self.radius
    }

    /// The center `c`, or `None` for the origin.
    pub fn center(&self) -> Option<ArrayView1<'_, F>> {
        self.center.as_ref().map(|c| c.view())
    }
}

impl<F: Real, N: BallNorm> Projection<F> for Ball<F, N> {
    fn project(&mut self, mut x: ArrayViewMut1<'_, F>) {
        if super::reject_wrong_length(self.dim(), &mut x) {
            return;
        }
        if x.iter().any(|v| !v.is_finite()) {
            // No projection of a point with an infinite or NaN entry: leave a NaN where the
            // loop will see it.
            x.fill(F::nan());
            return;
        }
        // A distance that overflows (finite entries far outside) is outside the ball too.
        if N::distance(x.view(), self.center.as_ref()) <= self.radius {
            return;
        }
        if self.radius == F::zero() {
            match &self.center {
                None => x.fill(F::zero()),
                Some(c) => x.assign(c),
            }
            return;
        }
        N::project_outside(x, self.center.as_ref(), self.radius);
    }

    fn dim(&self) -> Option<usize> {
        self.center.as_ref().map(|c| c.len())
    }

    /// `‖x - c‖ <= r + tolerance`.
    fn contains(&self, x: ArrayView1<'_, F>, tolerance: F) -> bool {
        if self.center.as_ref().is_some_and(|c| c.len() != x.len()) {
            return false;
        }
        N::distance(x, self.center.as_ref()) <= self.radius + tolerance
    }
}

/// The scale `k` at which `k (x - c)` is finite for finite `x` and `c`: 1, or 1/2 where `x - c`
/// overflows (halving is exact for the magnitudes where that happens).
pub(super) fn safe_scale<F: Real>(x: ArrayView1<'_, F>, center: Option<&Array1<F>>) -> F {
    let overflows = match center {
        None => false,
        Some(c) => x.iter().zip(c).any(|(&x, &c)| !(x - c).is_finite()),
    };
    if overflows { F::lit(0.5) } else { F::one() }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::super::l1_ball::L1 {}
    impl Sealed for super::super::l2_ball::L2 {}
    impl Sealed for super::super::linf_ball::LInf {}
}
