//! A program under test while it runs ([`Running`]), killed if it is
//! dropped before it ends (so that a failing test leaves nothing behind),
//! and how it ran ([`Run`]): its status, output, wall-clock time, and the
//! CPU time the kernel accounted to it.

use std::io::{self, BufRead, BufReader};
use std::process::Child;
use std::process::{ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub use crate::output::Output;
use crate::output::{self, Collecting};
use crate::{exec_time, inspect, reap};

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
    /// The user-mode part of [`cpu`](Run::cpu).
    pub cpu_user: Duration,
    /// The kernel-mode part of [`cpu`](Run::cpu).
    pub cpu_system: Duration,
    /// How long its main thread was ready to run but waited for a core,
    /// from the kernel's scheduler statistics (`/proc/PID/schedstat`).
    pub waited_for_a_core: Duration,
    /// Whether it was killed for running past its time limit.
    pub timed_out: bool,
    /// When it was, what each of its threads was doing
    /// ([`inspect::threads_report`]); empty otherwise.
    pub killed_while: String,
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

/// What a program reads on its standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Nothing: it reads the end at once.
    Closed,
    /// A pipe for the caller to write to ([`Running::take_stdin`]);
    /// closing it tells the program to finish.
    Piped,
}

/// A started program. Dropped before it has been waited for, it is
/// killed and reaped.
pub struct Running {
    child: Child,
    started: Instant,
    output: Option<Collecting>,
    reaped: bool,
}

impl Running {
    /// Starts `command` with its output captured and nothing to read.
    pub fn spawn(command: Command) -> io::Result<Running> {
        Running::spawn_with(command, Output::Captured, Input::Closed)
    }

    /// Starts `command` with its output and input as given.
    pub fn spawn_with(
        mut command: Command,
        output: Output,
        input: Input,
    ) -> io::Result<Running> {
        command.stdin(match input {
            Input::Closed => Stdio::null(),
            Input::Piped => Stdio::piped(),
        });
        let files = output::prepare(&mut command, output)?;
        // The program's time starts when it is exec'd, not when its
        // process is made: see `exec_time`.
        let exec_time = exec_time::report(&mut command)?;
        let spawned = Instant::now();
        let mut child = command.spawn()?;
        drop(command);
        let started = exec_time.read().unwrap_or(spawned);
        let output = output::collect(&mut child, output, files);
        Ok(Running {
            child,
            started,
            output: Some(output),
            reaped: false,
        })
    }

