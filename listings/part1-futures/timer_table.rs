//! Ten jobs on one thread, done in about a second, with the thread asleep
//! while it waits.
//!
//! The jobs and `join` are those of `part1-never-woken`. What changed is
//! how they wait, in two stages of the runtime: a `Sleep` that is not over
//! yet enters its waker in a timer table ordered by deadline (`timers`),
//! and the main loop, `block_on` (`timer_block_on`), sleeps until the
//! earliest deadline in that table, wakes every timer that is due, and
//! polls again. The output is right, it comes after about one second, and
//! the process is idle in between.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use listings::join::join;
use listings::timer_block_on::block_on;
use listings::timers::{Sleep, sleep};

include!("job.rs");

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
