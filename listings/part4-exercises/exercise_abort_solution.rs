// The exercise's starter is made from this file: `cargo book assemble
// listings/part4-exercises/exercise_abort_starter.rs` prints it.
// solution: begin
//! Solution: abort a task of Part Four's runtime, and see its socket close.
//!
//! A server task answers each `ping` from a client with a `pong`. After
//! three of them, `main` aborts the task. The handle keeps a weak
//! reference to its task, and `abort` takes the task's future out and
//! drops it, wherever it waits: the task's socket is dropped with it,
//! leaving `epoll`'s interest list and closing, and the client's next read
//! finds the end of the stream. The runtime is `listings::abortable`, the
//! sturdy runtime with the handle that can abort.
// solution: end
// starter: //! Exercise: abort a task of Part Four's runtime, and see its socket
// starter: //! close.
// starter: //!
// starter: //! A server task answers each `ping` from a client with a `pong`. After
// starter: //! three of them, `main` aborts the task: its future must be dropped at
// starter: //! once, wherever it waits, and with it the task's socket, so that the
// starter: //! client's next read finds the connection closed. The runtime is
// starter: //! `listings::sturdy`, whose `JoinHandle::abort` is not written yet.

use std::io;
use std::net::TcpStream;

// solution: begin
use listings::abortable::{Async, block_on, spawn};
// solution: end
// starter: use listings::sturdy::{Async, JoinHandle, block_on, spawn};

// starter: // ANCHOR: exercise
// starter: impl<T> JoinHandle<T> {
// starter:     /// Stops the task at once, dropping its future wherever it waits, and
// starter:     /// everything the future owns with it. Aborting takes the handle: an
// starter:     /// aborted task has no output to await.
// starter:     pub fn abort(self) {
// starter:         todo!("drop the task's future")
// starter:     }
// starter: }
// starter: // ANCHOR_END: exercise
// starter:
// The program: a server task and a client, on this thread.

// ANCHOR: program
fn main() -> io::Result<()> {
    // Port 0: any free port. The client learns which from the listener.
    let listener = Async::bind("127.0.0.1:0")?;
    let address = listener.get_ref().local_addr()?;
    block_on(async move {
        // The shortcut of Part Three: a blocking connect. The kernel
        // completes it at once, before the server accepts.
        let client = Async::new(TcpStream::connect(address)?)?;
        let (stream, _) = listener.accept().await?;
        let server = spawn(pong(stream));
        for n in 1..=3 {
            client.write_all(format!("ping {n}\n").as_bytes()).await?;
            let reply = read_line(&client).await?;
            println!("client: sent ping {n}, got {}", reply.trim_end());
        }
        server.abort();
        println!("main: aborted the server's task");
        let mut buf = [0; 64];
        match client.read(&mut buf).await? {
            0 => println!("client: the server hung up"),
            n => println!("client: got {n} more bytes"),
        }
        Ok(())
    })?
}

/// Answers every `ping N` with `pong N`, until the client hangs up.
async fn pong(stream: Async<TcpStream>) -> io::Result<()> {
    loop {
        let line = read_line(&stream).await?;
        let Some(n) = line.trim_end().strip_prefix("ping ") else {
            return Ok(());
        };
        stream.write_all(format!("pong {n}\n").as_bytes()).await?;
    }
}

/// Reads one line, a byte at a time; an empty string at the end of the
/// stream.
async fn read_line(stream: &Async<TcpStream>) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0];
    while line.last() != Some(&b'\n') {
        if stream.read(&mut byte).await? == 0 {
            break;
        }
        line.push(byte[0]);
    }
    String::from_utf8(line).map_err(io::Error::other)
}
// ANCHOR_END: program
