//! Solution: `join2` runs its two futures at once.
//!
//! Breakfast needs a kettle (one second) and a toaster (0.4 seconds).
//! `join2` polls both futures on every poll of its own, with the same
//! context, and keeps each output until the other one is there too. Both
//! appliances are switched on at the start, and breakfast is ready after
//! about one second, when the kettle has boiled.

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
/// Runs `a` and `b` at once, and is ready with both outputs when both are.
async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    // Pinned here, in this future's own state, since `poll` needs them
    // pinned and they stay in one place from now on.
    let (mut a, mut b) = (pin!(a), pin!(b));
    // Each output waits here for the other: a finished future must not be
    // polled again.
    let (mut a_output, mut b_output) = (None, None);
    poll_fn(|cx| {
        // Both get the same context, so that either one can wake us.
        if a_output.is_none()
            && let Poll::Ready(output) = a.as_mut().poll(cx)
        {
            a_output = Some(output);
        }
        if b_output.is_none()
            && let Poll::Ready(output) = b.as_mut().poll(cx)
        {
            b_output = Some(output);
        }
        if a_output.is_some() && b_output.is_some() {
            Poll::Ready((a_output.take().unwrap(), b_output.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

async fn kettle() -> &'static str {
    println!("kettle on");
    sleep(Duration::from_millis(1000)).await;
    println!("kettle boiled");
    "hot water"
}

async fn toaster() -> u32 {
    println!("toaster on");
    sleep(Duration::from_millis(400)).await;
    println!("toast up");
    2
}

fn main() {
    let (water, slices) = block_on(join2(kettle(), toaster()));
    println!("breakfast: {water} and {slices} slices of toast");
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
