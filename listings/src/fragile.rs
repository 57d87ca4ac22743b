//! The epoll chapter's runtime, `epoll`, as the faults chapter finds it,
//! before its fixes: the runtime of `part4-fragile-server` and of
//! `part4-hangup-heard`. A signal that interrupts `epoll_wait` ends
//! `block_on` with an error, and a task that panics takes the loop down.
//! `sturdy` is this runtime with the faults handled.
//!
//! Its items are `pub`, as the sturdy runtime's are. `Async` also reads and
//! writes pipes, for the chapter's hang-up programs.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use listings::fragile::{Async, block_on, sleep, spawn, spawn_blocking};
//!
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let mut client = TcpStream::connect(address).unwrap();
//! let answer = block_on(async {
//!     let (stream, _) = listener.accept().await?;
//!     let echo = spawn(async move {
//!         let mut buf = [0; 16];
//!         let n = stream.read(&mut buf).await?;
//!         stream.write_all(&buf[..n]).await?;
//!         // `write` sends what the socket takes now: here, all of it.
//!         stream.write(b"!").await
//!     });
//!     sleep(Duration::from_millis(10)).await;
//!     // A blocking write of two bytes: it returns at once.
//!     client.write_all(b"hi").unwrap();
//!     echo.await?;
//!     // Work that would block the loop runs on a thread of its own.
//!     Ok::<_, std::io::Error>(spawn_blocking(|| 6 * 7).await)
//! });
//! assert_eq!(answer.unwrap().unwrap(), 42);
//! let mut back = [0; 3];
//! client.read_exact(&mut back).unwrap();
//! assert_eq!(&back, b"hi!");
//! ```
//!
//! `Async` wraps pipes as well as sockets.
//!
//! ```
//! use std::io;
//! use listings::fragile::{Async, block_on};
//!
//! let (reader, writer) = io::pipe().unwrap();
//! let reader = Async::new(reader).unwrap();
//! let writer = Async::new(writer).unwrap();
//! let got = block_on(async {
//!     writer.write_all(b"through the pipe").await?;
//!     let mut buf = [0; 64];
//!     let n = reader.read(&mut buf).await?;
//!     Ok::<_, io::Error>(buf[..n].to_vec())
//! });
//! assert_eq!(got.unwrap().unwrap(), b"through the pipe");
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

// Tasks and the ready queue.

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
            wake_the_loop();
        }
    }
}

/// What a task, or a blocking job, shares with its `JoinHandle`.
struct JoinState<T> {
    /// The output, once there is one.
    output: Option<T>,
    /// The waker of whoever awaits the handle.
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future.
pub struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

/// Stores `output` and wakes whoever awaits it, if anyone does yet. The
/// waker is taken out first so that it runs after the lock is released.
fn complete<T>(state: &Mutex<JoinState<T>>, output: T) {
    let waker = {
        let mut state = state.lock().unwrap();
        state.output = Some(output);
        state.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

fn new_join_state<T>() -> Arc<Mutex<JoinState<T>>> {
    Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }))
}

/// Starts `future` as a task of its own, polled by the main loop.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = new_join_state();
    let task_state = Arc::clone(&state);
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(async move {
            complete(&task_state, future.await);
        }))),
        queued: AtomicBool::new(false),
    });
    // A new task is woken once, for its first poll.
    Waker::from(task).wake();
    JoinHandle { state }
}

