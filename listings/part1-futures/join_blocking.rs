//! Ten jobs joined into one future, each of which blocks the thread.
//!
//! `join` (the `join` stage) makes one future out of many: polling it
//! polls every future that is not finished yet. That is how one thread can
//! wait for ten jobs at once, but only if each job returns from `poll`
//! while it waits. These jobs sleep inside `poll`, so the thread runs them
//! one after another, and the program takes ten seconds instead of one.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use listings::join::join;
use listings::park_block_on::block_on;

/// The Introduction's job number `n`, as a future that blocks.
struct Job {
    n: usize,
}

impl Future for Job {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        println!("start {}", self.n);
        thread::sleep(Duration::from_secs(1));
        println!("end {}", self.n);
        Poll::Ready(())
    }
}

// ANCHOR: main
fn main() {
    block_on(join((0..10).map(|n| Job { n })));
}
// ANCHOR_END: main
