//! The first runtime with tasks (the `task_list` stage): `spawn` puts a
//! future in a list, and the main loop polls every future in the list on
//! every turn.
//!
//! The main future spawns ten jobs and then, having no way to wait for
//! them, sleeps for half a second and returns. `block_on` returns with it,
//! and the ten jobs, halfway through their one-second sleep, are dropped
//! with the rest of the runtime: ten `start` lines, and not one `end`.

use std::time::Duration;

use listings::task_list::{block_on, spawn};
use listings::timers::sleep;

// ANCHOR: program
// The program: ten jobs spawned, and a main future that cannot wait.

fn main() {
    block_on(async {
        for n in 0..10 {
            spawn(job(n));
        }
        // A guess: there is no way yet to wait for a task to finish.
        sleep(Duration::from_millis(500)).await;
        println!("main is done");
    });
}

/// Job number `n`: "start", one second of sleep, "end".
async fn job(n: u64) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}
// ANCHOR_END: program
