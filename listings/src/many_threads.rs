//! Part Four's sturdy runtime on several threads. The same tasks, timers,
//! doorbell, reactor and sockets, run by workers, one per core: each
//! worker has a queue of its own, a worker with nothing to do steals from
//! another, and one idle worker at a time waits in `epoll_wait` while the
//! others sleep. A task may be polled on any worker, and moves between
//! them, which is why `spawn` demands `Send`. Part Six builds it.
//!
//! Parent stage: `sturdy`.
//!
//! ```
//! use std::thread;
//! use std::time::Duration;
//! use listings::many_threads::{block_on, sleep, spawn};
//!
//! let answer = block_on(async {
//!     let task = spawn(async {
//!         sleep(Duration::from_millis(10)).await;
//!         // Polled by a worker, not by the thread that blocks on `main`.
//!         assert!(thread::current().name().unwrap().starts_with("worker"));
//!         6 * 7
//!     });
//!     task.await
//! });
//! assert_eq!(answer.unwrap(), 42);
//! ```

// ANCHOR: uses
use std::cell::Cell;
use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use super::work_stealing::queues::Queues;
use super::work_stealing::sleepers::Sleepers;
// ANCHOR_END: uses

// Tasks and the ready queue.

// ANCHOR: task
/// A spawned task. It is shared, through an `Arc`, by the ready queue and
/// by every waker made from it: waking a task queues it.
struct Task {
    /// The future, until it has finished or panicked. The worker that
    /// polls it locks it; a worker that took the task from a queue while
    /// another still polls it (it was woken during that poll) waits for
    /// the lock, then polls it again.
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    /// True while the task sits in a queue, so that ten wake-ups before
    /// its next poll queue it once.
    queued: AtomicBool,
}

thread_local! {
    /// Which worker this thread is; `None` on every other thread.
    static THIS_WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    /// Queues the task on this worker's own queue, where it is likely to
    /// run soon and on a warm cache, or, woken from a thread that is no
    /// worker, on the global queue.
    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            let queues = &workers().queues;
            match THIS_WORKER.get() {
                Some(me) => queues.push_local(me, Arc::clone(self)),
                None => queues.push_global(Arc::clone(self)),
            }
            wake_the_loop();
        }
    }
}
// ANCHOR_END: task

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

// ANCHOR: sleep
impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let poll = Pin::new(&mut self.0).poll(cx);
        // The worker asleep in `epoll_wait` chose its timeout before this
        // timer existed, and may sleep past it: the doorbell makes it
        // choose again. (One thread did both in Part Four.)
        if poll.is_pending() && LOOP_ASLEEP.load(Ordering::SeqCst) {
            doorbell().ring();
        }
        poll
    }
}
// ANCHOR_END: sleep

impl Drop for Sleep {
    fn drop(&mut self) {
        self.0.cancel();
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

// ANCHOR: wake_the_loop
/// Set while a worker sleeps, or is about to, in `epoll_wait`.
static LOOP_ASLEEP: AtomicBool = AtomicBool::new(false);

/// Makes sure a worker looks at the queues soon. Called after a task was
/// queued. A worker asleep on the condition variable is woken if there is
/// one; if not, and a worker sleeps in `epoll_wait`, the doorbell wakes
/// it; if neither, every worker is busy and will find the task when it
/// next looks. Both this load and the sleeping worker's store are
/// `SeqCst`: either it sets the flag first, and the load here sees it, or
/// the task was queued first, and it sees the task before choosing its
/// timeout.
fn wake_the_loop() {
    if !workers().sleepers.wake_one() && LOOP_ASLEEP.load(Ordering::SeqCst) {
        doorbell().ring();
    }
}
// ANCHOR_END: wake_the_loop

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

// ANCHOR: side
struct Side {
    ready: bool,
    /// How many times the reactor has set `ready`: a task that met
    /// `WouldBlock` clears `ready` only if this has not moved since it
    /// looked, as the reactor, on another worker, may have heard of new
    /// data in between.
    edges: u64,
    /// Every task waiting for this direction, each once: several tasks
    /// may wait on one socket (three accepting on one listener).
    waiters: Vec<Waker>,
}
// ANCHOR_END: side

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
        // ANCHOR: new_side
        let side = || Side {
            ready: true,
            edges: 0,
            waiters: Vec::new(),
        };
        // ANCHOR_END: new_side
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

/// Sleeps in `epoll_wait` until a socket is ready, the doorbell rings or
/// the earliest timer is due, then wakes whoever waits for what is ready.
// ANCHOR: wait
fn wait_for_events(events: &mut Vec<libc::epoll_event>) -> io::Result<()> {
    LOOP_ASLEEP.store(true, Ordering::SeqCst);
    let work_waiting = workers().queues.has_work();
    let timeout = if work_waiting {
        0
    } else {
        milliseconds_to_next_timer()
    };
    // ANCHOR_END: wait
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
            // ANCHOR: edges
            if failed || flags & readable != 0 {
                source.read.ready = true;
                source.read.edges += 1;
                to_wake.append(&mut source.read.waiters);
            }
            if failed || flags & libc::EPOLLOUT != 0 {
                source.write.ready = true;
                source.write.edges += 1;
                to_wake.append(&mut source.write.waiters);
            }
            // ANCHOR_END: edges
        }
    }
    // Wake after the registry's lock is released, as with the timers.
    for waker in to_wake {
        waker.wake();
    }
    Ok(())
}

// ANCHOR: workers
/// The workers' queues, and where the idle ones sleep.
struct Workers {
    queues: Queues<Arc<Task>>,
    sleepers: Sleepers,
    /// The events buffer of `epoll_wait`. Whoever holds this lock is the
    /// one worker that may wait for events: its lock is the right to.
    reactor_turn: Mutex<Vec<libc::epoll_event>>,
}

