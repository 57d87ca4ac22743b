//! The claims of Part Four's chapter on epoll (`src/part4-epoll.md`), each
//! checked against the program the chapter shows, built from `listings/`
//! as a reader builds it.
//!
//! The demonstrations on socket pairs make every `epoll_wait` with a
//! timeout of 0, right after a step whose effect is complete when it
//! returns, so they print the same lines on every run: each is held to its
//! sample, and the rules the chapter states are checked on the run and on
//! the sample alike. The event loop runs in a network namespace of its own
//! (its port 8000 is its own) and has its wall-clock and CPU time measured
//! by the kernel, with bounds that hold on a loaded two-core machine.

use std::time::Duration;

use book_tools::programs::{
    self, assert_takes_about, listing_source, run, run_beside_others,
};

use book_tools::promised_output;

use promised_output::part4_epoll as promised;

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-epoll", name)
}

/// A run of a demonstration, held to its promise, and its sample: the
/// texts on which a rule of the chapter is checked.
fn run_and_sample(
    program: &str,
    sample: &str,
    promise: fn(&str),
) -> [(String, String); 2] {
    let run = run_beside_others(program);
    promise(&run.stdout);
    [
        (program.to_owned(), run.stdout.clone()),
        (format!("the sample of {program}"), sample_output(sample)),
    ]
}

/// One step of a demonstration, and what each `epoll_wait` printed after
/// it ("nothing", or "token N, FLAGS").
#[derive(Debug)]
struct Step {
    step: String,
    answers: Vec<String>,
}

/// The steps of `text`: every line is a step, except the answers of
/// `epoll_wait`, which belong to the step before them.
fn steps(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in text.lines().map(str::trim) {
        match line.strip_prefix("epoll_wait: ") {
            Some(answer) => steps
                .last_mut()
                .unwrap_or_else(|| panic!("an answer before any step"))
                .answers
                .push(answer.to_owned()),
            None => steps.push(Step {
                step: line.to_owned(),
                answers: Vec::new(),
            }),
        }
    }
    steps
}

/// The steps of `part4-interest-list`, each with what `epoll_wait`
/// returned after it, in a run and in the sample.
fn interest_list_steps() -> Vec<(String, Vec<Step>)> {
    let texts = run_and_sample(
        "part4-interest-list",
        "interest_list",
        promised::interest_list,
    );
    texts
        .into_iter()
        .map(|(name, text)| (name, steps(&text)))
        .collect()
}

#[test]
fn epoll_wait_returns_only_the_ready_socket_with_its_token() {
    for (name, steps) in interest_list_steps() {
        let answers = |step: &str| -> Vec<&str> {
            let step = steps
                .iter()
                .find(|s| s.step == step)
                .unwrap_or_else(|| panic!("{name}: no step {step:?}"));
            step.answers.iter().map(String::as_str).collect()
        };
        // Registered, nothing happened yet: nothing is ready.
        let first = &steps[0];
        assert!(first.step.starts_with("registered three sockets"));
        assert_eq!(first.answers, ["nothing"], "{name}: {steps:?}");
        // Each write makes exactly the written-to socket ready, reported
        // by the token it was registered with; each read makes it quiet.
        assert_eq!(answers("peer 1 writes 5 bytes"), ["token 1, EPOLLIN"]);
        assert_eq!(answers("socket 1 reads 5 bytes"), ["nothing"]);
        assert_eq!(answers("peer 2 writes 2 bytes"), ["token 2, EPOLLIN"]);
        // Every report comes from the registration each socket got once:
        // the program calls `add` in one place, in the loop that makes
        // the sockets, and never re-registers.
        let source = listing_source("part4-epoll/interest_list.rs");
        assert_eq!(source.matches("epoll.add(").count(), 1);
        assert!(!source.contains("EPOLL_CTL_MOD"));
    }
}

#[test]
fn hang_up_is_reported_without_being_asked_for() {
    let source = listing_source("part4-epoll/interest_list.rs");
    assert!(
        source.contains("epoll.add(socket.as_raw_fd(), libc::EPOLLIN, token)"),
        "the sockets are no longer registered for EPOLLIN alone"
    );
    for (name, steps) in interest_list_steps() {
        let last = steps.last().unwrap();
        assert_eq!(last.step, "peer 0 hangs up", "{name}");
        assert_eq!(last.answers, ["token 0, EPOLLIN | EPOLLHUP"], "{name}");
    }
}

/// What `epoll_wait` reports for `fd` within a second, asked for `interest`.
fn reported(fd: i32, interest: libc::c_int) -> u32 {
    // SAFETY: plain calls on descriptors this function owns or borrows;
    // `event` and `events` are valid for the calls.
    unsafe {
        let epoll = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        assert!(epoll >= 0);
        let mut event = libc::epoll_event {
            events: interest as u32,
            u64: 0,
        };
        assert_eq!(
            libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event),
            0
        );
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 1];
        let count = libc::epoll_wait(epoll, events.as_mut_ptr(), 1, 1000);
        libc::close(epoll);
        if count == 1 { events[0].events } else { 0 }
    }
}

#[test]
fn an_orderly_tcp_close_is_readable_and_hangs_up_only_when_both_ways_are_shut()
{
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (ours, _) = listener.accept().unwrap();
    drop(peer);
    let (readable, hung_up, read_hang_up) = (
        libc::EPOLLIN as u32,
        libc::EPOLLHUP as u32,
        libc::EPOLLRDHUP as u32,
    );
    assert_eq!(reported(ours.as_raw_fd(), libc::EPOLLIN), readable);
    let asked = libc::EPOLLIN | libc::EPOLLRDHUP;
    assert_eq!(reported(ours.as_raw_fd(), asked), readable | read_hang_up);
    ours.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        reported(ours.as_raw_fd(), libc::EPOLLIN),
        readable | hung_up
    );
}

