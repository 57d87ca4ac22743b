//! The blocking server and ten blocking clients in one program.
//!
//! Programs on the Rust Playground cannot talk to each other, so this one
//! plays both parts: one thread is the server of `part3-blocking-server`,
//! and ten threads are copies of `part3-blocking-client`. The server still
//! serves one connection at a time, so the ten clients are done after about
//! ten seconds, one after another.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

fn main() -> io::Result<()> {
    // Bind before any client exists. Once `bind` has returned, the kernel
    // queues incoming connections for us, so a client that connects before
    // the server thread reaches `accept` waits in that queue instead of
    // being refused.
    let listener = TcpListener::bind("0.0.0.0:8000")?;
    let server = thread::spawn(move || serve_ten(listener));

    let clients: Vec<_> = (0..10).map(|_| thread::spawn(client)).collect();
    for client in clients {
        client.join().expect("a client thread panicked");
    }

    // `join` wraps the thread's own result in another one. The outer
    // `Result` says whether the thread panicked; the inner one is the
    // `io::Result` that `serve_ten` returned.
    server.join().expect("the server thread panicked")?;
    Ok(())
}

/// Accepts ten connections and serves each to the end before the next.
fn serve_ten(listener: TcpListener) -> io::Result<()> {
    for (n, stream) in listener.incoming().take(10).enumerate() {
        // Here an error has someone to go to: it ends the thread and `main`
        // finds it inside the result of `join`.
        serve(stream?, n)?;
    }
    Ok(())
}

/// Serves connection number `n`: "start", one second of sleep, "end".
fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    stream.write_all(format!("start {n}\n").as_bytes())?;
    thread::sleep(Duration::from_secs(1));
    stream.write_all(format!("end {n}\n").as_bytes())
}

/// One client: connect, then copy everything the server sends to stdout.
fn client() {
    let mut stream =
        TcpStream::connect("127.0.0.1:8000").expect("could not connect");
    io::copy(&mut stream, &mut io::stdout()).expect("copy failed");
}
