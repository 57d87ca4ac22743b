//! The runtime at the end of Part Two, running ten jobs as tasks.
//!
//! The runtime is the `flag_executor` stage. `spawn` turns a future into a
//! task and returns a `JoinHandle` for its result. The main loop polls the
//! main future and every task on every turn. All of them share one waker,
//! which only sets a flag: if nobody set it during a turn, nothing can
//! change before the next timer is due, and the thread sleeps until then. The ten jobs sleep side by side, so
//! the program takes about one second, and it spends that second asleep.

use std::time::Duration;

use listings::flag_executor::{block_on, spawn};
use listings::timers::sleep;

// ANCHOR: program
// The program: ten jobs, each a task of its own, all on this thread.

fn main() {
    let total = block_on(async {
        // Spawn all ten first, then wait for them, as with Tokio.
        let jobs: Vec<_> = (0..10).map(|n| spawn(job(n))).collect();
        let mut total = 0;
        for job in jobs {
            total += job.await;
        }
        total
    });
    println!("total: {total}");
}

/// Job number `n`: "start", one second of sleep, "end", and a result.
async fn job(n: u64) -> u64 {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
    n * n
}
// ANCHOR_END: program
