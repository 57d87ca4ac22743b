//! Ten jobs, each on a thread of its own.
//!
//! A job prints "start N", sleeps for one second and prints "end N". The
//! ten threads sleep at the same time, so the whole program is done after
//! about one second rather than ten. Which thread prints first is up to
//! the operating system's scheduler, so the order of the lines is not
//! fixed.

use std::collections::HashSet;
use std::thread::{self, ThreadId};
use std::time::Duration;

/// One job: announce, wait a second, announce again. Returns the thread it
/// ran on, so that `main` can count the threads that did the work.
fn job(n: usize) -> ThreadId {
    println!("start {n}");
    thread::sleep(Duration::from_secs(1));
    println!("end {n}");
    thread::current().id()
}

fn main() {
    // Start all ten threads first, keeping a handle to each...
    let handles: Vec<_> =
        (0..10).map(|n| thread::spawn(move || job(n))).collect();

    // ...and only then wait for them. Joining each thread right after
    // spawning it would wait for one job before starting the next.
    let mut threads = HashSet::new();
    for handle in handles {
        threads.insert(handle.join().expect("a job panicked"));
    }
    println!("threads that ran jobs: {}", threads.len());
}
