//! Where idle workers sleep, and how a thread that queued work wakes one
//! of them without ever losing the wake-up.
//!
//! The danger is the gap between looking and sleeping: a worker finds
//! every queue empty, another thread queues a task and looks for a
//! sleeper to wake, finds none yet, and then the worker goes to sleep,
//! with a task waiting that nobody will run. Both sides take one lock,
//! and the worker looks at the queues with it held: either it looks
//! after the task was queued, and sees it, or it is counted as asleep
//! before the other thread looks for a sleeper, and is woken.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::thread;
//! use listings::work_stealing::sleepers::Sleepers;
//!
//! let sleepers = Arc::new(Sleepers::new());
//! let work = Arc::new(AtomicBool::new(false));
//!
//! let worker = thread::spawn({
//!     let (sleepers, work) = (Arc::clone(&sleepers), Arc::clone(&work));
//!     move || {
//!         while !work.load(Ordering::SeqCst) {
//!             sleepers.sleep_unless(|| work.load(Ordering::SeqCst));
//!         }
//!     }
//! });
//! work.store(true, Ordering::SeqCst);
//! sleepers.wake_one();
//! worker.join().unwrap();
//! ```

// std's lock and condition variable, or loom's when the model checker
// runs this handshake.
use super::locks::{Condvar, Mutex};

// ANCHOR: sleepers
/// The idle workers, asleep on a condition variable.
pub struct Sleepers {
    counts: Mutex<Counts>,
    /// What sleepers wait on and wakers notify.
    bell: Condvar,
}

struct Counts {
    /// Workers asleep and not yet chosen to wake.
    asleep: usize,
    /// Workers chosen to wake that have not woken yet. A condition
    /// variable may wake a thread for nothing (a spurious wake-up): a
    /// worker that wakes when this is 0 goes back to sleep.
    chosen: usize,
}
// ANCHOR_END: sleepers

impl Sleepers {
    pub fn new() -> Sleepers {
        Sleepers {
            counts: Mutex::new(Counts {
                asleep: 0,
                chosen: 0,
            }),
            bell: Condvar::new(),
        }
    }

    // ANCHOR: sleep_and_wake
    /// Sleeps until woken, unless `work_waiting` (called with the lock
    /// held, so that no wake-up can slip in between) says there is work.
    pub fn sleep_unless(&self, work_waiting: impl Fn() -> bool) {
        let mut counts = self.counts.lock().unwrap();
        if work_waiting() {
            return;
        }
        counts.asleep += 1;
        loop {
            counts = self.bell.wait(counts).unwrap();
            if counts.chosen > 0 {
                counts.chosen -= 1;
                return;
            }
        }
    }

    /// Wakes one sleeping worker, if one sleeps; says whether one did.
    /// Called after work was queued.
    pub fn wake_one(&self) -> bool {
        let mut counts = self.counts.lock().unwrap();
        if counts.asleep == 0 {
            return false;
        }
        // Counted as awake from now on: the next task queued before it
        // has woken wakes another worker, not this one twice.
        counts.asleep -= 1;
        counts.chosen += 1;
        self.bell.notify_one();
        true
    }
    // ANCHOR_END: sleep_and_wake
}

impl Default for Sleepers {
    fn default() -> Sleepers {
        Sleepers::new()
    }
}
