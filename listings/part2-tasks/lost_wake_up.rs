//! Join handles on the runtime that ignores its wakers: a lost wake-up.
//!
//! `spawn` now returns a `JoinHandle`, which shares a little state with
//! its task: the task leaves its output there and wakes whoever awaits the
//! handle. But the main loop still pays no attention to wake-ups. It polls
//! the main future, then the tasks, then sleeps until the next timer. The
//! task finishes during the second turn, after the main future has been
//! polled, and its wake-up goes nowhere: with no timer left to sleep for,
//! the main loop panics while the answer sits ready in the handle.

use std::collections::BTreeMap;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

// ANCHOR: join_handle
/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
struct JoinState<T> {
    output: Option<T>,
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future.
struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: join_handle

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

// The timers, as Part One left them.

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

/// Runs `future` to completion, polling spawned tasks along the way.
fn block_on<F: Future>(future: F) -> F::Output {
    // Unchanged from the list of tasks: a waker that does nothing, and a
    // loop that sleeps until the next timer after every turn. That was
    // enough while only timers woke anybody. A join handle's wake-up is
    // not a timer, and this loop never hears of it.
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

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("every task waits, and nothing will ever wake one"),
    }
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
