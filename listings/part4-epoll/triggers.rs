//! Level-triggered, edge-triggered and one-shot: three ways for epoll to
//! report the same socket.
//!
//! The same script runs three times, each time on a fresh socket pair
//! registered in one of the three modes: the peer writes, our end reads
//! part of it, the peer writes again, our end re-registers, our end reads
//! the rest. After each step, an `epoll_wait` that does not wait prints
//! what it returned. Level-triggered reports unread data on every call;
//! edge-triggered reports it once, and again only when more arrives;
//! one-shot reports it once, and then nothing until it is re-armed.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use listings::epoll_wrapper::{Epoll, names};

// ANCHOR: main
fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let modes = [
        ("level-triggered, the default", libc::EPOLLIN),
        ("edge-triggered", libc::EPOLLIN | libc::EPOLLET),
        ("one-shot", libc::EPOLLIN | libc::EPOLLONESHOT),
    ];
    for (token, (mode, events)) in (0..).zip(modes) {
        println!("{mode} ({}), token {token}:", names(events as u32));
        script(&epoll, events, token)?;
    }
    Ok(())
}

/// Runs the same steps on a new socket pair registered for `events`,
/// printing what `epoll_wait` returns after each.
fn script(epoll: &Epoll, events: libc::c_int, token: u64) -> io::Result<()> {
    let (mut socket, mut peer) = UnixStream::pair()?;
    socket.set_nonblocking(true)?;
    epoll.add(socket.as_raw_fd(), events, token)?;
    let mut buf = [0; 16];

    peer.write_all(b"hello")?;
    println!("  peer writes 5 bytes");
    report(epoll)?;
    println!("  (nothing read, wait again)");
    report(epoll)?;

    let n = socket.read(&mut buf[..2])?;
    println!("  socket reads {n} bytes, 3 are left");
    report(epoll)?;

    peer.write_all(b"world")?;
    println!("  peer writes 5 more bytes");
    report(epoll)?;

    epoll.modify(socket.as_raw_fd(), events, token)?;
    println!("  socket re-registers with EPOLL_CTL_MOD");
    report(epoll)?;

    let n = read_until_would_block(&mut socket, &mut buf)?;
    println!("  socket reads {n} bytes, until WouldBlock");
    report(epoll)?;
    Ok(())
}
// ANCHOR_END: main

include!("drain.rs");

/// Prints what one `epoll_wait` returned, without waiting.
fn report(epoll: &Epoll) -> io::Result<()> {
    let ready = epoll.wait(0)?;
    if ready.is_empty() {
        println!("    epoll_wait: nothing");
    }
    for (token, events) in ready {
        println!("    epoll_wait: token {token}, {}", names(events));
    }
    Ok(())
}
