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

include!("chain.rs");

// ANCHOR: loop
/// Runs jobs `n` to `last`, one after another. A chain has a fixed type,
/// fixed when it is compiled, and a loop's number of turns is not, so each
/// turn appends the next turn when it finishes: a recursive function whose
/// result must be boxed, because its type would otherwise contain itself.
fn jobs_from(n: usize, last: usize) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(job_chain(n).then(move |()| {
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
