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

include!("ticker.rs");

// ANCHOR: cruncher
/// Sends the work to a thread and waits for it without blocking anyone.
async fn cruncher(start: Instant) {
    println!("crunching");
    let answer = spawn_blocking(crunch).await;
    println!("crunched {answer} at {} ms", start.elapsed().as_millis());
}
// ANCHOR_END: cruncher
