//! What the kernel shows of a live process in `/proc`, read through the
//! `procfs` crate: its state, threads, children, descriptors, memory,
//! scheduler statistics, system call, and TCP sockets.
//!
//! A process that has exited but is not reaped yet (a zombie) keeps its
//! entry; its children are ours, so none of them is reaped behind our
//! back, and a pid read here names the same process until we reap it.

use std::collections::HashSet;
use std::io;
use std::time::Duration;

use procfs::ProcError;
use procfs::net::{TcpNetEntry, TcpState};
use procfs::process::{FDTarget, Process};

fn process(pid: u32) -> io::Result<Process> {
    let pid = i32::try_from(pid).map_err(io::Error::other)?;
    Process::new(pid).map_err(to_io)
}

fn to_io(error: ProcError) -> io::Error {
    match error {
        ProcError::NotFound(_) => {
            io::Error::new(io::ErrorKind::NotFound, error.to_string())
        }
        other => io::Error::other(other.to_string()),
    }
}

/// The process's state letter (`/proc/PID/stat`): `R` running, `S`
/// asleep in a system call, `T` stopped, `Z` exited and not yet reaped.
pub fn state(pid: u32) -> io::Result<char> {
    Ok(process(pid)?.stat().map_err(to_io)?.state)
}

/// How many threads process `pid` has, or `None` once it has exited.
pub fn threads(pid: u32) -> Option<usize> {
    let process = process(pid).ok()?;
    if matches!(process.stat().ok()?.state, 'Z' | 'X') {
        return None;
    }
    // The entries of `/proc/PID/task`, one a thread.
    Some(process.tasks().ok()?.count())
}

/// The process ids of the children of process `pid`'s main thread.
pub fn children(pid: u32) -> io::Result<Vec<u32>> {
    let main = process(pid)?.task_main_thread().map_err(to_io)?;
    main.children().map_err(to_io)
}

/// How many descriptors process `pid` has open (`/proc/PID/fd`).
pub fn open_descriptors(pid: u32) -> io::Result<usize> {
    process(pid)?.fd_count().map_err(to_io)
}

/// The system call process `pid` sleeps in (`/proc/PID/syscall`), by
/// number; `None` while it runs, or sleeps outside a system call.
pub fn sleeping_in_system_call(pid: u32) -> Option<i64> {
    match process(pid).ok()?.syscall().ok()? {
        procfs::process::Syscall::Blocked { syscall_number, .. } => {
            (syscall_number >= 0).then_some(syscall_number)
        }
        _ => None,
    }
}

/// The signals process `pid` ignores, as a mask: bit `n - 1` for signal
/// `n` (`SigIgn` in `/proc/PID/status`).
pub fn ignored_signals(pid: u32) -> io::Result<u64> {
    Ok(process(pid)?.status().map_err(to_io)?.sigign)
}

/// The resident memory of process `pid` now, in KiB (`VmRSS`).
pub fn resident_kib(pid: u32) -> io::Result<u64> {
    let status = process(pid)?.status().map_err(to_io)?;
    status.vmrss.ok_or_else(|| missing("VmRSS", pid))
}

/// The most resident memory process `pid` has had, in KiB (`VmHWM`).
pub fn peak_resident_kib(pid: u32) -> io::Result<u64> {
    let status = process(pid)?.status().map_err(to_io)?;
    status.vmhwm.ok_or_else(|| missing("VmHWM", pid))
}

/// How many times process `pid` has given up its core of its own accord,
/// to wait for something (`voluntary_ctxt_switches`): a program that
/// spins never does, however loaded the machine.
pub fn voluntary_switches(pid: u32) -> io::Result<u64> {
    let status = process(pid)?.status().map_err(to_io)?;
    status
        .voluntary_ctxt_switches
        .ok_or_else(|| missing("voluntary_ctxt_switches", pid))
}

fn missing(field: &str, pid: u32) -> io::Error {
    io::Error::other(format!("no {field} in /proc/{pid}/status"))
}

/// Time the main thread of a process spent on a core, and ready to run
/// but waiting for one, from the scheduler's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scheduled {
    pub on_a_core: Duration,
    pub waiting_for_a_core: Duration,
}

/// The scheduler's statistics of the main thread of process `pid`
/// (`/proc/PID/schedstat`).
pub fn scheduled(pid: u32) -> io::Result<Scheduled> {
    let stats = process(pid)?.schedstat().map_err(to_io)?;
    Ok(Scheduled {
        on_a_core: Duration::from_nanos(stats.sum_exec_runtime),
        waiting_for_a_core: Duration::from_nanos(stats.run_delay),
    })
}

