//! Ten jobs joined into one future, each of which blocks the thread.
//!
//! `join` makes one future out of many: polling it polls every future that
//! is not finished yet. That is how one thread can wait for ten jobs at
//! once, but only if each job returns from `poll` while it waits. These
//! jobs sleep inside `poll`, so the thread runs them one after another, and
//! the program takes ten seconds instead of one.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

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

// ANCHOR: join
/// A future that runs many futures at once and is ready when all are.
struct Join<F> {
    /// The futures that have not finished yet. Each is boxed and pinned,
    /// so that it stays at one address however the `Vec` moves.
    futures: Vec<Pin<Box<F>>>,
}

fn join<F: Future<Output = ()>>(
    futures: impl IntoIterator<Item = F>,
) -> Join<F> {
    Join {
        futures: futures.into_iter().map(Box::pin).collect(),
    }
}

impl<F: Future<Output = ()>> Future for Join<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Poll every unfinished future with the same context, so that any
        // of them can wake this one, and drop each as soon as it is done.
        self.futures
            .retain_mut(|future| future.as_mut().poll(cx).is_pending());
        if self.futures.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
// ANCHOR_END: join

/// A waker that unparks the thread which is waiting in `block_on`.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` on this thread until it is ready, and returns its output.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

// ANCHOR: main
fn main() {
    block_on(join((0..10).map(|n| Job { n })));
}
// ANCHOR_END: main
