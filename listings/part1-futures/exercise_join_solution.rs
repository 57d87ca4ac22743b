// solution: begin
//! Solution: `join2` runs its two futures at once.
// solution: end
// starter: //! Exercise: make `join2` run its two futures at once.
//!
// solution: begin
//! Breakfast needs a kettle (one second) and a toaster (0.4 seconds).
//! `join2` polls both futures on every poll of its own, with the same
//! context, and keeps each output until the other one is there too. Both
//! appliances are switched on at the start, and breakfast is ready after
//! about one second, when the kettle has boiled.
// solution: end
// starter: //! Breakfast needs a kettle (one second) and a toaster (0.4 seconds), and
// starter: //! `join2` should run both and hand back both results. As written, it
// starter: //! awaits one future and then the other, so the toaster is switched on
// starter: //! only once the water has boiled. The runtime is Part One's: the timer
// starter: //! table and a `block_on` that sleeps until the next timer.

// solution: begin
use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;
// solution: end
// starter: // What a solution may need, imported for you.
// starter: #[allow(unused_imports)]
// starter: use std::{future::poll_fn, pin::pin, task::Poll};
use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: exercise
/// Runs `a` and `b` at once, and is ready with both outputs when both are.
async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    // solution: begin
    // Pinned here, in this future's own state, since `poll` needs them
    // pinned and they stay in one place from now on.
    let (mut a, mut b) = (pin!(a), pin!(b));
    // Each output waits here for the other: a finished future must not be
    // polled again.
    let (mut a_output, mut b_output) = (None, None);
    poll_fn(|cx| {
        // Both get the same context, so that either one can wake us.
        if a_output.is_none()
            && let Poll::Ready(output) = a.as_mut().poll(cx)
        {
            a_output = Some(output);
        }
        if b_output.is_none()
            && let Poll::Ready(output) = b.as_mut().poll(cx)
        {
            b_output = Some(output);
        }
        if a_output.is_some() && b_output.is_some() {
            Poll::Ready((a_output.take().unwrap(), b_output.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
    // solution: end
    // starter: // Wrong: `b` is not even polled until `a` has finished.
    // starter: let a = a.await;
    // starter: let b = b.await;
    // starter: (a, b)
}

async fn kettle() -> &'static str {
    println!("kettle on");
    sleep(Duration::from_millis(1000)).await;
    println!("kettle boiled");
    "hot water"
}

async fn toaster() -> u32 {
    println!("toaster on");
    sleep(Duration::from_millis(400)).await;
    println!("toast up");
    2
}

fn main() {
    let (water, slices) = block_on(join2(kettle(), toaster()));
    println!("breakfast: {water} and {slices} slices of toast");
}
// ANCHOR_END: exercise
