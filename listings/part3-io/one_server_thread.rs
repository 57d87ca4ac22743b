//! The blocking server and ten blocking clients in one program.
//!
//! Programs on the Rust Playground cannot talk to each other, so this one
//! plays both parts: one thread is the server of `part3-blocking-server`,
//! and ten threads are copies of `part3-blocking-client`. The server still
//! serves one connection at a time, so the ten clients are done after about
//! ten seconds, one after another.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

include!("server_thread_main.rs");

/// Accepts ten connections and serves each to the end before the next.
fn serve_ten(listener: TcpListener) -> io::Result<()> {
    for (n, stream) in listener.incoming().take(10).enumerate() {
        // Here an error has someone to go to: it ends the thread and `main`
        // finds it inside the result of `join`.
        serve(stream?, n)?;
    }
    Ok(())
}

include!("serve_and_client.rs");
