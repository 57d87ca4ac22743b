// solution: begin
//! Solution: a server that gives each client half a second to speak.
// solution: end
// starter: //! Exercise: a server that gives each client half a second to speak.
//!
//! Two clients connect to the server on Part Three's event loop
//! (`listings::poll_loop`). One says hello after a tenth of a second; the
//! other says nothing at all. The server reads one request from each,
// solution: begin
//! racing the read against a sleep of half a second, and closes the
//! connection: the talker's request arrives in time, the silent client's
//! read is given up after half a second.
// solution: end
// starter: //! waiting at most half a second, and then closes the connection. The time
// starter: //! limit is `timeout`, which is not written yet.

use std::future::poll_fn;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
// solution: begin
use std::pin::{Pin, pin};
use std::task::Poll;
// solution: end
// starter: // What a solution may need, imported for you.
// starter: #[allow(unused_imports)]
// starter: use std::{pin::pin, task::Poll};
use std::time::Duration;

use listings::poll_loop::{accept, block_on, poll_io, sleep, spawn, write_all};

// ANCHOR: exercise
/// Reads what the peer has sent, up to `buf.len()` bytes, once there is
/// something; `Ok(0)` is the end of the stream.
async fn read(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let fd = stream.as_raw_fd();
    poll_fn(|cx| poll_io(cx, fd, libc::POLLIN, stream.read(buf))).await
}

/// Runs `future`, but for `limit` at most: after that, the future is
/// dropped unfinished, and the result is an error of kind `TimedOut`.
async fn timeout<T>(
    // solution: begin
    limit: Duration,
    future: impl Future<Output = io::Result<T>>,
    // solution: end
    // starter: _limit: Duration,
    // starter: _future: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    // solution: begin
    let mut future = pin!(future);
    let mut time_is_up = sleep(limit);
    // Both get the same context: the socket or the timer, whichever is
    // first, wakes this task. Returning drops the loser.
    poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        Pin::new(&mut time_is_up)
            .poll(cx)
            .map(|()| Err(io::ErrorKind::TimedOut.into()))
    })
    .await
    // solution: end
    // starter: todo!("race the future against a sleep of `limit`")
}

/// Waits half a second at most for the client's request, answers nothing,
/// and closes the connection.
async fn handle(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    let limit = Duration::from_millis(500);
    match timeout(limit, read(&mut stream, &mut buf)).await {
        Ok(n) => {
            let request = String::from_utf8_lossy(&buf[..n]);
            println!("server: a client said {request:?}");
        }
        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
            println!("server: a client said nothing for {limit:?}");
        }
        Err(e) => return Err(e),
    }
    // Returning drops the stream, which closes the connection.
    Ok(())
}
// ANCHOR_END: exercise

// The program: the server and two clients, all tasks on this thread.

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    block_on(async move {
        let server = spawn(serve(listener, 2));
        let talker = spawn(client(address, "talker", Some("hello")));
        let silent = spawn(client(address, "silent client", None));
        talker.await?;
        silent.await?;
        server.await
    })?
}

/// Accepts `connections` connections and handles each in a task of its
/// own.
async fn serve(listener: TcpListener, connections: usize) -> io::Result<()> {
    let mut handlers = Vec::new();
    for _ in 0..connections {
        let stream = accept(&listener).await?;
        handlers.push(spawn(handle(stream)));
    }
    for handler in handlers {
        handler.await?;
    }
    Ok(())
}

/// A client that thinks for a tenth of a second, then sends `request`, if
/// it has one, and waits until the server hangs up.
async fn client(
    address: SocketAddr,
    name: &str,
    request: Option<&str>,
) -> io::Result<()> {
    // The shortcut of Part Three: `connect` blocks, briefly.
    let mut stream = TcpStream::connect(address)?;
    stream.set_nonblocking(true)?;
    sleep(Duration::from_millis(100)).await;
    if let Some(request) = request {
        write_all(&mut stream, request.as_bytes()).await?;
    }
    // The server sends nothing: the first read that returns at all gets
    // the end of the stream.
    let mut buf = [0; 1024];
    while read(&mut stream, &mut buf).await? > 0 {}
    println!("{name}: the server hung up");
    Ok(())
}
