//! Blocking work moved to a thread of its own, and awaited.
//!
//! The same ticker and the same work as `part2-blocking-stall`, but the
//! cruncher hands the work to `spawn_blocking` (the `blocking` stage),
//! which runs it on a new thread and returns a future for its result. The thread fills in the
//! result and wakes the cruncher, and waking sends the cruncher's task
//! into the executor's queue. Meanwhile the executor is free to poll the
//! ticker, and every tick comes on time.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use listings::blocking::spawn_blocking;
use listings::queue_executor::{Spawner, run};
use listings::timers::sleep;

// The program: the ticker, and a task that awaits work on a thread.

fn main() {
    let start = Instant::now();
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(ticker(start));
    spawner.spawn(cruncher(start));
    drop(spawner);
    run(ready);
}

/// Ticks ten times, every tenth of a second after `start`. Each deadline
/// is counted from `start`, so a late tick does not delay the next ones.
async fn ticker(start: Instant) {
    for n in 1..=10 {
        let deadline = start + Duration::from_millis(100 * n);
        sleep(deadline.saturating_duration_since(Instant::now())).await;
        println!("tick {n} at {} ms", start.elapsed().as_millis());
    }
}

/// Work that keeps the thread busy for 550 ms and then returns a result.
fn crunch() -> u64 {
    thread::sleep(Duration::from_millis(550));
    42
}

// ANCHOR: cruncher
/// Sends the work to a thread and waits for it without blocking anyone.
async fn cruncher(start: Instant) {
    println!("crunching");
    let answer = spawn_blocking(crunch).await;
    println!("crunched {answer} at {} ms", start.elapsed().as_millis());
}
// ANCHOR_END: cruncher
