//! Elementwise kernels: run-time dispatch to wider SIMD instructions, and splitting of long
//! vectors over threads.
//!
//! Update rules are elementwise maps over a few long arrays. Written as plain loops over
//! contiguous slices, the compiler vectorises them; but the default `x86_64` target only allows
//! SSE2, where `f64` square roots and divisions run two lanes wide and Adam becomes
//! arithmetic-bound. `widest_simd` compiles the same loop a second and third time with AVX2 or
//! AVX-512 enabled and picks, once per call, the widest the processor has. Rust never fuses a
//! multiply and an add on its own, so every path rounds identically: the result is the same to
//! the bit on every machine.
//!
//! With the `parallel` feature, vectors of at least [`PARALLEL_THRESHOLD`] elements are cut into
//! blocks of [`BLOCK`] elements processed on all cores. Each element is computed by the same
//! arithmetic whatever the split, so threads change nothing in the result. The split itself
//! allocates nothing; rayon's global job queue, which a parallel call from outside the pool
//! goes through, allocates one block of 63 slots every 63 such calls.

/// Length from which elementwise updates run on all cores (with the `parallel` feature).
///
/// Below about a quarter of a million elements the whole update takes less than the ~10–20 µs
/// it costs to wake the thread pool and split the work; measured with `cargo bench --bench
/// rules` (see the README).
pub const PARALLEL_THRESHOLD: usize = 1 << 18;

/// Elements per block when a vector is split over threads.
pub const BLOCK: usize = 1 << 16;

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
