//! `join`: one future made of many, ready when all of them are. Part One
//! builds it so that one thread can wait for ten jobs at once, and runs
//! every `join` of the part with it.
//!
//! ```
//! use listings::join::join;
//! use listings::park_block_on::block_on;
//!
//! // Three futures of one type (one `async` block, three values of it).
//! block_on(join((0..3).map(|n| async move { println!("job {n}") })));
//!
//! // None at all: ready at once.
//! block_on(join(Vec::<std::future::Ready<()>>::new()));
//! ```
//!
//! `join` returns a `Join`, a future like any other: nothing in it runs until
//! it is polled, and then all of its futures do.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use listings::join::{Join, join};
//! use listings::park_block_on::block_on;
//!
//! static DONE: AtomicUsize = AtomicUsize::new(0);
//! let jobs: Join<_> = join((0..3).map(|_| async {
//!     DONE.fetch_add(1, Ordering::SeqCst);
//! }));
//! // Nothing has run yet: futures are lazy.
//! assert_eq!(DONE.load(Ordering::SeqCst), 0);
//! block_on(jobs);
//! assert_eq!(DONE.load(Ordering::SeqCst), 3);
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};

// ANCHOR: join
/// A future that runs many futures at once and is ready when all are.
pub struct Join<F> {
    /// The futures that have not finished yet. Each is boxed and pinned,
    /// so that it stays at one address however the `Vec` moves.
    futures: Vec<Pin<Box<F>>>,
}

/// Makes one future of `futures`, which all have the same type.
pub fn join<F: Future<Output = ()>>(
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
