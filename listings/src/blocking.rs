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
//!
//! `hand_over` is what the thread does with the result, and what any
//! other thread may do to fill in a join handle:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::thread;
//! use listings::blocking::hand_over;
//! use listings::join_handle::{JoinHandle, JoinState};
//! use listings::park_block_on::block_on;
//!
//! let state = Arc::new(Mutex::new(JoinState {
//!     output: None,
//!     waker: None,
//! }));
//! let handle = JoinHandle {
//!     state: Arc::clone(&state),
//! };
//! thread::spawn(move || hand_over(&state, 42));
//! assert_eq!(block_on(handle), 42);
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
    thread::spawn(move || hand_over(&thread_state, work()));
    JoinHandle { state }
}

/// Gives `output` to the join handle that shares `state`. As in a task's
/// hand-over: store the output, take the waker under the lock, wake after
/// it. Waking from another thread sends the task into the queue, and the
/// executor's `recv` returns.
pub fn hand_over<T>(state: &Mutex<JoinState<T>>, output: T) {
    let waker = {
        let mut state = state.lock().unwrap();
        state.output = Some(output);
        state.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}
// ANCHOR_END: spawn_blocking
