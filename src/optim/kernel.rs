//! The one elementwise kernel of the update rules: contiguous slices, compiled for the widest
//! SIMD instruction set the processor has, split over all cores when long, with a plain ndarray
//! loop for strided views.
//!
//! Every elementwise rule is a map over a few long arrays: the iterate `x` (read and written),
//! the gradient `g` (read) and `K` state buffers of the rule (read and written), with one small
//! function applied to each coordinate. [`apply`] runs such a function:
//!
//! - **Slices.** When `x` and `g` are contiguous (the state buffers always are: slices of the
//!   `Vec`s a rule owns, the whole of them or a tensor's range), the loop runs over plain
//!   slices, which the compiler vectorises.
//! - **SIMD.** The default `x86_64` target only allows SSE2, where `f64` square roots and
//!   divisions run two lanes wide and a rule such as Adam becomes arithmetic-bound.
//!   [`widest_simd`] compiles the same loop a second and third time with AVX2 or AVX-512 enabled
//!   and picks, once per call, the widest the processor has. Rust never fuses a multiply and an
//!   add on its own, so every path rounds identically: the result is the same to the bit on
//!   every machine.
//! - **Threads.** With the `parallel` feature, vectors of at least [`PARALLEL_THRESHOLD`]
//!   elements are cut into blocks of at most [`BLOCK`] elements processed on all cores. Each
//!   element is computed by the same arithmetic whatever the split, so threads change nothing in
//!   the result. The split itself allocates nothing; rayon's global job queue, which a parallel
//!   call from outside the pool goes through, allocates one block of 63 slots every 63 such
//!   calls.
//! - **Strided views.** Otherwise an ndarray loop, with the same per-coordinate function.
//! - **A watched buffer.** A rule whose state squares the gradient names that buffer
//!   ([`Watched`]); the loop then checks, in the same pass, that every value written there is
//!   finite, and [`apply_watching`] says whether it was. A gradient component beyond about `√MAX`
//!   (`1.3e154` in `f64`, `1.8e19` in `f32`) makes its square, and so the buffer, infinite:
//!   that coordinate could never move again, and the rule reports it instead of going on in
//!   silence. The check is a comparison and an `or` per coordinate, in registers.

use ndarray::{ArrayView1, ArrayViewMut1, Axis, Zip};

use crate::Real;

/// Length from which elementwise updates run on all cores (with the `parallel` feature).
///
/// Below about a quarter of a million elements the whole update takes less than the ~10–20 µs
/// it costs to wake the thread pool and split the work; measured with `cargo bench --bench
/// rules` (see the README).
#[cfg_attr(not(feature = "parallel"), allow(dead_code))]
pub(crate) const PARALLEL_THRESHOLD: usize = 1 << 18;

/// Length below which the loop runs as compiled for the target, without the run-time choice of
/// SIMD instructions: for a few coordinates the call into a wider-SIMD copy (which cannot be
/// inlined) and its vector set-up cost more than the loop itself. The arithmetic is the same,
/// so the result is too.
const SIMD_THRESHOLD: usize = 16;

/// Largest number of elements a thread processes in one piece when a vector is split.
#[cfg_attr(not(feature = "parallel"), allow(dead_code))]
pub(crate) const BLOCK: usize = 1 << 16;

/// The SIMD instructions an update is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// The widest the processor has: for updates with square roots or divisions, whose cost
    /// AVX-512 halves.
    Widest,
    /// AVX2 at most: for updates of multiplies and adds only, which are memory-bound at any
    /// width, and which stream memory a few percent faster with AVX2 than with AVX-512 on some
    /// processors (measured on AMD Zen 4).
    Streaming,
}

/// Which state buffer, if any, [`apply_watching`] watches for values that are no longer finite: a type
/// known at compile time, so that a loop that watches nothing carries no check at all.
pub(crate) trait Watch: Copy + Send + Sync {
    /// The position of the watched buffer in the array of state buffers, or `None`.
    const BUFFER: Option<usize>;
}

