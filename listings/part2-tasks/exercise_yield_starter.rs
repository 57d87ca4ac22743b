//! Exercise: write `yield_now`, which lets the other tasks have a turn.
//!
//! Two tasks count to three on Part Two's queue executor
//! (`queue_executor`), and after each number a task awaits `yield_now()`
//! so that the other one can count too. As written,
//! `yield_now` is ready at once, nothing ever returns `Pending`, and each
//! task counts to its end in a single poll.

use std::sync::mpsc;

use listings::queue_executor::{Spawner, run};

// ANCHOR: exercise
/// Gives the other tasks a turn: the task goes to the back of the queue
/// and carries on when its turn comes round again.
async fn yield_now() {
    // Wrong: nothing here ever returns `Pending`, so the task runs on.
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
