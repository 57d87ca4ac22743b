//! Part Four's last program, the ident server, on a tuned runtime: the
//! runtime of `sturdy_server.rs` with three changes that Part Five's
//! profile of the echo benchmark called for, and nothing else changed.
//!
//! - A read that returns fewer bytes than it asked for has emptied the
//!   socket's receive queue (epoll(7) says so for stream sockets): the
//!   socket is noted as not ready at once, instead of by a second read
//!   that only meets `WouldBlock`. Not after the peer closed: that edge
//!   comes once, and the next read must still find the end.
//! - `Async::run` takes the registration's lock once per poll, not once
//!   per note.
//! - The loop keeps its ready queue's memory and its list of wakers from
//!   one turn to the next instead of allocating them again.
//!
//! Run without arguments, it starts the server and three clients and
//! prints what the clients were told. `serve [IDLE_SECONDS]` runs only the
//! server, until it is stopped. The items are `pub` because Part Five's
//! benchmarks include this file as a module and use them as they are.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
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

// ANCHOR: readiness
/// What the loop knows about one registered socket, for each direction:
/// whether it can be read (written) without blocking, and who waits to.
struct Readiness {
    read: Side,
    write: Side,
}

struct Side {
    ready: bool,
    waiter: Option<Waker>,
    /// The peer has closed this direction, or the socket failed. The
    /// kernel says so once, with an edge that will not come again.
    closed: bool,
}
// ANCHOR_END: readiness

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
            closed: false,
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

/// How many events one `epoll_wait` may return; more wait for the next.
const EVENTS_PER_WAIT: usize = 1024;

// ANCHOR: events
/// Sleeps in `epoll_wait` until a socket is ready, the doorbell rings or
/// the earliest timer is due, then wakes whoever waits for what is ready.
fn wait_for_events(
    events: &mut Vec<libc::epoll_event>,
    to_wake: &mut Vec<Waker>,
) -> io::Result<()> {
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
            if failed || flags & libc::EPOLLRDHUP != 0 {
                source.read.closed = true;
            }
            if failed {
                source.write.closed = true;
            }
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
    // Wake after the registry's lock is released, as with the timers.
    for waker in to_wake.drain(..) {
        waker.wake();
    }
    Ok(())
}
// ANCHOR_END: events

/// "The future passed to `block_on` was woken."
static MAIN_WOKEN: AtomicBool = AtomicBool::new(false);

struct MainWaker;

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        MAIN_WOKEN.store(true, Ordering::SeqCst);
        wake_the_loop();
    }
}

// ANCHOR: loop
/// Runs `future` to completion, polling spawned tasks when they are woken.
/// Fails only if `epoll_wait` fails.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let waker = Waker::from(Arc::new(MainWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    // Allocated once: each turn of the loop reuses them.
    let mut events = Vec::with_capacity(EVENTS_PER_WAIT);
    let mut to_wake = Vec::with_capacity(EVENTS_PER_WAIT);
    let mut batch = VecDeque::new();
    MAIN_WOKEN.store(true, Ordering::SeqCst);
    loop {
        if MAIN_WOKEN.swap(false, Ordering::SeqCst)
            && let Poll::Ready(output) = main.as_mut().poll(&mut cx)
        {
            return Ok(output);
        }
        run_ready_tasks(&mut batch);
        wake_due_timers();
        wait_for_events(&mut events, &mut to_wake)?;
    }
}

