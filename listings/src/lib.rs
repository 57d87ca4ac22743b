//! The runtime the book builds, a stage at a time, and the code that
//! several of its programs share. Each program of the book is a small file
//! on one stage (`use listings::sturdy::{block_on, spawn};`); the book
//! shows it, and the Playground runs it, as one file with the stage
//! inlined.
//!
//! | module | what it is | chapter |
//! | --- | --- | --- |
//! | [`park_block_on`] | `block_on` that parks the thread until a waker unparks it | Part One: futures |
//! | [`join`] | one future made of many, ready when all are | Part One: futures |
//! | [`timers`] | the timer table and `sleep` | Part One: futures |
//! | [`timer_block_on`] | `block_on` that sleeps until the next timer | Part One: futures |
//! | [`task_list`] | `spawn` into a list, a loop that polls every task, a waker that does nothing | Part Two: tasks |
//! | [`join_handle`] | a future for the output of a task, or of work on a thread | Part Two: tasks |
//! | [`flag_executor`] | the list of tasks with join handles and a waker that raises a flag | Part Two: tasks |
//! | [`queue_executor`] | tasks that are their own wakers, and a ready queue | Part Two: tasks |
//! | [`blocking`] | `spawn_blocking`: work on a thread of its own, awaited | Part Two: tasks |
//! | [`thread_pool`] | a fixed number of threads that take blocking jobs from a queue | Part Two: tasks |
//! | [`busy_loop`] | Part Two's runtime with non-blocking IO, busy waiting | Part Three: IO |
//! | [`poll_loop`] | the event loop on `poll(2)` | Part Three: IO |
//! | [`round_down`] | Part Three's loop with timers only, rounding its timeout down | Part Four: ready |
//! | [`round_up`] | the same, rounding up | Part Four: ready |
//! | [`every_task`] | Part Three's loop, rounding up: every task polled on every turn | Part Four: ready |
//! | [`only_ready`] | a ready queue: only woken tasks polled, only ready sockets woken | Part Four: ready |
//! | [`no_doorbell`] | `only_ready` with `spawn_blocking`, deaf to other threads | Part Four: ready |
//! | [`doorbell`] | `no_doorbell` with a doorbell that other threads ring | Part Four: ready |
//! | [`epoll_wrapper`] | epoll's three calls in a small wrapper, driven by hand | Part Four: epoll |
//! | [`epoll`] | `doorbell` on `epoll`: sockets registered once, `Async` | Part Four: epoll |
//! | [`fragile`] | `epoll` as the faults chapter finds it, before its fixes | Part Four: faults |
//! | [`hangups_unheard`] | `fragile`, deaf to hang-ups and errors reported alone | Part Four: faults |
//! | [`sturdy`] | the runtime on `epoll` that survives faults | Part Four: faults |
//! | [`abortable`] | `sturdy` with a join handle that aborts its task | Part Four: exercises |
//! | [`abortable_ident`] | the ident chapter's streams and lines, on `abortable` | Part Four: cancel |
//! | [`ident`] | streams, lines, the ident protocol (RFC 1413), its server and a demonstration, on `sturdy` | Part Four: ident |
//! | [`tuned`] | the sturdy runtime with the changes its profile called for | Part Five |
//! | [`tuned_ident`] | the same ident server, on `tuned` | Part Five |
//! | [`work_stealing`] | a local queue per worker, a global queue, stealing, and where idle workers sleep | Part Six: many threads |
//! | [`many_threads`] | the sturdy runtime on a worker per core, with work stealing | Part Six: many threads |
//! | [`completion`] | `sturdy` on io_uring: a completion reactor that owns the buffers | Part Six: io_uring |
//! | [`uring`] | io_uring's system calls, rings and entries, driven by hand | Part Six: io_uring |
//!
//! A variant stage, one that differs from another by a few changes, is
//! that small diff (`doorbell.diff`, as `diff -u` writes it), which
//! `build.rs` applies: a fix to a stage reaches its variants.
//!
//! A module that gathers several files and runs on a runtime of the
//! program's choosing (`ident`) is declared here, with the runtime it
//! runs on as `runtime`; the book's assembler copies the declaration.

/// Part Four's ident server, with the streams it reads through, on the
/// sturdy runtime.
pub mod ident {
    pub use super::sturdy as runtime;
    pub use super::thread_pool;
    pub mod demo;
    pub mod server;
    pub mod sock_diag;
    pub mod streams;
}

