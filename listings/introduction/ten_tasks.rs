//! The ten jobs of `intro-ten-threads` as async tasks on a single thread.
//!
//! The job is now an `async fn`, and its one-second pause is Tokio's
//! `sleep`, which a task awaits. A task that awaits a sleep gives its
//! thread back to the runtime until the second is over, so one thread can
//! keep all ten jobs waiting at once. The program is done after about one
//! second, and it reports that one thread ran every job, and how many
//! bytes a job needs while it waits.

use std::collections::HashSet;
use std::thread::{self, ThreadId};
use std::time::Duration;

/// One job, as a task: announce, wait a second, announce again. Returns
/// the thread the task was on when it finished.
async fn job(n: usize) -> ThreadId {
    println!("start {n}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("end {n}");
    thread::current().id()
}

// "current_thread" runs the runtime and all its tasks on the thread that
// calls `main`, and starts no other thread.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Start ten tasks, keeping a handle to each...
    let handles: Vec<_> = (0..10).map(|n| tokio::spawn(job(n))).collect();

    // ...and only then wait for them, as with the threads.
    let mut threads = HashSet::new();
    for handle in handles {
        threads.insert(handle.await.expect("a job panicked"));
    }
    println!("threads that ran jobs: {}", threads.len());

    // Everything a job keeps while it waits lives in its future: `n`, the
    // timer, and a note of where to resume. Calling `job` only creates
    // that future (it runs when awaited or spawned), so this runs no job.
    let future = job(0);
    println!("bytes in one job's future: {}", size_of_val(&future));
}
