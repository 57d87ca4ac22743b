//! The runtime of `part4-only-ready`, in Part Four's first chapter: it
//! polls only the tasks that were woken, and `poll(2)` wakes only the tasks
//! whose sockets are ready.
//!
//! Each task is its own waker, and waking a task puts it on a ready queue,
//! once however often it is woken before its next poll. A future that
//! meets `WouldBlock` registers its waker for its socket and direction, and
//! the registration stays until `poll(2)` reports that socket ready in that
//! direction.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::time::Duration;
//! use listings::only_ready::{
//!     JoinHandle, Sleep, block_on, read, sleep, spawn, write_all,
//! };
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let address = listener.local_addr().unwrap();
//! let mut client = TcpStream::connect(address).unwrap();
//! let (mut stream, _) = listener.accept().unwrap();
//! stream.set_nonblocking(true).unwrap();
//! let echoed = block_on(async {
//!     let echo: JoinHandle<std::io::Result<usize>> = spawn(async move {
//!         let mut buf = [0; 16];
//!         let n = read(&mut stream, &mut buf).await?;
//!         write_all(&mut stream, &buf[..n]).await?;
//!         Ok::<_, std::io::Error>(n)
//!     });
//!     let nap: Sleep = sleep(Duration::from_millis(10));
//!     nap.await;
//!     // A blocking write of two bytes: it returns at once.
//!     client.write_all(b"hi").unwrap();
//!     echo.await
//! });
//! assert_eq!(echoed.unwrap().unwrap(), 2);
//! let mut back = [0; 2];
//! client.read_exact(&mut back).unwrap();
//! assert_eq!(&back, b"hi");
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

// Tasks and the ready queue.

// ANCHOR: task
/// A spawned task. It is shared, through an `Arc`, by the ready queue and
/// by every waker made from it: waking a task queues it.
struct Task {
    /// The future, until it has finished. Only the main loop locks it, to
    /// poll it.
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    /// True while the task sits in the ready queue, so that ten wake-ups
    /// before its next poll queue it once.
    queued: AtomicBool,
}

/// The tasks to poll on the next turn of the main loop.
static READY: Mutex<VecDeque<Arc<Task>>> = Mutex::new(VecDeque::new());

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            READY.lock().unwrap().push_back(Arc::clone(self));
        }
    }
}
// ANCHOR_END: task

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

// ANCHOR: spawn
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
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(async move {
            let output = future.await;
            // Store the output, then wake the awaiting task, if there is
            // one yet. The waker is taken out first so that it runs after
            // the lock is released.
            let waker = {
                let mut state = task_state.lock().unwrap();
                state.output = Some(output);
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }))),
        queued: AtomicBool::new(false),
    });
    // A new task is woken once, for its first poll.
    Waker::from(task).wake();
    JoinHandle { state }
}
// ANCHOR_END: spawn

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

// Timers: Part Two's table and `sleep`, unchanged.
pub use super::timers::{Sleep, sleep};
use super::timers::{TIMERS, wake_due_timers};

/// How long the loop may sleep before the earliest timer is due, in
/// whole milliseconds rounded up (-1: no timer, no limit). Rounding down
/// would wake the loop before the deadline, to find nothing to do.
fn milliseconds_to_next_timer() -> libc::c_int {
    let timers = TIMERS.lock().unwrap();
    match timers.keys().next() {
        Some(&(at, _)) => {
            let left = at.saturating_duration_since(Instant::now());
            let millis = left.as_nanos().div_ceil(1_000_000);
            millis.try_into().unwrap_or(libc::c_int::MAX)
        }
        None => -1,
    }
}

// The reactor: who waits for which socket, and the call to `poll(2)` that
// sleeps until one of them is ready.

// ANCHOR: reactor
/// The two directions a socket can be waited on.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// Who waits for one socket: a waker for each direction, or none.
#[derive(Default)]
struct Waiters {
    read: Option<Waker>,
    write: Option<Waker>,
}

impl Waiters {
    fn side(&mut self, direction: Direction) -> &mut Option<Waker> {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

/// Every socket that a future waits for, by descriptor. A waker stays
/// here until `poll(2)` reports its socket ready in its direction.
static IO_WAITERS: Mutex<BTreeMap<RawFd, Waiters>> =
    Mutex::new(BTreeMap::new());

/// Turns the result of a non-blocking call on `fd` into a `Poll`.
///
/// `WouldBlock` means "not now". Before returning `Pending`, the future
/// registers its waker for the socket and the direction it waits for.
fn poll_io<T>(
    cx: &mut Context<'_>,
    fd: RawFd,
    direction: Direction,
    result: io::Result<T>,
) -> Poll<io::Result<T>> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            // Insert, or replace the waker of an earlier poll, as a sleep
            // does in the timer table: one waiter per socket and direction.
            let mut io_waiters = IO_WAITERS.lock().unwrap();
            let waiters = io_waiters.entry(fd).or_default();
            *waiters.side(direction) = Some(cx.waker().clone());
            Poll::Pending
        }
        result => Poll::Ready(result),
    }
}
// ANCHOR_END: reactor