#[doc = include_str!(concat!(env!("OUT_DIR"), "/abortable.md"))]
pub mod abortable {
    include!(concat!(env!("OUT_DIR"), "/abortable.rs"));
}
/// The ident chapter's streams and lines, the same files, on the runtime
/// whose tasks can be aborted: the cancellation chapter's servers read
/// through them.
// The same file as `ident::streams`, on purpose: compiled again on
// `abortable`.
#[allow(clippy::duplicate_mod)]
#[path = "ident"]
pub mod abortable_ident {
    pub use super::abortable as runtime;
    pub mod streams;
}
pub mod blocking;
pub mod busy_loop;
#[cfg(target_os = "linux")]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/completion.md"))]
pub mod completion {
    include!(concat!(env!("OUT_DIR"), "/completion.rs"));
}
#[doc = include_str!(concat!(env!("OUT_DIR"), "/doorbell.md"))]
pub mod doorbell {
    include!(concat!(env!("OUT_DIR"), "/doorbell.rs"));
}
#[doc = include_str!(concat!(env!("OUT_DIR"), "/epoll.md"))]
pub mod epoll {
    include!(concat!(env!("OUT_DIR"), "/epoll.rs"));
}
pub mod epoll_wrapper;
#[doc = include_str!(concat!(env!("OUT_DIR"), "/every_task.md"))]
pub mod every_task {
    include!(concat!(env!("OUT_DIR"), "/every_task.rs"));
}
pub mod flag_executor;
#[doc = include_str!(concat!(env!("OUT_DIR"), "/fragile.md"))]
pub mod fragile {
    include!(concat!(env!("OUT_DIR"), "/fragile.rs"));
}
#[doc = include_str!(concat!(env!("OUT_DIR"), "/hangups_unheard.md"))]
pub mod hangups_unheard {
    include!(concat!(env!("OUT_DIR"), "/hangups_unheard.rs"));
}
pub mod join;
pub mod join_handle;
/// The runtime with a worker per core, with the API of Part Four's: a
/// sleep, a join handle, a job on a thread of its own, and a listener and
/// a connection on loopback, served by tasks on the workers.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// use listings::many_threads::{
///     Async, JoinHandle, Sleep, block_on, sleep, spawn, spawn_blocking,
/// };
///
/// let echoed = block_on(async {
///     let nap: Sleep = sleep(Duration::from_millis(5));
///     nap.await;
///     let sum: JoinHandle<u32> = spawn_blocking(|| (1..=10).sum());
///     assert_eq!(sum.await, 55);
///
///     let listener: Async<TcpListener> = Async::bind("127.0.0.1:0").unwrap();
///     let address = listener.get_ref().local_addr().unwrap();
///     let server: JoinHandle<()> = spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         let n = stream.read(&mut buf).await.unwrap();
///         stream.write_all(&buf[..n]).await.unwrap();
///     });
///     let client = Async::new(TcpStream::connect(address).unwrap()).unwrap();
///     assert_eq!(client.write(b"hello").await.unwrap(), 5);
///     let mut buf = [0; 5];
///     let n = client.read(&mut buf).await.unwrap();
///     server.await;
///     buf[..n].to_vec()
/// });
/// assert_eq!(echoed.unwrap(), b"hello");
/// ```
#[doc = include_str!(concat!(env!("OUT_DIR"), "/many_threads.md"))]
pub mod many_threads {
    include!(concat!(env!("OUT_DIR"), "/many_threads.rs"));
}
#[doc = include_str!(concat!(env!("OUT_DIR"), "/no_doorbell.md"))]
pub mod no_doorbell {
    include!(concat!(env!("OUT_DIR"), "/no_doorbell.rs"));
}
pub mod only_ready;
pub mod park_block_on;
pub mod poll_loop;
pub mod queue_executor;
pub mod round_down;
#[doc = include_str!(concat!(env!("OUT_DIR"), "/round_up.md"))]
pub mod round_up {
    include!(concat!(env!("OUT_DIR"), "/round_up.rs"));
}
/// The sturdy runtime's API at work, beside the examples in its file: a
/// sleep, a join handle, a job on a thread of its own, and a listener and
/// a connection on loopback.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// use listings::sturdy::{
///     Async, JoinHandle, Sleep, block_on, sleep, spawn, spawn_blocking,
/// };
///
/// let echoed = block_on(async {
///     let nap: Sleep = sleep(Duration::from_millis(5));
///     nap.await;
///     let sum: JoinHandle<u32> = spawn_blocking(|| (1..=10).sum());
///     assert_eq!(sum.await, 55);
///
///     let listener: Async<TcpListener> = Async::bind("127.0.0.1:0").unwrap();
///     let address = listener.get_ref().local_addr().unwrap();
///     let server: JoinHandle<()> = spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         let n = stream.read(&mut buf).await.unwrap();
///         stream.write_all(&buf[..n]).await.unwrap();
///     });
///     let client = Async::new(TcpStream::connect(address).unwrap()).unwrap();
///     assert_eq!(client.write(b"hello").await.unwrap(), 5);
///     let mut buf = [0; 5];
///     let n = client.read(&mut buf).await.unwrap();
///     server.await;
///     buf[..n].to_vec()
/// });
/// assert_eq!(echoed.unwrap(), b"hello");
/// ```
pub mod sturdy;
pub mod task_list;
pub mod thread_pool;
pub mod timer_block_on;
pub mod timers;
#[cfg(target_os = "linux")]
pub mod uring;
#[doc = include_str!(concat!(env!("OUT_DIR"), "/tuned.md"))]
pub mod tuned {
    include!(concat!(env!("OUT_DIR"), "/tuned.rs"));
}

/// The same ident server, the same files, on Part Five's tuned runtime.
// The same files as `ident`, on purpose: compiled again on `tuned`.
#[allow(clippy::duplicate_mod)]
#[path = "ident"]
pub mod tuned_ident {
    pub use super::thread_pool;
    pub use super::tuned as runtime;
    pub mod demo;
    pub mod server;
    pub mod sock_diag;
    pub mod streams;
}

/// Part Six's run queues and sleeping workers, on std's locks. The
/// runtime `many_threads` takes them from here.
pub mod work_stealing {
    pub use std::sync as locks;
    pub mod queues;
    pub mod sleepers;
}

/// The same files on loom's locks, for its model checker, which tries
/// every interleaving of the threads that use them
/// (`cargo test -p listings --features loom --test loom_work_stealing`).
// The same files as `work_stealing`, on purpose: compiled again on loom.
#[cfg(feature = "loom")]
#[allow(clippy::duplicate_mod)]
#[path = "work_stealing"]
pub mod loom_work_stealing {
    pub use loom::sync as locks;
    pub mod queues;
    pub mod sleepers;
}
