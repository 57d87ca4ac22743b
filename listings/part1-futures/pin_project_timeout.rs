//! `part1-hand-projected-timeout` with its `unsafe` left to a crate.
//!
//! `pin_project!`, from the small `pin-project-lite` crate, declares the
//! struct and writes its pin projection: a `project` method that turns a
//! `Pin<&mut Timeout<F>>` into a struct of references, a `Pin<&mut F>` for
//! the field marked `#[pin]` and a plain `&mut` for the other. It also
//! writes the `Unpin` impl that goes with it, and refuses a hand-written
//! `Drop` that could move the pinned field. The output is that of
//! `part1-timeout`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};
use pin_project_lite::pin_project;

// ANCHOR: timeout
/// The error of a future that ran out of time.
#[derive(Debug)]
struct TimedOut;

pin_project! {
    /// `future`, given at most `limit` to finish.
    struct Timeout<F> {
        // Pinned whenever the `Timeout` is: `project` gives a `Pin<&mut F>`.
        #[pin]
        future: F,
        // Not pinned: `project` gives a `&mut Sleep`.
        sleep: Sleep,
    }
}

fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(limit),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The projection: one reference per field, and no `unsafe` here.
        let this = self.project();
        if Pin::new(this.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        this.future.poll(cx).map(Ok)
    }
}
// ANCHOR_END: timeout

include!("timed_jobs.rs");
