//! The job of `intro-ten-threads`, a thousand times, on a thousand threads.
//!
//! The jobs do not print this time (two thousand lines would bury the
//! point); `main` reports how many threads ran them and how long the whole
//! program took. A thousand threads are still no trouble: the program is
//! done after about one second, like the one with ten.

use std::collections::HashSet;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

const JOBS: usize = 1_000;

/// The job without its two lines of output.
fn job() -> ThreadId {
    thread::sleep(Duration::from_secs(1));
    thread::current().id()
}

fn main() {
    let started = Instant::now();
    let handles: Vec<_> = (0..JOBS).map(|_| thread::spawn(job)).collect();
    let mut threads = HashSet::new();
    for handle in handles {
        threads.insert(handle.join().expect("a job panicked"));
    }
    println!("threads that ran jobs: {}", threads.len());
    println!("all {JOBS} jobs done after {:.2?}", started.elapsed());
}
