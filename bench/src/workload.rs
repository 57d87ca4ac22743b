//! What a server does with each connection: the one type every contender
//! (`servers.rs`, `part3.rs`, `raw_epoll.rs`, `book_workloads.rs`) and the
//! command line share, and which depends on none of them.

use std::time::Duration;

/// What a server does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    /// Writes "start\n", sleeps, writes "end\n" and closes.
    Sleep(Duration),
    /// Writes back whatever it reads, until the client closes.
    Echo,
}
