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
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

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

    // ANCHOR: modify
    /// Replaces the events and the token of `fd`, which must be in the
    /// interest list already. It also re-arms a one-shot entry.
    fn modify(
        &self,
        fd: RawFd,
        events: libc::c_int,
        token: u64,
    ) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_MOD, fd, events, token)
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
    // ANCHOR_END: modify

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

/// Reads until the socket has nothing left, and returns how much it read.
fn read_until_would_block(
    socket: &mut UnixStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut total = 0;
    loop {
        match socket.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Ok(total);
            }
            Err(e) => return Err(e),
        }
    }
}

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

/// The names of the flags set in `events`, such as "EPOLLIN | EPOLLHUP".
fn names(events: u32) -> String {
    let flags = [
        (libc::EPOLLIN, "EPOLLIN"),
        (libc::EPOLLOUT, "EPOLLOUT"),
        (libc::EPOLLRDHUP, "EPOLLRDHUP"),
        (libc::EPOLLHUP, "EPOLLHUP"),
        (libc::EPOLLERR, "EPOLLERR"),
        // Never reported, only asked for: they say how to report.
        (libc::EPOLLET, "EPOLLET"),
        (libc::EPOLLONESHOT, "EPOLLONESHOT"),
    ];
    let set: Vec<&str> = flags
        .iter()
        .filter(|&&(flag, _)| events & flag as u32 != 0)
        .map(|&(_, name)| name)
        .collect();
    set.join(" | ")
}
