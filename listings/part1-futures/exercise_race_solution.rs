// solution: begin
//! Solution: `race` finishes with whichever future is ready first and
//! drops the other.
// solution: end
// starter: //! Exercise: write `race`, which finishes with whichever future is ready
// starter: //! first and drops the other.
//!
//! The same file is on two mirrors, a near one that answers after 0.3
// solution: begin
//! seconds and a far one that takes a second. `race` polls both with the
//! same context until one of them is ready; the near mirror wins, and the
//! far one is dropped before it ever answers.
// solution: end
// starter: //! seconds and a far one that takes a second. The program asks both and
// starter: //! takes the first answer. The runtime is Part One's: the timer table and
// starter: //! a `block_on` that sleeps until the next timer.

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
/// Runs `a` and `b` at once, and is ready with the output of the first one
/// to finish. The other one is dropped unfinished.
// solution: begin
async fn race<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (pin!(a), pin!(b));
    // Both get the same context, so that either one can wake us. When one
    // is ready, `race` returns, and both futures, pinned in its state, are
    // dropped with it: the loser never runs again.
    poll_fn(|cx| {
        if let Poll::Ready(output) = a.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        b.as_mut().poll(cx)
    })
    .await
}
// solution: end
// starter: async fn race<T>(
// starter:     _a: impl Future<Output = T>,
// starter:     _b: impl Future<Output = T>,
// starter: ) -> T {
// starter:     todo!("poll both, and finish with the first output there is")
// starter: }

async fn fetch(mirror: &str, takes: Duration) -> String {
    println!("asking the {mirror} mirror");
    sleep(takes).await;
    println!("the {mirror} mirror answered");
    format!("the file, from the {mirror} mirror")
}

fn main() {
    let near = fetch("near", Duration::from_millis(300));
    let far = fetch("far", Duration::from_millis(1000));
    let file = block_on(race(near, far));
    println!("got {file}");
}
// ANCHOR_END: exercise
