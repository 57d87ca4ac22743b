//! Cancelling a future by dropping it: a timeout.
//!
//! `timeout` races a future against a sleep. If the sleep wins, the
//! timeout returns an error, and the future it raced, dropped along with
//! it, is never polled again: whatever it would have done next simply does
//! not happen. Job 0 gets two seconds and needs one; job 1 gets 0.3 seconds,
//! so its "end" line never comes. The program is done after about a second.

use std::collections::BTreeMap;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// The runtime of `part1-timer-table`: sleeps, timers, `join` and the main
// loop, unchanged.

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

/// The Introduction's job number `n`.
async fn job(n: usize) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}

// ANCHOR: timeout
/// The error of a future that ran out of time.
#[derive(Debug)]
struct TimedOut;

/// `future`, given at most `limit` to finish.
struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(limit),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        // The limit is looked at first: once it has passed, the future is
        // not polled again, even if it could have finished on this poll.
        if Pin::new(&mut self.sleep).poll(cx).is_ready() {
            return Poll::Ready(Err(TimedOut));
        }
        // Both were polled with the same context, so whichever can make
        // progress first wakes this future.
        self.future.as_mut().poll(cx).map(Ok)
    }
}
// ANCHOR_END: timeout

// ANCHOR: main
/// Runs job `n` with a time limit and says how it went.
async fn job_with_limit(n: usize, limit: Duration) {
    match timeout(limit, job(n)).await {
        Ok(()) => println!("job {n} finished in time"),
        // The `Timeout`, and the job inside it, were dropped when the
        // `.await` above finished: the job stopped at its own `.await`.
        Err(TimedOut) => println!("job {n} timed out"),
    }
}

fn main() {
    block_on(join([
        job_with_limit(0, Duration::from_secs(2)),
        job_with_limit(1, Duration::from_millis(300)),
    ]));
}
// ANCHOR_END: main
