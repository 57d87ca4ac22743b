//! Blocking work on the event loop: every other task waits for it.
//!
//! Two tasks on the queue executor (`queue_executor`). The ticker prints a tick every tenth
//! of a second, on a fixed schedule. The cruncher calls a function that
//! holds the thread for 550 ms. While it runs, the executor cannot poll
//! anything else, so the ticks due in the meantime all come late, only
//! once the work is done.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use listings::queue_executor::{Spawner, run};
use listings::timers::sleep;

// ANCHOR: program
// The program: a ticker, and a task that does blocking work.

include!("ticker.rs");

/// Does the work right here, in a task, on the executor's thread.
async fn cruncher(start: Instant) {
    println!("crunching");
    let answer = crunch();
    println!("crunched {answer} at {} ms", start.elapsed().as_millis());
}
// ANCHOR_END: program
