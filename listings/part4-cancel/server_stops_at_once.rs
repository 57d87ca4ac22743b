//! A server whose clients hold a conversation with it, a line at a time,
//! and which stops at once on SIGTERM: the connections it had accepted
//! are dropped in the middle of their conversations.
//!
//! Each line a client sends comes back in upper case. Stop the server
//! with `kill -TERM PID`.

use std::io;
use std::mem;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use listings::abortable::{
    Async, JoinHandle, block_on, sleep, spawn, spawn_blocking,
};
use listings::abortable_ident::streams::{Lines, Stream, write_all};

include!("select.rs");
include!("task_group.rs");
include!("sigterm.rs");
include!("upper_case.rs");

fn main() -> io::Result<()> {
    // Before any other thread exists.
    block_sigterm()?;
    let listener = Async::bind(&address())?;
    block_on(async {
        // ANCHOR: main
        let connections = TaskGroup::new();
        select(accept_all(listener, &connections), sigterm()).await;
        println!("SIGTERM: stopping; connections open: {}", connections.len());
        // ANCHOR_END: main
    })
}
