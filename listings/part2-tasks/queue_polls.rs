//! A second executor design, the `queue_executor` stage: a ready queue,
//! fed by the wakers.
//!
//! Every task has a waker of its own, and waking a task sends the task
//! through a channel to the executor, which polls only what comes out of
//! the channel. When no task is ready, the executor blocks on the channel
//! until a task is sent or the next timer is due. It stops when the
//! channel closes: when every task has finished and no spawner is left.
//!
//! It runs the ten jobs of `part2-flag-polls` and counts their polls the
//! same way. Each job is polled twice: once to start, once when its timer
//! has woken it.

use std::sync::mpsc;

use listings::queue_executor::{Spawner, run};

include!("counted_jobs.rs");

// ANCHOR: main
fn main() {
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    for n in 0..10 {
        spawner.spawn(counted(job(n)));
    }
    // The queue cannot close while a spawner is alive: this one has done
    // its work, and keeping it would make `run` wait forever at the end.
    drop(spawner);
    run(ready);
    println!("polls: {}", POLLS.load(Ordering::Relaxed));
}
// ANCHOR_END: main
