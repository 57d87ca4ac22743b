//! The runtime from the end of Part Two, taught to do network IO
//! (`listings::busy_loop`), serving ten clients.
//!
//! The server and its ten clients are all tasks on one thread. Every socket
//! is in non-blocking mode: a call that cannot finish at once returns
//! `WouldBlock` instead of stopping the thread. What the runtime still
//! lacks is a way to sleep until a socket is ready, so a future that meets
//! `WouldBlock` wakes itself straight away and the main loop goes round
//! again, and again. The output is right and arrives after about one second,
//! but for all of that second one core runs flat out.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use listings::busy_loop::{
    accept, block_on, copy_to_stdout, sleep, spawn, write_all,
};

// ANCHOR: program
// The program: the server and ten clients, all tasks on this thread.

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    block_on(server_and_ten_clients(listener))
}

include!("one_second.rs");
// ANCHOR_END: program