/// The longest time any one thread of process `pid` has spent ready to
/// run but waiting for a core (`/proc/PID/task/*/schedstat`). For a
/// program whose work is on threads other than the main one (a worker
/// pool), the main thread, asleep until they finish, never waits.
pub fn longest_wait_for_a_core(pid: u32) -> io::Result<Duration> {
    let mut longest = Duration::ZERO;
    for task in process(pid)?.tasks().map_err(to_io)? {
        // A thread that ended since the listing has nothing to add.
        if let Ok(stats) = task.and_then(|task| task.schedstat()) {
            longest = longest.max(Duration::from_nanos(stats.run_delay));
        }
    }
    Ok(longest)
}

/// One line per thread of process `pid`: its name, its state (`R`
/// running or ready, `S` asleep, `D` in uninterruptible wait), the kernel
/// function it sleeps in, and its time on a core and waiting for one. For
/// the message of a program killed for taking too long.
pub fn threads_report(pid: u32) -> String {
    let Ok(tasks) = process(pid).and_then(|p| p.tasks().map_err(to_io)) else {
        return format!("(no threads of {pid} to report)");
    };
    let mut report = String::new();
    for task in tasks.flatten() {
        let name = task.stat().map(|s| (s.comm, s.state));
        let times = task.schedstat().map(|s| (s.sum_exec_runtime, s.run_delay));
        let wchan = std::fs::read_to_string(format!(
            "/proc/{pid}/task/{}/wchan",
            task.tid
        ))
        .unwrap_or_default();
        if let (Ok((name, state)), Ok((on, waiting))) = (name, times) {
            report.push_str(&format!(
                "{name} {state} in {wchan:?}: {:?} on a core, {:?} waiting for one\n",
                Duration::from_nanos(on),
                Duration::from_nanos(waiting)
            ));
        }
    }
    report
}

/// A process's CPU time so far, all its threads together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// The exact total, from the scheduler's account of each thread
    /// (`/proc/PID/task/*/schedstat`, in nanoseconds).
    pub total: Duration,
    /// The kernel's sampled split into user and system time
    /// (`/proc/PID/stat`), in clock ticks.
    pub user_ticks: u64,
    pub system_ticks: u64,
}

/// The CPU time of process `pid` and all its threads so far.
pub fn cpu_time(pid: u32) -> io::Result<CpuTime> {
    let process = process(pid)?;
    let mut total = Duration::ZERO;
    for task in process.tasks().map_err(to_io)? {
        // A thread that ended since the listing has nothing to add.
        if let Ok(stats) = task.and_then(|task| task.schedstat()) {
            total += Duration::from_nanos(stats.sum_exec_runtime);
        }
    }
    let stat = process.stat().map_err(to_io)?;
    Ok(CpuTime {
        total,
        user_ticks: stat.utime,
        system_ticks: stat.stime,
    })
}

/// The TCP (IPv4) sockets of the network process `pid` is in
/// (`/proc/PID/net/tcp`): every process's, not only its own.
fn tcp_sockets(pid: u32) -> io::Result<Vec<TcpNetEntry>> {
    process(pid)?.tcp().map_err(to_io)
}

/// Whether some socket in the network of process `pid` listens on TCP
/// port `port`.
pub fn listens_on(pid: u32, port: u16) -> bool {
    tcp_sockets(pid).is_ok_and(|sockets| {
        sockets.iter().any(|socket| {
            socket.state == TcpState::Listen
                && socket.local_address.port() == port
        })
    })
}

/// The port process `pid` itself listens on: the socket among its
/// descriptors that its network's table lists as listening. `None` while
/// it has none.
pub fn listening_port(pid: u32) -> Option<u16> {
    let process = process(pid).ok()?;
    let own: HashSet<u64> = process
        .fd()
        .ok()?
        .filter_map(|fd| match fd.ok()?.target {
            FDTarget::Socket(inode) => Some(inode),
            _ => None,
        })
        .collect();
    let sockets = process.tcp().ok()?;
    sockets
        .iter()
        .find(|socket| {
            socket.state == TcpState::Listen && own.contains(&socket.inode)
        })
        .map(|socket| socket.local_address.port())
}

/// Bytes received and not yet read, over all sockets on local port `port`
/// in the network of process `pid`: 0 once a server has read everything
/// its clients sent.
pub fn unread_bytes_on_port(pid: u32, port: u16) -> io::Result<u64> {
    Ok(tcp_sockets(pid)?
        .iter()
        .filter(|socket| socket.local_address.port() == port)
        .map(|socket| u64::from(socket.rx_queue))
        .sum())
}
