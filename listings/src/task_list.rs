//! Part Two's first runtime with tasks: `spawn` puts a future in a list,
//! and the main loop polls the main future and every task on every turn,
//! then sleeps until the next timer. Its waker does nothing, and its
//! `spawn` gives no way to wait for a task. Part Two (tasks) builds it,
//! and its join handles show why the loop must listen to wakers.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::time::Duration;
//! use listings::task_list::{block_on, spawn};
//! use listings::timers::sleep;
//!
//! let ran = Arc::new(AtomicBool::new(false));
//! let flag = Arc::clone(&ran);
//! block_on(async move {
//!     spawn(async move { flag.store(true, Ordering::SeqCst) });
//!     // The task gets its first poll in the loop's first turn, and the
//!     // main future, with nothing else to wait on, sleeps.
//!     sleep(Duration::from_millis(10)).await;
//! });
//! assert!(ran.load(Ordering::SeqCst));
//! ```
//!
//! `SPAWNED` holds the tasks that the loop has not taken in yet:
//!
//! ```
//! use listings::task_list::{SPAWNED, Task, spawn};
//!
//! spawn(async {});
//! let waiting: Vec<Task> = SPAWNED.lock().unwrap().drain(..).collect();
//! assert_eq!(waiting.len(), 1);
//! ```

use std::pin::{Pin, pin};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Instant;

use super::timers::{TIMERS, wake_due_timers};

// ANCHOR: task
/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
pub static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

/// Starts `future` as a task of its own, polled by the main loop.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    SPAWNED.lock().unwrap().push(Box::pin(future));
}
// ANCHOR_END: task

// ANCHOR: block_on
/// Runs `future` to completion, polling spawned tasks along the way.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // Every turn polls everything, and between turns the thread sleeps
    // until the next timer whatever happens, so for now a wake-up has
    // nothing to do: a waker that does nothing will serve.
    let mut cx = Context::from_waker(Waker::noop());
    let mut main = pin!(future);
    let mut tasks: Vec<Task> = Vec::new();
    loop {
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return output;
        }
        // Take in the new tasks, poll them all, keep the unfinished ones.
        tasks.append(&mut SPAWNED.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        sleep_until_next_timer();
        wake_due_timers();
    }
}
// ANCHOR_END: block_on

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("every task waits, and nothing will ever wake one"),
    }
}
