//! `part1-hand-projected-timeout` without the projection: it does not
//! compile.
//!
//! The future is a field of the `Timeout`, and `poll` reaches it the way
//! `Then` reached its futures, with `Pin::new`. That takes only `Unpin`
//! values, and `F` is any future at all, so the compiler refuses with error
//! E0277: `F` "cannot be unpinned".

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

include!("../unboxed_timeout.rs");

// ANCHOR: poll
impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        if Pin::new(&mut self.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // Wrong: `Pin::new` pins only what may move anyway.
        Pin::new(&mut self.future).poll(cx).map(Ok)
    }
}
// ANCHOR_END: poll

include!("../timed_jobs.rs");
