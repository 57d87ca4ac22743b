//! Ten jobs spawned on Tokio, the runtime this book takes apart.
//!
//! `tokio::spawn` starts each job as a task of its own and hands back a
//! `JoinHandle`. The tasks run whether or not anyone awaits them; awaiting
//! a handle waits for its task and gives back what the task returned. The
//! ten one-second sleeps overlap, so the whole program takes about one
//! second.

use std::time::Duration;

#[tokio::main]
async fn main() {
    // Spawn all ten first, then wait for them. Awaiting each job right
    // after spawning it would run them one after another again.
    let jobs: Vec<_> = (0..10).map(|n| tokio::spawn(job(n))).collect();
    let mut total = 0;
    for job in jobs {
        // The handle says `Err` if the task panicked or was cancelled.
        total += job.await.expect("the job failed");
    }
    println!("total: {total}");
}

/// Job number `n`: "start", one second of sleep, "end", and a result.
async fn job(n: u64) -> u64 {
    println!("start {n}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("end {n}");
    n * n
}
