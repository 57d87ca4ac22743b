//! The second classic mistake: awaiting one job after another.
//!
//! The job is the correct one from `intro-ten-tasks`, with Tokio's `sleep`.
//! But `main` awaits each job directly instead of spawning it as a task.
//! `.await` waits for the job to finish before the loop goes on to the
//! next, so only one job is ever in progress and the program takes about
//! ten seconds.

use std::collections::HashSet;
use std::thread::{self, ThreadId};
use std::time::Duration;

/// The job of `intro-ten-tasks`, unchanged.
async fn job(n: usize) -> ThreadId {
    println!("start {n}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("end {n}");
    thread::current().id()
}

// ANCHOR: main
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut threads = HashSet::new();
    for n in 0..10 {
        // Nothing else is in progress while this waits: the next job is
        // not even created until this one has finished.
        threads.insert(job(n).await);
    }
    println!("threads that ran jobs: {}", threads.len());
}
// ANCHOR_END: main
