//! A small wrapper around epoll's three calls, `epoll_create1`,
//! `epoll_ctl` and `epoll_wait`, with no runtime around it: the epoll
//! chapter's demonstrations (`part4-interest-list`, `part4-triggers`,
//! `part4-edge-pitfall`) drive it by hand, one call at a time.
//!
//! ```
//! use std::io::Write;
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//! use listings::epoll_wrapper::{Epoll, names};
//!
//! let epoll = Epoll::new()?;
//! let (ours, mut peer) = UnixStream::pair()?;
//! ours.set_nonblocking(true)?;
//! // One-shot: reported once, then not again until re-armed.
//! let one_shot = libc::EPOLLIN | libc::EPOLLONESHOT;
//! epoll.add(ours.as_raw_fd(), one_shot, 7)?;
//! assert!(epoll.wait(0)?.is_empty());
//!
//! peer.write_all(b"hi")?;
//! let ready = epoll.wait(0)?;
//! assert_eq!(ready.len(), 1);
//! assert_eq!(ready[0].0, 7);
//! assert_eq!(names(ready[0].1), "EPOLLIN");
//! assert!(epoll.wait(0)?.is_empty());
//!
//! // `modify` re-arms it, here with another token.
//! epoll.modify(ours.as_raw_fd(), one_shot, 8)?;
//! assert_eq!(epoll.wait(0)?[0].0, 8);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

// ANCHOR: epoll
/// An epoll instance. The kernel keeps its two lists, the interest list
/// (what the program asked to watch) and the ready list (what happened to
/// it); the program holds one descriptor that names both.
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
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
    pub fn add(
        &self,
        fd: RawFd,
        events: libc::c_int,
        token: u64,
    ) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// Changes the interest list: `op` says how (`EPOLL_CTL_ADD` here).
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
    // ANCHOR_END: epoll

    // ANCHOR: epoll_wait
    /// Takes the ready entries off the ready list, waiting up to `timeout`
    /// milliseconds for the first one (0: just look). Returns the token
    /// and the events of each.
    pub fn wait(&self, timeout: libc::c_int) -> io::Result<Vec<(u64, u32)>> {
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
// ANCHOR_END: epoll_wait

// ANCHOR: modify
impl Epoll {
    /// Replaces the events and the token of `fd`, which must be in the
    /// interest list already. It also re-arms a one-shot entry.
    pub fn modify(
        &self,
        fd: RawFd,
        events: libc::c_int,
        token: u64,
    ) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_MOD, fd, events, token)
    }
}
// ANCHOR_END: modify

/// The names of the flags set in `events`, such as "EPOLLIN | EPOLLHUP".
pub fn names(events: u32) -> String {
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
