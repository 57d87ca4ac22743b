//! The first runtime with tasks: `spawn` puts a future in a list, and the
//! main loop polls every future in the list on every turn.
//!
//! The main future spawns ten jobs and then, having no way to wait for
//! them, sleeps for half a second and returns. `block_on` returns with it,
//! and the ten jobs, halfway through their one-second sleep, are dropped
//! with the rest of the runtime: ten `start` lines, and not one `end`.

use std::collections::BTreeMap;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: task
/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

/// Starts `future` as a task of its own, polled by the main loop.
fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    SPAWNED.lock().unwrap().push(Box::pin(future));
}
// ANCHOR_END: task

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

// ANCHOR: block_on
/// Runs `future` to completion, polling spawned tasks along the way.
fn block_on<F: Future>(future: F) -> F::Output {
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
// The program: ten jobs spawned, and a main future that cannot wait.

fn main() {
    block_on(async {
        for n in 0..10 {
            spawn(job(n));
        }
        // A guess: there is no way yet to wait for a task to finish.
        sleep(Duration::from_millis(500)).await;
        println!("main is done");
    });
}

/// Job number `n`: "start", one second of sleep, "end".
async fn job(n: u64) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}
// ANCHOR_END: program
