//! When a program really started: the moment its process, made ready
//! (a network of its own, limits), was about to exec it.
//!
//! Timing from `Command::spawn` would count the setup too, and the setup
//! can take seconds: on a machine that runs hundreds of programs, each in
//! a network namespace of its own, `unshare(CLONE_NEWNET)` waits while
//! the kernel tears down the namespaces of earlier runs (measured: up to
//! 1.4 s during a full test run, 0 s on an idle machine). Nor is the
//! moment `spawn` returns the start: it returns when the child's
//! close-on-exec pipe reaches end of file, which another child forked in
//! the meantime, still being set up, can hold back.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::network::check;

/// The read end of a pipe the child writes its exec time into.
pub struct ExecTime {
    reader: File,
}

/// Makes the child of `command` report, through a pipe, the time on the
/// monotonic clock just before it execs. Call it after every other
/// `pre_exec` step, so that the time comes after them.
pub fn report(command: &mut Command) -> io::Result<ExecTime> {
    let mut ends = [0 as RawFd; 2];
    // SAFETY: `pipe2` fills the two descriptors, which we then own.
    check(unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both were just made by `pipe2`, and are owned by no one else.
    let (reader, writer) =
        unsafe { (File::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // SAFETY: the closure runs in the forked child before exec and makes
    // only async-signal-safe calls (`clock_gettime`, `write`).
    unsafe {
        command.pre_exec(move || {
            let now = monotonic_now();
            let bytes = now.to_ne_bytes();
            let written = libc::write(
                writer.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
            );
            if written != bytes.len() as isize {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(ExecTime { reader })
}

impl ExecTime {
    /// The child's exec time as an `Instant`, once `spawn` has returned.
    /// `None` if the child wrote none. The command, which holds the pipe's
    /// write end for the child, must be dropped first.
    pub fn read(mut self) -> Option<Instant> {
        let mut bytes = [0; 16];
        self.reader.read_exact(&mut bytes).ok()?;
        let execed = u128::from_ne_bytes(bytes);
        let since = monotonic_now().saturating_sub(execed);
        Instant::now().checked_sub(Duration::from_nanos(since as u64))
    }
}

/// Nanoseconds on `CLOCK_MONOTONIC`, the clock `Instant` reads on Linux.
fn monotonic_now() -> u128 {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut time) };
    time.tv_sec as u128 * 1_000_000_000 + time.tv_nsec as u128
}
