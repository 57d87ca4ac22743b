//! The loop of `round_down` with the time left until the next timer
//! rounded up to whole milliseconds instead of down: the runtime of
//! `part4-round-up`, in Part Four's first chapter. `poll(2)` never returns
//! before its timeout has run out, so when it returns the timer is due, and
//! the loop goes round about once per sleep.
//!
//! Parent stage: `round_down`.
//!
//! ```
//! use std::sync::atomic::Ordering;
//! use std::time::Duration;
//! use listings::round_up::{TURNS, block_on, sleep};
//!
//! block_on(async {
//!     for _ in 0..3 {
//!         sleep(Duration::from_micros(1500)).await;
//!     }
//! })
//! .unwrap();
//! // A turn per sleep and one to finish, or a few more on a busy machine,
//! // but never the hundreds that rounding down takes.
//! assert!(TURNS.load(Ordering::Relaxed) < 20);
//! ```

use std::collections::BTreeMap;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use std::{io, mem, ptr};

// The runtime of Part Three, timers only: no tasks but the main future, no
// sockets, and a main loop that counts its turns.

/// "Someone was woken, poll again." The waker sets it; the main loop
/// clears it before each poll and reads it after.
static WOKEN: AtomicBool = AtomicBool::new(false);

/// How many times the main loop has gone round.
pub static TURNS: AtomicUsize = AtomicUsize::new(0);

/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// The waker of the main future: waking only has to say that a turn is
/// needed.
struct FlagWaker;

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        WOKEN.store(true, Ordering::SeqCst);
    }
}

/// A future that is ready once its deadline has passed.
pub struct Sleep {
    deadline: Instant,
    id: u64,
}

/// A future that is ready once `duration` has passed.
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

/// Runs `future` to completion. Fails only if `poll(2)` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    loop {
        TURNS.fetch_add(1, Ordering::Relaxed);
        // Clear the flag before polling, so that a wake-up that happens
        // during the poll below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        // Wait for the next timer (not at all if the future was woken),
        // then wake whoever waited for it.
        wait_for_timer()?;
        wake_due_timers();
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

// ANCHOR: wait
/// Sleeps in `poll(2)` until the earliest timer is due.
fn wait_for_timer() -> io::Result<()> {
    let next_timer = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    // How long `poll(2)` may sleep, in milliseconds.
    let timeout: libc::c_int = if WOKEN.load(Ordering::SeqCst) {
        // The main future is ready to run: do not sleep.
        0
    } else if let Some(at) = next_timer {
        // Rounded up to whole milliseconds: never before the deadline.
        let left = at.saturating_duration_since(Instant::now());
        let millis = left.as_nanos().div_ceil(1_000_000);
        millis.try_into().unwrap_or(libc::c_int::MAX)
    } else {
        panic!("the main future waits, and nothing will ever wake it");
    };
    // With no descriptors to watch, `poll(2)` only sleeps for the timeout.
    // SAFETY: a null pointer with a length of zero describes no `pollfd`s,
    // and the kernel reads and writes none.
    let result = unsafe { libc::poll(ptr::null_mut(), 0, timeout) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
// ANCHOR_END: wait
