// solution: begin
//! Solution: `JoinHandle::abort` cancels its task.
// solution: end
// starter: //! Exercise: give `JoinHandle` an `abort` method that cancels its task.
//!
//! Two downloads run as tasks on Part Two's flag runtime
//! (`flag_executor`), with a join handle of their own. Once the small
// solution: begin
//! file is there, `main` aborts the task of the huge one. `abort` marks the
//! shared state and wakes the task, whose next poll ends it before polling
//! the download again, so the download is dropped where it stopped and the
//! huge file never arrives. Awaiting the aborted task's handle gives `None`.
// solution: end
// starter: //! file is there, the huge one is no longer needed, and `main` aborts its
// starter: //! task. Awaiting an aborted task's handle gives `None`, and the task's
// starter: //! future must be dropped, unfinished, so that the huge file never
// starter: //! arrives. `abort` is not written yet.

// solution: begin
use std::future::poll_fn;
use std::pin::{Pin, pin};
// solution: end
// starter: // What a solution may need, imported for you.
// starter: #[allow(unused_imports)]
// starter: use std::{future::poll_fn, pin::pin};
// starter: use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use listings::flag_executor::{SPAWNED, WOKEN, block_on};
use listings::timers::sleep;

// solution: begin
// ANCHOR: exercise
// solution: end
/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
struct JoinState<T> {
    output: Option<T>,
    waker: Option<Waker>,
    // solution: begin
    /// Set by `abort`: the task must stop at its next poll.
    aborted: bool,
    /// The task's own waker, from its latest poll, for `abort` to wake it.
    task_waker: Option<Waker>,
    // solution: end
}

/// Awaiting it gives the output of the spawned future, or `None` if the
/// task was aborted before it finished.
struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

// solution: begin
// ANCHOR_END: exercise

// ANCHOR: spawn_watching
// solution: end
/// Starts `future` as a task of its own, polled by the main loop.
fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
        // solution: begin
        aborted: false,
        task_waker: None,
        // solution: end
    }));
    let task_state = Arc::clone(&state);
    let task = async move {
        // solution: begin
        let mut future = pin!(future);
        // Every poll of the task looks at the flag first. Once it is set,
        // the task ends without polling the future again, and the future
        // is dropped with the task, wherever it had stopped.
        let output = poll_fn(|cx| {
            let mut state = task_state.lock().unwrap();
            if state.aborted {
                return Poll::Ready(None);
            }
            state.task_waker = Some(cx.waker().clone());
            // Unlocked before the future runs: it is someone else's code,
            // and it might abort this very task.
            drop(state);
            future.as_mut().poll(cx).map(Some)
        })
        .await;
        // solution: end
        // starter: let output = future.await;
        // Store the output, then wake the awaiting task, if there is one
        // yet. The waker is taken out first so that it runs after the lock
        // is released.
        let waker = {
            let mut state = task_state.lock().unwrap();
            // solution: begin
            state.output = output;
            // solution: end
            // starter: state.output = Some(output);
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
// solution: begin
// ANCHOR_END: spawn_watching

// ANCHOR: abort
// solution: end

// starter: // ANCHOR: exercise
impl<T> JoinHandle<T> {
    /// Stops the task: its future is dropped unfinished, and awaiting the
    /// handle gives `None`. A task that has already finished keeps its
    /// output.
    fn abort(&self) {
        // solution: begin
        let task_waker = {
            let mut state = self.state.lock().unwrap();
            state.aborted = true;
            state.task_waker.take()
        };
        // The task must be polled once more to see the flag and end; as
        // always, the waker is called after the lock is released.
        if let Some(waker) = task_waker {
            waker.wake();
        }
        // solution: end
        // starter: todo!("stop the task, and make the handle give None")
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(Some(output)),
            // solution: begin
            // Aborted, and not finished before: there will be no output.
            None if state.aborted => Poll::Ready(None),
            // solution: end
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// solution: begin
// ANCHOR_END: abort
// solution: end
// starter: // ANCHOR_END: exercise

// starter: // ANCHOR: program
/// Downloads the file `name`, which takes `takes`, and returns its name.
async fn download(name: &'static str, takes: Duration) -> &'static str {
    println!("{name}: started");
    sleep(takes).await;
    println!("{name}: done");
    name
}

fn main() {
    block_on(async {
        let small = spawn(download("small file", Duration::from_millis(100)));
        let huge = spawn(download("huge file", Duration::from_millis(1000)));
        let file = small.await.expect("nobody aborted the small file");
        println!("got the {file}, so the huge file is not needed");
        huge.abort();
        match huge.await {
            Some(file) => println!("got the {file} all the same"),
            None => println!("the huge file's task was aborted"),
        }
        // Time enough for the huge file to arrive, had it not been aborted.
        sleep(Duration::from_millis(1000)).await;
        println!("the end");
    });
}
// starter: // ANCHOR_END: program
