//! Two tasks wait on pipes whose other ends close, on the previous
//! chapter's runtime (`listings::fragile`), which wakes both directions of
//! a descriptor when `epoll` reports a hang-up or an error: the reader gets
//! the end of the stream and the writer a broken pipe, at once.

use listings::fragile::{Async, JoinHandle, block_on, sleep, spawn};

include!("pipe_hangups.rs");
