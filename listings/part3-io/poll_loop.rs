//! The finished event loop of Part Three, non-blocking IO plus `poll(2)`
//! (`listings::poll_loop`), serving ten clients.
//!
//! The same server and ten clients as `part3-busy-loop`, with one change. A
//! future that meets `WouldBlock` no longer wakes itself; it registers its
//! socket, the events it waits for and its waker. When no task is ready to
//! run, the main loop hands every registered socket to the kernel's
//! `poll(2)`, with a timeout that ends at the earliest timer, and the thread
//! sleeps until a socket is ready or the timer is due. The output is the
//! same after about one second, and the process is idle while it waits.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use listings::poll_loop::{
    accept, block_on, copy_to_stdout, sleep, spawn, write_all,
};

// The same program as `part3-busy-loop`, on the event loop.

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    block_on(server_and_ten_clients(listener))?
}

include!("one_second.rs");