/// Runs `job` on a thread of its own, for work that would block the loop.
/// The thread completes the handle, and its waker rings the doorbell.
pub fn spawn_blocking<T, F>(job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let state = new_join_state();
    let thread_state = Arc::clone(&state);
    thread::spawn(move || complete(&thread_state, job()));
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

// Timers, as in Parts Two and Three.

/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// A future that is ready once its deadline has passed.
pub struct Sleep {
    deadline: Instant,
    id: u64,
}

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

impl Drop for Sleep {
    fn drop(&mut self) {
        // A sleep dropped before its deadline (a timeout that lost its
        // race) leaves no entry behind to wake a task for nothing.
        TIMERS.lock().unwrap().remove(&(self.deadline, self.id));
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

// The doorbell: how another thread wakes the loop.

/// A descriptor in the loop's interest list that any thread can make
/// readable. For an `eventfd` both ends are the same descriptor.
struct Doorbell {
    reader: File,
    writer: File,
}

/// Set while the loop sleeps, or is about to, in `epoll_wait`.
static LOOP_ASLEEP: AtomicBool = AtomicBool::new(false);

/// Makes sure the loop looks at the ready queue soon. Called after a task
/// was queued. Both this load and the loop's store are `SeqCst`: either
/// the loop sets the flag first, and the load here sees it, or the task
/// was queued first, and the loop sees it before choosing its timeout.
fn wake_the_loop() {
    if LOOP_ASLEEP.load(Ordering::SeqCst) {
        doorbell().ring();
    }
}

fn doorbell() -> &'static Doorbell {
    static DOORBELL: OnceLock<Doorbell> = OnceLock::new();
    DOORBELL.get_or_init(|| {
        let (reader, writer) = doorbell_fds().expect("no doorbell");
        Doorbell {
            reader: File::from(reader),
            writer: File::from(writer),
        }
    })
}

impl Doorbell {
    fn ring(&self) {
        match (&self.writer).write(&1u64.to_ne_bytes()) {
            // A full pipe, or an `eventfd` at its maximum, is ringing
            // already.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("cannot ring the doorbell: {e}"),
        }
    }

    /// Reads until nothing is left, so that the bell stops ringing.
    fn silence(&self) {
        let mut buf = [0; 8];
        loop {
            match (&self.reader).read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => panic!("cannot read the doorbell: {e}"),
            }
        }
    }
}

/// An `eventfd`: one descriptor, a counter in the kernel.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn doorbell_fds() -> io::Result<(OwnedFd, OwnedFd)> {
    // SAFETY: `eventfd` takes no pointers.
    let fd =
        unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok((fd.try_clone()?, fd))
}

/// A pipe, where there is no `eventfd`: bytes written to one end make the
/// other readable.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn doorbell_fds() -> io::Result<(OwnedFd, OwnedFd)> {
    let (reader, writer) = io::pipe()?;
    let (reader, writer) = (OwnedFd::from(reader), OwnedFd::from(writer));
    set_nonblocking(reader.as_raw_fd())?;
    set_nonblocking(writer.as_raw_fd())?;
    Ok((reader, writer))
}

// The reactor: sockets registered with `epoll`, found again by token.

/// What the loop knows about one registered socket, for each direction:
/// whether it can be read (written) without blocking, and who waits to.
struct Readiness {
    read: Side,
    write: Side,
}

struct Side {
    ready: bool,
    waiter: Option<Waker>,
}

impl Readiness {
    fn side(&mut self, direction: Direction) -> &mut Side {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

/// The two directions a socket can be waited on.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// The `epoll` instance and the registrations, indexed by token: the
/// number each registration gave `epoll` to hand back with its events.
struct Reactor {
    epoll: OwnedFd,
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    sources: Vec<Option<Arc<Mutex<Readiness>>>>,
    /// Tokens of deregistered sockets, to use again.
    free: Vec<usize>,
}

/// The doorbell's token: never a registry index.
const DOORBELL_TOKEN: u64 = u64::MAX;

fn reactor() -> &'static Reactor {
    static REACTOR: OnceLock<Reactor> = OnceLock::new();
    REACTOR.get_or_init(|| Reactor::new().expect("no epoll instance"))
}

impl Reactor {
    fn new() -> io::Result<Reactor> {
        // SAFETY: `epoll_create1` takes no pointers.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `epoll` is a new descriptor that nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        let reactor = Reactor {
            epoll,
            registry: Mutex::new(Registry::default()),
        };
        // The doorbell is level-triggered: it reports until silenced.
        let bell = doorbell().reader.as_raw_fd();
        reactor.control(
            libc::EPOLL_CTL_ADD,
            bell,
            libc::EPOLLIN,
            DOORBELL_TOKEN,
        )?;
        Ok(reactor)
    }

