//! Starting, stopping and measuring a program: in a network of its own,
//! killed past its limit or when dropped, its output captured or in files.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::thread;
use std::time::Duration;

use book_process::limits::limit_descriptors;
use book_process::{
    Input, Output, Running, inspect, isolate_network, run_measured,
    run_on_its_own_time, wait_until,
};

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
    // Two programs on the same port at once would collide if they shared
    // a network.
    let runs: Vec<Running> = (0..2)
        .map(|_| {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command.args(["--exact", "bind_port_8000_for_a_moment"]);
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
    assert_eq!(busy.cpu, busy.cpu_user + busy.cpu_system, "{busy:?}");
    assert!(busy.core_demand() > 0.8, "{busy:?}");
    assert!(idle.core_demand() < 0.2, "{idle:?}");
    assert!(idle.cpu_share() < 0.2, "{idle:?}");
    assert!(idle.wall >= Duration::from_millis(300));
}

/// A program's wall time and limit start when it is exec'd: the time its
/// process spends being made ready (here a second, as `unshare` can take
/// on a busy machine) is not its own.
#[test]
fn the_time_before_exec_is_not_the_programs() {
    let mut command = Command::new("sleep");
    command.arg("0.2");
    // SAFETY: `nanosleep` is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            let second = libc::timespec {
                tv_sec: 1,
                tv_nsec: 0,
            };
            libc::nanosleep(&second, std::ptr::null_mut());
            Ok(())
        });
    }
    let run = run_measured(command, Duration::from_millis(800)).unwrap();
    assert!(!run.timed_out, "killed at a limit it kept: {run:?}");
    assert!(run.status.success(), "{run:?}");
    assert!(
        run.wall >= Duration::from_millis(200)
            && run.wall < Duration::from_millis(800),
        "{:?}: not the 0.2 s the program itself took",
        run.wall
    );
}

#[test]
fn a_program_past_its_limit_is_killed() {
    let mut forever = Command::new("sleep");
    forever.arg("60");
    let run = run_measured(forever, Duration::from_millis(200)).unwrap();
    assert!(run.timed_out);
    assert_eq!(run.status.signal(), Some(libc::SIGKILL));
}

#[test]
fn a_program_past_its_own_time_is_killed_and_one_within_it_is_not() {
    let mut forever = Command::new("sleep");
    forever.arg("60");
    let limit = Duration::from_millis(200);
    let run = run_on_its_own_time(forever, limit).unwrap();
    assert!(run.timed_out, "{run:?}");
    assert_eq!(run.status.signal(), Some(libc::SIGKILL));
    // A sleeper waits for no core: it goes at the limit, give or take.
    assert!(run.wall < limit + Duration::from_secs(5), "{run:?}");
    let mut brief = Command::new("sleep");
    brief.arg("0.05");
    let run = run_on_its_own_time(brief, Duration::from_secs(30)).unwrap();
    assert!(!run.timed_out && run.status.success(), "{run:?}");
}

#[test]
fn a_dropped_program_is_killed_and_reaped() {
    let mut forever = Command::new("sleep");
    forever.arg("60");
    let running = Running::spawn(forever).unwrap();
    let pid = running.id();
    drop(running);
    // Reaped: its pid no longer names a process of ours.
    assert!(inspect::state(pid).is_err(), "process {pid} is still there");
}

#[test]
fn output_in_files_is_read_back_when_the_program_ends() {
    let mut command = Command::new("sh");
    command.args(["-c", "echo out; echo err >&2; exit 3"]);
    let running =
        Running::spawn_with(command, Output::Files, Input::Closed).unwrap();
    let run = running.finish_within(Duration::from_secs(10)).unwrap();
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("out\n", "err\n")
    );
}

#[test]
fn piped_input_and_output_are_the_callers() {
    use std::io::{BufRead, BufReader, Write};
    let mut command = Command::new("sh");
    command.args(["-c", "read line; echo \"got $line\"; echo done >&2"]);
    let mut running =
        Running::spawn_with(command, Output::StdoutPiped, Input::Piped)
            .unwrap();
    let mut stdin = running.take_stdin().unwrap();
    writeln!(stdin, "hello").unwrap();
    drop(stdin);
    let mut line = String::new();
    BufReader::new(running.take_stdout().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "got hello\n");
    let run = running.finish_within(Duration::from_secs(10)).unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "done\n"));
}

#[test]
fn a_program_limited_to_few_descriptors_starts_with_that_limit() {
    let mut command = Command::new("sh");
    // The soft limit, then the hard one.
    command.args(["-c", "ulimit -n; ulimit -Hn"]);
    limit_descriptors(&mut command, 8);
    let run = run_measured(command, Duration::from_secs(10)).unwrap();
    assert_eq!(run.stdout, "8\n8\n", "{run:?}");
}

#[test]
fn a_signalled_program_is_seen_to_exit() {
    let mut forever = Command::new("sleep");
    forever.arg("60");
    let running = Running::spawn(forever).unwrap();
    assert!(!running.has_exited().unwrap());
    running.signal(libc::SIGTERM).unwrap();
    wait_until("sleep to exit", Duration::from_secs(10), || {
        running.has_exited().unwrap()
    });
    // Exited but not reaped: its entry stays, a zombie.
    assert_eq!(inspect::state(running.id()).unwrap(), 'Z');
    let run = running.kill().unwrap();
    assert_eq!(run.status.signal(), Some(libc::SIGTERM));
}

#[test]
fn a_server_is_started_with_the_address_it_prints_first() {
    let mut server = Command::new("sh");
    server.args(["-c", "echo listening on 127.0.0.1:4321; exec sleep 60"]);
    let (running, address) =
        Running::spawn_listening(server, Duration::from_secs(30)).unwrap();
    assert_eq!(address, "127.0.0.1:4321");
    assert!(running.kill().unwrap().status.signal().is_some());
}

#[test]
fn a_server_that_prints_no_address_in_time_is_killed_and_reported() {
    let mut silent = Command::new("sleep");
    silent.arg("60");
    let began = std::time::Instant::now();
    let error = Running::spawn_listening(silent, Duration::from_millis(300))
        .err()
        .expect("no address, no server");
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    assert!(error.to_string().contains("printed no address"), "{error}");
}