/// Watch no buffer: for rules whose state stays finite while the arithmetic does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unwatched;

impl Watch for Unwatched {
    const BUFFER: Option<usize> = None;
}

/// Watch the state buffer at position `J`: the one that accumulates squared gradients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Watched<const J: usize>;

impl<const J: usize> Watch for Watched<J> {
    const BUFFER: Option<usize> = Some(J);
}

/// Applies `update` to every coordinate `i`: `update(&mut x[i], g[i], &mut [s₀[i], …])`, with
/// the coordinate's values of the `K` state buffers gathered into an array and written back.
///
/// `update` should be an `#[inline(always)] move` closure (a closure can carry the attribute),
/// so that it is compiled into the SIMD copies of the loop and holds its scalars by value.
/// Every state buffer must have the length of `x`, and `g` too; the rules check this before
/// they call.
#[inline]
pub(crate) fn apply<F: Real, const K: usize>(
    x: ArrayViewMut1<'_, F>,
    g: ArrayView1<'_, F>,
    state: [&mut [F]; K],
    simd: Simd,
    update: impl Fn(&mut F, F, &mut [F; K]) + Copy + Send + Sync,
) {
    let _always_finite = apply_watching(x, g, state, simd, Unwatched, update);
}

/// As [`apply`], watching the state buffer `watch` names: returns whether every value written
/// to it is finite (`true` when it watches none).
///
/// A short contiguous vector (below [`SIMD_THRESHOLD`]) runs the plain loop here, inlined into
/// the rule's step (and so into a loop that steps a rule, as the
/// [`Minimizer`](crate::Minimizer) does): for a few coordinates the call and the checks of the
/// long path cost more than the update. Everything else goes through [`apply_long`], out of
/// line. Both run the same arithmetic on each coordinate.
#[inline(always)]
pub(crate) fn apply_watching<F: Real, const K: usize, W: Watch>(
    mut x: ArrayViewMut1<'_, F>,
    g: ArrayView1<'_, F>,
    state: [&mut [F]; K],
    simd: Simd,
    watch: W,
    update: impl Fn(&mut F, F, &mut [F; K]) + Copy + Send + Sync,
) -> bool {
    debug_assert!(g.len() == x.len() && state.iter().all(|s| s.len() == x.len()));
    const {
        assert!(match W::BUFFER {
            Some(j) => j < K,
            None => true,
        })
    };
    if x.len() < SIMD_THRESHOLD
        && let (Some(xs), Some(gs)) = (x.as_slice_mut(), g.as_slice())
    {
        return slice_loop(xs, gs, state, watch, update);
    }
    apply_long(x, g, state, simd, watch, update)
}

/// [`apply_watching`] for the vectors of its out-of-line path: split over the cores when long,
/// compiled for the widest SIMD instructions when contiguous, an ndarray loop when strided.
#[inline(never)]
fn apply_long<F: Real, const K: usize, W: Watch>(
    mut x: ArrayViewMut1<'_, F>,
    g: ArrayView1<'_, F>,
    mut state: [&mut [F]; K],
    simd: Simd,
    watch: W,
    update: impl Fn(&mut F, F, &mut [F; K]) + Copy + Send + Sync,
) -> bool {
    if let (Some(xs), Some(gs)) = (x.as_slice_mut(), g.as_slice()) {
        // Split only when there are threads to share the pieces (the pool running the caller,
        // or the global pool).
        #[cfg(feature = "parallel")]
        if xs.len() >= PARALLEL_THRESHOLD && rayon::current_num_threads() > 1 {
            return split(xs, gs, state, simd, watch, update);
        }
        block(xs, gs, state, simd, watch, update)
    } else {
        let mut overflowed = false;
        Zip::indexed(x).and(g).for_each(|i, x, &g| {
            let mut s: [F; K] = std::array::from_fn(|j| state[j][i]);
            update(x, g, &mut s);
            overflowed |= !finite_if_watched::<F, K, W>(&s);
            for (buffer, value) in state.iter_mut().zip(s) {
                buffer[i] = value;
            }
        });
        !overflowed
    }
}

