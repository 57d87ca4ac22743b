//! The claims of "Faults real servers meet" (`src/part4-faults.md`), each
//! checked against the program the chapter shows, built from `listings/`
//! as a reader builds it.
//!
//! The two servers run until they are stopped, so the tests drive them:
//! each test starts its own server on a free port of the loopback (the
//! servers take the address to listen on as their argument), connects
//! clients from this process, sends signals, and measures the server's
//! CPU time from the kernel's accounting of that one process. Every wait
//! is bounded in time, every loop in count.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::panic;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use book_tools::process::limits::limit_descriptors;
use book_tools::process::{
    Input, Output, Run, Running, inspect, wait_for_listening_port, wait_until,
};
use book_tools::programs::{self, built, run_beside_others};

use book_tools::promised_output;

// The final runtime, from the listings library as Part Five's benchmarks
// use it, for the one claim about the runtime itself rather than about a
// program.
use listings::sturdy;

use promised_output::part4_faults as promised;

const SECOND: Duration = Duration::from_secs(1);

/// The limit for anything a test waits for: far more than it needs on a
/// loaded machine, and finite.
const PATIENCE: Duration = Duration::from_secs(20);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-faults", name)
}

/// A server under test, killed when dropped (so that a failing test
/// leaves no server behind). Its output goes to files rather than pipes,
/// so that a server that writes without pause never waits for a reader.
struct Server {
    running: Running,
    pid: u32,
    port: u16,
}

impl Server {
    /// Starts `program` on a free port of this machine's loopback, with
    /// at most `descriptors` open files if given, and waits until it
    /// listens.
    fn start(program: &str, descriptors: Option<u64>) -> Server {
        let mut command = Command::new(built().program(program));
        command.arg("127.0.0.1:0");
        if let Some(limit) = descriptors {
            limit_descriptors(&mut command, limit);
        }
        let running =
            Running::spawn_with(command, Output::Files, Input::Closed).unwrap();
        let pid = running.id();
        let port = wait_for_listening_port(pid, PATIENCE);
        Server { running, pid, port }
    }

    fn signal(&self, signal: libc::c_int) {
        self.running.signal(signal).unwrap();
    }

    /// Sends SIGTERM and waits for the server to exit.
    fn stop(self) -> Run {
        self.signal(libc::SIGTERM);
        self.finish()
    }

    /// Waits for a server that is expected to exit by itself, killing it
    /// if it has not after [`PATIENCE`].
    fn finish(self) -> Run {
        self.running.finish_within(PATIENCE).unwrap()
    }

    /// Kills the server unless it has exited, reaps it, and reads its
    /// output.
    fn kill(self) -> Run {
        self.running.kill().unwrap()
    }

    /// Waits until the server sleeps (its loop sleeps only in
    /// `epoll_wait`), or has exited.
    fn wait_until_asleep_or_gone(&self) {
        wait_until("the server to sleep", PATIENCE, || {
            matches!(inspect::state(self.pid).unwrap_or('?'), 'S' | 'Z')
        });
    }

    fn has_exited(&self) -> bool {
        self.running.has_exited().unwrap()
    }

    fn open_descriptors(&self) -> usize {
        inspect::open_descriptors(self.pid).unwrap()
    }

    /// Over one second: the server's CPU time as a share of the wall
    /// time, and its demand for a core (CPU time plus time waiting for a
    /// core), which a loaded machine does not lower.
    fn cpu_share_and_core_demand(&self) -> (f64, f64) {
        self.over_a_second().0
    }

    /// [`Server::cpu_share_and_core_demand`], and how many times over
    /// that second the server gave up its core to wait for something.
    fn over_a_second(&self) -> ((f64, f64), u64) {
        let before = inspect::scheduled(self.pid).unwrap();
        let switches = inspect::voluntary_switches(self.pid).unwrap();
        let started = Instant::now();
        thread::sleep(SECOND);
        let after = inspect::scheduled(self.pid).unwrap();
        let switches =
            inspect::voluntary_switches(self.pid).unwrap() - switches;
        let wall = started.elapsed().as_nanos() as f64;
        let cpu = (after.on_a_core - before.on_a_core).as_nanos() as f64;
        let waited = (after.waiting_for_a_core - before.waiting_for_a_core)
            .as_nanos() as f64;
        // Shown with `-- --nocapture`: what the claims are held to.
        eprintln!(
            "server {}: over {:.0} ms, CPU {:.0} ms, waited for a core \
             {:.0} ms, gave its core up {switches} times",
            self.pid,
            wall / 1e6,
            cpu / 1e6,
            waited / 1e6
        );
        ((cpu / wall, (cpu + waited) / wall), switches)
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
    }

