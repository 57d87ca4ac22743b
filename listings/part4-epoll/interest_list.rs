//! epoll's two lists: each socket is registered once, and each wait
//! returns only the sockets that are ready.
//!
//! Three socket pairs stand in for three connections. One end of each pair
//! goes into the interest list of an epoll instance, with a token: a number
//! of our choosing that the kernel hands back with every event about that
//! socket. Then the other ends write, or hang up, one at a time, and each
//! `epoll_wait` reports the one socket that something happened to, by its
//! token, and nothing about the others.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use listings::epoll_wrapper::{Epoll, names};

// ANCHOR: main
fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    // Our ends of the three connections, and the peers' ends.
    let mut ours = Vec::new();
    let mut peers = Vec::new();
    for token in 0..3 {
        let (socket, peer) = UnixStream::pair()?;
        socket.set_nonblocking(true)?;
        // Registered once, here, for as long as the socket lives.
        epoll.add(socket.as_raw_fd(), libc::EPOLLIN, token)?;
        ours.push(socket);
        peers.push(peer);
    }
    println!("registered three sockets, tokens 0, 1 and 2, for EPOLLIN");
    report(&epoll)?;

    peers[1].write_all(b"hello")?;
    println!("peer 1 writes 5 bytes");
    report(&epoll)?;
    let mut buf = [0; 16];
    let n = ours[1].read(&mut buf)?;
    println!("socket 1 reads {n} bytes");
    report(&epoll)?;

    peers[2].write_all(b"hi")?;
    println!("peer 2 writes 2 bytes");
    report(&epoll)?;
    let n = ours[2].read(&mut buf)?;
    println!("socket 2 reads {n} bytes");

    // Nobody asked for EPOLLHUP, and it is reported all the same.
    drop(peers.remove(0));
    println!("peer 0 hangs up");
    report(&epoll)?;
    Ok(())
}

/// Prints what one `epoll_wait` returned, without waiting.
fn report(epoll: &Epoll) -> io::Result<()> {
    let ready = epoll.wait(0)?;
    if ready.is_empty() {
        println!("  epoll_wait: nothing");
    }
    for (token, events) in ready {
        println!("  epoll_wait: token {token}, {}", names(events));
    }
    Ok(())
}
// ANCHOR_END: main
