//! The practical limit: one thread, one `epoll` instance, no futures, no
//! wakers, no allocation per event. Each workload gets the least work it
//! needs: the sleep workload keeps its connections in a queue ordered by
//! deadline (every sleep is equally long) and never registers them; the
//! echo workload registers each connection, level-triggered, and answers
//! each readable event with one read and one write.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use crate::workload::{Workload, work_on};

const LISTENER: u64 = u64::MAX;

pub fn serve(listener: TcpListener, workload: Workload) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    // SAFETY: `epoll_create1` takes no pointers.
    let epoll = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    // SAFETY: a new descriptor that nothing else owns.
    let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
    control(&epoll, libc::EPOLL_CTL_ADD, listener.as_raw_fd(), LISTENER)?;
    // Connections by descriptor number (echo), or by deadline (sleep).
    let mut streams: Vec<Option<TcpStream>> = Vec::new();
    let mut sleeping: VecDeque<(Instant, TcpStream)> = VecDeque::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = [0u8; 4096];
    loop {
        let timeout = match sleeping.front() {
            Some((at, _)) => {
                let left = at.saturating_duration_since(Instant::now());
                left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128)
                    as libc::c_int
            }
            None => -1,
        };
        // SAFETY: `events` has room for `events.len()` entries.
        let count = unsafe {
            libc::epoll_wait(
                epoll.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                timeout,
            )
        };
        if count < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        for event in &events[..count as usize] {
            let token = event.u64;
            if token == LISTENER {
                accept_all(
                    &listener,
                    workload,
                    &epoll,
                    &mut streams,
                    &mut sleeping,
                )?;
                continue;
            }
            let fd = token as usize;
            let Some(stream) = streams.get_mut(fd).and_then(Option::as_mut)
            else {
                continue;
            };
            // One read, and the same bytes back: the client sends one
            // message and waits for it, so the send buffer has room.
            let done = match stream.read(&mut buf) {
                Ok(0) => true,
                Ok(n) => {
                    if let Workload::Echo { work } = workload {
                        work_on(&buf[..n], work);
                    }
                    stream.write_all(&buf[..n]).is_err()
                }
                Err(e) => e.kind() != io::ErrorKind::WouldBlock,
            };
            if done {
                // Closing the descriptor removes it from the interest list.
                streams[fd] = None;
            }
        }
        let now = Instant::now();
        while sleeping.front().is_some_and(|(at, _)| *at <= now) {
            let (_, mut stream) = sleeping.pop_front().unwrap();
            let _ = stream.write_all(b"end\n");
        }
    }
}

fn accept_all(
    listener: &TcpListener,
    workload: Workload,
    epoll: &OwnedFd,
    streams: &mut Vec<Option<TcpStream>>,
    sleeping: &mut VecDeque<(Instant, TcpStream)>,
) -> io::Result<()> {
    loop {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors, or a connection that failed in the
            // queue: the next event tries again.
            Err(_) => return Ok(()),
        };
        match workload {
            Workload::Sleep(duration) => {
                // Six bytes into an empty send buffer: the blocking write
                // returns at once.
                if stream.write_all(b"start\n").is_ok() {
                    sleeping.push_back((Instant::now() + duration, stream));
                }
            }
            Workload::Echo { .. } => {
                stream.set_nonblocking(true)?;
                let fd = stream.as_raw_fd();
                control(epoll, libc::EPOLL_CTL_ADD, fd, fd as u64)?;
                let index = fd as usize;
                if streams.len() <= index {
                    streams.resize_with(index + 1, || None);
                }
                streams[index] = Some(stream);
            }
        }
    }
}

fn control(
    epoll: &OwnedFd,
    op: libc::c_int,
    fd: RawFd,
    token: u64,
) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: `event` is valid for the call; the kernel copies it.
    check(unsafe { libc::epoll_ctl(epoll.as_raw_fd(), op, fd, &mut event) })
        .map(drop)
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}
