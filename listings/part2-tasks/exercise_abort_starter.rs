//! Exercise: give `JoinHandle` an `abort` method that cancels its task.
//!
//! Two downloads run as tasks on Part Two's flag runtime
//! (`flag_executor`), with a join handle of their own. Once the small
//! file is there, the huge one is no longer needed, and `main` aborts its
//! task. Awaiting an aborted task's handle gives `None`, and the task's
//! future must be dropped, unfinished, so that the huge file never
//! arrives. `abort` is not written yet.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use listings::flag_executor::{SPAWNED, WOKEN, block_on};
use listings::timers::sleep;

/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
struct JoinState<T> {
    output: Option<T>,
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future, or `None` if the
/// task was aborted before it finished.
struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

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

// ANCHOR: exercise
impl<T> JoinHandle<T> {
    /// Stops the task: its future is dropped unfinished, and awaiting the
    /// handle gives `None`. A task that has already finished keeps its
    /// output.
    fn abort(&self) {
        todo!("stop the task, and make the handle give None")
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(Some(output)),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: exercise

// ANCHOR: program
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
// ANCHOR_END: program
