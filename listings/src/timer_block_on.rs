//! Part One's executor at the end of the part: `block_on` runs one future,
//! and while it is pending the thread sleeps until the earliest deadline
//! in the timer table, wakes every timer that is due, and polls again.
//! Part One's later programs run on it, from the ten jobs in a second to
//! the exercises.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use listings::timer_block_on::block_on;
//! use listings::timers::sleep;
//!
//! let start = Instant::now();
//! let answer = block_on(async {
//!     sleep(Duration::from_millis(50)).await;
//!     42
//! });
//! assert_eq!(answer, 42);
//! assert!(start.elapsed() >= Duration::from_millis(50));
//! ```
//!
//! A future that waits for something other than a timer waits forever
//! here, and `block_on` says so:
//!
//! ```should_panic
//! use listings::timer_block_on::block_on;
//!
//! block_on(std::future::pending::<()>());
//! ```

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Instant;

use super::timers::{TIMERS, wake_due_timers};

// ANCHOR: block_on
/// Runs `future` to completion on this thread, sleeping between polls
/// until the next timer is due.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // The loop wakes every timer itself and polls its one future after each
    // wait, so a wake-up has nothing to tell it: the waker it lends out
    // does nothing at all.
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        sleep_until_next_timer();
        wake_due_timers();
    }
}

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("the future waits, and nothing will ever wake it"),
    }
}
// ANCHOR_END: block_on