/// Polls the tasks that were ready when the turn began. A task woken
/// while they run waits for the next turn, so that a task that keeps
/// waking itself cannot starve the sockets and the timers.
///
/// The tasks change places with `batch`, which is empty: the queue keeps
/// the memory the last turn's tasks used, and wake-ups need not allocate.
fn run_ready_tasks(batch: &mut VecDeque<Arc<Task>>) {
    mem::swap(batch, &mut *READY.lock().unwrap());
    for task in batch.drain(..) {
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
        let poll = AssertUnwindSafe(|| running.as_mut().poll(&mut cx));
        match panic::catch_unwind(poll) {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(())) | Err(_) => *future = None,
        }
    }
}
// ANCHOR_END: loop

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

    // ANCHOR: run
    /// Runs `op` until it does something other than meet `WouldBlock`,
    /// waiting for `direction` to become ready in between. `emptied`
    /// tells from a result that the kernel has nothing more for now, so
    /// that calling `op` again would only meet `WouldBlock`.
    async fn run<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
        emptied: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        poll_fn(|cx| {
            // Held across `op`: only the loop's thread takes this lock, so
            // nobody waits for it, and taking it once is cheaper than
            // taking it again for every note.
            let mut readiness = self.readiness.lock().unwrap();
            let side = readiness.side(direction);
            loop {
                if !side.ready {
                    side.waiter = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                // A note that the socket is not ready waits for the next
                // edge. Only this thread handles events, so none can
                // arrive between the call and the note. After a close the
                // last edge has come: the next call must still be made, to
                // find the end.
                match op(&self.inner) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        side.ready = false;
                    }
                    Ok(done) if emptied(&done) && !side.closed => {
                        side.ready = false;
                        return Poll::Ready(Ok(done));
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
        .await
    }
    // ANCHOR_END: run
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
            .run(Direction::Read, |listener| listener.accept(), |_| false)
            .await?;
        Ok((Async::new(stream)?, peer))
    }
}

// ANCHOR: read
impl Async<TcpStream> {
    /// Reads what has arrived, at most `buf.len()` bytes; 0 at the end.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // Fewer bytes than asked for: the receive queue is empty now
        // (epoll(7) says so for stream sockets).
        let wanted = buf.len();
        let emptied = |&n: &usize| 0 < n && n < wanted;
        self.run(Direction::Read, |mut stream| stream.read(buf), emptied)
            .await
    }

    /// Writes some of `buf`, as much as the socket takes now.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.run(Direction::Write, |mut stream| stream.write(buf), |_| false)
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
// ANCHOR_END: read

// Streams: futures that yield many values.

use std::ffi::CStr;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;

/// A source of values that arrive one at a time: the many-valued cousin
/// of `Future`. `poll_next` returns `Ready(Some(item))` for each value,
/// `Pending` (after arranging a wake-up) while the next one is not there
/// yet, and `Ready(None)` once there will be no more.
pub trait Stream {
    type Item;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>>;

    /// A future for the next value: `while let Some(x) = s.next().await`.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin + Sized,
    {
        Next { stream: self }
    }
}

/// The future that `Stream::next` returns.
pub struct Next<'a, S> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

/// Something to read bytes from that returns `Pending` instead of
/// blocking, and wakes the task when it is worth trying again.
pub trait AsyncRead {
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
}

/// Something to write bytes to, in the same way.
pub trait AsyncWrite {
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;
}

// The runtime's `read` and `write` futures keep nothing between polls:
// whether the socket is ready, and who waits for it, is kept in its
// registration. So polling a new future each time is the same as polling
// one future again.
impl AsyncRead for &Async<TcpStream> {
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        pin!(self.read(buf)).poll(cx)
    }
}

impl AsyncWrite for &Async<TcpStream> {
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        pin!(self.write(buf)).poll(cx)
    }
}

/// Writes all of `buf`. A write may take only part of it; the rest waits,
/// in this future, for the socket to make room.
pub async fn write_all(
    writer: &mut impl AsyncWrite,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| writer.poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// The lines that arrive on `reader`, without their line ends (LF, or CR
/// LF). A line that does not end within `max` bytes is an error, and so
/// is a last line that the peer never finished; after an error, the
/// stream ends.
pub struct Lines<R> {
    reader: R,
    /// Bytes read but not returned yet: the start of a line whose end has
    /// not arrived, or whole lines waiting for their turn. Never more
    /// than `max` bytes, and nothing at all on an idle connection.
    buffer: Vec<u8>,
    /// How many bytes at the front of `buffer` hold no line end, so that
    /// each byte is searched only once.
    searched: usize,
    max: usize,
    finished: bool,
}

impl<R> Lines<R> {
    pub fn new(reader: R, max: usize) -> Lines<R> {
        Lines {
            reader,
            buffer: Vec::new(),
            searched: 0,
            max,
            finished: false,
        }
    }

    fn fail(&mut self, error: io::Error) -> Poll<Option<io::Result<Vec<u8>>>> {
        self.finished = true;
        Poll::Ready(Some(Err(error)))
    }
}

impl<R: AsyncRead + Unpin> Stream for Lines<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Vec<u8>>>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            // A whole line in the buffer: cut it off and return it.
            let unsearched = &this.buffer[this.searched..];
            if let Some(at) = unsearched.iter().position(|&b| b == b'\n') {
                // The line keeps the buffer's memory, and what follows it
                // moves to a new buffer of its size: nothing, usually.
                let rest = this.buffer.split_off(this.searched + at + 1);
                let mut line = mem::replace(&mut this.buffer, rest);
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                this.searched = 0;
                return Poll::Ready(Some(Ok(line)));
            }
            this.searched = this.buffer.len();
            // No line end in `max` bytes: stop reading instead of growing.
            let room = this.max - this.buffer.len();
            if room == 0 {
                let message = format!("no line end in {} bytes", this.max);
                return this
                    .fail(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            // Read into a scratch buffer on the stack, which lives only for
            // this call, and keep what came.
            let mut chunk = [0; 512];
            let chunk = &mut chunk[..room.min(512)];
            let n = match this.reader.poll_read(cx, chunk) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return this.fail(e),
            };
            if n == 0 {
                // The end of the stream. Bytes after the last line end
                // are a line that was never finished.
                if this.buffer.is_empty() {
                    this.finished = true;
                    return Poll::Ready(None);
                }
                return this.fail(io::ErrorKind::UnexpectedEof.into());
            }
            this.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

// The ident protocol, RFC 1413.

/// The two ports that a query names: the connection's port on this
/// machine, where the ident server runs, and its port on the client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortPair {
    pub server: u16,
    pub client: u16,
}

/// A query that names no connection. The reply repeats the two numbers
/// it did give, or `0, 0` if it gave no two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidPort {
    pub server: u32,
    pub client: u32,
}

