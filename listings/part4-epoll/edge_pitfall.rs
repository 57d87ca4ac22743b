//! The edge-triggered pitfall: a reader that takes one chunk per event
//! stalls with data left in the socket.
//!
//! A peer sends a 1,000-byte request in one write and waits for the
//! answer. Two readers, each on an edge-triggered registration, take it
//! in with a 100-byte buffer. The first reads one chunk per event and then
//! waits for the next event, which never comes: the data arrived in one
//! edge, and that edge has been reported. Its `epoll_wait` gives up after
//! 100 ms with 900 bytes unread. The second reads until `WouldBlock`
//! after every event, and has the whole request after the first.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// The size of the peer's request.
const REQUEST: usize = 1000;

/// How long a reader waits for an event before it gives up. A real
/// server would wait for ever, with the peer waiting for it.
const PATIENCE_MS: libc::c_int = 100;

/// An epoll instance. The kernel keeps its two lists, the interest list
/// (what the program asked to watch) and the ready list (what happened to
/// it); the program holds one descriptor that names both.
struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: `epoll_create1` takes no pointers.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll { fd })
    }

    /// Adds `fd` to the interest list. From now on the kernel watches it
    /// for `events`, and reports it with `token`, until it is removed.
    fn add(
        &self,
        fd: RawFd,
        events: libc::c_int,
        token: u64,
    ) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_ADD, fd, events, token)
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
        // SAFETY: `event` is valid for the call, and the kernel copies it.
        let result =
            unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Takes the ready entries off the ready list, waiting up to `timeout`
    /// milliseconds for the first one (0: just look). Returns the token
    /// and the events of each.
    fn wait(&self, timeout: libc::c_int) -> io::Result<Vec<(u64, u32)>> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
        // SAFETY: the kernel writes at most `events.len()` entries into
        // the array, which lives until the call returns.
        let count = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                timeout,
            )
        };
        if count < 0 {
            return Err(io::Error::last_os_error());
        }
        // The fields are copied out, because `epoll_event` is a packed
        // struct on x86-64 and Rust refuses references to its fields.
        let ready = &events[..count as usize];
        Ok(ready
            .iter()
            .map(|event| (event.u64, event.events))
            .collect())
    }
}

// ANCHOR: readers
/// Reads once: at most one buffer's worth, whatever is left behind.
fn read_one_chunk(
    socket: &mut UnixStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    match socket.read(buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        result => result,
    }
}

/// Reads until the socket has nothing left, which is what an edge-triggered
/// registration requires: only then may the reader wait for the next edge.
fn read_until_would_block(
    socket: &mut UnixStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut total = 0;
    loop {
        match socket.read(buf) {
            // The end of the stream: the peer has closed its side.
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Ok(total);
            }
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: readers

// ANCHOR: main
type Reader = fn(&mut UnixStream, &mut [u8]) -> io::Result<usize>;

fn main() -> io::Result<()> {
    let readers: [(&str, Reader); 2] = [
        ("one chunk per event", read_one_chunk),
        ("until WouldBlock", read_until_would_block),
    ];
    for (name, reader) in readers {
        println!("reading {name}:");
        receive_request(reader)?;
    }
    Ok(())
}

/// Lets `reader` take in a request on an edge-triggered registration,
/// for as long as events keep coming.
fn receive_request(reader: Reader) -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (mut socket, mut peer) = UnixStream::pair()?;
    socket.set_nonblocking(true)?;
    epoll.add(socket.as_raw_fd(), libc::EPOLLIN | libc::EPOLLET, 0)?;

    // The whole request in one write; then the peer waits for the answer,
    // keeping its end open.
    peer.write_all(&[b'x'; REQUEST])?;

    let mut buf = [0; 100];
    let mut received = 0;
    let mut events = 0;
    while received < REQUEST {
        if epoll.wait(PATIENCE_MS)?.is_empty() {
            // No event, yet the data is there: the socket still holds it.
            let left = read_until_would_block(&mut socket, &mut buf)?;
            println!(
                "  no event for {PATIENCE_MS} ms, and {left} bytes still \
                 unread in the socket"
            );
            return Ok(());
        }
        events += 1;
        received += reader(&mut socket, &mut buf)?;
        println!("  event {events}: {received} of {REQUEST} bytes read");
    }
    println!("  the whole request is in");
    Ok(())
}
// ANCHOR_END: main
