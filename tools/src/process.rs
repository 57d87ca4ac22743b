//! Running the book's programs under test: each in a network of its own,
//! with its wall-clock and CPU time measured.
//!
//! The book's servers listen on port 8000, as a reader's would. Rather than
//! teach them to take a port from the test, every run gets a private
//! network namespace with its own loopback interface, so runs never collide
//! on a port, whatever else runs in parallel on the machine.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

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

fn check(result: libc::c_int) -> io::Result<()> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// How a program ran.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// User plus system time of the process and all its threads, from the
    /// kernel's accounting (`wait4`), not estimated.
    pub cpu: Duration,
    /// How long its main thread was ready to run but waited for a core,
    /// from the kernel's scheduler statistics (`/proc/PID/schedstat`).
    pub waited_for_a_core: Duration,
    /// Whether it was killed for running past its time limit.
    pub timed_out: bool,
}

impl Run {
    /// CPU time as a fraction of wall time: about 1 for a program that
    /// keeps one core busy, near 0 for one that sleeps.
    pub fn cpu_share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    /// How much of a core the program asked for: time on a core plus time
    /// its main thread spent ready but waiting for one, as a fraction of
    /// wall time. About 1 for a busy loop even on a machine so loaded that
    /// it got half a core; near 0 for a program that sleeps.
    pub fn core_demand(&self) -> f64 {
        (self.cpu + self.waited_for_a_core).as_secs_f64()
            / self.wall.as_secs_f64()
    }
}

/// A program started with its output captured.
pub struct Running {
    child: Child,
    started: Instant,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Running {
    pub fn spawn(mut command: Command) -> io::Result<Running> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn()?;
        let stdout = read_all(child.stdout.take().unwrap());
        let stderr = read_all(child.stderr.take().unwrap());
        Ok(Running {
            child,
            started,
            stdout,
            stderr,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the program to exit, killing it once `limit` has passed.
    pub fn finish(self, limit: Duration) -> io::Result<Run> {
        let pid = self.child.id() as libc::pid_t;
        let mut timed_out = false;
        let mut waited_for_a_core = Duration::ZERO;
        let (status, usage) = loop {
            if has_exited(pid)? {
                // Read while the exited child is not reaped yet.
                waited_for_a_core = run_delay(pid).unwrap_or_default();
                break wait4(pid, 0)?
                    .expect("a blocking wait4 returns the child");
            }
            if self.started.elapsed() > limit {
                // The child is not reaped yet, so its pid is still ours.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                timed_out = true;
                break wait4(pid, 0)?
                    .expect("a blocking wait4 returns the child");
            }
            thread::sleep(Duration::from_millis(2));
        };
        let wall = self.started.elapsed();
        let time = |t: libc::timeval| {
            Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000)
        };
        Ok(Run {
            status,
            stdout: self.stdout.join().unwrap(),
            stderr: self.stderr.join().unwrap(),
            wall,
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            waited_for_a_core,
            timed_out,
        })
    }

    /// Stops a program that would run forever (a server).
    pub fn kill(self) -> io::Result<Run> {
        // SAFETY: the child has not been reaped, so the pid is still ours.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL) };
        self.finish(Duration::MAX)
    }
}

/// Runs `command` to the end (or kills it after `limit`), measured.
pub fn run_measured(command: Command, limit: Duration) -> io::Result<Run> {
    Running::spawn(command)?.finish(limit)
}

/// Whether child `pid` has exited, leaving it unreaped (`WNOWAIT`).
fn has_exited(pid: libc::pid_t) -> io::Result<bool> {
    // SAFETY: `info` is a plain C struct the kernel fills in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    let result = unsafe {
        libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags)
    };
    check(result)?;
    // With WNOHANG, a child that has not exited leaves the pid field 0.
    Ok(unsafe { info.si_pid() } == pid)
}

/// The second field of `/proc/PID/schedstat`: nanoseconds the main thread
/// spent ready to run, waiting for a core.
fn run_delay(pid: libc::pid_t) -> Option<Duration> {
    let stats =
        std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    let nanos = stats.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn wait4(
    pid: libc::pid_t,
    flags: libc::c_int,
) -> io::Result<Option<(ExitStatus, libc::rusage)>> {
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct the kernel fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
    match reaped {
        0 => Ok(None),
        -1 => Err(io::Error::last_os_error()),
        _ => Ok(Some((ExitStatus::from_raw(status), usage))),
    }
}

/// `text` without the terminal color codes some tools print even into a
/// pipe, for readable failure messages.
pub fn without_colors(text: &str) -> String {
    static COLOR: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| {
            regex::Regex::new("\x1b\\[[0-9;]*m").unwrap()
        });
    COLOR.replace_all(text, "").into_owned()
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// Run by `isolated_programs_share_no_ports` as a child process.
    #[test]
    #[ignore = "a helper that isolated_programs_share_no_ports runs"]
    fn bind_port_8000_for_a_moment() {
        let _listener = TcpListener::bind("0.0.0.0:8000").unwrap();
        println!("bound port 8000");
        thread::sleep(Duration::from_millis(300));
    }

    #[test]
    fn isolated_programs_share_no_ports() {
        // Two programs on the same port at once would collide if they
        // shared a network.
        let runs: Vec<Running> = (0..2)
            .map(|_| {
                let mut command =
                    Command::new(std::env::current_exe().unwrap());
                command.args([
                    "--exact",
                    "process::tests::bind_port_8000_for_a_moment",
                ]);
                command.args(["--ignored", "--nocapture", "--test-threads=1"]);
                isolate_network(&mut command);
                Running::spawn(command).unwrap()
            })
            .collect();
        for running in runs {
            let run = running.finish(Duration::from_secs(30)).unwrap();
            assert!(run.stdout.contains("bound port 8000"), "{run:?}");
            assert!(run.status.success(), "{run:?}");
        }
        // And an isolated program cannot reach this process's network.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut command = Command::new("bash");
        command.args(["-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port}")]);
        isolate_network(&mut command);
        let run = run_measured(command, Duration::from_secs(10)).unwrap();
        assert!(!run.status.success(), "{run:?}");
        TcpStream::connect(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn cpu_time_is_measured_by_the_kernel() {
        let mut busy = Command::new("sh");
        busy.args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]);
        let busy = run_measured(busy, Duration::from_secs(30)).unwrap();
        let mut idle = Command::new("sleep");
        idle.arg("0.3");
        let idle = run_measured(idle, Duration::from_secs(30)).unwrap();
        assert!(busy.cpu > Duration::from_millis(50), "{busy:?}");
        assert!(busy.core_demand() > 0.8, "{busy:?}");
        assert!(idle.core_demand() < 0.2, "{idle:?}");
        assert!(idle.cpu_share() < 0.2, "{idle:?}");
        assert!(idle.wall >= Duration::from_millis(300));
    }

    #[test]
    fn colors_are_removed_from_messages() {
        let colored = "\x1b[1m\x1b[38;5;9merror\x1b[0m: File not found";
        assert_eq!(without_colors(colored), "error: File not found");
    }

    #[test]
    fn a_program_past_its_limit_is_killed() {
        let mut forever = Command::new("sleep");
        forever.arg("60");
        let run = run_measured(forever, Duration::from_millis(200)).unwrap();
        assert!(run.timed_out);
        assert_eq!(run.status.signal(), Some(libc::SIGKILL));
    }
}
