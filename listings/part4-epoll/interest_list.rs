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
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

// ANCHOR: epoll
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
        let mut event = libc::epoll_event {
            events: events as u32,
            u64: token,
        };
        // SAFETY: `event` is valid for the call, and the kernel copies it.
        let result = unsafe {
            libc::epoll_ctl(
                self.fd.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd,
                &mut event,
            )
        };
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
// ANCHOR_END: epoll

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

/// The names of the flags set in `events`, such as "EPOLLIN | EPOLLHUP".
fn names(events: u32) -> String {
    let flags = [
        (libc::EPOLLIN, "EPOLLIN"),
        (libc::EPOLLOUT, "EPOLLOUT"),
        (libc::EPOLLRDHUP, "EPOLLRDHUP"),
        (libc::EPOLLHUP, "EPOLLHUP"),
        (libc::EPOLLERR, "EPOLLERR"),
    ];
    let set: Vec<&str> = flags
        .iter()
        .filter(|&&(flag, _)| events & flag as u32 != 0)
        .map(|&(_, name)| name)
        .collect();
    set.join(" | ")
}
