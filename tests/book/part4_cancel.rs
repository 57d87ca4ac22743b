//! The claims of "Racing, cancelling and stopping" (`src/part4-cancel.md`),
//! each checked against the program the chapter shows, built from
//! `listings/` as a reader builds it.
//!
//! The programs with a Run button only sleep and wait on loopback, so they
//! run beside others; their output is the same on every run, and is held
//! to the chapter's sample. The two servers run until SIGTERM: each test
//! starts its own on a free port of the loopback, plays its clients from
//! this process, and sends the signal. Every wait is bounded in time, every
//! loop in count.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::pin::pin;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use book_tools::process::{
    Input, Output, Run, Running, wait_for_listening_port, wait_until,
};
use book_tools::programs::{
    self, assert_takes_about, built, run_all_beside_others, run_beside_others,
};

use listings::ident::streams::{AsyncRead, Lines, Stream};

const SECOND: Duration = Duration::from_secs(1);

/// The limit for anything a test waits for: far more than it needs on a
/// loaded machine, and finite.
const PATIENCE: Duration = Duration::from_secs(20);

/// The programs with a Run button, which only sleep: run side by side.
const SLEEPERS: [&str; 6] = [
    "part4-checked-between-lines",
    "part4-raced-with-deadline",
    "part4-half-line-lost",
    "part4-half-line-kept",
    "part4-children-left-running",
    "part4-children-cancelled",
];

/// A program's run (all of [`SLEEPERS`] start together, the first time
/// one is asked for), its output checked against the chapter's sample,
/// which must be exactly what it printed.
fn sleeper(program: &str) -> &'static Run {
    run_all_beside_others(&SLEEPERS);
    let run = run_beside_others(program);
    let stem = program.trim_start_matches("part4-").replace('-', "_");
    assert_eq!(run.stdout, sample_output(&stem), "{program}");
    run
}

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-cancel", name)
}

/// The index of the first line of `output` that starts with `start`.
fn line_starting(output: &str, start: &str) -> usize {
    output
        .lines()
        .position(|line| line.starts_with(start))
        .unwrap_or_else(|| panic!("no line starts with {start:?}:\n{output}"))
}

// Waiting for whichever comes first.

#[test]
fn checking_the_clock_between_lines_stops_only_when_the_late_line_comes() {
    let run = sleeper("part4-checked-between-lines");
    // The deadline is 0.3 s, the second line comes after a second, and
    // the reader stops only after it.
    assert!(run.stdout.contains("line: two\n"), "{}", run.stdout);
    assert!(
        line_starting(&run.stdout, "past the deadline")
            > line_starting(&run.stdout, "line: two")
    );
    assert_takes_about(run, SECOND);
}

#[test]
fn racing_the_deadline_stops_at_it() {
    let run = sleeper("part4-raced-with-deadline");
    assert!(!run.stdout.contains("two"), "{}", run.stdout);
    assert!(
        run.stdout.contains("the deadline: stopping"),
        "{}",
        run.stdout
    );
    // The second line, a second after the start, never came: the
    // program took about its deadline.
    assert_takes_about(run, Duration::from_millis(300));
}

// What the losing branch loses.