/// Whether the value of the buffer `W` watches is finite in `s` (`true` when it watches none).
/// Written as one comparison, which a NaN fails, so that it vectorises.
#[inline(always)]
fn finite_if_watched<F: Real, const K: usize, W: Watch>(s: &[F; K]) -> bool {
    match W::BUFFER {
        Some(j) => s[j].abs() <= F::max_value(),
        None => true,
    }
}

/// Halves the slices until they are at most [`BLOCK`] long, and runs the halves on the pool.
#[cfg(feature = "parallel")]
fn split<F: Real, const K: usize, W: Watch>(
    x: &mut [F],
    g: &[F],
    mut state: [&mut [F]; K],
    simd: Simd,
    watch: W,
    update: impl Fn(&mut F, F, &mut [F; K]) + Copy + Send + Sync,
) -> bool {
    if x.len() <= BLOCK {
        return block(x, g, state, simd, watch, update);
    }
    // A multiple of BLOCK, so that the pieces are whole blocks but the last.
    let mid = (x.len() / 2).next_multiple_of(BLOCK);
    let (x_left, x_right) = x.split_at_mut(mid);
    let (g_left, g_right) = g.split_at(mid);
    let state_right = state.each_mut().map(|s| {
        let (left, right) = std::mem::take(s).split_at_mut(mid);
        *s = left;
        right
    });
    let (left, right) = rayon::join(
        || split(x_left, g_left, state, simd, watch, update),
        || split(x_right, g_right, state_right, simd, watch, update),
    );
    left && right
}

/// The loop over one contiguous piece, compiled for the SIMD instructions `simd` asks for.
#[inline(always)]
fn block<F: Real, const K: usize, W: Watch>(
    x: &mut [F],
    g: &[F],
    state: [&mut [F]; K],
    simd: Simd,
    watch: W,
    update: impl Fn(&mut F, F, &mut [F; K]) + Copy,
) -> bool {
    if x.len() < SIMD_THRESHOLD {
        return slice_loop(x, g, state, watch, update);
    }
    // Everything the loop reads is moved into the closure, which the SIMD copies take by value:
    // the compiler then knows that no store of the loop changes the rule's per-step scalars,
    // keeps them in registers, and vectorises.
    match simd {
        Simd::Widest => widest_simd(
            #[inline(always)]
            move || slice_loop(x, g, state, watch, update),
        ),
        Simd::Streaming => avx2_simd(
            #[inline(always)]
            move || slice_loop(x, g, state, watch, update),
        ),
    }
}

/// The plain loop over slices that [`block`] compiles; returns whether every value written to
/// the watched buffer is finite.
#[inline(always)]
fn slice_loop<F: Real, const K: usize, W: Watch>(
    x: &mut [F],
    g: &[F],
    state: [&mut [F]; K],
    _watch: W,
    update: impl Fn(&mut F, F, &mut [F; K]),
) -> bool {
    // Slices of one known length, so that the loop has no bounds checks.
    let n = x.len();
    let g = &g[..n];
    let mut state = state.map(|s| &mut s[..n]);
    // An `or` of comparisons, which the compiler keeps in a vector register: no branch, and no
    // other pass over the buffer.
    let mut overflowed = false;
    for i in 0..n {
        let mut s: [F; K] = std::array::from_fn(|j| state[j][i]);
        update(&mut x[i], g[i], &mut s);
        overflowed |= !finite_if_watched::<F, K, W>(&s);
        for (buffer, value) in state.iter_mut().zip(s) {
            buffer[i] = value;
        }
    }
    !overflowed
}

