//! Cancelling a future by dropping it: a timeout.
//!
//! `timeout` races a future against a sleep. If the sleep wins, the
//! timeout returns an error, and the future it raced, dropped along with
//! it, is never polled again: whatever it would have done next simply does
//! not happen. Job 0 gets two seconds and needs one; job 1 gets 0.3 seconds,
//! so its "end" line never comes. The program is done after about a second.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

// ANCHOR: timeout
/// The error of a future that ran out of time.
#[derive(Debug)]
struct TimedOut;

/// `future`, given at most `limit` to finish.
struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(limit),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        // The limit is looked at first: once it has passed, the future is
        // not polled again, even if it could have finished on this poll.
        if Pin::new(&mut self.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // Both were polled with the same context, so whichever can make
        // progress first wakes this future.
        self.future.as_mut().poll(cx).map(Ok)
    }
}
// ANCHOR_END: timeout

include!("timed_jobs.rs");
