//! The runtime of Part Three's first event loop: the runtime from the end
//! of Part Two, taught to do network IO. Part Three (IO) builds it, and its
//! server and ten clients run on it (`part3-io/busy_loop.rs`).
//!
//! Every socket is in non-blocking mode: a call that cannot finish at once
//! returns `WouldBlock` instead of stopping the thread. What the runtime
//! still lacks is a way to sleep until a socket is ready, so a future that
//! meets `WouldBlock` wakes itself straight away and the main loop goes
//! round again, and again: right in what it does, but while anything waits
//! for a socket, one core runs flat out. `poll_loop` is the same runtime
//! with that fixed.
//!
//! `block_on` runs a future to its end, `spawn` starts a task and gives a
//! `JoinHandle` to await its output, and `sleep` waits without holding the
//! thread.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use listings::busy_loop::{JoinHandle, block_on, sleep, spawn};
//!
//! let start = Instant::now();
//! let sum = block_on(async {
//!     let tasks: Vec<JoinHandle<u64>> = (1..=3)
//!         .map(|n| {
//!             spawn(async move {
//!                 sleep(Duration::from_millis(20)).await;
//!                 n * 10
//!             })
//!         })
//!         .collect();
//!     let mut sum = 0;
//!     for task in tasks {
//!         sum += task.await;
//!     }
//!     sum
//! });
//! assert_eq!(sum, 60);
//! // Every task slept its 20 ms before it answered.
//! let elapsed = start.elapsed();
//! assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
//! ```
//!
//! `accept` waits for a connection on a non-blocking listener, and
//! `write_all` sends a whole buffer.
//!
//! ```
//! use std::io::Read;
//! use std::net::{TcpListener, TcpStream};
//! use listings::busy_loop::{accept, block_on, write_all};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! listener.set_nonblocking(true)?;
//! // The kernel completes the handshake before anyone accepts.
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! block_on(async {
//!     let mut stream = accept(&listener).await?;
//!     write_all(&mut stream, b"hello").await
//! })?;
//! let mut got = String::new();
//! client.read_to_string(&mut got)?;
//! assert_eq!(got, "hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! `poll_io` turns any non-blocking call into a future's `Poll`, and
//! `copy_to_stdout` reads a socket to its end.
//!
//! ```
//! use std::future::poll_fn;
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::time::Duration;
//! use listings::busy_loop::{block_on, copy_to_stdout, poll_io, sleep, spawn};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! let (mut server, _) = listener.accept()?;
//! server.set_nonblocking(true)?;
//! let received = block_on(async move {
//!     // The client speaks only after a while: until then, the read
//!     // meets `WouldBlock`, and the future is `Pending`.
//!     spawn(async move {
//!         sleep(Duration::from_millis(20)).await;
//!         client.write_all(b"ping\n").unwrap();
//!     });
//!     let mut buf = [0; 16];
//!     let n = poll_fn(|cx| poll_io(cx, server.read(&mut buf))).await?;
//!     // The client is dropped by now: the copy meets the end at once.
//!     copy_to_stdout(server).await?;
//!     Ok::<_, std::io::Error>(buf[..n].to_vec())
//! })?;
//! assert_eq!(received, b"ping\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! `sleep` returns a `Sleep`, a future whose time counts from the call, not
//! from its first poll: polled once its duration has passed, it is ready at
//! once, and before that it is pending.
//!
//! ```
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Waker};
//! use std::time::Duration;
//! use listings::busy_loop::{Sleep, sleep};
//!
//! let mut cx = Context::from_waker(Waker::noop());
//! let mut nap: Sleep = sleep(Duration::from_millis(10));
//! let mut long: Sleep = sleep(Duration::from_secs(60));
//! std::thread::sleep(Duration::from_millis(10));
//! assert_eq!(Pin::new(&mut nap).poll(&mut cx), Poll::Ready(()));
//! assert_eq!(Pin::new(&mut long).poll(&mut cx), Poll::Pending);
//! ```

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::task::{Context, Poll};

// The runtime of Part Two, as Part Two left it: tasks, join handles, one
// shared waker, and timers.
use super::flag_executor;
use super::join_handle;
use super::timers;

pub use flag_executor::spawn;
pub use join_handle::JoinHandle;
pub use timers::{Sleep, sleep};

// Its main loop too, which polls every task on every turn and, when nobody
// was woken, sleeps until the next timer.
pub use flag_executor::block_on;

// Non-blocking IO, new in Part Three.

// ANCHOR: poll_io
/// Turns the result of a non-blocking call into a `Poll`.
///
/// `WouldBlock` means "not now". Returning `Pending` is only allowed after
/// arranging to be polled again, and nothing tells us yet when the socket
/// will be ready, so the future wakes itself at once: busy waiting.
pub fn poll_io<T>(
    cx: &mut Context<'_>,
    result: io::Result<T>,
) -> Poll<io::Result<T>> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        result => Poll::Ready(result),
    }
}
// ANCHOR_END: poll_io

// ANCHOR: accept
/// Waits for the next connection on a non-blocking listener.
pub async fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    let (stream, _) = poll_fn(|cx| poll_io(cx, listener.accept())).await?;
    // On Linux the new socket does not inherit non-blocking mode from the
    // listener, so it is switched on here for every connection.
    stream.set_nonblocking(true)?;
    Ok(stream)
}
// ANCHOR_END: accept

// ANCHOR: write_all
/// Writes all of `buf`, however many writes the kernel needs for it.
pub async fn write_all(
    stream: &mut TcpStream,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        // A write may take only the first part of the buffer (as much as
        // fits in the socket's send buffer); the loop offers the rest.
        let n = poll_fn(|cx| poll_io(cx, stream.write(buf))).await?;
        if n == 0 {
            // Nothing was taken and nothing went wrong: trying again would
            // loop forever, so this becomes the error `io::Write` uses.
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}
// ANCHOR_END: write_all

// ANCHOR: copy
/// Copies everything the peer sends to stdout, until it hangs up.
pub async fn copy_to_stdout(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = poll_fn(|cx| poll_io(cx, stream.read(&mut buf))).await?;
        if n == 0 {
            // A read of zero bytes is the end of the stream: the peer has
            // closed its side, and no more data will ever come.
            return Ok(());
        }
        // Stdout stays blocking: a few bytes to a terminal or a pipe.
        io::stdout().write_all(&buf[..n])?;
    }
}
// ANCHOR_END: copy
