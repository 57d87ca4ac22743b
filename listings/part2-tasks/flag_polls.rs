//! The runtime of `part2-ten-tasks`, `flag_executor`, unchanged, with the
//! jobs' polls counted.
//!
//! Ten jobs sleep for different lengths of time: job 0 for a tenth of a
//! second, job 9 for a whole second. Each timer that fires wakes one job,
//! but the flag cannot say which, so the main loop polls every job that is
//! still running. The last line of the output says how many polls the
//! jobs received in all.

use listings::flag_executor::{block_on, spawn};

include!("counted_jobs.rs");

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
