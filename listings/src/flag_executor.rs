//! The runtime at the end of Part Two: the list of tasks (`task_list`)
//! with join handles, and one waker that raises a flag. The main loop
//! polls the main future and every task on every turn, and sleeps until
//! the next timer only if nobody raised the flag during the turn. Part Two
//! (tasks) builds it; Part Three starts from it.
//!
//! ```
//! use std::time::Duration;
//! use listings::flag_executor::{block_on, spawn};
//! use listings::timers::sleep;
//!
//! let total = block_on(async {
//!     let jobs: Vec<_> = (1..=3)
//!         .map(|n| {
//!             spawn(async move {
//!                 sleep(Duration::from_millis(10 * n)).await;
//!                 n
//!             })
//!         })
//!         .collect();
//!     let mut total = 0;
//!     for job in jobs {
//!         total += job.await;
//!     }
//!     total
//! });
//! assert_eq!(total, 6);
//! ```
//!
//! A task that only waits for another task, with no timer in the table,
//! is still polled once that task wakes it: the wake-up raises `WOKEN`.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::Ordering;
//! use std::task::Waker;
//! use listings::flag_executor::{
//!     FlagWaker, SPAWNED, Task, WOKEN, block_on, spawn,
//! };
//!
//! assert_eq!(block_on(async { spawn(async { 6 * 7 }).await }), 42);
//!
//! // `spawn` queues the task in `SPAWNED` and raises the flag.
//! WOKEN.store(false, Ordering::SeqCst);
//! drop(spawn(async {}));
//! assert!(WOKEN.load(Ordering::SeqCst));
//! let waiting: Vec<Task> = SPAWNED.lock().unwrap().drain(..).collect();
//! assert_eq!(waiting.len(), 1);
//!
//! // Waking a task through `FlagWaker` raises the flag too.
//! WOKEN.store(false, Ordering::SeqCst);
//! Waker::from(Arc::new(FlagWaker)).wake();
//! assert!(WOKEN.load(Ordering::SeqCst));
//! ```

use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Instant;

use super::join_handle::{JoinHandle, JoinState};
use super::timers::{TIMERS, wake_due_timers};

/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
pub static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

// ANCHOR: woken
/// "Someone was woken, poll again." Every waker sets it; the main loop
/// clears it before each round of polls and reads it after.
pub static WOKEN: AtomicBool = AtomicBool::new(false);
// ANCHOR_END: woken

// ANCHOR: flag_waker
/// The one waker that every task shares. Since the main loop polls every
/// task on every turn, waking only has to say that a turn is needed.
pub struct FlagWaker;

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        WOKEN.store(true, Ordering::SeqCst);
    }
}
// ANCHOR_END: flag_waker

// ANCHOR: spawn
/// Starts `future` as a task of its own, polled by the main loop.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }));
    let task_state = Arc::clone(&state);
    let task = async move {
        let output = future.await;
        // Store the output, then wake the awaiting task, if there is one
        // yet. The waker is taken out first so that it runs after the lock
        // is released.
        let waker = {
            let mut state = task_state.lock().unwrap();
            state.output = Some(output);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    SPAWNED.lock().unwrap().push(Box::pin(task));
    // The new task needs its first poll.
    WOKEN.store(true, Ordering::SeqCst);
    JoinHandle { state }
}
// ANCHOR_END: spawn

// ANCHOR: block_on
/// Runs `future` to completion, polling spawned tasks along the way.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    let mut tasks: Vec<Task> = Vec::new();
    loop {
        // Clear the flag before polling, so that a wake-up that happens
        // during the polls below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return output;
        }
        // Poll every task, new ones included, and drop those that are done.
        tasks.append(&mut SPAWNED.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        // If nobody was woken, nothing can happen before the next timer.
        if !WOKEN.load(Ordering::SeqCst) {
            sleep_until_next_timer();
        }
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
