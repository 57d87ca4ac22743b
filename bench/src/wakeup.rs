//! The cost of one wake-up with `n` idle descriptors, for `poll(2)` and
//! for `epoll`: one thread makes one descriptor (an `eventfd`) readable,
//! asks the kernel which descriptors are ready, and reads the one that is.
//! The other `n` are `eventfd`s that nobody writes. `poll(2)` is handed
//! all of them every time; `epoll` was told about them once.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub fn measure(
    mechanism: &str,
    n: usize,
    max_iterations: u64,
    max_time: Duration,
) -> io::Result<Value> {
    let idle: Vec<OwnedFd> =
        (0..n).map(|_| eventfd()).collect::<io::Result<_>>()?;
    let active = eventfd()?;
    let mut wait: Box<dyn FnMut() -> io::Result<usize>> = match mechanism {
        "poll" => {
            // The ready descriptor last: `poll(2)` looks at every entry in
            // any case, and this order is the worst case for nothing.
            let mut fds: Vec<libc::pollfd> = idle
                .iter()
                .chain([&active])
                .map(|fd| libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            Box::new(move || {
                // SAFETY: `fds` holds `fds.len()` valid entries.
                let ready = unsafe {
                    libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1)
                };
                check(ready).map(|r| r as usize)
            })
        }
        "epoll" => {
            // SAFETY: no pointers.
            let epoll =
                check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
            // SAFETY: a new descriptor that nothing else owns.
            let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
            for (token, fd) in idle.iter().chain([&active]).enumerate() {
                let mut event = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: token as u64,
                };
                // SAFETY: `event` is valid for the call.
                check(unsafe {
                    libc::epoll_ctl(
                        epoll.as_raw_fd(),
                        libc::EPOLL_CTL_ADD,
                        fd.as_raw_fd(),
                        &mut event,
                    )
                })?;
            }
            let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
            Box::new(move || {
                // SAFETY: `events` has room for `events.len()` entries.
                let ready = unsafe {
                    libc::epoll_wait(
                        epoll.as_raw_fd(),
                        events.as_mut_ptr(),
                        events.len() as libc::c_int,
                        -1,
                    )
                };
                check(ready).map(|r| r as usize)
            })
        }
        other => return Err(io::Error::other(format!("no mechanism {other}"))),
    };
    let one = 1u64.to_ne_bytes();
    let mut eight = [0u8; 8];
    let ring = |buf: &[u8]| {
        // SAFETY: `buf` holds 8 bytes.
        check(
            unsafe { libc::write(active.as_raw_fd(), buf.as_ptr().cast(), 8) }
                as libc::c_int,
        )
    };
    let silence = |buf: &mut [u8; 8]| {
        // SAFETY: `buf` has room for 8 bytes.
        check(unsafe {
            libc::read(active.as_raw_fd(), buf.as_mut_ptr().cast(), 8)
        } as libc::c_int)
    };
    // The same write and read without asking the kernel in between: what
    // every wake-up costs besides the wait itself.
    let baseline_start = Instant::now();
    let mut baseline_count = 0u64;
    // Each loop runs at least once, and stops at whichever limit comes
    // first: the count or the time.
    loop {
        ring(&one)?;
        silence(&mut eight)?;
        baseline_count += 1;
        if baseline_count >= max_iterations
            || baseline_start.elapsed() >= max_time / 4
        {
            break;
        }
    }
    let baseline =
        baseline_start.elapsed().as_secs_f64() / baseline_count as f64;
    let start = Instant::now();
    let mut count = 0u64;
    loop {
        ring(&one)?;
        let ready = wait()?;
        if ready != 1 {
            return Err(io::Error::other(format!(
                "{ready} descriptors ready, not 1"
            )));
        }
        silence(&mut eight)?;
        count += 1;
        if count >= max_iterations || start.elapsed() >= max_time {
            break;
        }
    }
    let per_wake_up = start.elapsed().as_secs_f64() / count as f64;
    Ok(json!({
        "mechanism": mechanism,
        "idle": n,
        "iterations": count,
        "us_per_wakeup": per_wake_up * 1e6,
        "us_write_read_alone": baseline * 1e6,
    }))
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers.
    let fd = check(unsafe {
        libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)
    })?;
    // SAFETY: a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}
