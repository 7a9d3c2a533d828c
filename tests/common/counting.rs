//! A global allocator that counts allocations, so that a test can check that a hot path
//! allocates nothing.
//!
//! A test file opts in by installing it:
//!
//! ```ignore
//! mod common;
//!
//! #[global_allocator]
//! static COUNTING: common::counting::Counting = common::counting::Counting;
//! ```
//!
//! Every `alloc`, `alloc_zeroed` and `realloc` is counted twice: for the calling thread (so that
//! tests running in parallel do not see each other's allocations) and for the whole process (for
//! work spread over a thread pool; a test that reads that count must run alone in its binary).
//! The counters panic when read in a binary that did not install the allocator, so a forgotten
//! installation cannot make a test pass on a count that is always zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

thread_local! {
    static THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

static ALL_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Set by the first allocation through [`Counting`].
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn count() {
    // `try_with`: the thread-local may already be gone while the thread shuts down.
    let _ = THIS_THREAD.try_with(|c| c.set(c.get() + 1));
    ALL_THREADS.fetch_add(1, Ordering::Relaxed);
    INSTALLED.store(true, Ordering::Relaxed);
}

/// The system allocator, counting `alloc`, `alloc_zeroed` and `realloc`.
pub struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn assert_installed() {
    assert!(
        INSTALLED.load(Ordering::Relaxed),
        "allocations are not counted: install `common::counting::Counting` as the #[global_allocator] of \
         this test file"
    );
}

/// Allocations made by the current thread so far.
pub fn allocations() -> usize {
    assert_installed();
    THIS_THREAD.with(Cell::get)
}

/// Allocations made by the current thread while `f` runs.
pub fn allocations_during(f: impl FnOnce()) -> usize {
    let before = allocations();
    f();
    allocations() - before
}

/// Allocations made by every thread of the process so far.
pub fn allocations_on_all_threads() -> usize {
    assert_installed();
    ALL_THREADS.load(Ordering::SeqCst)
}
