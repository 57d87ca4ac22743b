// solution: begin
//! Solution: serve at most two connections at once.
//!
//! A `Limit` hands out permits, and the server takes one before it accepts
//! a connection and gives it back when the connection is done. When no
//! permit is free, `acquire` leaves its waker in the limit's queue and
//! waits; a permit given back wakes the first in line. Five clients
//! connect at once, and with two served at a time, for a fifth of a second
//! each, the last is served after three fifths of a second.
// solution: end
// starter: //! Exercise: serve at most two connections at once.
// starter: //!
// starter: //! A `Limit` hands out permits, and the server takes one before it
// starter: //! accepts a connection and gives it back when the connection is
// starter: //! done, so that the connections beyond the limit wait in the
// starter: //! kernel's queue, costing the server nothing. Five clients connect
// starter: //! at once; serving each takes a fifth of a second. As written,
// starter: //! `Limit::acquire` takes a permit whether one is free or not, and
// starter: //! all five are served at once.

use std::collections::VecDeque;
// solution: begin
use std::future::poll_fn;
// solution: end
// starter: // What a solution may need, imported for you.
// starter: #[allow(unused_imports)]
// starter: use std::{future::poll_fn, task::Poll};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
// solution: begin
use std::task::{Poll, Waker};
// solution: end
// starter: use std::task::Waker;
use std::time::Duration;

use listings::sturdy::{Async, block_on, sleep, spawn};

// ANCHOR: exercise
/// Hands out at most `max` permits at once. A permit goes back when it is
/// dropped.
struct Limit {
    state: Mutex<LimitState>,
}

struct LimitState {
    /// How many permits there are.
    max: usize,
    /// How many are out.
    out: usize,
    /// The wakers of those waiting for a permit, first come first.
    waiting: VecDeque<Waker>,
}

/// One of a `Limit`'s permits, given back when dropped.
struct Permit {
    limit: Arc<Limit>,
}
// ANCHOR_END: exercise

// ANCHOR: permits
impl Limit {
    fn new(max: usize) -> Arc<Limit> {
        Arc::new(Limit {
            state: Mutex::new(LimitState {
                max,
                out: 0,
                waiting: VecDeque::new(),
            }),
        })
    }

    /// Waits until a permit is free, and takes it.
    async fn acquire(self: &Arc<Limit>) -> Permit {
        // solution: begin
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap();
            if state.out < state.max {
                state.out += 1;
                return Poll::Ready(Permit {
                    limit: Arc::clone(self),
                });
            }
            // Woken when a permit comes back; it may be gone again by the
            // time this task is polled, and then it waits once more.
            state.waiting.push_back(cx.waker().clone());
            Poll::Pending
        })
        .await
        // solution: end
        // starter: // Wrong: takes a permit even when none is free, and never waits.
        // starter: self.state.lock().unwrap().out += 1;
        // starter: Permit {
        // starter:     limit: Arc::clone(self),
        // starter: }
    }

    /// How many permits are out, and how many there are.
    fn out_of(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (state.out, state.max)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let next = {
            let mut state = self.limit.state.lock().unwrap();
            state.out -= 1;
            state.waiting.pop_front()
        };
        // The first in line may take the permit now. As always, the waker
        // is called after the lock is released.
        if let Some(waker) = next {
            waker.wake();
        }
    }
}
// ANCHOR_END: permits

// The program: the server and five clients, all tasks on this thread.

// ANCHOR: program
fn main() -> io::Result<()> {
    // Port 0: any free port. The clients learn which from the listener.
    let listener = Async::bind("127.0.0.1:0")?;
    let address = listener.get_ref().local_addr()?;
    block_on(async move {
        spawn(serve(listener, Limit::new(2)));
        let clients: Vec<_> = (0..5).map(|_| spawn(client(address))).collect();
        for client in clients {
            client.await?;
        }
        Ok(())
    })?
}

/// Accepts connections for as long as the program runs, each served by a
/// task of its own that holds a permit of `limit` until it is done.
async fn serve(listener: Async<TcpListener>, limit: Arc<Limit>) {
    for n in 0.. {
        // No permit, no `accept`: the connection waits in the kernel.
        let permit = limit.acquire().await;
        match listener.accept().await {
            Ok((stream, _)) => {
                spawn(async move {
                    if let Err(e) = handle(stream, n, permit).await {
                        eprintln!("connection {n}: {e}");
                    }
                });
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

// ANCHOR_END: program

// ANCHOR: connections
/// Serves connection `n`: a fifth of a second of work, then a line that
/// says how many permits were out at the time, and the end.
async fn handle(
    stream: Async<TcpStream>,
    n: usize,
    permit: Permit,
) -> io::Result<()> {
    sleep(Duration::from_millis(200)).await;
    let (out, max) = permit.limit.out_of();
    let reply = format!("connection {n}: served, {out} of {max} permits out\n");
    stream.write_all(reply.as_bytes()).await
    // Returning drops the permit, and the stream, which hangs up.
}

/// A client: connects, and prints what the server sends.
async fn client(address: SocketAddr) -> io::Result<()> {
    // The shortcut of Part Three: a blocking connect. The kernel completes
    // it at once, even while the server is not accepting.
    let stream = Async::new(TcpStream::connect(address)?)?;
    let mut reply = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match stream.read(&mut buf).await? {
            0 => break,
            n => reply.extend_from_slice(&buf[..n]),
        }
    }
    print!("{}", String::from_utf8_lossy(&reply));
    Ok(())
}
// ANCHOR_END: connections