/// Reads a query, `<port-on-server> , <port-on-client>`, from one line
/// (without its line end). Any bytes at all are a valid argument.
pub fn parse_query(line: &[u8]) -> Result<PortPair, InvalidPort> {
    let no_numbers = InvalidPort {
        server: 0,
        client: 0,
    };
    let Some(comma) = line.iter().position(|&b| b == b',') else {
        return Err(no_numbers);
    };
    let (before, after) = (&line[..comma], &line[comma + 1..]);
    let (Some(server), Some(client)) = (number(before), number(after)) else {
        return Err(no_numbers);
    };
    match (port(server), port(client)) {
        (Some(server), Some(client)) => Ok(PortPair { server, client }),
        _ => Err(InvalidPort { server, client }),
    }
}

/// One to five decimal digits, as the RFC's grammar has them, with any
/// spaces and tabs around them. Five digits fit a `u32` with room to
/// spare, so the arithmetic cannot overflow.
fn number(field: &[u8]) -> Option<u32> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = field.iter().position(|b| !blank(b))?;
    let end = field.iter().rposition(|b| !blank(b))? + 1;
    let digits = &field[start..end];
    if digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// TCP ports run from 1 to 65535.
fn port(n: u32) -> Option<u16> {
    u16::try_from(n).ok().filter(|&port| port != 0)
}

/// Who owns a connection, as a reply names them: an operating system
/// (`UNIX`, or `OTHER` for an identifier that is not a user name) and
/// the identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserId {
    pub opsys: &'static str,
    pub id: String,
}

/// The reply to one query line, ending in CR LF. `owner` finds who owns
/// the connection, if anyone does.
pub async fn answer<F, L>(line: &[u8], owner: &mut F) -> String
where
    F: FnMut(PortPair) -> L,
    L: Future<Output = Option<UserId>>,
{
    match parse_query(line) {
        Ok(ports) => {
            let PortPair { server, client } = ports;
            match owner(ports).await {
                Some(UserId { opsys, id }) => {
                    format!("{server}, {client} : USERID : {opsys} : {id}\r\n")
                }
                None => format!("{server}, {client} : ERROR : NO-USER\r\n"),
            }
        }
        Err(InvalidPort { server, client }) => {
            format!("{server}, {client} : ERROR : INVALID-PORT\r\n")
        }
    }
}

/// The longest query line, line end included. The RFC lets a client give
/// up on a reply after 1000 bytes without a line end; we hold queries to
/// the same limit.
pub const MAX_LINE: usize = 1000;

