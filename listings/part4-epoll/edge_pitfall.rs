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
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use listings::epoll_wrapper::Epoll;

/// The size of the peer's request.
const REQUEST: usize = 1000;

/// How long a reader waits for an event before it gives up. A real
/// server would wait for ever, with the peer waiting for it.
const PATIENCE_MS: libc::c_int = 100;

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

include!("drain.rs");
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
