//! `part1-hand-projected-timeout` with the sleep reached as `part1-timeout`
//! reached it: it does not compile.
//!
//! `&mut self.sleep` borrows through the `Pin<&mut Timeout<F>>`, which
//! gives out a `&mut Timeout<F>` only when `Timeout<F>` is `Unpin`, and
//! with a future of any type inside, it need not be. The compiler refuses
//! with error E0596, even though `Sleep` itself is `Unpin`.

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
        // Wrong: a `&mut` through the `Pin`, as if `Timeout` were `Unpin`.
        if Pin::new(&mut self.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // SAFETY: as in `part1-hand-projected-timeout`.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        future.poll(cx).map(Ok)
    }
}
// ANCHOR_END: poll

include!("../timed_jobs.rs");
