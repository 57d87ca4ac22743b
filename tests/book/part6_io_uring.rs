//! The claims of Part Six's chapter on io_uring (`src/part6-io-uring.md`),
//! each checked against the program the chapter shows, built from
//! `listings/` as a reader builds it.
//!
//! io_uring is a Linux feature that sandboxes often refuse. Where this
//! machine's kernel offers it, the tests check what the programs do; where
//! it is refused, they check instead that each program says so in one line
//! and ends successfully. Either way they assert something. The refusal is
//! also checked here on every run, under a seccomp filter like a
//! container's, so that it cannot rot where io_uring works.
//!
//! The system calls per round trip are counted with `strace -c` on the
//! benchmark harness's servers, one message at a time, each sent once the
//! server sleeps in its wait: every round trip then finds the quiet
//! connection a real one mostly is.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::support::part6_run;

use book_tools::process::{
    self, Run, Running, inspect, wait_for, wait_for_listening_port, wait_until,
};
use book_tools::programs::{self, built, run_beside_others};

/// The chapter's programs, each of which meets a refusal cleanly.
const PROGRAMS: [&str; 4] = [
    "part6-first-read",
    "part6-naive-read",
    "part6-dropped-read",
    "part6-echo-server",
];

/// The limit for anything a test waits for: far more than it needs on a
/// loaded machine, and finite.
const PATIENCE: Duration = Duration::from_secs(20);

/// The line a program prints when io_uring is refused.
const REFUSED: &str = "io_uring is refused here";

/// Whether this machine's kernel, in this process's sandbox, offers
/// io_uring: the question each program asks first.
fn io_uring_here() -> bool {
    match listings::uring::Ring::new(2) {
        Ok(_) => true,
        Err(e) if listings::uring::refused(&e) => false,
        Err(e) => panic!("io_uring_setup failed, not refused: {e}"),
    }
}

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part6-io-uring", name)
}

/// A program's run held to its sample where io_uring works, and to the
/// one line of refusal where it does not: the run, if it was the real one.
fn run_held_to_sample(program: &str, sample: &str) -> Option<&'static Run> {
    let run = run_beside_others(program);
    if !io_uring_here() {
        assert_refused_cleanly(program, run);
        return None;
    }
    assert_eq!(run.stdout, sample_output(sample), "{program}");
    Some(run)
}

/// `run` ended successfully, having printed one line: the refusal.
fn assert_refused_cleanly(program: &str, run: &Run) {
    assert!(run.status.success(), "{program}: {}", run.status);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{program}: {}", run.stdout);
    assert!(lines[0].starts_with(REFUSED), "{program}: {}", run.stdout);
}

#[test]
fn a_read_completes_when_its_bytes_arrive() {
    let Some(run) = run_held_to_sample("part6-first-read", "first_read") else {
        return;
    };
    assert!(
        run.stdout
            .contains("completions after 100 ms of waiting: 0")
    );
    assert!(run.stdout.contains("11 bytes, \"hello, ring\""));
}

#[test]
fn a_dropped_borrowing_read_writes_into_freed_memory() {
    let Some(run) = run_held_to_sample("part6-naive-read", "naive_read") else {
        return;
    };
    assert!(run.stdout.contains("got the same memory"), "{}", run.stdout);
    let last = run.stdout.lines().last().unwrap();
    assert_eq!(last, "the new buffer now holds \"LATE DATAhunter2\"");
}

/// The numbers of an `Abandoned { dropped: 1, late: 1, bytes_lost: 0 }`
/// printed on the line that starts with `prefix`.
fn abandoned_after(prefix: &str, output: &str) -> [usize; 3] {
    let line = output
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{output}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    numbers.try_into().unwrap_or_else(|_| panic!("{line}"))
}

#[test]
fn a_dropped_owning_read_leaves_the_programs_memory_untouched() {
    let Some(run) = run_held_to_sample("part6-dropped-read", "dropped_read")
    else {
        return;
    };
    let out = &run.stdout;
    // Before the data: cancelled, nothing moved, the data left for the
    // next read.
    assert_eq!(abandoned_after("dropped before", out), [1, 1, 0]);
    assert!(out.contains("the next read got Ok(5) bytes, \"first\""));
    // After: the completion came anyway, into the runtime's buffer, and
    // only after it came was that buffer freed.
    let [dropped, late, lost] = abandoned_after("dropped after", out);
    assert_eq!((dropped, late), (2, 2), "every buffer held until its end");
    assert_eq!(lost, "LATE DATA".len());
    assert!(out.contains("got other memory than the read's"));
    assert!(out.contains("it still holds \"password=hunter2\""));
}

