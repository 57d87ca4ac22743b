//! A network of its own for each program under test.
//!
//! The book's servers listen on fixed ports (8000, as a reader's would).
//! Rather than teach them to take a port from the test, a run gets a
//! private network namespace with its own loopback interface, so runs
//! never collide on a port, whatever else runs on the machine.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread;

/// Makes `command` start in a new network namespace whose loopback is up.
pub fn isolate_network(command: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and makes
    // only system calls, which are async-signal-safe.
    unsafe {
        command.pre_exec(enter_new_network);
    }
}

/// Moves the calling process into a new network namespace.
///
/// # Safety
/// The process must be single-threaded (a user namespace, which an
/// unprivileged caller needs, can only be entered then).
pub unsafe fn isolate_this_process() -> io::Result<()> {
    enter_new_network()
}

/// Makes `command` start in the network namespace of process `pid`, e.g. a
/// client joining the server it talks to.
pub fn join_network_of(command: &mut Command, pid: u32) -> io::Result<()> {
    let net = File::open(format!("/proc/{pid}/ns/net"))?;
    let user = File::open(format!("/proc/{pid}/ns/user"))?;
    // SAFETY: as in `isolate_network`; the files stay open in the closure.
    unsafe {
        command.pre_exec(move || {
            if libc::setns(net.as_raw_fd(), libc::CLONE_NEWNET) == 0 {
                return Ok(());
            }
            // Without privileges the namespace belongs to a user namespace
            // of ours, which we join first.
            check(libc::setns(user.as_raw_fd(), libc::CLONE_NEWUSER))?;
            check(libc::setns(net.as_raw_fd(), libc::CLONE_NEWNET))
        });
    }
    Ok(())
}

/// Runs `work` on a thread that has joined the network of process `pid`.
/// The sockets it opens belong to that network, and any thread may use
/// them afterwards.
///
/// Only the new thread moves. This process must be allowed to enter the
/// namespace: it has isolated itself first ([`isolate_this_process`]), so
/// that the program's namespace lies in a user namespace of its own.
pub fn in_network_of<T: Send>(pid: u32, work: impl FnOnce() -> T + Send) -> T {
    let network = File::open(format!("/proc/{pid}/ns/net"))
        .unwrap_or_else(|e| panic!("the network of process {pid}: {e}"));
    thread::scope(|scope| {
        scope
            .spawn(move || {
                // SAFETY: `setns` takes a descriptor we own, and moves
                // only the calling thread.
                let joined = unsafe {
                    libc::setns(network.as_raw_fd(), libc::CLONE_NEWNET)
                };
                assert_eq!(joined, 0, "{}", io::Error::last_os_error());
                work()
            })
            .join()
            .unwrap()
    })
}

fn enter_new_network() -> io::Result<()> {
    // SAFETY: plain system calls on values we own.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EPERM) {
                return Err(error);
            }
            // Unprivileged: a new user namespace grants the right to make
            // a network namespace inside it.
            check(libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET))?;
        }
        bring_loopback_up()
    }
}

/// A new network namespace starts with `lo` down; `ip link set lo up`
/// without needing the `ip` command.
unsafe fn bring_loopback_up() -> io::Result<()> {
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        check(fd)?;
        let mut request: libc::ifreq = std::mem::zeroed();
        for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *slot = *byte as libc::c_char;
        }
        let mut result =
            check(libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut request));
        if result.is_ok() {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            result = check(libc::ioctl(fd, libc::SIOCSIFFLAGS, &request));
        }
        libc::close(fd);
        result
    }
}

/// A system call's result as an `io::Result`: negative means `errno`.
pub(crate) fn check(result: libc::c_int) -> io::Result<()> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
