//! Part One's first executor: `block_on` runs one future on the current
//! thread, and while the future is pending it parks the thread until the
//! future's waker unparks it. Part One's first programs run on it, from
//! the single hand-written job to the sleep that nobody wakes, and so does
//! the timer woken from another thread.
//!
//! ```
//! use std::future::poll_fn;
//! use std::task::Poll;
//! use std::thread;
//! use listings::park_block_on::block_on;
//!
//! assert_eq!(block_on(async { 6 * 7 }), 42);
//!
//! // Pending once, with its waker called from another thread: `block_on`
//! // parks until the other thread unparks it.
//! let mut waiting = false;
//! let answer = block_on(poll_fn(|cx| {
//!     if waiting {
//!         return Poll::Ready("woken");
//!     }
//!     waiting = true;
//!     let waker = cx.waker().clone();
//!     thread::spawn(move || waker.wake());
//!     Poll::Pending
//! }));
//! assert_eq!(answer, "woken");
//! ```

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

// ANCHOR: block_on
/// A waker that unparks the thread which is waiting in `block_on`.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` on this thread until it is ready, and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
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