/// One client's conversation: `messages` messages of 64 bytes, each sent
/// after the last came back.
fn converse(address: &str, id: u8, messages: usize) {
    let mut client = TcpStream::connect(address).unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    for i in 0..messages {
        let message = [id.wrapping_add(i as u8); 64];
        client.write_all(&message).unwrap();
        let mut echo = [0; 64];
        client.read_exact(&mut echo).unwrap();
        assert_eq!(echo, message);
    }
}

#[test]
fn the_echo_server_echoes_every_message_of_every_client() {
    let mut command = Command::new(built().program("part6-echo-server"));
    command.arg("127.0.0.1:0");
    if !io_uring_here() {
        let run = process::run_measured(command, PATIENCE).unwrap();
        return assert_refused_cleanly("part6-echo-server", &run);
    }
    let (server, address) =
        Running::spawn_listening(command, Duration::from_secs(60)).unwrap();
    wait_for_listening_port(server.id(), PATIENCE);
    // A client that vanishes mid-conversation ends its task alone.
    let mut rude = TcpStream::connect(&address).unwrap();
    rude.write_all(b"half a message").unwrap();
    drop(rude);
    thread::scope(|scope| {
        for id in 0..10 {
            let address = &address;
            scope.spawn(move || converse(address, id, 200));
        }
    });
    assert!(!server.has_exited().unwrap(), "the server is still up");
    server.kill().unwrap();
}

