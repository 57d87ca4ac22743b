//! The finished event loop of Part Three: non-blocking IO plus `poll(2)`.
//! Part Three (IO) builds it out of `busy_loop`; its server and ten
//! clients (`part3-io/poll_loop.rs`) and the part's exercises run on it,
//! and Part Five measures it.
//!
//! Parent stage: `busy_loop`.
//!
//! A future that meets `WouldBlock` no longer wakes itself; it registers
//! its socket, the events it waits for and its waker. When no task is
//! ready to run, the main loop hands every registered socket to the
//! kernel's `poll(2)`, with a timeout that ends at the earliest timer, and
//! the thread sleeps until a socket is ready or the timer is due. Only the
//! step where the main loop waits has changed, and the IO futures that
//! register for it.
//!
//! `block_on` runs a future to its end (and fails only if `poll(2)`
//! does), `spawn` starts a task and gives a `JoinHandle` to await its
//! output, and `sleep` waits without holding the thread.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use listings::poll_loop::{JoinHandle, block_on, sleep, spawn};
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
//! })?;
//! assert_eq!(sum, 60);
//! // Every task slept its 20 ms before it answered.
//! let elapsed = start.elapsed();
//! assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! `accept` waits for a connection on a non-blocking listener, and
//! `write_all` sends a whole buffer.
//!
//! ```
//! use std::io::Read;
//! use std::net::{TcpListener, TcpStream};
//! use listings::poll_loop::{accept, block_on, write_all};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! listener.set_nonblocking(true)?;
//! // The kernel completes the handshake before anyone accepts.
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! block_on(async {
//!     let mut stream = accept(&listener).await?;
//!     write_all(&mut stream, b"hello").await
//! })??;
//! let mut got = String::new();
//! client.read_to_string(&mut got)?;
//! assert_eq!(got, "hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! `poll_io` turns any non-blocking call on a descriptor into a future's
//! `Poll`, registering the descriptor with `poll(2)` while the call would
//! block, and `copy_to_stdout` reads a socket to its end.
//!
//! ```
//! use std::future::poll_fn;
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::os::fd::AsRawFd;
//! use std::time::Duration;
//! use listings::poll_loop::{block_on, copy_to_stdout, poll_io, sleep, spawn};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! let (mut server, _) = listener.accept()?;
//! server.set_nonblocking(true)?;
//! let received = block_on(async move {
//!     // The client speaks only after a while: until then, the read
//!     // meets `WouldBlock`, and the loop sleeps in `poll(2)`.
//!     spawn(async move {
//!         sleep(Duration::from_millis(20)).await;
//!         client.write_all(b"ping\n").unwrap();
//!     });
//!     let fd = server.as_raw_fd();
//!     let mut buf = [0; 16];
//!     let n = poll_fn(|cx| {
//!         poll_io(cx, fd, libc::POLLIN, server.read(&mut buf))
//!     })
//!     .await?;
//!     // The client is dropped by now: the copy meets the end at once.
//!     copy_to_stdout(server).await?;
//!     Ok::<_, std::io::Error>(buf[..n].to_vec())
//! })??;
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
//! use listings::poll_loop::{Sleep, sleep};
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

// ANCHOR: poll_block_on
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Waker;

use flag_executor::{FlagWaker, SPAWNED, Task, WOKEN};
use timers::wake_due_timers;

/// Runs `future` to completion, polling spawned tasks along the way.
/// Fails only if `poll(2)` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    let mut tasks: Vec<Task> = Vec::new();
    loop {
        // Clear the flag before polling, so that a wake-up that happens
        // during the polls below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        // Poll every task, new ones included, and drop those that are done.
        tasks.append(&mut SPAWNED.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        // Wait for a socket or a timer (not at all if a task was woken),
        // then wake whoever waited for them.
        wait_for_sockets_or_timer()?;
        wake_due_timers();
    }
}
// ANCHOR_END: poll_block_on

// ANCHOR: wait
use std::mem;
use std::time::Instant;

use timers::TIMERS;

/// Sleeps in `poll(2)` until a registered socket is ready or the earliest
/// timer is due, then wakes every registered waker.
fn wait_for_sockets_or_timer() -> io::Result<()> {
    // Lock order: `IO_WAITERS` first, then `TIMERS`. Both are held at once
    // here so that the timeout, the list of sockets and the check below
    // that something at all is waiting describe one moment. Whoever needs
    // both locks at once must take them in this same order: a thread that
    // held `TIMERS` and waited for `IO_WAITERS`, beside one that held
    // `IO_WAITERS` and waited for `TIMERS`, would both wait forever.
    let (waiters, next_timer) = {
        let mut io_waiters = IO_WAITERS.lock().unwrap();
        let timers = TIMERS.lock().unwrap();
        let next_timer = timers.keys().next().map(|&(at, _)| at);
        (mem::take(&mut *io_waiters), next_timer)
    };
    // Both locks are released before `poll(2)`: holding one while asleep
    // would stall any other thread that wanted to register.

    // How long `poll(2)` may sleep, in milliseconds; -1 means no limit.
    let timeout: libc::c_int = if WOKEN.load(Ordering::SeqCst) {
        // A task is ready to run: look at the sockets, but do not sleep.
        0
    } else if let Some(at) = next_timer {
        // Rounded down to whole milliseconds; Part Four looks at the cost.
        let left = at.saturating_duration_since(Instant::now()).as_millis();
        left.try_into().unwrap_or(libc::c_int::MAX)
    } else if !waiters.is_empty() {
        -1
    } else {
        panic!("every task waits, and nothing will ever wake one");
    };
    // ANCHOR_END: wait

    // ANCHOR: poll_and_wake
    // One `pollfd` per registration: the descriptor, the events we ask
    // about, and `revents`, which the kernel fills in with what happened.
    let mut fds: Vec<libc::pollfd> = waiters
        .iter()
        .map(|w| libc::pollfd {
            fd: w.fd,
            events: w.events,
            revents: 0,
        })
        .collect();
    // SAFETY: `fds` points to `fds.len()` initialised `pollfd`s that stay
    // alive, and that nothing else touches, until `poll` returns.
    let ready = unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout)
    };
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }

    // Wake every waiter, ready or not: a woken future simply tries again,
    // and if its socket is still not ready it meets `WouldBlock` and
    // registers anew. Waking too often is allowed; never waking is not.
    for waiter in waiters {
        waiter.waker.wake();
    }
    Ok(())
}
// ANCHOR_END: poll_and_wake

