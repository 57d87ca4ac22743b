//! Part Three's event loop on `epoll` (`listings::epoll`): each socket
//! registered once, and only what is ready reported.
//!
//! The runtime is the previous chapter's: tasks polled only when woken, a
//! ready queue, timers, and a doorbell that lets another thread wake the
//! loop. What changes is the reactor. A socket is registered with `epoll`
//! once, edge-triggered for reading and writing, when it is wrapped in
//! `Async`, and deregistered when the wrapper is dropped. A registry maps
//! each registration's token to what the loop knows about its socket: for
//! each direction, whether it is ready, and who waits for it. The program
//! is Part Three's server and ten clients, with the same output after
//! about one second, and the process idle while it waits.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use listings::epoll::{Async, block_on, sleep, spawn};

// The program: Part Three's server and ten clients, on `Async` sockets.

// ANCHOR: program
fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let listener = Async::new(listener)?;
    block_on(async move {
        let server = spawn(serve_ten(listener));
        let clients: Vec<_> = (0..10).map(|_| spawn(client(address))).collect();
        for client in clients {
            client.await;
        }
        server.await
    })?
}

/// Accepts ten connections and serves each in a task of its own.
async fn serve_ten(listener: Async<TcpListener>) -> io::Result<()> {
    let mut handlers = Vec::new();
    for n in 0..10 {
        let (stream, _) = listener.accept().await?;
        handlers.push(spawn(serve(stream, n)));
    }
    for handler in handlers {
        handler.await?;
    }
    Ok(())
}

/// Serves connection number `n`: "start", one second of sleep, "end".
async fn serve(stream: Async<TcpStream>, n: usize) -> io::Result<()> {
    stream.write_all(format!("start {n}\n").as_bytes()).await?;
    sleep(Duration::from_secs(1)).await;
    stream.write_all(format!("end {n}\n").as_bytes()).await
}

/// One client: connect, then copy everything the server sends to stdout.
async fn client(address: SocketAddr) {
    // `connect` still blocks, as in Part Three: against a listener on
    // this machine it returns almost at once.
    let stream = TcpStream::connect(address).expect("could not connect");
    let stream = Async::new(stream).expect("could not register");
    copy_to_stdout(stream).await.expect("copy failed");
}

/// Copies everything the peer sends to stdout, until it hangs up.
async fn copy_to_stdout(stream: Async<TcpStream>) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            // The end of the stream: the peer has closed its side.
            return Ok(());
        }
        // Stdout stays blocking: a few bytes to a terminal or a pipe.
        io::stdout().write_all(&buf[..n])?;
    }
}
// ANCHOR_END: program
