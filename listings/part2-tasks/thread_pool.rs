//! A hundred blocking jobs, each waiting 20 ms as a lookup in a remote
//! directory would: first with a thread each (`spawn_blocking`), then on a
//! pool of four threads. The program counts how many jobs run at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use listings::blocking::spawn_blocking;
use listings::join_handle::JoinHandle;
use listings::queue_executor::{Spawner, run};
use listings::thread_pool::ThreadPool;

// ANCHOR: jobs
const JOBS: usize = 100;
const POOL_THREADS: usize = 4;

/// How many jobs are running now, and the most that ever ran at once.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_AT_ONCE: AtomicUsize = AtomicUsize::new(0);

/// A job that blocks its thread for 20 ms, and counts itself while it does.
fn lookup(n: usize) -> usize {
    let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MOST_AT_ONCE.fetch_max(running, Ordering::SeqCst);
    thread::sleep(Duration::from_millis(20));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    n
}

/// Awaits every handle, then says how long the jobs took and how many
/// threads they kept busy at once.
async fn report(how: &str, handles: Vec<JoinHandle<usize>>, start: Instant) {
    let mut done = 0;
    for handle in handles {
        handle.await;
        done += 1;
    }
    let most = MOST_AT_ONCE.swap(0, Ordering::SeqCst);
    let seconds = start.elapsed().as_secs_f64();
    println!("{how}: {done} jobs in {seconds:.2} s, at most {most} at once");
}

fn main() {
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(async {
        let start = Instant::now();
        let handles = (0..JOBS)
            .map(|n| spawn_blocking(move || lookup(n)))
            .collect();
        report("a thread per job", handles, start).await;

        let pool = ThreadPool::new(POOL_THREADS);
        let start = Instant::now();
        let handles =
            (0..JOBS).map(|n| pool.spawn(move || lookup(n))).collect();
        report("a pool of 4 threads", handles, start).await;
    });
    drop(spawner);
    run(ready);
}
// ANCHOR_END: jobs
