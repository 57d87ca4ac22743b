//! `part1-timeout` without the box: a pin projection, written by hand.
//!
//! The `Timeout` of `part1-timeout` kept its future in a `Pin<Box<F>>`,
//! because the future of an `async fn` is not `Unpin` and `Pin::new`
//! refuses it. This one keeps the future in a field of its own and pins it
//! there: since the `Timeout` is pinned, and nothing ever moves the field
//! out of it, the field is pinned too. `poll` turns its `Pin<&mut Self>`
//! into a `Pin<&mut F>` for the future and a plain `&mut Sleep` for the
//! sleep, with two lines of `unsafe` whose promises the comments spell
//! out. The jobs, their limits and the output are those of `part1-timeout`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

// ANCHOR: timeout
include!("unboxed_timeout.rs");

// The pin projection of `Timeout`. `future` is pinned whenever the
// `Timeout` is ("structurally"), so it may be a future that borrows from
// itself, such as an `async fn`'s. `sleep` is not: `Sleep` is `Unpin`, and
// `poll` hands it out as a plain `&mut Sleep`.
impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `this` is a plain `&mut` to a pinned `Timeout`. The
        // `Timeout` itself is never moved through it: `this` only serves to
        // reach the two fields below, each as the comment beside it says.
        let this = unsafe { self.get_unchecked_mut() };
        // `sleep` is not pinned structurally, so a plain `&mut` to it is
        // fine, and `Pin::new` accepts it because `Sleep` is `Unpin`.
        if Pin::new(&mut this.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // SAFETY: `future` is pinned structurally: once the `Timeout` is
        // pinned, `future` stays where it is until it is dropped, because
        // - no code moves it out: the only `&mut` to it is this one, which
        //   goes straight into `Pin::new_unchecked`, and no method takes
        //   it, swaps it or replaces it;
        // - no `impl Unpin for Timeout<F>` says that a `Timeout` may move
        //   while `F` may not: the compiler's own rule, `Unpin` only when
        //   both fields are, stands;
        // - there is no `Drop` for `Timeout`, which could move `future` out
        //   of the `&mut self` it gets; dropping a `Timeout` drops `future`
        //   where it lies;
        // - the struct is not `#[repr(packed)]`, under which dropping it
        //   would first move each field to a properly aligned place.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        future.poll(cx).map(Ok)
    }
}
// ANCHOR_END: timeout

include!("timed_jobs.rs");
