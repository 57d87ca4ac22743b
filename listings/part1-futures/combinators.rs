//! The job as a chain of combinators, and a loop as a chain that grows.
//!
//! Before `async fn`, a future that did several things one after another
//! was built by chaining small futures with combinators such as `then`:
//! "when this one is ready, make the next one from its output". This
//! program writes `then` itself and builds the Introduction's job with it.
//! Running three jobs one after another, a plain loop in straight-line
//! code, becomes a function that returns a boxed chain which extends itself
//! by calling the same function again. The runtime is that of
//! `part1-timer-table`. The jobs run in turn, so the program takes about
//! three seconds.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

// ANCHOR: then
/// Runs `first`, then the future that `next` makes from its output.
enum Then<A, B, F> {
    /// Waiting for `first`. `next` is taken out, and called, only once
    /// `first` is ready; the `Option` lets it leave while the rest stays.
    First { first: A, next: Option<F> },
    /// Waiting for the future that `next` made.
    Second(B),
}

impl<A, B, F> Future for Then<A, B, F>
where
    A: Future + Unpin,
    B: Future + Unpin,
    F: FnOnce(A::Output) -> B + Unpin,
{
    type Output = B::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        loop {
            match &mut *self {
                Then::First { first, next } => {
                    let Poll::Ready(output) = Pin::new(first).poll(cx) else {
                        return Poll::Pending;
                    };
                    let next = next.take().expect("polled after completion");
                    *self = Then::Second(next(output));
                }
                Then::Second(second) => return Pin::new(second).poll(cx),
            }
        }
    }
}

/// Gives every future a `then` method, so that chains read left to right.
trait FutureExt: Future + Sized {
    fn then<B, F>(self, next: F) -> Then<Self, B, F>
    where
        F: FnOnce(Self::Output) -> B,
    {
        Then::First {
            first: self,
            next: Some(next),
        }
    }
}

impl<T: Future> FutureExt for T {}
// ANCHOR_END: then

// ANCHOR: job
/// The Introduction's job as a chain. Each step is a closure that gets the
/// previous step's output and returns the next future, and each closure
/// that needs `n` takes its own copy. The return type spells out the whole
/// chain, which is why Clippy finds it complex.
#[allow(clippy::type_complexity)]
fn job(
    n: usize,
) -> Then<
    Then<Ready<()>, Sleep, impl FnOnce(()) -> Sleep>,
    Ready<()>,
    impl FnOnce(()) -> Ready<()>,
> {
    // `ready(())` is a future that is ready at once. Starting the chain
    // with it puts the first `println!` into a closure, which runs on the
    // first poll and not when `job` is called.
    ready(())
        .then(move |()| {
            println!("start {n}");
            sleep(Duration::from_secs(1))
        })
        .then(move |()| {
            println!("end {n}");
            ready(())
        })
}
// ANCHOR_END: job

// ANCHOR: loop
/// Runs jobs `n` to `last`, one after another. A chain has a fixed type,
/// fixed when it is compiled, and a loop's number of turns is not, so each
/// turn appends the next turn when it finishes: a recursive function whose
/// result must be boxed, because its type would otherwise contain itself.
fn jobs_from(n: usize, last: usize) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(job(n).then(move |()| {
        if n < last {
            jobs_from(n + 1, last)
        } else {
            Box::pin(ready(()))
        }
    }))
}
// ANCHOR_END: loop

fn main() {
    block_on(jobs_from(0, 2));
}