/// The steps the demonstration of the three modes takes, in order.
const TRIGGER_STEPS: [&str; 6] = [
    "peer writes 5 bytes",
    "(nothing read, wait again)",
    "socket reads 2 bytes, 3 are left",
    "peer writes 5 more bytes",
    "socket re-registers with EPOLL_CTL_MOD",
    "socket reads 8 bytes, until WouldBlock",
];

/// After which of [`TRIGGER_STEPS`] the socket of `mode` (the start of its
/// header line, "edge-triggered") was reported, in a run and in the
/// sample. Every report must be the socket's own token with `EPOLLIN`, and
/// a step is followed by one answer.
fn reported_after_each_step(mode: &str) -> Vec<(String, Vec<bool>)> {
    let texts =
        run_and_sample("part4-triggers", "triggers", promised::triggers);
    texts
        .into_iter()
        .map(|(name, text)| {
            let steps = steps(&text);
            let header = steps
                .iter()
                .position(|s| s.step.starts_with(mode))
                .unwrap_or_else(|| panic!("{name}: no {mode}:\n{text}"));
            let token = steps[header]
                .step
                .split_once("token ")
                .and_then(|(_, token)| token.strip_suffix(':'))
                .unwrap_or_else(|| panic!("{name}: no token for {mode}"));
            let own = format!("token {token}, EPOLLIN");
            let mode_steps =
                &steps[header + 1..header + 1 + TRIGGER_STEPS.len()];
            let reported = mode_steps
                .iter()
                .zip(TRIGGER_STEPS)
                .map(|(step, expected)| {
                    assert_eq!(step.step, expected, "{name}, {mode}");
                    match &step.answers[..] {
                        [answer] if *answer == own => true,
                        [answer] if answer == "nothing" => false,
                        answers => panic!("{name}, {mode}: {answers:?}"),
                    }
                })
                .collect();
            (name, reported)
        })
        .collect()
}

#[test]
fn level_triggered_reports_unread_data_on_every_wait() {
    for (name, reported) in reported_after_each_step("level-triggered") {
        // Reported while anything is unread, quiet once it is all read.
        assert_eq!(reported, [true, true, true, true, true, false], "{name}");
    }
}

#[test]
fn edge_triggered_reports_once_until_more_data_arrives() {
    for (name, reported) in reported_after_each_step("edge-triggered") {
        // Once for the first write; not again for the same unread data,
        // even after a partial read; once more for the second write.
        assert_eq!(reported[..4], [true, false, false, true], "{name}");
        assert!(!reported[5], "{name}");
    }
}

#[test]
fn one_shot_reports_once_until_re_armed() {
    for (name, reported) in reported_after_each_step("one-shot") {
        // Once; then nothing, not even for new data, until re-armed.
        assert_eq!(reported[..4], [true, false, false, false], "{name}");
        assert!(reported[4], "{name}: not reported after re-arming");
        assert!(!reported[5], "{name}");
    }
}

#[test]
fn modify_reports_unread_data_in_every_mode() {
    for mode in ["level-triggered", "edge-triggered", "one-shot"] {
        for (name, reported) in reported_after_each_step(mode) {
            // Data is unread when the socket re-registers.
            assert!(reported[4], "{name}, {mode}");
        }
    }
}

/// The lines a reader of `part4-edge-pitfall` printed, in a run and in
/// the sample: the section that starts with "reading `reader`:".
fn reader_lines(reader: &str) -> Vec<(String, Vec<String>)> {
    let texts = run_and_sample(
        "part4-edge-pitfall",
        "edge_pitfall",
        promised::edge_pitfall,
    );
    texts
        .into_iter()
        .map(|(name, text)| {
            let header = format!("reading {reader}:");
            let lines: Vec<String> = text
                .lines()
                .skip_while(|line| *line != header)
                .skip(1)
                .take_while(|line| line.starts_with("  "))
                .map(|line| line.trim().to_owned())
                .collect();
            assert!(!lines.is_empty(), "{name}: no {header}\n{text}");
            (name, lines)
        })
        .collect()
}

#[test]
fn one_chunk_reader_stalls_with_data_unread() {
    for (name, lines) in reader_lines("one chunk per event") {
        // One event, one chunk, and then no event, with the rest of the
        // request still in the socket.
        assert_eq!(
            lines,
            [
                "event 1: 100 of 1000 bytes read",
                "no event for 100 ms, and 900 bytes still unread in the \
                 socket",
            ],
            "{name}"
        );
    }
    // The wait that found nothing was bounded, and it did wait.
    let run = run_beside_others("part4-edge-pitfall");
    assert!(run.wall >= Duration::from_millis(100), "{:?}", run.wall);
    assert!(run.wall < 3 * SECOND + run.waited_for_a_core, "{run:?}");
}

#[test]
fn draining_reader_gets_every_byte() {
    for (name, lines) in reader_lines("until WouldBlock") {
        assert_eq!(
            lines,
            [
                "event 1: 1000 of 1000 bytes read",
                "the whole request is in"
            ],
            "{name}"
        );
    }
}

#[test]
fn every_client_gets_its_start_and_end_lines() {
    let run = run("part4-epoll-loop");
    promised::epoll_loop(&run.stdout);
    // The chapter shows a real run; the lines may come in another order.
    promised::epoll_loop(&sample_output("epoll_loop"));
}

#[test]
fn epoll_loop_takes_about_one_second() {
    let run = run("part4-epoll-loop");
    assert_takes_about(run, SECOND);
}

#[test]
fn epoll_loop_sits_idle_while_it_waits() {
    let run = run("part4-epoll-loop");
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}
