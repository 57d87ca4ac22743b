//! An echo server on the completion runtime: each connection's task reads
//! into a buffer it gives the runtime, and writes back what came, with the
//! same buffer, until the client closes. It runs until it is killed.
//!
//! It listens on the address of its first argument, 127.0.0.1:8000 by
//! default (`127.0.0.1:0`: a port of the kernel's choosing), and prints
//! the address once it listens.

use std::io;
use std::net::TcpStream;

use listings::completion::{Async, block_on, spawn};
use listings::uring::exit_if_refused;

fn main() -> io::Result<()> {
    let address = std::env::args().nth(1);
    let address = address.as_deref().unwrap_or("127.0.0.1:8000");
    block_on(serve(address)).map_err(exit_if_refused)?
}

// ANCHOR: serve
async fn serve(address: &str) -> io::Result<()> {
    let listener = Async::bind(address)?;
    println!("listening on {}", listener.get_ref().local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        spawn(async move {
            if let Err(e) = echo(stream).await {
                eprintln!("connection ended: {e}");
            }
        });
    }
}

/// One buffer per connection, lent to the runtime for each read and each
/// write, and given back with each result.
async fn echo(stream: Async<TcpStream>) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        let (read, back) = stream.read(buf).await;
        if read? == 0 {
            return Ok(());
        }
        let (written, back) = stream.write_all(back).await;
        written?;
        buf = back;
    }
}
// ANCHOR_END: serve
