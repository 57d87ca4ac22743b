//! Limits on resources (`ulimit`): descriptors, processes and file size,
//! of this process or of a program about to start.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::network::check;

/// The soft and hard limits on open descriptors of this process.
pub fn descriptor_limit() -> io::Result<(u64, u64)> {
    let limit = get(libc::RLIMIT_NOFILE)?;
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Raises this process's soft limit on open descriptors to the hard
/// limit, and returns it: thousands of connections need more than the
/// usual 1,024.
pub fn raise_descriptor_limit() -> io::Result<u64> {
    let mut limit = get(libc::RLIMIT_NOFILE)?;
    limit.rlim_cur = limit.rlim_max;
    set(libc::RLIMIT_NOFILE, &limit)?;
    Ok(limit.rlim_max)
}

/// Makes `command` start with its soft limit on descriptors raised to
/// the hard limit.
pub fn raise_descriptor_limit_of(command: &mut Command) {
    // SAFETY: runs in the forked child before exec and makes only system
    // calls, which are async-signal-safe.
    unsafe {
        command.pre_exec(|| raise_descriptor_limit().map(drop));
    }
}

/// Makes `command` start with at most `descriptors` open files, soft and
/// hard limit alike, e.g. to see a server run out of them.
pub fn limit_descriptors(command: &mut Command, descriptors: u64) {
    let limit = libc::rlimit {
        rlim_cur: descriptors,
        rlim_max: descriptors,
    };
    // SAFETY: as in `raise_descriptor_limit_of`.
    unsafe {
        command.pre_exec(move || set(libc::RLIMIT_NOFILE, &limit));
    }
}

/// Makes `command` start unable to make any file longer than `bytes`
/// (`ulimit -f`), its output files included: a write past that fails,
/// and the kernel stops the program with `SIGXFSZ`. Bounds what a program
/// can print into [`Output::Files`](crate::Output::Files).
pub fn limit_file_size(command: &mut Command, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: as in `raise_descriptor_limit_of`.
    unsafe {
        command.pre_exec(move || set(libc::RLIMIT_FSIZE, &limit));
    }
}

/// `ulimit -u`: how many processes and threads this user may have. The
/// kernel does not hold root to it, so for root it is unlimited.
pub fn processes_this_user_may_have() -> io::Result<usize> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(usize::MAX);
    }
    let limit = get(libc::RLIMIT_NPROC)?;
    Ok(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

fn get(resource: libc::__rlimit_resource_t) -> io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for the kernel to write to.
    check(unsafe { libc::getrlimit(resource, &mut limit) })?;
    Ok(limit)
}

fn set(
    resource: libc::__rlimit_resource_t,
    limit: &libc::rlimit,
) -> io::Result<()> {
    // SAFETY: `limit` is valid for the kernel to read.
    check(unsafe { libc::setrlimit(resource, limit) })
}
