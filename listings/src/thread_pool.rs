//! A pool of threads for blocking work: a fixed number of threads take
//! jobs from one queue, so that a burst of jobs waits its turn instead of
//! starting a thread each. Part Two (tasks) builds it on the join handle,
//! and Part Four's ident server runs its lookups on it.
//!
//! ```
//! use listings::park_block_on::block_on;
//! use listings::thread_pool::ThreadPool;
//!
//! let pool = ThreadPool::new(2);
//! let handles: Vec<_> = (1..=5u64).map(|n| pool.spawn(move || n * n)).collect();
//! let squares: Vec<u64> = handles.into_iter().map(block_on).collect();
//! assert_eq!(squares, [1, 4, 9, 16, 25]);
//! ```

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle as ThreadHandle};

use super::blocking::hand_over;
use super::join_handle::{JoinHandle, JoinState};

// ANCHOR: pool
/// A job as the pool keeps it: any closure, boxed so that one queue holds
/// them all.
type Job = Box<dyn FnOnce() + Send>;

/// What the pool's threads share: the jobs, behind a lock, and a condition
/// variable to sleep on while there are none.
struct Queue {
    jobs: Mutex<Jobs>,
    /// Signalled when a job is queued, or when the pool closes.
    not_empty: Condvar,
}

/// The jobs waiting for a thread, oldest first, and whether the pool is
/// closing.
struct Jobs {
    waiting: VecDeque<Job>,
    closing: bool,
}

/// A fixed number of threads that run the jobs given to `spawn`, in the
/// order they came.
pub struct ThreadPool {
    queue: Arc<Queue>,
    threads: Vec<ThreadHandle<()>>,
}

impl ThreadPool {
    /// Starts `size` threads, all waiting for jobs.
    pub fn new(size: usize) -> ThreadPool {
        let queue = Arc::new(Queue {
            jobs: Mutex::new(Jobs {
                waiting: VecDeque::new(),
                closing: false,
            }),
            not_empty: Condvar::new(),
        });
        let threads = (0..size)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || work(&queue))
            })
            .collect();
        ThreadPool { queue, threads }
    }
    // ANCHOR_END: pool

    // ANCHOR: spawn
    /// Queues `job` for the next free thread; the handle gives its result.
    pub fn spawn<T, F>(&self, job: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let state = Arc::new(Mutex::new(JoinState {
            output: None,
            waker: None,
        }));
        let job_state = Arc::clone(&state);
        let job = Box::new(move || hand_over(&job_state, job()));
        self.queue.jobs.lock().unwrap().waiting.push_back(job);
        self.queue.not_empty.notify_one();
        JoinHandle { state }
    }
    // ANCHOR_END: spawn
}

// ANCHOR: work

/// A pool thread's life: take the oldest job, run it, and again, until
/// the pool closes and the queue is empty.
fn work(queue: &Queue) {
    loop {
        let job = {
            let mut jobs = queue.jobs.lock().unwrap();
            loop {
                match jobs.waiting.pop_front() {
                    Some(job) => break job,
                    None if jobs.closing => return,
                    // `wait` lets go of the lock while it sleeps.
                    None => jobs = queue.not_empty.wait(jobs).unwrap(),
                }
            }
        };
        // A job that panics must not take its thread with it, or a few
        // bad jobs would leave a pool with no threads. (Its handle never
        // gets an output, as a panicked task's never does in Part Two.)
        let _ = panic::catch_unwind(AssertUnwindSafe(job));
    }
}

impl Drop for ThreadPool {
    /// Closes the pool: the threads finish the jobs already queued, then
    /// end, and dropping waits for them.
    fn drop(&mut self) {
        self.queue.jobs.lock().unwrap().closing = true;
        self.queue.not_empty.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
// ANCHOR_END: work
