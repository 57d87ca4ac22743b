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

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{TcpListener, TcpStream};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

// The runtime of Part Two: tasks, join handles, one shared waker, timers,
// and a main loop that polls every task on every turn.

/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

/// "Someone was woken, poll again." Every waker sets it; the main loop
/// clears it before each round of polls and reads it after.
static WOKEN: AtomicBool = AtomicBool::new(false);

/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// The one waker that every task shares. Since the main loop polls every
/// task on every turn, waking only has to say that a turn is needed.
struct FlagWaker;

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        WOKEN.store(true, Ordering::SeqCst);
    }
}

/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
struct JoinState<T> {
    output: Option<T>,
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future.
pub struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

/// Starts `future` as a task of its own, polled by the main loop.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }));
    let task_state = Arc::clone(&state);
    let task = async move {
        let output = future.await;
        // Store the output, then wake the awaiting task, if there is one
        // yet. The waker is taken out first so that it runs after the lock
        // is released.
        let waker = {
            let mut state = task_state.lock().unwrap();
            state.output = Some(output);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    SPAWNED.lock().unwrap().push(Box::pin(task));
    // The new task needs its first poll.
    WOKEN.store(true, Ordering::SeqCst);
    JoinHandle { state }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A future that is ready once its deadline has passed.
pub struct Sleep {
    deadline: Instant,
    id: u64,
}

/// A future that is ready once `duration` has passed. The thread is not
/// held: other tasks run meanwhile.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        id: NEXT_TIMER_ID.fetch_add(1, Ordering::Relaxed),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Insert, or replace the waker of an earlier poll: the latest waker
        // is the one that must be woken.
        let key = (self.deadline, self.id);
        TIMERS.lock().unwrap().insert(key, cx.waker().clone());
        Poll::Pending
    }
}

// ANCHOR: block_on
/// Runs `future` to completion, polling spawned tasks along the way.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    let mut tasks: Vec<Task> = Vec::new();
    loop {
        // Clear the flag before polling, so that a wake-up that happens
        // during the polls below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return output;
        }
        // Poll every task, new ones included, and drop those that are done.
        tasks.append(&mut SPAWNED.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        // If nobody was woken, nothing can happen before the next timer.
        if !WOKEN.load(Ordering::SeqCst) {
            sleep_until_next_timer();
        }
        wake_due_timers();
    }
}
// ANCHOR_END: block_on

use std::thread;

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("every task waits, and nothing will ever wake one"),
    }
}

/// Removes every timer whose deadline has passed and wakes its task.
fn wake_due_timers() {
    let due = {
        let mut timers = TIMERS.lock().unwrap();
        // `split_off` keeps the keys below (now, u64::MAX) in `timers` and
        // returns the rest: the due timers stay, the later ones go back.
        let later = timers.split_off(&(Instant::now(), u64::MAX));
        mem::replace(&mut *timers, later)
    };
    // Wake only after the lock is released: a waker is someone else's code,
    // and if it set a timer of its own it would wait for `TIMERS` forever.
    for waker in due.into_values() {
        waker.wake();
    }
}

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
