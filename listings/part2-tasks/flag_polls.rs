//! The runtime of `part2-ten-tasks`, `flag_executor`, unchanged, with the
//! jobs' polls counted.
//!
//! Ten jobs sleep for different lengths of time: job 0 for a tenth of a
//! second, job 9 for a whole second. Each timer that fires wakes one job,
//! but the flag cannot say which, so the main loop polls every job that is
//! still running. The last line of the output says how many polls the
//! jobs received in all.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use listings::flag_executor::{block_on, spawn};
use listings::timers::sleep;

// ANCHOR: workload
// The program: the same ten jobs that `part2-queue-polls` runs.

/// How many times the jobs were polled, all ten together.
static POLLS: AtomicUsize = AtomicUsize::new(0);

/// Awaits `future`, counting every poll it receives.
async fn counted<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        POLLS.fetch_add(1, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}

/// Job number `n`: "start", a sleep of (n + 1) tenths of a second, "end".
async fn job(n: u64) {
    println!("start {n}");
    sleep(Duration::from_millis(100 * (n + 1))).await;
    println!("end {n}");
}
// ANCHOR_END: workload

// ANCHOR: main
fn main() {
    block_on(async {
        let jobs: Vec<_> = (0..10).map(|n| spawn(counted(job(n)))).collect();
        for job in jobs {
            job.await;
        }
    });
    println!("polls: {}", POLLS.load(Ordering::Relaxed));
}
// ANCHOR_END: main
