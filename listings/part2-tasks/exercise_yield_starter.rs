//! Exercise: write `yield_now`, which lets the other tasks have a turn.
//!
//! Two tasks count to three on Part Two's queue executor (without its
//! timers, which they do not need), and after each number a task awaits
//! `yield_now()` so that the other one can count too. As written,
//! `yield_now` is ready at once, nothing ever returns `Pending`, and each
//! task counts to its end in a single poll.

use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

/// A task of the queue executor. It is shared, through an `Arc`, by the
/// executor and by every waker made from it, so that whoever holds a
/// waker can send the task back to the executor.
struct Task {
    /// The future, until it has finished. An `Arc` gives only shared
    /// access, and polling needs `&mut`, hence the mutex; only the
    /// executor ever locks it.
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    /// The sending end of the ready queue.
    queue: Sender<Arc<Task>>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // Waking means "poll me": back into the queue. If the executor
        // has stopped, nobody will ever poll this task again, and there
        // is nothing better to do with the error than to ignore it.
        let _ = self.queue.send(Arc::clone(&self));
    }
}

/// Starts tasks on the executor that owns the other end of the queue.
/// The spawners and the tasks hold the queue's senders: once the last of
/// them is gone, the queue closes and the executor returns.
#[derive(Clone)]
struct Spawner {
    queue: Sender<Arc<Task>>,
}

impl Spawner {
    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.queue.clone(),
        });
        // A new task goes straight into the queue for its first poll.
        self.queue.send(task).expect("the executor has stopped");
    }
}

/// Polls tasks as they come out of the ready queue, until it closes:
/// when every task has finished and no spawner is left.
fn run(ready: Receiver<Arc<Task>>) {
    while let Ok(task) = ready.recv() {
        let waker = Waker::from(Arc::clone(&task));
        let mut cx = Context::from_waker(&waker);
        let mut future = task.future.lock().unwrap();
        // A finished task can still be woken by a waker someone kept; it
        // has nothing left to poll.
        if let Some(running) = future.as_mut()
            && running.as_mut().poll(&mut cx).is_ready()
        {
            // Drop the future at once: it may own senders of the queue,
            // and the queue closes only when all of them are gone.
            *future = None;
        }
    }
}

// ANCHOR: exercise
/// Gives the other tasks a turn: the task goes to the back of the queue
/// and carries on when its turn comes round again.
async fn yield_now() {
    // Wrong: nothing here ever returns `Pending`, so the task runs on.
}

/// Counts to three, letting the other tasks have a turn after each number.
async fn count(name: &str) {
    for n in 1..=3 {
        println!("{name} {n}");
        yield_now().await;
    }
}

fn main() {
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(count("a"));
    spawner.spawn(count("b"));
    drop(spawner);
    run(ready);
}
// ANCHOR_END: exercise
