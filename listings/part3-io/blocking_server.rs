//! A blocking TCP server on port 8000 of this machine's loopback, the
//! starting point of Part Three.
//!
//! Each connection gets a number, counted from zero in the order the server
//! accepts them. The server writes "start N", sleeps one second, writes
//! "end N" and hangs up. It serves one connection at a time, forever: every
//! call below blocks the only thread until it is done.
//!
//! Run it in one terminal and `part3-blocking-client` in another.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

fn main() -> io::Result<()> {
    // The loopback address: only programs on this machine can connect.
    let listener = TcpListener::bind("127.0.0.1:8000")?;
    eprintln!("listening on {}", listener.local_addr()?);

    // `incoming` calls `accept` again and again; each call blocks until a
    // client connects. `enumerate` numbers the connections in that order.
    for (n, stream) in listener.incoming().enumerate() {
        // A failed accept ends the server: `?` returns the error from main.
        let stream = stream?;
        // A failed connection does not: the client may simply have gone
        // away, and the next one deserves an answer all the same.
        if let Err(e) = serve(stream, n) {
            eprintln!("connection {n}: {e}");
        }
    }
    Ok(())
}

/// Serves connection number `n`: "start", one second of sleep, "end".
fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    // Each message is formatted into one buffer and handed to the kernel in
    // one `write_all`, so that it usually reaches the client in one piece.
    stream.write_all(format!("start {n}\n").as_bytes())?;
    thread::sleep(Duration::from_secs(1));
    stream.write_all(format!("end {n}\n").as_bytes())?;
    // Dropping the stream closes the connection: the client sees the end of
    // the stream and knows there is nothing more to read.
    Ok(())
}
