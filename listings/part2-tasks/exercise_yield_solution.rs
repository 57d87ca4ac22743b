// solution: begin
//! Solution: `yield_now` lets the other tasks have a turn.
// solution: end
// starter: //! Exercise: write `yield_now`, which lets the other tasks have a turn.
//!
//! Two tasks count to three on Part Two's queue executor
// solution: begin
//! (`queue_executor`). `yield_now` returns `Pending` once,
//! having woken its own task first, which puts the task at the back of the
//! ready queue; the other task is polled in between, and the two count in
//! turns.
// solution: end
// starter: //! (`queue_executor`), and after each number a task awaits `yield_now()`
// starter: //! so that the other one can count too. As written,
// starter: //! `yield_now` is ready at once, nothing ever returns `Pending`, and each
// starter: //! task counts to its end in a single poll.

// solution: begin
use std::future::poll_fn;
// solution: end
// starter: // What a solution may need, imported for you.
// starter: #[allow(unused_imports)]
// starter: use std::{future::poll_fn, task::Poll};
use std::sync::mpsc;
// solution: begin
use std::task::Poll;
// solution: end

use listings::queue_executor::{Spawner, run};

// ANCHOR: exercise
/// Gives the other tasks a turn: the task goes to the back of the queue
/// and carries on when its turn comes round again.
async fn yield_now() {
    // solution: begin
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        // Pending, with the wake-up arranged at once: the task is queued
        // behind every task that is ready already.
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
    // solution: end
    // starter: // Wrong: nothing here ever returns `Pending`, so the task runs on.
}

/// Counts to three, letting the other tasks have a turn after each number.
async fn count(name: &str) {
    for n in 1..=3 {
        println!("{name} {n}");
        yield_now().await;
    }
}

fn main() {
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(count("a"));
    spawner.spawn(count("b"));
    drop(spawner);
    run(ready);
}
// ANCHOR_END: exercise
