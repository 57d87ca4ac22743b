//! A blocking TCP client for `part3-blocking-server`.
//!
//! It connects to port 8000 on this machine and copies whatever the server
//! sends to standard output until the server hangs up.

use std::io;
use std::net::TcpStream;

fn main() {
    let mut stream = TcpStream::connect("127.0.0.1:8000")
        .expect("could not connect: is part3-blocking-server running?");
    // `io::copy` reads a chunk, writes it out, and reads again. Each read
    // blocks until the server sends something; a read of zero bytes means
    // the server closed the connection, and then the copy returns.
    io::copy(&mut stream, &mut io::stdout())
        .expect("the connection or standard output failed");
}
