//! The job of `intro-thousand-threads`, on a hundred thousand threads.
//!
//! Every thread sleeps for one second and exits. `main` starts them all,
//! keeping a handle to each, and every 2,000 threads it reports how long
//! it has taken so far and how many memory mappings the process has (the
//! lines of `/proc/self/maps`, so this program is for Linux). With the
//! kernel's usual limits the program never gets to join a thread: long
//! before the hundred thousandth, the process runs into one of them and
//! dies.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

const THREADS: usize = 100_000;

fn main() {
    let started = Instant::now();
    let mut handles = Vec::with_capacity(THREADS);
    for n in 1..=THREADS {
        // `thread::spawn` panics if the operating system refuses to create
        // the thread; `thread::Builder::spawn` would return the error.
        handles.push(thread::spawn(|| thread::sleep(Duration::from_secs(1))));
        if n % 2_000 == 0 {
            let mappings = memory_mappings();
            let elapsed = started.elapsed();
            println!(
                "{n} threads after {elapsed:.2?}, {mappings} memory mappings"
            );
        }
    }
    for handle in handles {
        handle.join().expect("a thread panicked");
    }
    println!("all {THREADS} threads done after {:.2?}", started.elapsed());
}

/// How many memory mappings the process has: one line each in
/// `/proc/self/maps`.
fn memory_mappings() -> usize {
    let maps = fs::read_to_string("/proc/self/maps")
        .expect("this program needs Linux's /proc");
    maps.lines().count()
}