/// Makes the program `command` runs meet the refusal a container's
/// seccomp filter gives: `io_uring_setup` fails with `errno`, and every
/// other system call is let through.
fn refuse_io_uring(command: &mut Command, errno: i32) {
    let load_nr = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jump_if = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let filter = [
        // The system call's number, at offset 0 of `seccomp_data`.
        libc::sock_filter {
            code: load_nr,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: jump_if,
            jt: 0,
            jf: 1,
            k: libc::SYS_io_uring_setup as u32,
        },
        libc::sock_filter {
            code: ret,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | errno as u32,
        },
        libc::sock_filter {
            code: ret,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    // SAFETY: between fork and exec only `prctl` runs, which takes the
    // filter by pointer and copies it; `filter` lives in the parent's
    // memory, which the child has a copy of.
    unsafe {
        command.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr().cast_mut(),
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &program,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn every_program_refused_io_uring_says_so_and_ends_successfully() {
    // EPERM as Docker's default profile answers, ENOSYS as a kernel
    // without io_uring does.
    for errno in [libc::EPERM, libc::ENOSYS] {
        for program in PROGRAMS {
            let mut command = Command::new(built().program(program));
            command.arg("127.0.0.1:0");
            process::isolate_network(&mut command);
            refuse_io_uring(&mut command, errno);
            let run = process::run_measured(command, PATIENCE).unwrap();
            assert!(!run.timed_out, "{program}");
            assert_refused_cleanly(program, &run);
            let why = std::io::Error::from_raw_os_error(errno).to_string();
            assert!(run.stdout.contains(&why), "{program}: {}", run.stdout);
        }
    }
}

/// The system calls, of the kinds in `calls`, that the harness's echo
/// server `contender` makes while one client sends `messages` messages,
/// each once the server sleeps in one of `waits`: strace's total.
fn calls_under_strace(contender: &str, messages: usize, waits: &[i64]) -> u64 {
    let strace = book_tools::strace::ensure_installed().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("strace.txt");
    let mut command = Command::new(strace);
    command
        .args(["-f", "-c", "-o"])
        .arg(&summary)
        .arg(programs::bench_harness())
        .args(["server", contender, "echo"]);
    let (traced, address) =
        Running::spawn_listening(command, Duration::from_secs(60)).unwrap();
    let server = wait_for("strace to start the server", PATIENCE, || {
        inspect::children(traced.id()).unwrap().first().copied()
    });
    let asleep = || {
        wait_until("the server to wait again", PATIENCE, || {
            inspect::sleeping_in_system_call(server)
                .is_some_and(|call| waits.contains(&call))
        });
    };
    let mut client = TcpStream::connect(&address).unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    let message = [7u8; 64];
    let mut echo = [0u8; 64];
    for _ in 0..messages {
        asleep();
        client.write_all(&message).unwrap();
        client.read_exact(&mut echo).unwrap();
        assert_eq!(echo, message);
    }
    asleep();
    // Killing the server ends strace: it writes its summary, then ends as
    // its tracee did, killed.
    process::running::signal(server, libc::SIGKILL).unwrap();
    traced.finish(Duration::MAX).unwrap();
    let text = std::fs::read_to_string(&summary).unwrap();
    book_tools::strace::counted(&text, "total")
        .unwrap_or_else(|| panic!("no total in strace's summary:\n{text}"))
        .calls
}

/// System calls per round trip on a quiet connection: the difference
/// between two conversations, of 40 and 140 messages, so that what the
/// server does to start (and to accept) cancels out.
fn calls_per_round_trip(contender: &str, waits: &[i64]) -> f64 {
    let few = calls_under_strace(contender, 40, waits);
    let many = calls_under_strace(contender, 140, waits);
    (many as f64 - few as f64) / 100.0
}

#[test]
fn completion_makes_two_system_calls_per_round_trip_and_readiness_three_or_four()
 {
    // The harness's contender refuses as the chapter's programs do.
    if !io_uring_here() {
        let mut command = Command::new(programs::bench_harness());
        command.args(["server", "book-uring", "echo"]);
        let run = process::run_measured(command, PATIENCE).unwrap();
        assert!(!run.status.success(), "book-uring cannot serve here");
        assert!(run.stderr.contains("book-bench:"), "{}", run.stderr);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let epoll_waits = [libc::SYS_epoll_wait, libc::SYS_epoll_pwait];
    #[cfg(not(target_arch = "x86_64"))]
    let epoll_waits = [libc::SYS_epoll_pwait];
    let book = calls_per_round_trip("book", &epoll_waits);
    let raw = calls_per_round_trip("raw-epoll", &epoll_waits);
    let uring = calls_per_round_trip("book-uring", &[libc::SYS_io_uring_enter]);
    // Readiness: a wait, a read, a write, and for the book's runtime the
    // read that finds the socket empty. Completion: one `io_uring_enter`
    // that hands over the write, one that hands over the next read and
    // sleeps.
    assert!((3.9..=4.1).contains(&book), "book: {book}");
    assert!((2.9..=3.1).contains(&raw), "raw-epoll: {raw}");
    assert!((1.9..=2.1).contains(&uring), "book-uring: {uring}");
}

const CHAPTER: &str = "src/part6-io-uring.md";

#[test]
fn the_numbers_quoted_are_the_runs() {
    part6_run::assert_numbers_quoted(CHAPTER, 14);
}

#[test]
fn completion_makes_fifty_times_fewer_system_calls_under_load() {
    let calls = |c| part6_run::median("echo-syscalls", c, "syscalls_per_rt");
    for readiness in ["book", "raw-epoll"] {
        let fewer = calls(readiness) / calls("book-uring");
        assert!(fewer > 40.0, "{readiness}: {fewer}");
    }
}

#[test]
fn on_loopback_completion_costs_more_cpu_per_round_trip_than_readiness() {
    let cost = |c, metric| part6_run::median("echo", c, metric);
    let total = "server_cpu_us_per_rt";
    for readiness in ["book", "raw-epoll"] {
        assert!(cost("book-uring", total) > cost(readiness, total));
        let rate = "round_trips_per_s";
        let ratio = part6_run::ratio("echo", rate, "book-uring", readiness);
        assert!(ratio < 1.0, "{readiness}: {ratio}");
    }
    // Less in the runtime's own code, more in the kernel.
    let (user, system) = ("server_user_us_per_rt", "server_system_us_per_rt");
    assert!(cost("book-uring", user) < cost("book", user));
    assert!(cost("book-uring", system) > cost("book", system));
}
