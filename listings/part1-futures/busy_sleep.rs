//! Ten jobs whose sleep keeps the rule of `poll` in the crudest way.
//!
//! The same program as `part1-never-woken`, with one change: before it
//! says `Pending`, `Sleep` calls its own waker. The executor's thread is
//! unparked at once and polls again, and again, until the second is over.
//! The output is right and comes after about one second, but the thread
//! never rests: for the whole second it keeps one core busy.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use listings::join::join;
use listings::park_block_on::block_on;

// ANCHOR: sleep
/// A future that is ready once its deadline has passed.
struct Sleep {
    deadline: Instant,
}

fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // "Poll me again." Nothing else knows when the deadline passes, so
        // the sleep asks for another poll straight away: busy waiting.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: sleep

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

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