/// The workers, started the first time anything needs them: one thread
/// per core. They run until the process ends.
fn workers() -> &'static Workers {
    static WORKERS: OnceLock<Workers> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let count = thread::available_parallelism().map_or(2, |n| n.get());
        for me in 0..count {
            // Each starts by asking for `WORKERS`, and waits until this
            // initialisation is done.
            thread::Builder::new()
                .name(format!("worker {me}"))
                .spawn(move || run_worker(me))
                .expect("cannot start a worker");
        }
        Workers {
            queues: Queues::new(count),
            sleepers: Sleepers::new(),
            reactor_turn: Mutex::new(Vec::with_capacity(EVENTS_PER_WAIT)),
        }
    })
}
// ANCHOR_END: workers

// ANCHOR: worker
/// How many tasks a worker runs from its own queue before it looks at
/// the global queue, the sockets and the timers again. Tokio's number:
/// often enough that nothing starves, rarely enough to cost little.
const TASKS_BETWEEN_CHECKS: u32 = 61;

/// A worker: runs tasks, its own first, then the global queue's, then
/// stolen ones; with none left anywhere, it waits.
fn run_worker(me: usize) {
    THIS_WORKER.set(Some(me));
    let Workers { queues, .. } = workers();
    let mut tasks_run: u32 = 0;
    loop {
        let look_around = tasks_run.is_multiple_of(TASKS_BETWEEN_CHECKS);
        if look_around {
            try_reactor_turn();
        }
        let task = if look_around {
            queues.pop_global().or_else(|| queues.pop_local(me))
        } else {
            queues.pop_local(me).or_else(|| queues.pop_global())
        };
        match task.or_else(|| queues.steal(me)) {
            Some(task) => {
                run_task(task);
                tasks_run = tasks_run.wrapping_add(1);
            }
            None => wait_for_work(),
        }
    }
}

/// With every queue empty: waits in `epoll_wait` if no other worker
/// does, or else sleeps until a task is queued or the reactor's turn
/// is handed on. A turn that came free while this worker was on its way
/// to sleep counts as work: it goes back and takes it.
fn wait_for_work() {
    if !try_reactor_turn() {
        let Workers {
            queues,
            sleepers,
            reactor_turn,
        } = workers();
        sleepers.sleep_unless(|| {
            queues.has_work() || reactor_turn.try_lock().is_ok()
        });
    }
}
// ANCHOR_END: worker

// ANCHOR: reactor_turn
/// Takes the reactor's turn, if no other worker has it: waits for events
/// (not at all if tasks are queued), wakes whoever waits for what is
/// ready and due, and hands the turn on. Says whether it had the turn.
fn try_reactor_turn() -> bool {
    let Ok(mut events) = workers().reactor_turn.try_lock() else {
        return false;
    };
    // A failed `epoll_wait` is a bug in this runtime, never a peer's
    // doing: the worker stops, with the error as its panic message.
    if let Err(e) = wait_for_events(&mut events) {
        panic!("epoll_wait failed: {e}");
    }
    wake_due_timers();
    drop(events);
    // This worker goes off to run what it woke. A sleeping worker, if
    // there is one, takes over the reactor, so that the sockets are
    // heard meanwhile.
    workers().sleepers.wake_one();
    true
}
// ANCHOR_END: reactor_turn

// ANCHOR: run_task
/// Polls one task, on this worker.
fn run_task(task: Arc<Task>) {
    // Cleared before the poll: a wake-up during the poll queues the
    // task again.
    task.queued.store(false, Ordering::SeqCst);
    let waker = Waker::from(Arc::clone(&task));
    let mut cx = Context::from_waker(&waker);
    let mut future = task.future.lock().unwrap();
    let Some(running) = future.as_mut() else {
        // Finished already; someone kept a waker and used it.
        return;
    };
    // A panic ends this task, not the worker: the panic hook has
    // printed the message, the future is dropped (and with it the
    // task's sockets), and the other tasks go on.
    budget::renew();
    let poll = AssertUnwindSafe(|| running.as_mut().poll(&mut cx));
    match panic::catch_unwind(poll) {
        Ok(Poll::Pending) => {}
        Ok(Poll::Ready(())) | Err(_) => *future = None,
    }
}
// ANCHOR_END: run_task

// ANCHOR: block_on
/// Wakes the thread blocked on the main future.
struct MainWaker(thread::Thread);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread, while the workers run the
/// spawned tasks. Always `Ok`: it keeps the signature of Part Four's
/// `block_on`, so that Part Four's programs run on this runtime as they
/// are, but here a failing `epoll_wait` panics the worker that met it.
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    workers();
    let waker = Waker::from(Arc::new(MainWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    loop {
        budget::renew();
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        // An `unpark` that came first is not lost: `park` returns at
        // once. It may also return for nothing, and `main` is polled
        // again, which a future allows.
        thread::park();
    }
}
// ANCHOR_END: block_on

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
        // ANCHOR: run
        poll_fn(|cx| {
            loop {
                let mut readiness = self.readiness.lock().unwrap();
                let side = readiness.side(direction);
                if !side.ready {
                    side.wait(cx.waker());
                    return Poll::Pending;
                }
                let edges_seen = side.edges;
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
                    // next edge, unless the reactor heard of one since we
                    // looked (it runs on another worker): then the call
                    // may have come too early, and is tried again.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let mut readiness = self.readiness.lock().unwrap();
                        let side = readiness.side(direction);
                        if side.edges == edges_seen {
                            side.ready = false;
                        }
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
        // ANCHOR_END: run
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