    /// Starts `command`, a server that says where it listens on its first
    /// line of output (`listening on 127.0.0.1:PORT`), and returns it with
    /// that address, the line's last word. Fails, and kills the server,
    /// if no line comes `within`; the rest of its output is not read.
    pub fn spawn_listening(
        command: Command,
        within: Duration,
    ) -> io::Result<(Running, String)> {
        let mut server =
            Running::spawn_with(command, Output::StdoutPiped, Input::Closed)?;
        let stdout = server.take_stdout().expect("stdout is piped");
        let (lines, first) = mpsc::channel();
        // A thread of its own, so that a server that never writes cannot
        // hold the caller past `within`.
        thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            let _ = lines.send(read.map(|_| line));
        });
        let line = match first.recv_timeout(within) {
            Ok(Ok(line)) if !line.trim().is_empty() => line,
            other => {
                let status = server.kill().map(|run| run.status);
                return Err(io::Error::other(format!(
                    "the server printed no address within {within:?} \
                     ({other:?}; it ended with {status:?})"
                )));
            }
        };
        let address = line.split_whitespace().last().unwrap_or("").to_owned();
        Ok((server, address))
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The program's standard input, with [`Input::Piped`], once.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    /// The program's standard output, with [`Output::StdoutPiped`], once.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// Sends `signal` to the program.
    pub fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        // Not reaped before `finish`, so the pid is still the program's.
        reap::signal(self.id(), signal)
    }

    /// Whether the program has exited (it is not reaped before `finish`,
    /// so its `/proc` entry stays readable).
    pub fn has_exited(&self) -> io::Result<bool> {
        reap::has_exited(self.id())
    }

    /// Waits for the program to exit, killing it once `limit` has passed
    /// since it started.
    pub fn finish(mut self, limit: Duration) -> io::Result<Run> {
        let deadline = self.started.checked_add(limit);
        self.wait_and_reap(deadline)
    }

    /// Waits for the program to exit, killing it if it has not within
    /// `within` from now.
    pub fn finish_within(mut self, within: Duration) -> io::Result<Run> {
        let deadline = Instant::now().checked_add(within);
        self.wait_and_reap(deadline)
    }

    /// Waits for the program to exit, killing it once it has run for
    /// `limit` of its own: the time it spent waiting for a core (on a
    /// loaded machine) does not count, as a program's time limit should
    /// not depend on what else the machine runs. Its waiting is its
    /// longest-waiting thread's, so that a program whose work is on a
    /// pool of workers, its main thread asleep, is counted by them.
    pub fn finish_on_its_own_time(
        mut self,
        limit: Duration,
    ) -> io::Result<Run> {
        let pid = self.id();
        let started = self.started;
        // The longest wait seen so far, read every 50 ms: a thread that
        // ends takes its account with it, and a pool's workers end just
        // before the program does.
        let mut longest = Duration::ZERO;
        let mut read_at: Option<Instant> = None;
        self.wait_and_reap_until(|| {
            if read_at
                .is_none_or(|at| at.elapsed() >= Duration::from_millis(50))
            {
                let now = inspect::longest_wait_for_a_core(pid);
                longest = longest.max(now.unwrap_or_default());
                read_at = Some(Instant::now());
            }
            started.elapsed() > limit + longest
        })
    }

    /// Stops a program that would run forever (a server).
    pub fn kill(mut self) -> io::Result<Run> {
        let _ = self.signal(libc::SIGKILL);
        self.wait_and_reap(None)
    }

    fn wait_and_reap(&mut self, deadline: Option<Instant>) -> io::Result<Run> {
        self.wait_and_reap_until(|| {
            deadline.is_some_and(|deadline| Instant::now() > deadline)
        })
    }

    /// Waits for the program to exit, killing it once `out_of_time` says
    /// so, and reaps it.
    fn wait_and_reap_until(
        &mut self,
        mut out_of_time: impl FnMut() -> bool,
    ) -> io::Result<Run> {
        let pid = self.id();
        let mut timed_out = false;
        let mut killed_while = String::new();
        let mut waited_for_a_core = Duration::ZERO;
        loop {
            // Decided before looking for an exit, which wins: a program
            // that ends while its time is being read (and its threads,
            // with their accounts, are going) has not run out of time.
            let out_of_time = out_of_time();
            if self.has_exited()? {
                // Read while the exited child is not reaped yet.
                waited_for_a_core = inspect::scheduled(pid)
                    .map(|s| s.waiting_for_a_core)
                    .unwrap_or_default();
                break;
            }
            if out_of_time {
                // What each thread was doing, for the message: a hang and
                // a slow run look alike from outside.
                killed_while = inspect::threads_report(pid);
                self.signal(libc::SIGKILL)?;
                timed_out = true;
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
        let reaped = reap::reap(pid)?;
        self.reaped = true;
        let wall = self.started.elapsed();
        let output = self.output.take().expect("a program ends once");
        let (stdout, stderr) = output.finish()?;
        Ok(Run {
            status: reaped.status,
            stdout,
            stderr,
            wall,
            cpu: reaped.user + reaped.system,
            cpu_user: reaped.user,
            cpu_system: reaped.system,
            waited_for_a_core,
            timed_out,
            killed_while,
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.signal(libc::SIGKILL);
            let _ = reap::reap(self.id());
        }
    }
}

/// Runs `command` to the end (or kills it after `limit`), measured.
pub fn run_measured(command: Command, limit: Duration) -> io::Result<Run> {
    Running::spawn(command)?.finish(limit)
}

/// Runs `command` to the end (or kills it once it has run for `limit` of
/// its own time, see [`Running::finish_on_its_own_time`]), measured.
pub fn run_on_its_own_time(
    command: Command,
    limit: Duration,
) -> io::Result<Run> {
    Running::spawn(command)?.finish_on_its_own_time(limit)
}

/// Sends `signal` to process `pid`: a child of ours not yet reaped, or a
/// process that cannot end meanwhile, so that the pid is still its.
pub fn signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
    reap::signal(pid, signal)
}
