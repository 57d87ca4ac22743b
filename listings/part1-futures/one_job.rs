//! The job of the Introduction as a hand-written future, run by an
//! executor written by hand too.
//!
//! `Job` is a struct with a `poll` method: the `Future` trait by hand. Its
//! first and only poll prints "start 0", sleeps one second and prints
//! "end 0". `block_on` is a minimal executor that keeps the rules: it
//! polls the future, and while the answer is `Pending` it parks the thread
//! until the future's waker unparks it. This job never says `Pending`, so
//! the parking is never needed yet.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

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

// ANCHOR: block_on
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
    // `poll` wants the future pinned: held in a place it will not leave.
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // The future has arranged for its waker to be called when it can
        // make progress. Until then there is nothing to do: sleep until
        // `unpark`. (`park` may also return early for no reason; then the
        // future is polled once more, which is allowed.)
        thread::park();
    }
}
// ANCHOR_END: block_on

fn main() {
    block_on(Job { n: 0 });
}
