//! The same server, stopping gracefully: on SIGTERM it stops accepting,
//! lets every connection it has accepted finish its conversation, and
//! then exits. A connection still open after the grace period (the second
//! argument, in seconds; 30 unless given) is cut off.
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
include!("wait_all.rs");
include!("sigterm.rs");
include!("upper_case.rs");

fn main() -> io::Result<()> {
    // Before any other thread exists.
    block_sigterm()?;
    let listener = Async::bind(&address())?;
    let seconds = std::env::args().nth(2).and_then(|s| s.parse().ok());
    let grace = Duration::from_secs(seconds.unwrap_or(30));
    block_on(async {
        // ANCHOR: main
        let connections = TaskGroup::new();
        select(accept_all(listener, &connections), sigterm()).await;
        println!("SIGTERM: stopping; connections open: {}", connections.len());
        // The listener is closed. Every accepted connection may go on
        // until its client is done, for up to the grace period.
        match select(connections.wait_all(), sleep(grace)).await {
            Either::Left(()) => println!("every connection finished"),
            Either::Right(()) => {
                let left = connections.len();
                println!("grace period over; connections cut off: {left}");
            }
        }
        // ANCHOR_END: main
    })
}
