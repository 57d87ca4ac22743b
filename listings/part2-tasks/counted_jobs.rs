use std::future::poll_fn;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use listings::timers::sleep;

// ANCHOR: workload
// The program: ten jobs, and a count of the polls they receive.

include!("counted.rs");

/// Job number `n`: "start", a sleep of (n + 1) tenths of a second, "end".
async fn job(n: u64) {
    println!("start {n}");
    sleep(Duration::from_millis(100 * (n + 1))).await;
    println!("end {n}");
}
// ANCHOR_END: workload
