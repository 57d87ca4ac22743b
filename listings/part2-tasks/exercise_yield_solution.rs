//! Solution: `yield_now` lets the other tasks have a turn.
//!
//! Two tasks count to three on Part Two's queue executor
//! (`queue_executor`). `yield_now` returns `Pending` once,
//! having woken its own task first, which puts the task at the back of the
//! ready queue; the other task is polled in between, and the two count in
//! turns.

use std::future::poll_fn;
use std::sync::mpsc;
use std::task::Poll;

use listings::queue_executor::{Spawner, run};

// ANCHOR: exercise
/// Gives the other tasks a turn: the task goes to the back of the queue
/// and carries on when its turn comes round again.
async fn yield_now() {
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
