//! The job as an `async fn`: the state machine, written by the compiler.
//!
//! The same program as `part1-timer-table`, except that the hand-written
//! `Job` enum and its `poll` are replaced by five lines of `async fn`. The
//! compiler turns them into a state machine of the same shape, and the
//! program prints the same twenty lines in the same second.

use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: job
/// The Introduction's job number `n`. Calling it runs none of it: it
/// returns a future, and the body runs as that future is polled.
async fn job(n: usize) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}

fn main() {
    block_on(join((0..10).map(job)));
}
// ANCHOR_END: job
