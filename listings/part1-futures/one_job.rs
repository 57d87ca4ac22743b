//! The job of the Introduction as a hand-written future, run by an
//! executor written by hand too.
//!
//! `Job` is a struct with a `poll` method: the `Future` trait by hand. Its
//! first and only poll prints "start 0", sleeps one second and prints
//! "end 0". `block_on`, the `park_block_on` stage, is a minimal executor
//! that keeps the rules: it polls the future, and while the answer is
//! `Pending` it parks the thread until the future's waker unparks it. This
//! job never says `Pending`, so the parking is never needed yet.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use listings::park_block_on::block_on;

// ANCHOR: job
/// The Introduction's job number `n`, as a future.
struct Job {
    n: usize,
}

impl Future for Job {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        println!("start {}", self.n);
        // Blocks the whole thread for a second. Good enough for one job;
        // the next program shows what it costs when there are ten.
        thread::sleep(Duration::from_secs(1));
        println!("end {}", self.n);
        Poll::Ready(())
    }
}
// ANCHOR_END: job

fn main() {
    block_on(Job { n: 0 });
}
