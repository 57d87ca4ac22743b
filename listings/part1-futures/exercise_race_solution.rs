//! Solution: `race` finishes with whichever future is ready first and
//! drops the other.
//!
//! The same file is on two mirrors, a near one that answers after 0.3
//! seconds and a far one that takes a second. `race` polls both with the
//! same context until one of them is ready; the near mirror wins, and the
//! far one is dropped before it ever answers.

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

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

// ANCHOR: exercise
/// Runs `a` and `b` at once, and is ready with the output of the first one
/// to finish. The other one is dropped unfinished.
async fn race<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (pin!(a), pin!(b));
    // Both get the same context, so that either one can wake us. When one
    // is ready, `race` returns, and both futures, pinned in its state, are
    // dropped with it: the loser never runs again.
    poll_fn(|cx| {
        if let Poll::Ready(output) = a.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        b.as_mut().poll(cx)
    })
    .await
}

async fn fetch(mirror: &str, takes: Duration) -> String {
    println!("asking the {mirror} mirror");
    sleep(takes).await;
    println!("the {mirror} mirror answered");
    format!("the file, from the {mirror} mirror")
}

fn main() {
    let near = fetch("near", Duration::from_millis(300));
    let far = fetch("far", Duration::from_millis(1000));
    let file = block_on(race(near, far));
    println!("got {file}");
}
// ANCHOR_END: exercise

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
