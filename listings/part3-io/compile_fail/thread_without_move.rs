//! `part3-thread-per-connection` without the `move`: it does not compile.
//!
//! The closure given to `thread::spawn` moves `stream` (because `serve`
//! takes it by value) but only borrows `n`, which lives in the accept loop
//! of the server thread. A spawned thread may outlive that loop, so the
//! compiler refuses the borrow with error E0373.

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

// ANCHOR: server
/// Accepts ten connections and serves each on a thread of its own.
fn serve_ten(listener: TcpListener) -> io::Result<()> {
    let mut handlers = Vec::new();
    for (n, stream) in listener.incoming().take(10).enumerate() {
        let stream = stream?;
        // No `move`: the closure takes `stream` but borrows `n`.
        handlers.push(thread::spawn(|| serve(stream, n)));
    }
    // Wait for every handler, so that an error on any connection comes
    // back to `main` through this thread's own result.
    for handler in handlers {
        handler.join().expect("a connection thread panicked")?;
    }
    Ok(())
}
// ANCHOR_END: server

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
