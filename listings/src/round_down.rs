//! Part Three's main loop with the sockets taken out, counting its turns:
//! the runtime of the first program of Part Four's first chapter,
//! `part4-round-down`.
//!
//! The main future is the only task, and timers are all it can wait for.
//! Whenever nothing was woken, the loop sleeps in `poll(2)`, with no
//! descriptors, until the earliest timer is due, and, as in Part Three, it
//! rounds the time that is left down to whole milliseconds. `TURNS` counts
//! how often the loop goes round.
//!
//! ```
//! use std::sync::atomic::Ordering;
//! use std::time::Duration;
//! use listings::round_down::{Sleep, TURNS, block_on, sleep};
//!
//! let nap: Sleep = sleep(Duration::from_millis(2));
//! block_on(nap).unwrap();
//! // One turn to start the sleep, at least one more to end it.
//! assert!(TURNS.load(Ordering::Relaxed) >= 2);
//! ```

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use std::{io, ptr};

// The runtime of Part Three, timers only: no tasks but the main future, no
// sockets, and a main loop that counts its turns. Its waker and its timers
// are Part Two's.
use super::flag_executor::{FlagWaker, WOKEN};
pub use super::timers::{Sleep, sleep};
use super::timers::{TIMERS, wake_due_timers};

/// How many times the main loop has gone round.
pub static TURNS: AtomicUsize = AtomicUsize::new(0);

/// Runs `future` to completion. Fails only if `poll(2)` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    loop {
        TURNS.fetch_add(1, Ordering::Relaxed);
        // Clear the flag before polling, so that a wake-up that happens
        // during the poll below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        // Wait for the next timer (not at all if the future was woken),
        // then wake whoever waited for it.
        wait_for_timer()?;
        wake_due_timers();
    }
}

// ANCHOR: wait
/// Sleeps in `poll(2)` until the earliest timer is due.
fn wait_for_timer() -> io::Result<()> {
    let next_timer = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    // How long `poll(2)` may sleep, in milliseconds.
    let timeout: libc::c_int = if WOKEN.load(Ordering::SeqCst) {
        // The main future is ready to run: do not sleep.
        0
    } else if let Some(at) = next_timer {
        // Rounded down to whole milliseconds, as in Part Three.
        let left = at.saturating_duration_since(Instant::now());
        left.as_millis().try_into().unwrap_or(libc::c_int::MAX)
    } else {
        panic!("the main future waits, and nothing will ever wake it");
    };
    // With no descriptors to watch, `poll(2)` only sleeps for the timeout.
    // SAFETY: a null pointer with a length of zero describes no `pollfd`s,
    // and the kernel reads and writes none.
    let result = unsafe { libc::poll(ptr::null_mut(), 0, timeout) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
// ANCHOR_END: wait
