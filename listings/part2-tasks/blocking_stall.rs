//! Blocking work on the event loop: every other task waits for it.
//!
//! Two tasks on the queue executor. The ticker prints a tick every tenth
//! of a second, on a fixed schedule. The cruncher calls a function that
//! holds the thread for 550 ms. While it runs, the executor cannot poll
//! anything else, so the ticks due in the meantime all come late, only
//! once the work is done.

use std::collections::BTreeMap;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

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

/// Polls tasks as they come out of the ready queue, until it closes.
fn run(ready: Receiver<Arc<Task>>) {
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

// The timers, as in the flag executor, except that the executor blocks on
// its queue instead of sleeping until the next deadline.

/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// A future that is ready once its deadline has passed.
struct Sleep {
    deadline: Instant,
    id: u64,
}

fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        id: NEXT_TIMER_ID.fetch_add(1, Ordering::Relaxed),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Insert, or replace the waker of an earlier poll: the latest waker
        // is the one that must be woken.
        let key = (self.deadline, self.id);
        TIMERS.lock().unwrap().insert(key, cx.waker().clone());
        Poll::Pending
    }
}

/// The earliest deadline in the timer table, if there is a timer at all.
fn next_deadline() -> Option<Instant> {
    TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at)
}

/// Removes every timer whose deadline has passed and wakes its task.
fn wake_due_timers() {
    let due = {
        let mut timers = TIMERS.lock().unwrap();
        // `split_off` keeps the keys below (now, u64::MAX) in `timers` and
        // returns the rest: the due timers stay, the later ones go back.
        let later = timers.split_off(&(Instant::now(), u64::MAX));
        mem::replace(&mut *timers, later)
    };
    // Wake only after the lock is released: a waker is someone else's code,
    // and if it set a timer of its own it would wait for `TIMERS` forever.
    for waker in due.into_values() {
        waker.wake();
    }
}

// ANCHOR: program
// The program: a ticker, and a task that does blocking work.

fn main() {
    let start = Instant::now();
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(ticker(start));
    spawner.spawn(cruncher(start));
    drop(spawner);
    run(ready);
}

/// Ticks ten times, every tenth of a second after `start`. Each deadline
/// is counted from `start`, so a late tick does not delay the next ones.
async fn ticker(start: Instant) {
    for n in 1..=10 {
        let deadline = start + Duration::from_millis(100 * n);
        sleep(deadline.saturating_duration_since(Instant::now())).await;
        println!("tick {n} at {} ms", start.elapsed().as_millis());
    }
}

/// Work that keeps the thread busy for 550 ms and then returns a result.
/// `thread::sleep` stands for any such work: a long computation, a
/// blocking read, a name lookup.
fn crunch() -> u64 {
    thread::sleep(Duration::from_millis(550));
    42
}

/// Does the work right here, in a task, on the executor's thread.
async fn cruncher(start: Instant) {
    println!("crunching");
    let answer = crunch();
    println!("crunched {answer} at {} ms", start.elapsed().as_millis());
}
// ANCHOR_END: program
