//! A timer future woken from another thread, and polled from two tasks.
//!
//! `ThreadTimer` starts a helper thread that sleeps, marks the timer done
//! and calls the waker the timer left behind. Because a future may be
//! polled with a different waker each time (here it moves from one task to
//! another), `poll` keeps only the latest waker, and `Waker::will_wake`
//! saves the clone when it can tell that the waker has not changed. Each
//! poll prints what it did with the waker, and the program ends after about
//! one second.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use listings::park_block_on::block_on;

// ANCHOR: timer
/// What the timer and its helper thread share.
struct Shared {
    /// Set by the helper thread when the time is up.
    done: bool,
    /// The waker of the latest poll: whoever must hear that the time is up.
    waker: Option<Waker>,
}

/// A future that is ready when its helper thread has slept long enough.
struct ThreadTimer {
    shared: Arc<Mutex<Shared>>,
    /// How often it has been polled, for the messages below.
    polls: u32,
}

impl ThreadTimer {
    fn new(duration: Duration) -> ThreadTimer {
        let shared = Arc::new(Mutex::new(Shared {
            done: false,
            waker: None,
        }));
        let thread_shared = Arc::clone(&shared);
        thread::spawn(move || {
            thread::sleep(duration);
            // Mark the timer done and take the waker under one lock, so
            // that no poll can slip in between; call the waker after the
            // lock is released.
            let waker = {
                let mut shared = thread_shared.lock().unwrap();
                shared.done = true;
                shared.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        ThreadTimer { shared, polls: 0 }
    }
}
// ANCHOR_END: timer

// ANCHOR: poll
impl Future for ThreadTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        let poll = self.polls;
        let mut shared = self.shared.lock().unwrap();
        if shared.done {
            println!("poll {poll}: done");
            return Poll::Ready(());
        }
        // Only the latest waker counts: the future may have moved to
        // another task since the last poll, and the old task's waker would
        // wake the wrong task. Cloning a waker costs a little, so the clone
        // is skipped when `will_wake` says the stored waker wakes the same
        // task anyway.
        match &shared.waker {
            None => {
                println!("poll {poll}: no waker stored yet, stored this one");
                shared.waker = Some(cx.waker().clone());
            }
            Some(old) if old.will_wake(cx.waker()) => {
                println!("poll {poll}: will_wake is true, kept the stored one");
            }
            Some(_) => {
                println!("poll {poll}: will_wake is false, replaced it");
                shared.waker = Some(cx.waker().clone());
            }
        }
        Poll::Pending
    }
}
// ANCHOR_END: poll

// ANCHOR: main
/// The waker of a task that polls the timer and then gives it away. Once
/// it has, waking it does nothing for the timer: that task will never poll
/// the timer again.
struct FirstTask;

impl Wake for FirstTask {
    fn wake(self: Arc<Self>) {}
}

fn main() {
    let mut timer = ThreadTimer::new(Duration::from_secs(1));

    // The first task, played by hand: it polls the timer twice with its own
    // waker, and then the timer moves on.
    let first_task = Waker::from(Arc::new(FirstTask));
    let mut cx = Context::from_waker(&first_task);
    for _ in 0..2 {
        assert!(Pin::new(&mut timer).poll(&mut cx).is_pending());
    }

    // The timer moves into `block_on`, which polls it with another waker.
    // Had the timer kept the first task's waker, the helper thread would
    // wake a task that has nothing left to poll, and nothing would ever
    // unpark `block_on`.
    block_on(timer);
}
// ANCHOR_END: main
