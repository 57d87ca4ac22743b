//! The previous chapter's runtime on `epoll` (`listings::fragile`), serving
//! clients until a signal tells it to stop: a server that works, until it
//! meets the faults that real servers meet.
//!
//! Each client sends a number and gets that many bytes back. SIGUSR1 asks
//! for a report and SIGTERM for a stop. The first signal that arrives
//! while the loop sleeps ends the program with an error; a server out of
//! file descriptors spins; one task's panic takes every connection down.
//! `sturdy_server.rs` is the same program with these faults handled.

use std::io;
use std::mem;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use listings::fragile::{Async, block_on, sleep, spawn};

// The program: a server that sends each client as many bytes as it asks
// for, until a signal tells it to stop.

// ANCHOR: main
fn main() -> io::Result<()> {
    // The address to listen on: the first argument, or port 8000 of the
    // loopback. Port 0 asks the kernel for any free port.
    let address = std::env::args().nth(1);
    let address = address.as_deref().unwrap_or("127.0.0.1:8000");
    handle_signals()?;
    let listener = Async::bind(address)?;
    block_on(async {
        spawn(serve_forever(listener));
        watch_signals().await;
    })?;
    report("stopped");
    Ok(())
}
// ANCHOR_END: main

// ANCHOR: signals
/// Set by the signal handlers, read by `watch_signals`.
static REPORT_WANTED: AtomicBool = AtomicBool::new(false);
static STOP_WANTED: AtomicBool = AtomicBool::new(false);

/// Runs on whatever the thread was doing when the signal came, perhaps in
/// the middle of `malloc` with its lock held, so it must not allocate,
/// lock or print: it sets a flag and returns.
extern "C" fn on_signal(signal: libc::c_int) {
    let flag = if signal == libc::SIGTERM {
        &STOP_WANTED
    } else {
        &REPORT_WANTED
    };
    flag.store(true, Ordering::SeqCst);
}

/// SIGUSR1 asks for a report, SIGTERM for a clean stop.
fn handle_signals() -> io::Result<()> {
    for signal in [libc::SIGUSR1, libc::SIGTERM] {
        // SAFETY: all zeros is a valid `sigaction`: no flags, and no
        // signals blocked while the handler runs.
        let mut action: libc::sigaction = unsafe { mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as _;
        // Restart the system calls that the kernel can restart after the
        // handler. `epoll_wait` is not one of them.
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action` is valid for the call, and the handler does
        // only what is safe inside a signal handler.
        let result =
            unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Looks at the handlers' flags ten times a second, until one asks for a
/// stop. (A handler may not call a waker, which locks the ready queue.)
async fn watch_signals() {
    while !STOP_WANTED.load(Ordering::SeqCst) {
        sleep(Duration::from_millis(100)).await;
        if REPORT_WANTED.swap(false, Ordering::SeqCst) {
            report("running");
        }
    }
}

// ANCHOR_END: signals

// ANCHOR: report
/// Connections accepted, served to the end, and ended by an error.
static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static SERVED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

fn report(state: &str) {
    println!(
        "{state}: {} accepted, {} served, {} failed",
        ACCEPTED.load(Ordering::SeqCst),
        SERVED.load(Ordering::SeqCst),
        FAILED.load(Ordering::SeqCst),
    );
}
// ANCHOR_END: report

// ANCHOR: server
/// Accepts connections until the program ends, each served by a task.
pub async fn serve_forever(listener: Async<TcpListener>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let n = ACCEPTED.fetch_add(1, Ordering::SeqCst);
                spawn(async move {
                    // A failed connection is closed and reported; the
                    // others go on.
                    match serve(stream).await {
                        Ok(()) => SERVED.fetch_add(1, Ordering::SeqCst),
                        Err(e) => {
                            eprintln!("connection {n}: {e}");
                            FAILED.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                });
            }
            // The connection failed before we accepted it: not our
            // problem, and not the listener's.
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}
// ANCHOR_END: server

// ANCHOR: serve
/// The longest request: a number of bytes, in digits, and a newline.
const MAX_REQUEST: usize = 21;

/// Serves one connection: reads how many bytes the client wants, sends
/// that many, and closes.
async fn serve(stream: Async<TcpStream>) -> io::Result<()> {
    let request = read_request(&stream).await?;
    // A bug, on purpose: a request that is not a number panics, where it
    // should end this connection with an error.
    let size: usize = request.trim().parse().unwrap();
    let text = b"abcdefghijklmnopqrstuvwxyz\n".repeat(2048);
    let mut left = size;
    while left > 0 {
        let n = left.min(text.len());
        stream.write_all(&text[..n]).await?;
        left -= n;
    }
    Ok(())
}

/// Reads the request line, one byte at a time: simple, if slow. (The next
/// chapter reads lines through a buffer.)
async fn read_request(stream: &Async<TcpStream>) -> io::Result<String> {
    let mut request = Vec::new();
    let mut byte = [0];
    while request.last() != Some(&b'\n') {
        if request.len() == MAX_REQUEST {
            return Err(io::Error::other("request too long"));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        request.push(byte[0]);
    }
    String::from_utf8(request).map_err(io::Error::other)
}
// ANCHOR_END: serve
