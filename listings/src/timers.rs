//! The timer table: a sleep that is not over yet leaves its waker in a
//! table ordered by deadline, and the executor sleeps until the earliest
//! deadline and wakes whatever is due. Part One builds it; every runtime
//! of Parts One to Three keeps it, with these names.
//!
//! ```
//! use std::pin::pin;
//! use std::task::{Context, Waker};
//! use std::thread;
//! use std::time::Duration;
//! use listings::timers::{Sleep, TIMERS, sleep, wake_due_timers};
//!
//! // A sleep that is not over says `Pending` and leaves an entry behind.
//! let mut nap: std::pin::Pin<&mut Sleep> =
//!     pin!(sleep(Duration::from_millis(10)));
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(nap.as_mut().poll(&mut cx).is_pending());
//! assert_eq!(TIMERS.lock().unwrap().len(), 1);
//!
//! // Once its deadline has passed, `wake_due_timers` takes the entry out
//! // and wakes it, and the sleep is ready.
//! thread::sleep(Duration::from_millis(20));
//! wake_due_timers();
//! assert!(TIMERS.lock().unwrap().is_empty());
//! assert!(nap.poll(&mut cx).is_ready());
//!
//! // `cancel` takes the entry of a sleep out before its deadline.
//! let mut long = pin!(sleep(Duration::from_secs(60)));
//! assert!(long.as_mut().poll(&mut cx).is_pending());
//! long.cancel();
//! assert!(TIMERS.lock().unwrap().is_empty());
//! ```

use std::collections::BTreeMap;
use std::mem;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

// ANCHOR: timers
/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
pub static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// A future that is ready once its deadline has passed.
pub struct Sleep {
    deadline: Instant,
    id: u64,
}

/// A `Sleep` that ends `duration` from now.
pub fn sleep(duration: Duration) -> Sleep {
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

impl Sleep {
    /// Takes this sleep's entry, if it has one, out of the table. Part
    /// One's runtime never calls it: a sleep dropped early leaves its entry
    /// to wake a task for nothing, which is allowed. Part Four's sturdy
    /// runtime calls it when a sleep is dropped.
    pub fn cancel(&self) {
        TIMERS.lock().unwrap().remove(&(self.deadline, self.id));
    }
}

// ANCHOR: wake_due_timers
/// Removes every timer whose deadline has passed and wakes its future.
pub fn wake_due_timers() {
    let due = {
        let mut timers = TIMERS.lock().unwrap();
        // `split_off` keeps the keys below (now, u64::MAX) in `timers` and
        // returns the rest: the due timers stay, the later ones go back.
        let later = timers.split_off(&(Instant::now(), u64::MAX));
        mem::replace(&mut *timers, later)
    };
    // Wake only after the lock is released: a waker is someone else's code,
    // and if it set a timer it would relock `TIMERS` (deadlock or panic).
    for waker in due.into_values() {
        waker.wake();
    }
}
// ANCHOR_END: wake_due_timers
