//! Join handles on the runtime that ignores its wakers: a lost wake-up.
//!
//! `spawn` now returns a `JoinHandle` (the `join_handle` stage), which
//! shares a little state with its task: the task leaves its output there
//! and wakes whoever awaits the handle. But the main loop, the `task_list`
//! stage's, still pays no attention to wake-ups. It polls the main future,
//! then the tasks, then sleeps until the next timer. The task finishes
//! during the second turn, after the main future has been polled, and its
//! wake-up goes nowhere: with no timer left to sleep for, the main loop
//! panics while the answer sits ready in the handle.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use listings::join_handle::{JoinHandle, JoinState};
use listings::task_list::{SPAWNED, block_on};
use listings::timers::sleep;

// ANCHOR: spawn
/// Starts `future` as a task of its own, polled by the main loop.
fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }));
    let task_state = Arc::clone(&state);
    // The task: the future itself, and then the hand-over of its output.
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
    JoinHandle { state }
}
// ANCHOR_END: spawn

// ANCHOR: program
// The program: one task that computes an answer, and a main future that
// awaits it.

fn main() {
    let answer = block_on(async {
        let job = spawn(async {
            sleep(Duration::from_millis(200)).await;
            6 * 7
        });
        job.await
    });
    println!("the answer is {answer}");
}
// ANCHOR_END: program