// ANCHOR: wait
/// Sleeps in `poll(2)` until a registered socket is ready or the earliest
/// timer is due, then wakes whoever waits for what is ready.
fn wait_for_events() -> io::Result<()> {
    // One `pollfd` per socket, asking about the directions it is waited on.
    let mut fds: Vec<libc::pollfd> = IO_WAITERS
        .lock()
        .unwrap()
        .iter()
        .map(|(&fd, waiters)| {
            let mut events = 0;
            if waiters.read.is_some() {
                events |= libc::POLLIN;
            }
            if waiters.write.is_some() {
                events |= libc::POLLOUT;
            }
            libc::pollfd {
                fd,
                events,
                revents: 0,
            }
        })
        .collect();
    let work_waiting =
        MAIN_WOKEN.load(Ordering::SeqCst) || !READY.lock().unwrap().is_empty();
    let timeout = if work_waiting {
        // A task is ready to run: look at the sockets, but do not sleep.
        0
    } else {
        milliseconds_to_next_timer()
    };
    if timeout < 0 && fds.is_empty() {
        panic!("every task waits, and nothing will ever wake one");
    }
    // SAFETY: `fds` points to `fds.len()` initialised `pollfd`s that stay
    // alive, and that nothing else touches, until `poll` returns.
    let ready = unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout)
    };
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    // ANCHOR_END: wait

    // ANCHOR: wake_the_ready
    let mut to_wake = Vec::new();
    {
        let mut io_waiters = IO_WAITERS.lock().unwrap();
        for fd in fds.iter().filter(|fd| fd.revents != 0) {
            let Some(waiters) = io_waiters.get_mut(&fd.fd) else {
                continue;
            };
            // A hang-up, an error, or a descriptor that is no longer open
            // (`POLLNVAL`) is news for both directions: the next read and
            // the next write return at once, with 0 or with the error.
            let failed = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
            let failed = fd.revents & failed != 0;
            if failed || fd.revents & libc::POLLIN != 0 {
                to_wake.extend(waiters.read.take());
            }
            if failed || fd.revents & libc::POLLOUT != 0 {
                to_wake.extend(waiters.write.take());
            }
            if waiters.read.is_none() && waiters.write.is_none() {
                io_waiters.remove(&fd.fd);
            }
        }
    }
    // Wake after the lock is released, as with the timers.
    for waker in to_wake {
        waker.wake();
    }
    Ok(())
}
// ANCHOR_END: wake_the_ready

// ANCHOR: block_on
/// "The future passed to `block_on` was woken."
static MAIN_WOKEN: AtomicBool = AtomicBool::new(false);

struct MainWaker;

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        MAIN_WOKEN.store(true, Ordering::SeqCst);
    }
}

/// Runs `future` to completion, polling spawned tasks when they are woken.
/// Fails only if `poll(2)` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(MainWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    MAIN_WOKEN.store(true, Ordering::SeqCst);
    loop {
        if MAIN_WOKEN.swap(false, Ordering::SeqCst)
            && let Poll::Ready(output) = main.as_mut().poll(&mut cx)
        {
            return Ok(output);
        }
        run_ready_tasks();
        wake_due_timers();
        wait_for_events()?;
    }
}

/// Polls the tasks that were ready when the turn began. A task woken
/// while they run waits for the next turn, so that a task that keeps
/// waking itself cannot starve the sockets and the timers.
fn run_ready_tasks() {
    let ready = mem::take(&mut *READY.lock().unwrap());
    for task in ready {
        // Cleared before the poll: a wake-up during the poll queues the
        // task again.
        task.queued.store(false, Ordering::SeqCst);
        let waker = Waker::from(Arc::clone(&task));
        let mut cx = Context::from_waker(&waker);
        let mut future = task.future.lock().unwrap();
        let Some(running) = future.as_mut() else {
            // Finished already; someone kept a waker and used it.
            continue;
        };
        if running.as_mut().poll(&mut cx).is_ready() {
            *future = None;
        }
    }
}
// ANCHOR_END: block_on

/// Waits for the next connection on a non-blocking listener.
pub async fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    let fd = listener.as_raw_fd();
    let (stream, _) =
        poll_fn(|cx| poll_io(cx, fd, Direction::Read, listener.accept()))
            .await?;
    // On Linux the new socket does not inherit non-blocking mode from the
    // listener, so it is switched on here for every connection.
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// Reads what has arrived, at most `buf.len()` bytes; 0 at the end.
pub async fn read(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| {
        poll_io(cx, stream.as_raw_fd(), Direction::Read, stream.read(buf))
    })
    .await
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
            poll_io(cx, stream.as_raw_fd(), Direction::Write, stream.write(buf))
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
