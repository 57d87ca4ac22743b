//! Ten jobs on one thread, done in about a second, with the thread asleep
//! while it waits.
//!
//! The jobs and `join` are those of `part1-never-woken`. What changed is
//! how they wait. A `Sleep` that is not over yet enters its waker in a
//! timer table ordered by deadline, and the main loop, `block_on`, sleeps
//! until the earliest deadline in that table, wakes every timer that is
//! due, and polls again. The output is right, it comes after about one
//! second, and the process is idle in between.

use std::collections::BTreeMap;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: timers
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
// ANCHOR_END: timers

// ANCHOR: job
/// The Introduction's job number `n`, as a state machine. Each variant is
/// a place where the job can be between two polls, holding what it needs
/// from there on.
enum Job {
    /// Not polled yet.
    Start { n: usize },
    /// Printed "start", waiting for its sleep to end.
    Sleeping { n: usize, sleep: Sleep },
    /// Printed "end" and returned `Ready`.
    Done,
}

impl Future for Job {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Each turn of the loop moves the job on by one state, until it has
        // to wait (`Pending`) or is finished (`Ready`).
        loop {
            match &mut *self {
                Job::Start { n } => {
                    println!("start {n}");
                    let n = *n;
                    let sleep = sleep(Duration::from_secs(1));
                    *self = Job::Sleeping { n, sleep };
                }
                Job::Sleeping { n, sleep } => {
                    // Not over yet: the sleep has arranged a wake-up, so
                    // the job can say `Pending` too.
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    println!("end {n}");
                    *self = Job::Done;
                    return Poll::Ready(());
                }
                Job::Done => panic!("a job was polled after it finished"),
            }
        }
    }
}
// ANCHOR_END: job

/// A future that runs many futures at once and is ready when all are.
struct Join<F> {
    /// The futures that have not finished yet, each pinned in a box.
    futures: Vec<Pin<Box<F>>>,
}

fn join<F: Future<Output = ()>>(
    futures: impl IntoIterator<Item = F>,
) -> Join<F> {
    Join {
        futures: futures.into_iter().map(Box::pin).collect(),
    }
}

impl<F: Future<Output = ()>> Future for Join<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.futures
            .retain_mut(|future| future.as_mut().poll(cx).is_pending());
        if self.futures.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

// ANCHOR: block_on
/// Runs `future` to completion on this thread, sleeping between polls
/// until the next timer is due.
fn block_on<F: Future>(future: F) -> F::Output {
    // The loop wakes every timer itself and polls its one future after each
    // wait, so a wake-up has nothing to tell it: the waker it lends out
    // does nothing at all.
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        sleep_until_next_timer();
        wake_due_timers();
    }
}

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("the future waits, and nothing will ever wake it"),
    }
}

/// Removes every timer whose deadline has passed and wakes its future.
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
// ANCHOR_END: block_on

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