/// Answers the queries that arrive on `reader`, one reply each, in order,
/// on `writer`, until the client closes the connection or breaks a rule:
/// a line over `MAX_LINE` bytes, a last line without its end, or more
/// than `idle` spent waiting for a query or for the client to take a
/// reply. Then the connection is closed without a reply, which the RFC
/// tells clients to read as `ERROR : UNKNOWN-ERROR`.
pub async fn serve_queries<R, W, F, L>(
    reader: R,
    mut writer: W,
    mut owner: F,
    idle: Duration,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite,
    F: FnMut(PortPair) -> L,
    L: Future<Output = Option<UserId>>,
{
    let timed_out = || io::Error::from(io::ErrorKind::TimedOut);
    let mut lines = Lines::new(reader, MAX_LINE);
    loop {
        let line = match timeout(idle, lines.next()).await {
            Some(Some(line)) => line?,
            Some(None) => return Ok(()),
            None => return Err(timed_out()),
        };
        let reply = answer(&line, &mut owner).await;
        let written = timeout(idle, write_all(&mut writer, reply.as_bytes()));
        written.await.ok_or_else(timed_out)??;
    }
}

/// Runs `future` for at most `limit`: `None` if the time ran out first.
pub async fn timeout<F: Future>(
    limit: Duration,
    future: F,
) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = sleep(limit);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        Pin::new(&mut timer).poll(cx).map(|()| None)
    })
    .await
}

/// Finds who owns the TCP connection between port `ports.server` of this
/// machine and port `ports.client` of the client. The addresses are the
/// ones of the query's own connection: a client may ask only about its
/// connections with us (RFC 1413, section 3).
pub fn find_owner(
    here: SocketAddr,
    peer: SocketAddr,
    ports: PortPair,
) -> Option<UserId> {
    let local = SocketAddr::new(here.ip(), ports.server);
    let remote = SocketAddr::new(peer.ip(), ports.client);
    let uid = owner_uid(local, remote).ok()??;
    Some(match user_name(uid) {
        Some(name) => UserId {
            opsys: "UNIX",
            id: name,
        },
        // A user id without a name is not what a UNIX reply promises (a
        // name to mail or finger), so it goes out as OTHER.
        None => UserId {
            opsys: "OTHER",
            id: uid.to_string(),
        },
    })
}

/// Looks up the established connection `local` <-> `remote` in Linux's
/// table of TCP sockets and returns the user id of its owner. The table
/// is read a line at a time, so its size costs time but not memory.
fn owner_uid(local: SocketAddr, remote: SocketAddr) -> io::Result<Option<u32>> {
    let table = match local {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let (local, remote) = (kernel_format(local), kernel_format(remote));
    let mut lines = BufReader::new(File::open(table)?).lines();
    lines.next(); // the column headings
    for line in lines {
        let line = line?;
        // sl, local address, remote address, state, queues, timer,
        // retransmits, uid, ...
        let columns: Vec<&str> = line.split_whitespace().take(8).collect();
        let &[_, l, r, state, _, _, _, uid] = columns.as_slice() else {
            continue;
        };
        // 01: ESTABLISHED. A closed connection waiting out TIME_WAIT
        // belongs to nobody, and its uid column says 0.
        if l == local && r == remote && state == "01" {
            return Ok(uid.parse().ok());
        }
    }
    Ok(None)
}

/// An address as the kernel writes it in `/proc/net/tcp`: the address in
/// groups of four bytes, each printed as the hexadecimal number those
/// bytes make in memory, then the port in hexadecimal.
fn kernel_format(address: SocketAddr) -> String {
    let bytes = match address.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let mut text = String::new();
    for group in bytes.chunks(4) {
        let group = u32::from_ne_bytes(group.try_into().unwrap());
        text += &format!("{group:08X}");
    }
    text + &format!(":{:04X}", address.port())
}

/// The name of user `uid`, from the password database.
fn user_name(uid: u32) -> Option<String> {
    let mut buffer = vec![0 as libc::c_char; 1024];
    loop {
        // SAFETY: all-zero bytes are a valid `passwd` (null pointers and
        // zeros), and `getpwuid_r` fills it in.
        let mut entry: libc::passwd = unsafe { mem::zeroed() };
        let mut found = std::ptr::null_mut();
        // SAFETY: `entry`, `buffer` (with its true length) and `found`
        // are valid for writing for the whole call.
        let error = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            )
        };
        // The entry's strings did not fit: try a bigger buffer, up to a
        // limit no real entry comes near.
        if error == libc::ERANGE && buffer.len() < 1 << 16 {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if error != 0 || found.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string
        // in `buffer`, which is alive and untouched until we return.
        let name = unsafe { CStr::from_ptr(entry.pw_name) };
        return Some(name.to_string_lossy().into_owned());
    }
}

/// The ident server's port. The RFC's is 113, which only a privileged
/// program may listen on.
pub const IDENT_PORT: u16 = 8113;

