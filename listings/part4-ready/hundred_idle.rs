use std::future::poll_fn;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

// ANCHOR: handlers
// The program: a hundred handlers, a hundred clients, one byte.

/// How many connections the program opens.
const CONNECTIONS: usize = 100;

// Part Two's `counted`, and the count of polls it keeps.
include!("../part2-tasks/counted.rs");

/// Waits until the client sends something, and sends it back. Returns
/// how many bytes it echoed.
async fn handle(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0; 16];
    let n = read(&mut stream, &mut buf).await?;
    write_all(&mut stream, &buf[..n]).await?;
    Ok(n)
}
// ANCHOR_END: handlers

// ANCHOR: program
fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // The connections are made before the runtime starts, with blocking
    // calls: the kernel completes each handshake by itself, so `accept`
    // finds every connection waiting.
    let mut clients = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(TcpStream::connect(listener.local_addr()?)?);
        let (stream, _) = listener.accept()?;
        stream.set_nonblocking(true)?;
        streams.push(stream);
    }
    block_on(async {
        let mut handlers: Vec<_> = streams
            .into_iter()
            .map(|stream| spawn(counted(handle(stream))))
            .collect();
        // Each handler is polled in the turn that spawns it, finds nothing
        // to read and waits. The main future steps aside for exactly that
        // turn: it wakes itself and is pending once. (A sleep could end
        // before a slow turn did, and leave the count to chance.)
        let mut stepped_aside = false;
        poll_fn(|cx| {
            if stepped_aside {
                return Poll::Ready(());
            }
            stepped_aside = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        let before = POLLS.load(Ordering::Relaxed);
        // A blocking write of one byte into an empty send buffer: it
        // returns at once.
        clients[0].write_all(b"!")?;
        let n = handlers.swap_remove(0).await?;
        let after = POLLS.load(Ordering::Relaxed);
        println!("{CONNECTIONS} connections, {n} byte echoed on one of them");
        println!("handler polls before the byte: {before}");
        println!("handler polls for the byte: {}", after - before);
        Ok(())
    })?
}
// ANCHOR_END: program
