//! Ten jobs that wait without blocking, and a sleep that nobody wakes.
//!
//! Each job is now a state machine: its first poll prints "start", creates
//! a `Sleep` and returns `Pending`; a later poll, once the sleep is over,
//! prints "end". But `Sleep` breaks the rule of `poll`: it says `Pending`
//! without arranging for anyone to call its waker. The executor, which
//! parks the thread until a waker unparks it, parks forever. The program
//! prints ten "start" lines and hangs, using next to no CPU.

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

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            Poll::Ready(())
        } else {
            // Wrong: nothing will ever ask for another poll.
            Poll::Pending
        }
    }
}
// ANCHOR_END: sleep

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
                    // Not over yet: the sleep has arranged a wake-up (or
                    // should have), so the job can say `Pending` too.
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

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