/// Accepts connections until the program ends, each served by a task.
pub async fn serve_forever(listener: Async<TcpListener>, idle: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                spawn(async move {
                    // A connection that fails or breaks a rule is closed
                    // and reported; the others go on.
                    if let Err(e) = serve_connection(stream, idle).await {
                        eprintln!("connection from {peer}: {e}");
                    }
                });
            }
            // Out of file descriptors: wait for a connection to close
            // before trying again, as the sturdy server does.
            Err(e) if is_out_of_descriptors(&e) => {
                sleep(Duration::from_millis(100)).await;
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

fn is_out_of_descriptors(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Serves one connection: the queries, answered from the kernel's table.
pub async fn serve_connection(
    stream: Async<TcpStream>,
    idle: Duration,
) -> io::Result<()> {
    let here = stream.get_ref().local_addr()?;
    let peer = stream.get_ref().peer_addr()?;
    // Reading the password database may wait (for a network directory,
    // on some machines), so the lookup runs on a thread of its own.
    let owner = |ports| spawn_blocking(move || find_owner(here, peer, ports));
    serve_queries(&stream, &stream, owner, idle).await
}

// The program: the server and three clients, or the server alone.

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let serve_only = args.next().is_some_and(|arg| arg == "serve");
    let idle_seconds = match args.next() {
        Some(seconds) => seconds.parse().expect("IDLE_SECONDS: a number"),
        None => 60,
    };
    let idle = Duration::from_secs(idle_seconds);
    let listener = Async::bind(&format!("127.0.0.1:{IDENT_PORT}"))?;
    if serve_only {
        return block_on(serve_forever(listener, idle));
    }
    block_on(async {
        spawn(serve_forever(listener, idle));
        // Three clients at once; their reports are printed in order.
        let clients = [
            spawn(ask_about_connections()),
            spawn(send_garbage()),
            spawn(send_a_line_too_long()),
        ];
        for client in clients {
            for line in client.await {
                println!("{line}");
            }
        }
    })
}

/// Connects to the ident server, sends each query in turn and returns
/// the replies, or what happened instead of one.
async fn ask(stream: &Async<TcpStream>, queries: &[String]) -> Vec<String> {
    let mut replies = Lines::new(stream, MAX_LINE);
    let mut writer = stream;
    let mut report = Vec::new();
    for query in queries {
        let query = format!("{query}\r\n");
        if let Err(e) = write_all(&mut writer, query.as_bytes()).await {
            report.push(format!("cannot send: {e}"));
            break;
        }
        report.push(match replies.next().await {
            Some(Ok(reply)) => String::from_utf8_lossy(&reply).into_owned(),
            // A reset is a close with our bytes still unread.
            None => "the server closed the connection".to_owned(),
            Some(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                "the server closed the connection".to_owned()
            }
            Some(Err(e)) => format!("error: {e}"),
        });
    }
    report
}

/// Connects to the ident server. `connect` blocks, as in Part Three.
fn connect() -> Async<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", IDENT_PORT))
        .expect("the server listens");
    Async::new(stream).expect("could not register")
}

/// Asks, on one connection, about that very connection, about a port
/// with no connection behind it, and about port 0.
async fn ask_about_connections() -> Vec<String> {
    let stream = connect();
    let me = stream.get_ref().local_addr().unwrap().port();
    let about = ["this connection", "a port nobody uses", "port 0"];
    let queries = [
        format!("{IDENT_PORT}, {me}"),
        format!("{IDENT_PORT}, 1"),
        format!("0, {me}"),
    ];
    let replies = ask(&stream, &queries).await;
    let mut report = Vec::new();
    for ((about, query), reply) in about.iter().zip(&queries).zip(replies) {
        // A reply repeats the query's two ports; show what follows them.
        let rest = reply.strip_prefix(query.as_str()).unwrap_or(&reply);
        report.push(format!("{about}:{}", rest.trim_start_matches(" :")));
    }
    report
}

/// Sends a line that is no query, then a query, on one connection.
async fn send_garbage() -> Vec<String> {
    let queries = [
        "\u{fffd}\u{0}hello, world!".to_owned(),
        format!("{IDENT_PORT}, 1"),
    ];
    let replies = ask(&connect(), &queries).await;
    vec![
        format!("garbage: {}", replies[0]),
        format!("then: {}", replies[1]),
    ]
}

/// Sends 2000 bytes without a line end.
async fn send_a_line_too_long() -> Vec<String> {
    let replies = ask(&connect(), &["9".repeat(2000)]).await;
    vec![format!("a line of 2000 bytes: {}", replies[0])]
}