// Non-blocking IO, new in Part Three.

// ANCHOR: reactor
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;

/// One future waiting for one socket to become ready.
struct IoWaiter {
    /// The socket's file descriptor, the number `poll(2)` knows it by.
    fd: RawFd,
    /// `POLLIN` to wait until it can be read (or, for a listener, until a
    /// connection can be accepted); `POLLOUT` until it can be written.
    events: libc::c_short,
    /// The waker of the task to wake when it is ready.
    waker: Waker,
}

/// Everyone who met `WouldBlock` since the last call to `poll(2)`. IO
/// futures push here; the main loop takes the whole list on every turn and
/// wakes all of it, so each registration is used once.
static IO_WAITERS: Mutex<Vec<IoWaiter>> = Mutex::new(Vec::new());

/// Turns the result of a non-blocking call on `fd` into a `Poll`.
///
/// `WouldBlock` means "not now". Before returning `Pending`, the future
/// registers its waker with the socket and the events it waits for, so
/// that the main loop can sleep until the kernel says the socket is ready.
pub fn poll_io<T>(
    cx: &mut Context<'_>,
    fd: RawFd,
    events: libc::c_short,
    result: io::Result<T>,
) -> Poll<io::Result<T>> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            let waker = cx.waker().clone();
            let waiter = IoWaiter { fd, events, waker };
            IO_WAITERS.lock().unwrap().push(waiter);
            Poll::Pending
        }
        result => Poll::Ready(result),
    }
}
// ANCHOR_END: reactor

// ANCHOR: accept
/// Waits for the next connection on a non-blocking listener.
pub async fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    let fd = listener.as_raw_fd();
    let (stream, _) =
        poll_fn(|cx| poll_io(cx, fd, libc::POLLIN, listener.accept())).await?;
    // On Linux the new socket does not inherit non-blocking mode from the
    // listener, so it is switched on here for every connection.
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// Writes all of `buf`, however many writes the kernel needs for it.
pub async fn write_all(
    stream: &mut TcpStream,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        // A write may take only the first part of the buffer (as much as
        // fits in the socket's send buffer); the loop offers the rest.
        let n = poll_fn(|cx| {
            poll_io(cx, stream.as_raw_fd(), libc::POLLOUT, stream.write(buf))
        })
        .await?;
        if n == 0 {
            // Nothing was taken and nothing went wrong: trying again would
            // loop forever, so this becomes the error `io::Write` uses.
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Copies everything the peer sends to stdout, until it hangs up.
pub async fn copy_to_stdout(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = poll_fn(|cx| {
            poll_io(cx, stream.as_raw_fd(), libc::POLLIN, stream.read(&mut buf))
        })
        .await?;
        if n == 0 {
            // A read of zero bytes is the end of the stream: the peer has
            // closed its side, and no more data will ever come.
            return Ok(());
        }
        // Stdout stays blocking: a few bytes to a terminal or a pipe.
        io::stdout().write_all(&buf[..n])?;
    }
}
// ANCHOR_END: accept
