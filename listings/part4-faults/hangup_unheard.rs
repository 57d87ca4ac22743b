//! Two tasks wait on pipes whose other ends close, on a runtime whose
//! reactor looks only at `EPOLLIN`, `EPOLLRDHUP` and `EPOLLOUT`
//! (`listings::hangups_unheard`). For a pipe, `epoll` reports the closing
//! as a hang-up or an error alone, which this reactor does not hear: both
//! tasks go on waiting.

use listings::hangups_unheard::{Async, JoinHandle, block_on, sleep, spawn};

include!("pipe_hangups.rs");
