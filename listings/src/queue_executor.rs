//! Part Two's second executor: a ready queue, fed by the wakers. Every
//! task is its own waker, and waking a task sends it through a channel to
//! the executor, which polls only what comes out of the channel. When no
//! task is ready, the executor blocks on the channel until a task is sent
//! or the next timer is due, and it returns when the channel closes: when
//! every task has finished and no spawner is left. Part Two (tasks) builds
//! it, to compare with the flag executor and to await work on a thread.
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::{Duration, Instant};
//! use listings::queue_executor::{Spawner, run};
//! use listings::timers::sleep;
//!
//! let (queue, ready) = mpsc::channel();
//! let spawner = Spawner { queue };
//! let start = Instant::now();
//! for n in 1..=3 {
//!     spawner.spawn(async move {
//!         sleep(Duration::from_millis(10 * n)).await;
//!     });
//! }
//! // Once the last spawner is gone, `run` returns when the tasks are done.
//! drop(spawner);
//! run(ready);
//! assert!(start.elapsed() >= Duration::from_millis(30));
//! ```
//!
//! A `Task` is a waker: waking it queues it again.
//!
//! ```
//! use std::sync::mpsc;
//! use std::sync::{Arc, Mutex};
//! use std::task::Waker;
//! use listings::queue_executor::Task;
//!
//! let (queue, ready) = mpsc::channel();
//! let task = Arc::new(Task {
//!     future: Mutex::new(Some(Box::pin(async {}))),
//!     queue,
//! });
//! Waker::from(Arc::clone(&task)).wake();
//! assert!(Arc::ptr_eq(&ready.recv().unwrap(), &task));
//! ```

use std::pin::Pin;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::Instant;

use super::timers::{TIMERS, wake_due_timers};

// ANCHOR: task
/// A task of the queue executor. It is shared, through an `Arc`, by the
/// executor and by every waker made from it, so that whoever holds a
/// waker can send the task back to the executor.
pub struct Task {
    /// The future, until it has finished. An `Arc` gives only shared
    /// access, and polling needs `&mut`, hence the mutex; only the
    /// executor ever locks it.
    pub future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    /// The sending end of the ready queue.
    pub queue: Sender<Arc<Task>>,
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
pub struct Spawner {
    pub queue: Sender<Arc<Task>>,
}

impl Spawner {
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.queue.clone(),
        });
        // A new task goes straight into the queue for its first poll.
        self.queue.send(task).expect("the executor has stopped");
    }
}
// ANCHOR_END: task

// ANCHOR: run
/// Polls tasks as they come out of the ready queue, until it closes.
pub fn run(ready: Receiver<Arc<Task>>) {
    loop {
        wake_due_timers();
        // Wait for the next ready task, but only until the next timer is
        // due, since nobody else would wake the sleeping tasks.
        let next = match next_deadline() {
            Some(at) => {
                ready.recv_timeout(at.saturating_duration_since(Instant::now()))
            }
            None => ready.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let task = match next {
            Ok(task) => task,
            // A timer is due: go round and wake its task.
            Err(RecvTimeoutError::Timeout) => continue,
            // Every sender is gone: no task can ever be queued again.
            Err(RecvTimeoutError::Disconnected) => return,
        };
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
// ANCHOR_END: run

/// The earliest deadline in the timer table, if there is a timer at all.
fn next_deadline() -> Option<Instant> {
    TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at)
}