    /// A client that asks for `size` bytes.
    fn request(&self, size: usize) -> TcpStream {
        let mut stream = self.connect();
        writeln!(stream, "{size}").unwrap();
        stream
    }
}

/// Everything the server sends until it closes the connection (or an
/// error: a reset, or no data for [`PATIENCE`]).
fn read_to_end(stream: &mut TcpStream) -> (Vec<u8>, io::Result<()>) {
    let mut received = Vec::new();
    let result = stream.read_to_end(&mut received).map(|_| ());
    (received, result)
}

/// The bytes the server sends for a request of `size`.
fn expected_text(size: usize) -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz\n"
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect()
}

/// Makes `stream`'s close send a reset instead of the usual goodbye.
fn reset_on_close(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` is valid for the call; the kernel copies it.
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(result, 0, "{}", io::Error::last_os_error());
}

/// The stats line the server printed last: "<state>: A accepted, ...".
fn last_report(run: &Run) -> &str {
    run.stdout.lines().last().unwrap_or_default()
}

// EINTR

#[test]
fn fragile_server_dies_of_the_first_signal_that_interrupts_its_wait() {
    let server = Server::start("part4-fragile-server", None);
    // A signal that comes while the loop runs instead of sleeping does
    // not interrupt `epoll_wait`: send one each time the server sleeps,
    // until it has exited. The loop sleeps nearly all the time, so the
    // first signal almost always does it.
    for _ in 0..20 {
        server.wait_until_asleep_or_gone();
        if server.has_exited() {
            break;
        }
        server.signal(libc::SIGUSR1);
        let sent = Instant::now();
        while !server.has_exited() && sent.elapsed() < SECOND {
            thread::sleep(Duration::from_millis(5));
        }
    }
    let run = server.finish();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.contains("Interrupted system call"),
        "{}",
        run.stderr
    );
}

#[test]
fn sturdy_server_goes_on_after_signals_and_stops_on_sigterm() {
    let server = Server::start("part4-sturdy-server", None);
    for _ in 0..5 {
        server.wait_until_asleep_or_gone();
        server.signal(libc::SIGUSR1);
        // Each signal is seen by the next tick, at most 0.1 s later.
        thread::sleep(Duration::from_millis(200));
    }
    assert!(!server.has_exited());
    let mut client = server.request(1000);
    let (received, result) = read_to_end(&mut client);
    result.unwrap();
    assert_eq!(received, expected_text(1000));
    let run = server.stop();
    assert!(run.status.success(), "{run:?}");
    assert!(
        run.stdout.contains("running: "),
        "no report after SIGUSR1:\n{}",
        run.stdout
    );
    assert_eq!(
        last_report(&run),
        "stopped: 1 accepted, 1 served, 0 failed",
        "{run:?}"
    );
}

#[test]
fn an_overlong_request_ends_its_connection() {
    let server = Server::start("part4-sturdy-server", None);
    let mut client = server.connect();
    // No newline, ever: the server stops reading after 21 bytes.
    client.write_all(&[b'1'; 1000]).unwrap();
    let (received, _) = read_to_end(&mut client);
    assert_eq!(received, b"");
    let run = server.stop();
    assert!(
        run.stderr.contains("connection 0: request too long"),
        "{}",
        run.stderr
    );
    assert_eq!(
        last_report(&run),
        "stopped: 1 accepted, 0 served, 1 failed",
        "{run:?}"
    );
}

// Hang-ups and errors

/// Registers `fd` with a new, level-triggered `epoll` for every event the
/// runtime asks for, and returns the events it reports, waiting until
/// they include one of `until`.
fn epoll_events(fd: RawFd, until: libc::c_int) -> libc::c_int {
    // SAFETY: no pointers.
    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epoll >= 0, "{}", io::Error::last_os_error());
    // SAFETY: a new descriptor that nothing else owns.
    let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
    let interest = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP;
    let mut event = libc::epoll_event {
        events: interest as u32,
        u64: 0,
    };
    // SAFETY: `event` is valid for the call; the kernel copies it.
    let result = unsafe {
        libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event)
    };
    assert_eq!(result, 0, "{}", io::Error::last_os_error());
    for _ in 0..100 {
        let mut reported = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: room for one event, which the kernel writes.
        let count = unsafe {
            libc::epoll_wait(epoll.as_raw_fd(), &mut reported, 1, 100)
        };
        assert!(count >= 0, "{}", io::Error::last_os_error());
        let flags = reported.events as libc::c_int;
        if count == 1 && flags & until != 0 {
            return flags;
        }
    }
    panic!("no event among {until:#x} in ten seconds");
}

#[test]
fn epoll_reports_a_closed_pipe_end_as_hangup_or_error_alone() {
    let hangup_or_error = libc::EPOLLHUP | libc::EPOLLERR;

    // The read end of an empty pipe whose write end closed: a hang-up,
    // and not "readable".
    let (reader, writer) = io::pipe().unwrap();
    drop(writer);
    let flags = epoll_events(reader.as_raw_fd(), hangup_or_error);
    assert_eq!(flags, libc::EPOLLHUP, "read end: {flags:#x}");

    // The write end of a full pipe whose read end closed: an error, and
    // not "writable".
    let (reader, mut writer) = io::pipe().unwrap();
    let fd = writer.as_raw_fd();
    // SAFETY: F_SETFL on a descriptor we own.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    while writer.write(&[0; 4096]).is_ok() {}
    drop(reader);
    let flags = epoll_events(fd, hangup_or_error);
    assert_eq!(flags, libc::EPOLLERR, "write end: {flags:#x}");

    // A TCP socket whose peer reset the connection: the hang-up and the
    // error come with "readable" and "writable".
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    reset_on_close(&peer);
    drop(peer);
    let flags = epoll_events(ours.as_raw_fd(), libc::EPOLLHUP);
    let all = libc::EPOLLIN
        | libc::EPOLLOUT
        | libc::EPOLLRDHUP
        | libc::EPOLLERR
        | libc::EPOLLHUP;
    assert_eq!(flags & all, all, "reset socket: {flags:#x}");
}

#[test]
fn hangup_unheard_leaves_both_tasks_waiting() {
    let run = run_beside_others("part4-hangup-unheard");
    promised::hangup_unheard(&run.stdout);
    promised::hangup_unheard(&sample_output("hangup_unheard"));
    // Two waits of half a second each, after two sleeps of 0.1 s.
    programs::assert_takes_about(run, Duration::from_millis(1200));
}

#[test]
fn hangup_heard_ends_both_waits_at_once() {
    let run = run_beside_others("part4-hangup-heard");
    promised::hangup_heard(&run.stdout);
    // Neither wait reached its half second, or the output would say so.
    promised::hangup_heard(&sample_output("hangup_heard"));
}

// A peer that resets

#[test]
fn a_reset_peer_fails_only_its_own_connection() {
    for program in ["part4-fragile-server", "part4-sturdy-server"] {
        a_reset_peer_fails_only_its_own_connection_of(program);
    }
}

fn a_reset_peer_fails_only_its_own_connection_of(program: &str) {
    let server = Server::start(program, None);
    // Two clients that read everything, started first and mid-transfer
    // when the third resets.
    const SIZE: usize = 4 << 20;
    let mut patient: Vec<TcpStream> =
        (0..2).map(|_| server.request(SIZE)).collect();
    for client in &mut patient {
        client.read_exact(&mut [0; 1]).unwrap();
    }
    // Far more than the connection can hold in its buffers, so that the
    // server is still writing when the reset comes.
    let rude = server.request(256 << 20);
    (&rude).read_exact(&mut [0; 1]).unwrap();
    reset_on_close(&rude);
    drop(rude);
    for mut client in patient {
        let (received, result) = read_to_end(&mut client);
        result.unwrap();
        assert_eq!(received.len(), SIZE - 1);
        assert_eq!(received, expected_text(SIZE)[1..]);
    }
    // The server still serves.
    let mut later = server.request(10);
    assert_eq!(read_to_end(&mut later).0, expected_text(10));
    // The fragile server cannot be stopped cleanly: the SIGTERM would
    // interrupt its wait, and that ends it with an error.
    let sturdy = program == "part4-sturdy-server";
    let run = if sturdy { server.stop() } else { server.kill() };
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("connection "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].ends_with("Connection reset by peer (os error 104)")
            || errors[0].ends_with("Broken pipe (os error 32)"),
        "{}",
        errors[0]
    );
    if sturdy {
        assert!(run.status.success(), "{run:?}");
        assert_eq!(
            last_report(&run),
            "stopped: 4 accepted, 3 served, 1 failed",
            "{run:?}"
        );
    }
}

#[test]
fn rust_programs_ignore_sigpipe() {
    for program in ["part4-fragile-server", "part4-sturdy-server"] {
        let server = Server::start(program, None);
        let ignored = inspect::ignored_signals(server.pid).unwrap();
        assert_ne!(
            ignored & (1 << (libc::SIGPIPE - 1)),
            0,
            "{program} does not ignore SIGPIPE: {ignored:#x}"
        );
        server.kill();
    }
}

/// Whether a write by this thread raised SIGPIPE: with SIGPIPE blocked in
/// this thread (and only here), a raised one waits, pending, where
/// `sigpending` sees it, instead of being delivered. It is taken off
/// again before SIGPIPE is unblocked.
fn raises_sigpipe(write: impl FnOnce() -> io::Result<usize>) -> bool {
    // SAFETY: the sets are plain C structs that the calls initialise.
    unsafe {
        let mut pipe_only: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe_only);
        libc::sigaddset(&mut pipe_only, libc::SIGPIPE);
        let mut before: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_only, &mut before);
        let result = write();
        assert!(result.is_err(), "the write succeeded: {result:?}");
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut pending);
        let raised = libc::sigismember(&pending, libc::SIGPIPE) == 1;
        if raised {
            let now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            libc::sigtimedwait(&pipe_only, std::ptr::null_mut(), &now);
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
        raised
    }
}

#[test]
fn tcp_writes_raise_no_sigpipe_but_pipe_writes_do() {
    let (reader, mut writer) = io::pipe().unwrap();
    drop(reader);
    assert!(raises_sigpipe(|| writer.write(b"x")));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    reset_on_close(&peer);
    drop(peer);
    // Wait for the reset to arrive.
    epoll_events(ours.as_raw_fd(), libc::EPOLLHUP);
    assert!(!raises_sigpipe(|| ours.write(b"x")));
}

// Out of file descriptors

/// How many descriptors the servers may open in these tests.
const DESCRIPTOR_LIMIT: u64 = 16;

/// Starts `program` with few descriptors and fills them with clients
/// that say nothing, one more of which waits in the kernel's queue.
/// Returns the server, those clients, and two more that have asked for
/// 1,000 bytes and wait in the queue too.
fn server_out_of_descriptors(
    program: &str,
) -> (Server, Vec<TcpStream>, Vec<TcpStream>) {
    let server = Server::start(program, Some(DESCRIPTOR_LIMIT));
    let free = DESCRIPTOR_LIMIT as usize - server.open_descriptors();
    assert!(free > 0, "no descriptor left for a connection");
    let silent: Vec<TcpStream> =
        (0..free + 1).map(|_| server.connect()).collect();
    wait_until("the server to fill up", PATIENCE, || {
        server.open_descriptors() >= DESCRIPTOR_LIMIT as usize
    });
    let waiting = (0..2).map(|_| server.request(1000)).collect();
    (server, silent, waiting)
}

#[test]
fn fragile_server_spins_when_out_of_descriptors() {
    let (server, silent, _waiting) =
        server_out_of_descriptors("part4-fragile-server");
    let ((_, core_demand), waits) = server.over_a_second();
    // It never waits for anything: it asks for a whole core. On a machine
    // so loaded that the kernel's accounts show it runnable for less than
    // that, it still never gave its core up of its own accord.
    assert!(
        core_demand > 0.8 || waits == 0,
        "core demand {core_demand}, {waits} waits in a second"
    );
    // The accepting task never returns `Pending`, so no other task runs:
    // the clients it has accepted are never answered.
    for mut client in silent {
        writeln!(client, "10").unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let (received, _) = read_to_end(&mut client);
        assert_eq!(received, b"", "an answer from a spinning server");
    }
    let run = server.kill();
    let complaints = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("accept: Too many open files"))
        .count();
    assert!(complaints > 100, "{complaints} complaints:\n{}", run.stderr);
}

#[test]
fn sturdy_server_idles_when_out_of_descriptors_and_recovers() {
    let (server, silent, waiting) =
        server_out_of_descriptors("part4-sturdy-server");
    let (cpu_share, _) = server.cpu_share_and_core_demand();
    assert!(cpu_share < 0.1, "CPU share {cpu_share}");
    // The silent clients ask for ten bytes each; as their connections
    // close, the ones in the queue get their turn.
    let silent_count = silent.len();
    for mut client in silent {
        writeln!(client, "10").unwrap();
        let (received, result) = read_to_end(&mut client);
        result.unwrap();
        assert_eq!(received, expected_text(10));
    }
    for mut client in waiting {
        let (received, result) = read_to_end(&mut client);
        result.unwrap();
        assert_eq!(received, expected_text(1000));
    }
    let run = server.stop();
    assert!(run.status.success(), "{run:?}");
    let everyone = silent_count + 2;
    assert_eq!(
        last_report(&run),
        format!("stopped: {everyone} accepted, {everyone} served, 0 failed"),
        "{run:?}"
    );
}

// A task that never waits

#[test]
fn an_unbudgeted_reader_holds_the_ticker_back_for_the_flood() {
    let run = programs::run("part4-flood-unbudgeted");
    promised::flood_unbudgeted(&run.stdout);
    promised::flood_unbudgeted(&sample_output("flood_unbudgeted"));
}

/// The worst wait of the starved task, bounded: with its budget, the
/// reader gives the loop back every few milliseconds.
#[test]
fn a_budgeted_reader_lets_every_tick_through() {
    let run = programs::run("part4-flood-budgeted");
    promised_output::allowing_for(run.waited_for_a_core, || {
        promised::flood_budgeted(&run.stdout)
    });
    // A tick or two late, plus whatever time a loaded machine kept the
    // loop's thread waiting for a core.
    let (_, late) = promised::latest_tick(&run.stdout);
    let allowed = Duration::from_millis(100) + run.waited_for_a_core;
    assert!(Duration::from_millis(late) < allowed, "{run:?}");
    let sample = sample_output("flood_budgeted");
    promised::flood_budgeted(&sample);
    // The chapter's run, on an idle machine.
    assert!(promised::latest_tick(&sample).1 < 100, "{sample}");
}

// Two tasks waiting on one socket

#[test]
fn one_waiter_slot_leaves_two_connections_unaccepted() {
    let run = run_beside_others("part4-one-waiter");
    promised::one_waiter(&run.stdout);
}

#[test]
fn every_waiter_is_woken_and_all_three_accept() {
    let run = run_beside_others("part4-every-waiter");
    promised::every_waiter(&run.stdout);
}

// A panicking task

/// Two clients mid-transfer of a large answer, and a third whose request
/// is not a number.
fn one_bad_request(server: &Server) -> Vec<TcpStream> {
    let mut good: Vec<TcpStream> =
        (0..2).map(|_| server.request(BIG)).collect();
    for client in &mut good {
        client.read_exact(&mut [0; 1]).unwrap();
    }
    let mut bad = server.connect();
    writeln!(bad, "hello").unwrap();
    let (received, _) = read_to_end(&mut bad);
    assert_eq!(received, b"", "an answer to a bad request");
    good
}

/// More than the connection's buffers hold, so that the server is still
/// writing when the bad request comes.
const BIG: usize = 64 << 20;

#[test]
fn fragile_server_loses_every_connection_to_one_panic() {
    let server = Server::start("part4-fragile-server", None);
    let good = one_bad_request(&server);
    for mut client in good {
        // What was in the buffers, and then the end of the stream.
        let (received, result) = read_to_end(&mut client);
        result.unwrap();
        assert!(received.len() < BIG - 1, "{} bytes", received.len());
    }
    let run = server.finish();
    assert_eq!(run.status.code(), Some(101), "{run:?}");
    assert!(run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn sturdy_server_loses_only_the_panicking_connection() {
    let server = Server::start("part4-sturdy-server", None);
    let good = one_bad_request(&server);
    for mut client in good {
        let (received, result) = read_to_end(&mut client);
        result.unwrap();
        assert_eq!(received.len(), BIG - 1);
    }
    let run = server.stop();
    assert!(run.status.success(), "{run:?}");
    assert!(run.stderr.contains("panicked"), "{}", run.stderr);
    // The panicked task counts as neither served nor failed.
    assert_eq!(
        last_report(&run),
        "stopped: 3 accepted, 2 served, 0 failed",
        "{run:?}"
    );
}

#[test]
fn awaiting_a_panicked_task_panics() {
    let outcome = panic::catch_unwind(|| {
        sturdy::block_on(async {
            sturdy::spawn(async { panic!("a bug in the task") }).await
        })
    });
    let payload = outcome.expect_err("awaiting the handle did not panic");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the awaited task panicked")
    );
}

#[test]
fn servers_listen_on_the_address_they_are_given() {
    let server = Server::start("part4-sturdy-server", None);
    assert_ne!(server.port, 0);
    assert!(server.kill().status.signal().is_some());
}
