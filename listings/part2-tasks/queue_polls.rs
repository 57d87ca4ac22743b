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

use std::future::poll_fn;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use listings::queue_executor::{Spawner, run};
use listings::timers::sleep;

// The program: the same ten jobs that `part2-flag-polls` runs.

/// How many times the jobs were polled, all ten together.
static POLLS: AtomicUsize = AtomicUsize::new(0);

/// Awaits `future`, counting every poll it receives.
async fn counted<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        POLLS.fetch_add(1, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}

/// Job number `n`: "start", a sleep of (n + 1) tenths of a second, "end".
async fn job(n: u64) {
    println!("start {n}");
    sleep(Duration::from_millis(100 * (n + 1))).await;
    println!("end {n}");
}

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
