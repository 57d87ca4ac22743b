//! The runtime of `listings::only_ready` polls only the tasks that were
//! woken, and `poll(2)` wakes only the tasks whose sockets are ready.
//!
//! Each task is its own waker, and waking a task puts it on a ready queue,
//! once however often it is woken before its next poll. A future that
//! meets `WouldBlock` registers its waker for its socket and direction, and
//! the registration stays until `poll(2)` reports that socket ready in that
//! direction. The program is `part4-every-task`'s: a hundred idle
//! connections, one byte, and the handlers' polls counted.

use std::future::poll_fn;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use listings::only_ready::{block_on, read, sleep, spawn, write_all};

// The program: a hundred handlers, a hundred clients, one byte.

/// How many connections the program opens.
const CONNECTIONS: usize = 100;

/// How many times the handlers were polled, all of them together.
static POLLS: AtomicUsize = AtomicUsize::new(0);

/// Awaits `future`, counting every poll it receives.
async fn counted<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        POLLS.fetch_add(1, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}

/// Waits until the client sends something, and sends it back. Returns
/// how many bytes it echoed.
async fn handle(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0; 16];
    let n = read(&mut stream, &mut buf).await?;
    write_all(&mut stream, &buf[..n]).await?;
    Ok(n)
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:8000")?;
    // The connections are made before the runtime starts, with blocking
    // calls: the kernel completes each handshake by itself, so `accept`
    // finds every connection waiting.
    let mut clients = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(TcpStream::connect("127.0.0.1:8000")?);
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
        // to read and waits. No timer can be due before that turn is over.
        sleep(Duration::from_millis(100)).await;
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
