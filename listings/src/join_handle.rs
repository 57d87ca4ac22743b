//! Join handles: a future for the output of work done elsewhere, filled in
//! through a little state it shares with that work. Part Two builds it for
//! tasks, and uses the same handle for work on a thread of its own
//! (`blocking`).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::thread;
//! use listings::join_handle::{JoinHandle, JoinState};
//! use listings::park_block_on::block_on;
//!
//! let state = Arc::new(Mutex::new(JoinState {
//!     output: None,
//!     waker: None,
//! }));
//! let handle = JoinHandle {
//!     state: Arc::clone(&state),
//! };
//! // The other side: store the output, then wake whoever awaits it.
//! thread::spawn(move || {
//!     let waker = {
//!         let mut state = state.lock().unwrap();
//!         state.output = Some(42);
//!         state.waker.take()
//!     };
//!     if let Some(waker) = waker {
//!         waker.wake();
//!     }
//! });
//! assert_eq!(block_on(handle), 42);
//! ```

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

// ANCHOR: join_handle
/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
pub struct JoinState<T> {
    pub output: Option<T>,
    pub waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future.
pub struct JoinHandle<T> {
    pub state: Arc<Mutex<JoinState<T>>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: join_handle
