//! The runtime of Part Four, grown up: it runs on `epoll` and survives
//! the faults a real server meets. Part Four's last programs, the sturdy
//! server and the ident server, run on it, and Part Five measures it.
//!
//! Tasks are polled only when woken: each task is its own waker, and
//! waking it puts it on a ready queue. Sockets are registered with `epoll`
//! once, when they are wrapped in `Async`, and the loop hears only about
//! the ones that are ready. Another thread can wake the loop through a
//! doorbell (an `eventfd`, or a pipe where there is none). The loop goes
//! on after a signal interrupts its wait and after a task panics; a task
//! that panics ends alone, and its join handle says so.
//!
//! ```
//! use std::time::Duration;
//! use listings::sturdy::{block_on, sleep, spawn};
//!
//! let answer = block_on(async {
//!     let task = spawn(async {
//!         sleep(Duration::from_millis(10)).await;
//!         6 * 7
//!     });
//!     task.await
//! });
//! assert_eq!(answer.unwrap(), 42);
//! ```

use std::collections::VecDeque;
use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

// Tasks and the ready queue.

/// A spawned task. It is shared, through an `Arc`, by the ready queue and
/// by every waker made from it: waking a task queues it.
struct Task {
    /// The future, until it has finished or panicked. Only the main loop
    /// locks it, to poll it.
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
    /// Set when the task is gone, with its output or without (a panic).
    done: bool,
    /// The waker of whoever awaits the handle.
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future. If that future
/// panicked, awaiting the handle panics too.
pub struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

// ANCHOR: completion
/// Marks the task done and wakes its awaiter when dropped: after the
/// output is stored, or during a panic, when there is none.
struct Completion<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.done = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

fn new_join_state<T>() -> (Completion<T>, JoinHandle<T>) {
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        done: false,
        waker: None,
    }));
    let completion = Completion {
        state: Arc::clone(&state),
    };
    (completion, JoinHandle { state })
}

/// Starts `future` as a task of its own, polled by the main loop.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (completion, handle) = new_join_state();
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(async move {
            let output = future.await;
            completion.state.lock().unwrap().output = Some(output);
        }))),
        queued: AtomicBool::new(false),
    });
    // A new task is woken once, for its first poll.
    Waker::from(task).wake();
    handle
}
// ANCHOR_END: completion

/// Runs `job` on a thread of its own, for work that would block the loop.
/// The thread completes the handle, and its waker rings the doorbell.
pub fn spawn_blocking<T, F>(job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (completion, handle) = new_join_state();
    thread::spawn(move || {
        let output = job();
        completion.state.lock().unwrap().output = Some(output);
    });
    handle
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.lock().unwrap();
        if let Some(output) = state.output.take() {
            Poll::Ready(output)
        } else if state.done {
            panic!("the awaited task panicked");
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

// Timers: Part Two's table, with one change. A sleep that is dropped
// before its deadline (a timeout that lost its race) takes its entry out,
// and leaves nothing behind to wake a task for nothing.
use super::timers::{self, TIMERS, wake_due_timers};

/// A future that is ready once its deadline has passed.
pub struct Sleep(timers::Sleep);

/// A `Sleep` that ends `duration` from now.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep(timers::sleep(duration))
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

// ANCHOR: sleep_drop
impl Drop for Sleep {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
// ANCHOR_END: sleep_drop

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
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
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

// ANCHOR: waiters
struct Side {
    ready: bool,
    /// Every task waiting for this direction, each once: several tasks
    /// may wait on one socket (three accepting on one listener).
    waiters: Vec<Waker>,
}

impl Side {
    /// Notes that the task of `waker` waits. The same task polling again
    /// replaces its waker rather than adding a second one.
    fn wait(&mut self, waker: &Waker) {
        match self.waiters.iter_mut().find(|w| w.will_wake(waker)) {
            Some(known) => known.clone_from(waker),
            None => self.waiters.push(waker.clone()),
        }
    }
}
// ANCHOR_END: waiters

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
            waiters: Vec::new(),
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
        let error = io::Error::last_os_error();
        // A signal handler ran while we slept. Nothing is lost: the loop
        // goes round and asks again.
        if error.kind() == io::ErrorKind::Interrupted {
            return Ok(());
        }
        return Err(error);
    }
    // SAFETY: the kernel initialised the first `count` events.
    unsafe { events.set_len(count as usize) };
    // ANCHOR_END: wait

    // ANCHOR: wake_the_ready
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
                to_wake.append(&mut source.read.waiters);
            }
            if failed || flags & libc::EPOLLOUT != 0 {
                source.write.ready = true;
                to_wake.append(&mut source.write.waiters);
            }
        }
    }
    // Wake after the registry's lock is released, as with the timers.
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
        budget::renew();
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
        // A panic ends this task, not the loop: the panic hook has
        // printed the message, the future is dropped (and with it the
        // task's sockets), and the other tasks go on.
        budget::renew();
        let poll = AssertUnwindSafe(|| running.as_mut().poll(&mut cx));
        match panic::catch_unwind(poll) {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(())) | Err(_) => *future = None,
        }
    }
}
// ANCHOR_END: block_on

// ANCHOR: budget
/// How many socket operations a task may make in one poll. A socket that
/// is always ready (a peer that sends faster than the task reads, a burst
/// of connections) never makes its task wait, and a task that never waits
/// never gives the loop back: past its budget, it yields instead.
mod budget {
    use std::cell::Cell;

    /// Operations per poll: enough to read a burst in one go, few enough
    /// that the other tasks and the timers wait milliseconds, not seconds.
    const OPERATIONS_PER_POLL: u32 = 32;

    thread_local! {
        static LEFT: Cell<u32> = const { Cell::new(OPERATIONS_PER_POLL) };
    }

    /// A full budget, for the task (or main future) about to be polled.
    pub(super) fn renew() {
        LEFT.set(OPERATIONS_PER_POLL);
    }

    /// Takes one operation from the budget; false if none was left.
    pub(super) fn spend_one() -> bool {
        let left = LEFT.get();
        LEFT.set(left.saturating_sub(1));
        left > 0
    }
}
// ANCHOR_END: budget

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
                    side.wait(cx.waker());
                    return Poll::Pending;
                }
                drop(readiness);
                // The task has done its share of operations for this
                // poll: it goes to the back of the ready queue, and the
                // socket stays ready for when its turn comes again.
                if !budget::spend_one() {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
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

// The program: a server that sends each client as many bytes as it asks
// for, until a signal tells it to stop.