    fn control(
        &self,
        op: libc::c_int,
        fd: RawFd,
        events: libc::c_int,
        token: u64,
    ) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: events as u32,
            u64: token,
        };
        // SAFETY: `event` is valid for the call; the kernel copies it.
        let result = unsafe {
            libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event)
        };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Registers `fd` once, for both directions, edge-triggered: `epoll`
    /// reports a change of readiness once, and the socket's futures read
    /// and write until `WouldBlock` before they wait again.
    fn register(
        &self,
        fd: RawFd,
    ) -> io::Result<(usize, Arc<Mutex<Readiness>>)> {
        // Ready until proven otherwise: the first read or write just tries.
        let side = || Side {
            ready: true,
            waiter: None,
        };
        let readiness = Arc::new(Mutex::new(Readiness {
            read: side(),
            write: side(),
        }));
        let token = {
            let mut registry = self.registry.lock().unwrap();
            let token = match registry.free.pop() {
                Some(token) => token,
                None => {
                    registry.sources.push(None);
                    registry.sources.len() - 1
                }
            };
            registry.sources[token] = Some(Arc::clone(&readiness));
            token
        };
        let interest = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP;
        let events = interest | libc::EPOLLET;
        if let Err(e) =
            self.control(libc::EPOLL_CTL_ADD, fd, events, token as u64)
        {
            self.forget(token);
            return Err(e);
        }
        Ok((token, readiness))
    }

    /// Removes `fd` from the interest list, before it is closed.
    fn deregister(&self, fd: RawFd, token: usize) {
        // Closing the descriptor would remove it too, unless a duplicate
        // of it is still open somewhere; removing it first is certain.
        let _ = self.control(libc::EPOLL_CTL_DEL, fd, 0, 0);
        self.forget(token);
    }

    fn forget(&self, token: usize) {
        let mut registry = self.registry.lock().unwrap();
        registry.sources[token] = None;
        registry.free.push(token);
    }
}

// ANCHOR: wait
/// How many events one `epoll_wait` may return; more wait for the next.
const EVENTS_PER_WAIT: usize = 1024;

/// Sleeps in `epoll_wait` until a socket is ready, the doorbell rings or
/// the earliest timer is due, then wakes whoever waits for what is ready.
fn wait_for_events(events: &mut Vec<libc::epoll_event>) -> io::Result<()> {
    LOOP_ASLEEP.store(true, Ordering::SeqCst);
    let work_waiting =
        MAIN_WOKEN.load(Ordering::SeqCst) || !READY.lock().unwrap().is_empty();
    let timeout = if work_waiting {
        0
    } else {
        milliseconds_to_next_timer()
    };
    events.clear();
    // SAFETY: the kernel writes at most `capacity` events into the
    // vector's spare capacity, and returns how many it wrote.
    let count = unsafe {
        libc::epoll_wait(
            reactor().epoll.as_raw_fd(),
            events.as_mut_ptr(),
            events.capacity() as libc::c_int,
            timeout,
        )
    };
    LOOP_ASLEEP.store(false, Ordering::SeqCst);
    if count < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel initialised the first `count` events.
    unsafe { events.set_len(count as usize) };

    // ANCHOR: events
    let mut to_wake = Vec::new();
    {
        let registry = reactor().registry.lock().unwrap();
        for event in events.iter() {
            // Copy the fields: `epoll_event` is packed on some targets.
            let (flags, token) = (event.events as libc::c_int, event.u64);
            if token == DOORBELL_TOKEN {
                doorbell().silence();
                continue;
            }
            let Some(Some(source)) = registry.sources.get(token as usize)
            else {
                continue;
            };
            let mut source = source.lock().unwrap();
            // A hang-up or an error is news for both directions: the next
            // read returns 0 or the error, and so does the next write.
            let failed = flags & (libc::EPOLLHUP | libc::EPOLLERR) != 0;
            let readable = libc::EPOLLIN | libc::EPOLLRDHUP;
            if failed || flags & readable != 0 {
                source.read.ready = true;
                to_wake.extend(source.read.waiter.take());
            }
            if failed || flags & libc::EPOLLOUT != 0 {
                source.write.ready = true;
                to_wake.extend(source.write.waiter.take());
            }
        }
    }
    // ANCHOR_END: events
    // Wake after the registry's lock is released, as with the timers.
    for waker in to_wake {
        waker.wake();
    }
    Ok(())
}
// ANCHOR_END: wait

