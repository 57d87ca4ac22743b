// solution: begin
//! Solution: an echo server on Part Three's event loop
// solution: end
// starter: //! Exercise: an echo server on Part Three's event loop
//! (`listings::poll_loop`).
//!
//! Three clients each send a message, say that they have nothing more to
//! send by shutting down their side of the connection, and print whatever
// solution: begin
//! comes back until the server hangs up. `echo` reads what a client sends
//! and writes it back, until its read meets the end of the stream; every
//! client gets its own message back.
// solution: end
// starter: //! comes back until the server hangs up. The server should send back
// starter: //! everything it receives. As written, it reads everything and sends
// starter: //! nothing back, and the clients get nothing.

use std::future::poll_fn;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use listings::poll_loop::{accept, block_on, poll_io, spawn, write_all};

// ANCHOR: exercise
/// Reads what the peer has sent, up to `buf.len()` bytes, once there is
/// something; `Ok(0)` is the end of the stream.
async fn read(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let fd = stream.as_raw_fd();
    poll_fn(|cx| poll_io(cx, fd, libc::POLLIN, stream.read(buf))).await
}

/// Sends back everything the peer sends, until the peer has no more.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    // starter: // Wrong: reads everything the peer sends, and sends nothing back.
    let mut buf = [0; 1024];
    // solution: begin
    loop {
        let n = read(&mut stream, &mut buf).await?;
        if n == 0 {
            // The peer will send nothing more, and has everything back:
            // returning drops the stream, which closes the connection.
            return Ok(());
        }
        // Back before the next read: what was read is all there is to
        // send, and a buffer's worth at most is ever held.
        write_all(&mut stream, &buf[..n]).await?;
    }
    // solution: end
    // starter: while read(&mut stream, &mut buf).await? > 0 {}
    // starter: Ok(())
}
// ANCHOR_END: exercise

// The program: the server and three clients, all tasks on this thread.

// starter: // ANCHOR: program
fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    block_on(async move {
        let server = spawn(serve(listener, 3));
        let clients: Vec<_> =
            (0..3).map(|n| spawn(client(address, n))).collect();
        for client in clients {
            client.await?;
        }
        server.await
    })?
}

/// Accepts `connections` connections and echoes each in a task of its own.
async fn serve(listener: TcpListener, connections: usize) -> io::Result<()> {
    let mut handlers = Vec::new();
    for _ in 0..connections {
        let stream = accept(&listener).await?;
        handlers.push(spawn(echo(stream)));
    }
    for handler in handlers {
        handler.await?;
    }
    Ok(())
}

/// Client `n`: sends one line, and prints what comes back.
async fn client(address: SocketAddr, n: usize) -> io::Result<()> {
    // The shortcut of Part Three: `connect` blocks, briefly.
    let mut stream = TcpStream::connect(address)?;
    stream.set_nonblocking(true)?;
    write_all(&mut stream, format!("hello from client {n}").as_bytes()).await?;
    // "Nothing more from me": the server's next read after the line gets
    // `Ok(0)`, the end of the stream.
    stream.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::new();
    let mut buf = [0; 1024];
    loop {
        let n = read(&mut stream, &mut buf).await?;
        if n == 0 {
            break;
        }
        echoed.extend_from_slice(&buf[..n]);
    }
    println!("client {n} got back {:?}", String::from_utf8_lossy(&echoed));
    Ok(())
}
// starter: // ANCHOR_END: program
