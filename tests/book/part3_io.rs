//! The claims of Part Three (`src/part3-io.md`), each checked against the
//! program the chapter shows, built from `listings/` as a reader builds it.
//!
//! Every program runs in a network namespace of its own (its port 8000 is
//! its own) and has its wall-clock and CPU time measured by the kernel.
//! Time bounds are physics on one side (ten one-second sleeps one after
//! another cannot take less than ten seconds) and generous on the other,
//! so that they hold on a loaded two-core machine.

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::panic;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use book_tools::exercises::assert_solution_keeps_and_starter_breaks as assert_exercise;
use book_tools::process::{self, Running, isolate_network, join_network_of};
use book_tools::programs::{
    self, assert_burns_a_core, assert_takes_about, built, program_text, run,
    run_beside_others, rustc_errors, wait_until_listening,
};

use book_tools::promised_output;

use promised_output::part3_io::{
    self as promised, assert_every_client_gets_its_start_and_end_lines,
    assert_every_client_starts_before_any_ends,
};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part3-io", name)
}

// The programs that only sleep run beside others; the busy and the poll
// loop, measured for their CPU time, run alone (`programs::run`).

fn one_server_thread() -> &'static process::Run {
    run_beside_others("part3-one-server-thread")
}

fn thread_per_connection() -> &'static process::Run {
    run_beside_others("part3-thread-per-connection")
}

#[test]
fn blocking_client_prints_start_then_end_a_second_later() {
    let mut server = Command::new(built().program("part3-blocking-server"));
    isolate_network(&mut server);
    let server = Running::spawn(server).unwrap();
    wait_until_listening(server.id(), 8000, 30 * SECOND);

    let mut client = Command::new(built().program("part3-blocking-client"));
    join_network_of(&mut client, server.id()).unwrap();
    let client = process::run_measured(client, 30 * SECOND).unwrap();
    let server = server.kill().unwrap();

    assert!(
        client.status.success(),
        "client: {}\nserver: {}",
        client.stderr,
        server.stderr
    );
    promised::blocking_client(&client.stdout);
    assert_eq!(sample_output("blocking_client"), "start 0\nend 0\n");
    assert!(
        client.wall >= SECOND,
        "the server sleeps a second: {:?}",
        client.wall
    );
    // Plus the time both waited for a core, which a loaded machine makes
    // long (seen: 3.4 s).
    let waited = client.waited_for_a_core + server.waited_for_a_core;
    assert!(
        client.wall < 3 * SECOND + waited,
        "{:?}, of which waiting for a core {waited:?}",
        client.wall
    );
}

#[test]
fn every_client_gets_its_start_and_end_lines() {
    for (program, sample, output) in [
        (
            "part3-one-server-thread",
            "one_server_thread",
            &one_server_thread().stdout,
        ),
        (
            "part3-thread-per-connection",
            "thread_per_connection",
            &thread_per_connection().stdout,
        ),
        (
            "part3-busy-loop",
            "busy_loop",
            &run("part3-busy-loop").stdout,
        ),
        (
            "part3-poll-loop",
            "poll_loop",
            &run("part3-poll-loop").stdout,
        ),
    ] {
        assert_every_client_gets_its_start_and_end_lines(program, output);
        // The chapter shows a real run; the lines may come in another order.
        assert_every_client_gets_its_start_and_end_lines(
            &format!("the sample of {program}"),
            &sample_output(sample),
        );
    }
}

#[test]
fn one_server_thread_takes_about_ten_seconds() {
    let run = one_server_thread();
    assert_takes_about(run, 10 * SECOND);
}

#[test]
fn thread_per_connection_takes_about_one_second() {
    let run = thread_per_connection();
    assert_takes_about(run, SECOND);
}

#[test]
fn nonblocking_accept_returns_would_block() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let error = listener.accept().expect_err("no client has connected");
    assert_eq!(error.kind(), ErrorKind::WouldBlock);
}

#[test]
fn bind_sets_so_reuseaddr() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut value: libc::c_int = 0;
    let mut size = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `size` are valid for the kernel to write to.
    let result = unsafe {
        libc::getsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&raw mut value).cast(),
            &mut size,
        )
    };
    assert_eq!(result, 0, "{}", std::io::Error::last_os_error());
    assert_ne!(value, 0, "SO_REUSEADDR is off");
}

fn is_nonblocking(fd: RawFd) -> bool {
    // SAFETY: F_GETFL only reads the flags of a descriptor we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "{}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

#[test]
fn accepted_socket_does_not_inherit_nonblocking_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let started = Instant::now();
    let (accepted, _) = loop {
        match listener.accept() {
            Ok(connection) => break connection,
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    && started.elapsed() < 10 * SECOND =>
            {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    assert!(is_nonblocking(listener.as_raw_fd()));
    assert!(
        !is_nonblocking(accepted.as_raw_fd()),
        "the accepted socket is non-blocking"
    );
}

#[test]
fn thread_without_move_borrows_n() {
    let errors = rustc_errors(&program_text(
        "part3-io/compile_fail/thread_without_move.rs",
    ));
    assert_eq!(
        errors.codes.iter().collect::<Vec<_>>(),
        ["E0373"],
        "{}",
        errors.rendered
    );
    assert!(
        errors.rendered.contains("borrows `n`"),
        "{}",
        errors.rendered
    );
    assert!(!errors.rendered.contains("`stream`"), "{}", errors.rendered);
}

#[test]
fn thread_per_connection_starts_every_client_before_ending_any() {
    let run = &thread_per_connection().stdout;
    for output in [run, &sample_output("thread_per_connection")] {
        assert_every_client_starts_before_any_ends(output);
    }
}

#[test]
fn busy_loop_takes_about_one_second() {
    let run = run("part3-busy-loop");
    assert_takes_about(run, SECOND);
}

#[test]
fn busy_loop_burns_a_whole_core() {
    let run = run("part3-busy-loop");
    assert_burns_a_core(run, SECOND);
}

#[test]
fn poll_loop_takes_about_one_second() {
    let run = run("part3-poll-loop");
    assert_takes_about(run, SECOND);
}

#[test]
fn poll_loop_sits_idle_while_it_waits() {
    let run = run("part3-poll-loop");
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

// The exercises: each check is the promise of the exercise's statement,
// which the solution keeps and the starter breaks.

#[test]
fn exercise_echo_sends_every_client_its_own_message_back() {
    assert_exercise("part3-echo");
    promised::exercise_echo_solution(&sample_output("exercise_echo_solution"));
}

#[test]
fn exercise_timeout_gives_up_on_the_silent_client() {
    let exercise = assert_exercise("part3-timeout");
    promised::exercise_timeout_solution(&sample_output(
        "exercise_timeout_solution",
    ));
    // Half a second for the silent client, and not much more.
    let wall = exercise.solution.wall;
    let waited = exercise.solution.waited_for_a_core;
    assert!(wall >= SECOND / 2 && wall < 3 * SECOND + waited, "{wall:?}");
}
