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
/// `thread::sleep` stands for any such work: a long computation, a
/// blocking read, a name lookup.
fn crunch() -> u64 {
    thread::sleep(Duration::from_millis(550));
    42
}

/// Does the work right here, in a task, on the executor's thread.
async fn cruncher(start: Instant) {
    println!("crunching");
    let answer = crunch();
    println!("crunched {answer} at {} ms", start.elapsed().as_millis());
}
// ANCHOR_END: program