/// Sums over the coordinates of a vector, as a rule's first pass gathers them
/// ([`ElementwiseRule::gather`](super::ElementwiseRule::gather)): a few scalars added up
/// coordinate by coordinate.
pub trait Sums: Copy + std::fmt::Debug + Send + Sync {
    /// `true` for the empty sums `()` of the rules that gather nothing: their step has no first
    /// pass.
    const NONE: bool = false;

    /// The sums of no coordinates.
    fn zero() -> Self;

    /// The sums of two disjoint sets of coordinates together.
    #[must_use]
    fn plus(self, other: Self) -> Self;
}

/// Nothing to gather.
impl Sums for () {
    const NONE: bool = true;

    fn zero() {}

    fn plus(self, _other: ()) {}
}

/// `N` sums, added term by term.
impl<F: Real, const N: usize> Sums for [F; N] {
    fn zero() -> Self {
        [F::zero(); N]
    }

    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        std::array::from_fn(|j| self[j] + other[j])
    }
}

/// Number of partial sums kept side by side within a block: independent additions, which the
/// compiler can keep in vector registers.
const LANES: usize = 8;

/// Adds up `term(x[i], g[i], s[i])` over every coordinate `i`, where `term` may also update the
/// coordinate's values `s[i]` of the `K` state buffers, as [`apply`] does.
///
/// The order of the additions depends on the length of `x` alone: the vector is halved into
/// blocks of at most [`BLOCK`] coordinates as [`apply`] splits it (the halves added left to
/// right), and within a block coordinate `i` goes to partial sum `i mod 8`, the eight added
/// pairwise at the end. So the result is the same to the bit whether `x` is contiguous or
/// strided, on one thread or many, with whatever SIMD instructions.
#[inline]
pub(crate) fn gather<F: Real, const K: usize, S: Sums>(
    x: ArrayView1<'_, F>,
    g: ArrayView1<'_, F>,
    state: [&mut [F]; K],
    simd: Simd,
    term: impl Fn(F, F, &mut [F; K]) -> S + Copy + Send + Sync,
) -> S {
    debug_assert!(g.len() == x.len() && state.iter().all(|s| s.len() == x.len()));
    #[cfg(feature = "parallel")]
    let parallel = x.len() >= PARALLEL_THRESHOLD && rayon::current_num_threads() > 1;
    #[cfg(not(feature = "parallel"))]
    let parallel = false;
    gather_tree(x, g, state, simd, parallel, term)
}

/// The halving of [`gather`]: the same tree of additions with or without threads.
#[cfg_attr(not(feature = "parallel"), allow(clippy::only_used_in_recursion))]
fn gather_tree<F: Real, const K: usize, S: Sums>(
    x: ArrayView1<'_, F>,
    g: ArrayView1<'_, F>,
    mut state: [&mut [F]; K],
    simd: Simd,
    parallel: bool,
    term: impl Fn(F, F, &mut [F; K]) -> S + Copy + Send + Sync,
) -> S {
    if x.len() <= BLOCK {
        return gather_block(x, g, state, simd, term);
    }
    let mid = (x.len() / 2).next_multiple_of(BLOCK);
    let (x_left, x_right) = x.split_at(Axis(0), mid);
    let (g_left, g_right) = g.split_at(Axis(0), mid);
    let state_right = state.each_mut().map(|s| {
        let (left, right) = std::mem::take(s).split_at_mut(mid);
        *s = left;
        right
    });
    let left = move || gather_tree(x_left, g_left, state, simd, parallel, term);
    let right = move || gather_tree(x_right, g_right, state_right, simd, parallel, term);
    #[cfg(feature = "parallel")]
    if parallel {
        let (left, right) = rayon::join(left, right);
        return left.plus(right);
    }
    let left = left();
    left.plus(right())
}