// ANCHOR: block_on
/// "The future passed to `block_on` was woken."
static MAIN_WOKEN: AtomicBool = AtomicBool::new(false);

struct MainWaker;

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        MAIN_WOKEN.store(true, Ordering::SeqCst);
        wake_the_loop();
    }
}

/// Runs `future` to completion, polling spawned tasks when they are woken.
/// Fails only if `epoll_wait` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(MainWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    let mut events = Vec::with_capacity(EVENTS_PER_WAIT);
    MAIN_WOKEN.store(true, Ordering::SeqCst);
    loop {
        if MAIN_WOKEN.swap(false, Ordering::SeqCst)
            && let Poll::Ready(output) = main.as_mut().poll(&mut cx)
        {
            return Ok(output);
        }
        run_ready_tasks();
        wake_due_timers();
        wait_for_events(&mut events)?;
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
            // Dropping the future drops whatever it still owned, its
            // sockets included, which deregisters them.
            *future = None;
        }
    }
}
// ANCHOR_END: block_on

/// A socket (or any descriptor) in non-blocking mode, registered with the
/// loop for as long as it lives.
pub struct Async<T: AsRawFd> {
    inner: T,
    token: usize,
    readiness: Arc<Mutex<Readiness>>,
}

impl<T: AsRawFd> Async<T> {
    pub fn new(inner: T) -> io::Result<Async<T>> {
        set_nonblocking(inner.as_raw_fd())?;
        let (token, readiness) = reactor().register(inner.as_raw_fd())?;
        Ok(Async {
            inner,
            token,
            readiness,
        })
    }

    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Runs `op` until it does something other than meet `WouldBlock`,
    /// waiting for `direction` to become ready in between.
    async fn run<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| {
            loop {
                let mut readiness = self.readiness.lock().unwrap();
                let side = readiness.side(direction);
                if !side.ready {
                    side.waiter = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                drop(readiness);
                match op(&self.inner) {
                    // Not ready after all: remember it, and wait for the
                    // next edge. Only this thread handles events, so none
                    // can arrive between the call and this note.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let mut readiness = self.readiness.lock().unwrap();
                        readiness.side(direction).ready = false;
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
        .await
    }
}

impl<T: AsRawFd> Drop for Async<T> {
    fn drop(&mut self) {
        reactor().deregister(self.inner.as_raw_fd(), self.token);
    }
}

/// Switches `fd` to non-blocking mode.
fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: `fcntl` with these commands takes no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    let result =
        unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Async<TcpListener> {
    pub fn bind(address: &str) -> io::Result<Async<TcpListener>> {
        Async::new(TcpListener::bind(address)?)
    }

    /// Waits for the next connection.
    pub async fn accept(&self) -> io::Result<(Async<TcpStream>, SocketAddr)> {
        let (stream, peer) = self
            .run(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((Async::new(stream)?, peer))
    }
}

impl Async<TcpStream> {
    /// Reads what has arrived, at most `buf.len()` bytes; 0 at the end.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.run(Direction::Read, |mut stream| stream.read(buf))
            .await
    }

    /// Writes some of `buf`, as much as the socket takes now.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.run(Direction::Write, |mut stream| stream.write(buf))
            .await
    }

    /// Writes all of `buf`, however many writes the kernel needs for it.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

// Pipes, for the hang-up programs of this chapter.

impl Async<io::PipeReader> {
    /// Reads what is in the pipe, at most `buf.len()` bytes; 0 at the end.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.run(Direction::Read, |mut pipe| pipe.read(buf)).await
    }
}

impl Async<io::PipeWriter> {
    /// Writes all of `buf`, waiting whenever the pipe is full.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self
                .run(Direction::Write, |mut pipe| pipe.write(buf))
                .await?;
            buf = &buf[n..];
        }
        Ok(())
    }
}