#[test]
fn a_dropped_read_line_loses_the_start_of_its_line() {
    let run = sleeper("part4-half-line-lost");
    // The client sent "hel", then "lo\n": the first three bytes went with
    // the dropped future.
    assert!(run.stdout.contains("line: \"lo\"\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("hello"), "{}", run.stdout);
    assert!(run.stdout.contains("line: \"world\"\n"), "{}", run.stdout);
}

/// A reader in memory, shared with the test, which hands out the chunks
/// pushed into it and is `Pending` when there are none.
#[derive(Clone, Default)]
struct Chunks(Arc<Mutex<VecDeque<&'static [u8]>>>);

impl AsyncRead for Chunks {
    fn poll_read(
        &mut self,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.0.lock().unwrap().pop_front() {
            Some(chunk) => {
                buf[..chunk.len()].copy_from_slice(chunk);
                Poll::Ready(Ok(chunk.len()))
            }
            None => Poll::Pending,
        }
    }
}

#[test]
fn lines_keeps_the_start_of_a_line_when_next_is_dropped() {
    let run = sleeper("part4-half-line-kept");
    assert!(run.stdout.contains("line: \"hello\"\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("\"lo\""), "{}", run.stdout);

    // The same, without a socket or a clock: a `Next` that has read the
    // start of a line is dropped, and the next `Next` returns it whole.
    let reader = Chunks::default();
    reader.0.lock().unwrap().push_back(b"hel");
    let mut lines = Lines::new(reader.clone(), 100);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let next = pin!(lines.next());
        assert!(next.poll(&mut cx).is_pending());
    }
    assert!(reader.0.lock().unwrap().is_empty(), "\"hel\" was read");
    reader.0.lock().unwrap().push_back(b"lo\n");
    let line = match pin!(lines.next()).poll(&mut cx) {
        Poll::Ready(Some(Ok(line))) => line,
        other => panic!("{other:?}"),
    };
    assert_eq!(line, b"hello");
}

// Tasks that end with their owner.

#[test]
fn dropped_join_handles_leave_the_children_running() {
    let run = sleeper("part4-children-left-running");
    let gave_up = line_starting(&run.stdout, "parent: gave up");
    for child in 0..3 {
        let finished = format!("child {child}: finished");
        assert!(line_starting(&run.stdout, &finished) > gave_up);
    }
    assert!(!run.stdout.contains("cancelled"), "{}", run.stdout);
}

#[test]
fn dropping_the_group_cancels_its_children() {
    let run = sleeper("part4-children-cancelled");
    let gave_up = line_starting(&run.stdout, "parent: gave up");
    for child in 0..3 {
        let cancelled = format!("child {child}: cancelled");
        assert!(line_starting(&run.stdout, &cancelled) < gave_up);
    }
    assert!(!run.stdout.contains("finished"), "{}", run.stdout);
    // The parent's message is the last line, although the program runs
    // on for a second after it, past the ends of all three children.
    assert_eq!(gave_up + 1, run.stdout.lines().count(), "{}", run.stdout);
    assert!(run.wall >= Duration::from_millis(1200), "{:?}", run.wall);
}

// Stopping a server without dropping its clients.

/// A server under test, killed when dropped (so that a failing test
/// leaves no server behind).
struct Server {
    running: Running,
    port: u16,
}

impl Server {
    /// Starts `program` on a free port of the loopback, with `more`
    /// arguments after the address, and waits until it listens.
    fn start(program: &str, more: &[&str]) -> Server {
        let mut command = Command::new(built().program(program));
        command.arg("127.0.0.1:0").args(more);
        let running =
            Running::spawn_with(command, Output::Files, Input::Closed).unwrap();
        let port = wait_for_listening_port(running.id(), PATIENCE);
        Server { running, port }
    }

    fn connect(&self) -> io::Result<TcpStream> {
        TcpStream::connect(("127.0.0.1", self.port))
    }

    /// A client that has had a reply to its first line.
    fn client_in_conversation(&self, n: usize) -> Client {
        let stream = self.connect().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        };
        client.send(format!("hello {n}\n").as_bytes());
        assert_eq!(client.reply().unwrap(), format!("HELLO {n}\n"));
        client
    }

    fn sigterm(&self) -> Instant {
        self.running.signal(libc::SIGTERM).unwrap();
        Instant::now()
    }

    /// Waits for the server to exit by itself, killing it if it has not
    /// after [`PATIENCE`]; it must have exited with status 0.
    fn finish(self) -> Run {
        let run = self.running.finish_within(PATIENCE).unwrap();
        assert!(!run.timed_out, "the server did not exit: {run:?}");
        assert!(run.status.success(), "{run:?}");
        run
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next line the server sends; empty at the end of the stream.
    fn reply(&mut self) -> io::Result<String> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        Ok(line)
    }
}

#[test]
fn stopping_at_once_leaves_accepted_clients_unanswered() {
    let server = Server::start("part4-server-stops-at-once", &[]);
    let mut clients: Vec<_> =
        (0..3).map(|n| server.client_in_conversation(n)).collect();
    server.sigterm();
    let run = server.finish();
    assert!(run.stdout.contains("connections open: 3"), "{}", run.stdout);
    for client in &mut clients {
        // The write may fail already, with the connection reset.
        let _ = client.stream.write_all(b"again\n");
        match client.reply() {
            Ok(reply) => assert_eq!(reply, "", "a reply after SIGTERM"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
        }
    }
}

#[test]
fn on_sigterm_the_server_stops_accepting_and_answers_every_accepted_client() {
    let server = Server::start("part4-server-drains", &[]);
    let mut clients: Vec<_> =
        (0..4).map(|n| server.client_in_conversation(n)).collect();
    // Half of the next line, from the first client.
    clients[0].send(b"hal");
    server.sigterm();
    // A client that gets in before the signal is heard closes at once,
    // which ends its conversation; after it, the kernel refuses.
    wait_until("the server to refuse new connections", PATIENCE, || {
        matches!(
            server.connect(),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused
        )
    });
    assert!(
        !server.running.has_exited().unwrap(),
        "exited while draining"
    );
    clients[0].send(b"f line\n");
    assert_eq!(clients[0].reply().unwrap(), "HALF LINE\n");
    for (n, client) in clients.iter_mut().enumerate().skip(1) {
        client.send(format!("again {n}\n").as_bytes());
        assert_eq!(client.reply().unwrap(), format!("AGAIN {n}\n"));
    }
    assert!(
        !server.running.has_exited().unwrap(),
        "exited while draining"
    );
    drop(clients);
    let closed = Instant::now();
    let run = server.finish();
    // A few seconds at most on a loaded machine; the grace period is 30.
    assert!(closed.elapsed() < 10 * SECOND, "{:?}", closed.elapsed());
    assert!(
        run.stdout.ends_with("every connection finished\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_connection_still_open_after_the_grace_period_is_cut_off() {
    let server = Server::start("part4-server-drains", &["1"]);
    let mut client = server.client_in_conversation(0);
    let signalled = server.sigterm();
    let run = server.finish();
    let took = signalled.elapsed();
    assert!(took >= SECOND, "exited {took:?} after SIGTERM");
    assert!(took < 6 * SECOND, "exited {took:?} after SIGTERM");
    assert!(
        run.stdout.ends_with("connections cut off: 1\n"),
        "{}",
        run.stdout
    );
    let mut rest = Vec::new();
    assert_eq!(client.reader.read_to_end(&mut rest).unwrap(), 0);
}
