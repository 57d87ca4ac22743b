//! Waiting for a child of ours with the system calls themselves, for what
//! `std::process::Child` does not give: whether it has exited without
//! reaping it (so that its `/proc` entry can still be read), and the
//! kernel's account of its CPU time when it is reaped (`wait4`).

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use crate::network::check;

/// Whether child `pid` has exited, leaving it unreaped (`WNOWAIT`).
pub(crate) fn has_exited(pid: u32) -> io::Result<bool> {
    // SAFETY: `info` is a plain C struct the kernel fills in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    let result = unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) };
    check(result)?;
    // With WNOHANG, a child that has not exited leaves the pid field 0.
    Ok(unsafe { info.si_pid() } == pid as libc::pid_t)
}

/// Sends `signal` to process `pid`.
pub(crate) fn signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: `kill` takes no pointers.
    check(unsafe { libc::kill(pid as libc::pid_t, signal) })
}

/// How a reaped child ended, and the CPU time it and all its threads
/// used, user and system, from the kernel's accounting.
pub(crate) struct Reaped {
    pub(crate) status: ExitStatus,
    pub(crate) user: Duration,
    pub(crate) system: Duration,
}

/// Waits for child `pid` to exit, and reaps it.
pub(crate) fn reap(pid: u32) -> io::Result<Reaped> {
    let mut status = 0;
    // SAFETY: all zeros is a valid `rusage`, which the kernel fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for the call.
        let reaped = unsafe {
            libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage)
        };
        if reaped >= 0 {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let time = |t: libc::timeval| {
        Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000)
    };
    Ok(Reaped {
        status: ExitStatus::from_raw(status),
        user: time(usage.ru_utime),
        system: time(usage.ru_stime),
    })
}