/// The sums over one block: over slices, compiled for the SIMD instructions `simd` asks for,
/// when `x` and `g` are contiguous, and by indexing otherwise, in the same order.
#[inline(always)]
fn gather_block<F: Real, const K: usize, S: Sums>(
    x: ArrayView1<'_, F>,
    g: ArrayView1<'_, F>,
    mut state: [&mut [F]; K],
    simd: Simd,
    term: impl Fn(F, F, &mut [F; K]) -> S + Copy,
) -> S {
    let n = x.len();
    if let (Some(xs), Some(gs)) = (x.as_slice(), g.as_slice()) {
        if n < SIMD_THRESHOLD {
            return gather_slices(xs, gs, state, term);
        }
        return match simd {
            Simd::Widest => widest_simd(
                #[inline(always)]
                move || gather_slices(xs, gs, state, term),
            ),
            Simd::Streaming => avx2_simd(
                #[inline(always)]
                move || gather_slices(xs, gs, state, term),
            ),
        };
    }
    lanes(n, |i| term_at(&mut state, i, x[i], g[i], term))
}

/// The sums of [`gather_block`] over slices, without bounds checks.
#[inline(always)]
fn gather_slices<F: Real, const K: usize, S: Sums>(
    x: &[F],
    g: &[F],
    state: [&mut [F]; K],
    term: impl Fn(F, F, &mut [F; K]) -> S,
) -> S {
    let n = x.len();
    let g = &g[..n];
    let mut state = state.map(|s| &mut s[..n]);
    lanes(n, |i| term_at(&mut state, i, x[i], g[i], &term))
}

/// `term` of coordinate `i`, whose values of the state buffers it reads and writes.
#[inline(always)]
fn term_at<F: Real, const K: usize, S>(
    state: &mut [&mut [F]; K],
    i: usize,
    x: F,
    g: F,
    term: impl Fn(F, F, &mut [F; K]) -> S,
) -> S {
    let mut s: [F; K] = std::array::from_fn(|j| state[j][i]);
    let sum = term(x, g, &mut s);
    for (buffer, value) in state.iter_mut().zip(s) {
        buffer[i] = value;
    }
    sum
}

/// `term(0) + … + term(n - 1)` in [`LANES`] partial sums, coordinate `i` to sum `i mod LANES`,
/// the partial sums then added pairwise; `term` is called in the order of `i`.
#[inline(always)]
fn lanes<S: Sums>(n: usize, mut term: impl FnMut(usize) -> S) -> S {
    let mut partial = [S::zero(); LANES];
    let whole = n - n % LANES;
    for start in (0..whole).step_by(LANES) {
        for (lane, sum) in partial.iter_mut().enumerate() {
            *sum = sum.plus(term(start + lane));
        }
    }
    for (sum, i) in partial.iter_mut().zip(whole..n) {
        *sum = sum.plus(term(i));
    }
    let [a, b, c, d, e, f, g, h] = partial;
    (a.plus(b).plus(c.plus(d))).plus(e.plus(f).plus(g.plus(h)))
}

/// Runs `body` compiled for the widest SIMD instruction set available (AVX-512F, then AVX2 with
/// FMA on `x86_64`), or as compiled for the target otherwise.
///
/// `body` must be `#[inline(always)]` for the wider code to be generated: it is inlined into a
/// function compiled with the extra target features.
#[inline(always)]
pub(crate) fn widest_simd<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor supports AVX-512F, checked just above.
            return unsafe { x86::avx512(body) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports AVX2 and FMA, checked just above.
            return unsafe { x86::avx2(body) };
        }
    }
    body()
}

/// Runs `body` compiled for AVX2 with FMA on `x86_64` processors that have them, or as compiled
/// for the target otherwise. As [`widest_simd`], `body` must be `#[inline(always)]`.
#[inline(always)]
fn avx2_simd<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the processor supports AVX2 and FMA, checked just above.
        return unsafe { x86::avx2(body) };
    }
    body()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512<R>(body: impl FnOnce() -> R) -> R {
        body()
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2<R>(body: impl FnOnce() -> R) -> R {
        body()
    }
}
