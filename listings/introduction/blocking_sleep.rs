//! The first classic mistake: a blocking call inside async code.
//!
//! The same ten tasks as in `intro-ten-tasks`, except that each job sleeps
//! with `std::thread::sleep`. That call knows nothing about the runtime:
//! it puts the whole thread to sleep, and the thread is the only one the
//! runtime has. While one job sleeps, no other task can run, so the jobs
//! run one after another and the program takes about ten seconds.

use std::collections::HashSet;
use std::thread::{self, ThreadId};
use std::time::Duration;

// ANCHOR: job
/// The job with the wrong sleep: `thread::sleep` blocks the thread instead
/// of letting the task wait.
async fn job(n: usize) -> ThreadId {
    println!("start {n}");
    thread::sleep(Duration::from_secs(1));
    println!("end {n}");
    thread::current().id()
}
// ANCHOR_END: job

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let handles: Vec<_> = (0..10).map(|n| tokio::spawn(job(n))).collect();
    let mut threads = HashSet::new();
    for handle in handles {
        threads.insert(handle.await.expect("a job panicked"));
    }
    println!("threads that ran jobs: {}", threads.len());
}
