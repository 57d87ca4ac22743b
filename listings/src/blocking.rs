//! `spawn_blocking`: work that would hold the executor's thread runs on a
//! thread of its own, and a join handle brings its result back. Part Two
//! (tasks) builds it on the queue executor, whose waker, called from the
//! work's thread, wakes the executor at once.
//!
//! ```
//! use std::sync::mpsc;
//! use std::thread;
//! use std::time::Duration;
//! use listings::blocking::spawn_blocking;
//! use listings::queue_executor::{Spawner, run};
//!
//! let (queue, ready) = mpsc::channel();
//! let spawner = Spawner { queue };
//! spawner.spawn(async {
//!     let answer = spawn_blocking(|| {
//!         thread::sleep(Duration::from_millis(10));
//!         6 * 7
//!     })
//!     .await;
//!     assert_eq!(answer, 42);
//! });
//! drop(spawner);
//! run(ready);
//! ```

use std::sync::{Arc, Mutex};
use std::thread;

use super::join_handle::{JoinHandle, JoinState};

// ANCHOR: spawn_blocking
/// Runs `work` on a thread of its own; the handle gives its result.
pub fn spawn_blocking<F, T>(work: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }));
    let thread_state = Arc::clone(&state);
    thread::spawn(move || {
        let output = work();
        // As in a task's hand-over: store the output, take the waker
        // under the lock, wake after it. Waking from this thread sends
        // the task into the queue, and the executor's `recv` returns.
        let waker = {
            let mut state = thread_state.lock().unwrap();
            state.output = Some(output);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    JoinHandle { state }
}
// ANCHOR_END: spawn_blocking
