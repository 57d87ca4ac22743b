//! The Introduction's job four ways, side by side: the hand-written
//! `Job` of `part1-timer-table`, the `async fn` of `part1-async-job`, the
//! combinator chain of `part1-combinators`, and the state machine that the
//! compiler makes of the `async fn`, written out as Rust.
//!
//! The program prints the size of each future, then runs one job of each
//! kind at once. The sizes show what each future keeps between polls; the
//! written-out state machine has exactly the size of the compiler's, and
//! prints what the others print. The jobs take about a second.

use std::future::{Ready, ready};
use std::mem::size_of_val;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

include!("job.rs");

include!("chain.rs");

/// The job as an `async fn`, as in `part1-async-job`.
async fn job(n: usize) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}

// ANCHOR: written_out
/// The future of `job(n)` as the compiler lays it out: the argument, kept
/// for the future's whole life, and the state the body is in.
struct JobAsCompiled {
    n: usize,
    state: State,
}

/// Where the body of `job` is between two polls. The compiler keeps the
/// state's number in a byte of its own, and does not hide it in a bit
/// pattern that a field never takes, as Rust does for an ordinary enum:
/// `repr(u8)` asks the same of this one.
#[repr(u8)]
enum State {
    /// Called, not yet polled.
    Unresumed,
    /// Stopped at the `.await`, with the body's own copy of `n` and the
    /// future being awaited.
    Suspend0 { n: usize, sleep: Sleep },
    /// Finished: it returned `Ready`.
    Returned,
    /// A poll panicked in the middle of the body.
    Panicked,
}

fn job_as_compiled(n: usize) -> JobAsCompiled {
    JobAsCompiled {
        n,
        state: State::Unresumed,
    }
}
// ANCHOR_END: written_out

// ANCHOR: written_out_poll
impl Future for JobAsCompiled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A `Sleep` is `Unpin`, and so is `JobAsCompiled`: a plain `&mut`
        // will do. The compiler's future is never `Unpin`, and reaches its
        // fields where they lie, as a pin projection does.
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Unresumed => {
                    // The body takes its argument: `let n = n;`.
                    let n = this.n;
                    // If the body panics from here on, the future stays
                    // `Panicked`: the compiler makes sure of that.
                    this.state = State::Panicked;
                    println!("start {n}");
                    let sleep = sleep(Duration::from_secs(1));
                    this.state = State::Suspend0 { n, sleep };
                }
                State::Suspend0 { n, sleep } => {
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let n = *n;
                    // Leaving the state drops the finished sleep.
                    this.state = State::Panicked;
                    println!("end {n}");
                    this.state = State::Returned;
                    return Poll::Ready(());
                }
                State::Returned => {
                    panic!("`async fn` resumed after completion")
                }
                State::Panicked => panic!("`async fn` resumed after panicking"),
            }
        }
    }
}
// ANCHOR_END: written_out_poll

// ANCHOR: main
/// Prints how many bytes `future` takes, before it is ever polled.
fn print_size<F: Future>(future: F, what: &str) {
    println!("{:>3} bytes: {what}", size_of_val(&future));
}

fn main() {
    print_size(Job::Start { n: 0 }, "Job, by hand");
    print_size(job(0), "the async fn's future");
    print_size(job_as_compiled(0), "JobAsCompiled");
    print_size(job_chain(0), "the combinator chain");
    // One job of each kind, all at once. `join` takes futures of one type,
    // so each goes into a box of its own behind the same trait object.
    let jobs: [Pin<Box<dyn Future<Output = ()>>>; 4] = [
        Box::pin(Job::Start { n: 0 }),
        Box::pin(job(1)),
        Box::pin(job_as_compiled(2)),
        Box::pin(job_chain(3)),
    ];
    block_on(join(jobs));
}
// ANCHOR_END: main
