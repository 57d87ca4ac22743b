//! The claims of Part Four's last chapter (`src/part4-ident.md`), checked
//! against the ident server the chapter shows.
//!
//! The server's file is included here as a module, as Part Five's
//! benchmarks include it: its parser and its connection handler are
//! driven directly, with generated input, and the program built from the
//! same file runs as a server in a network of its own, where a thread of
//! this process joins it to play its clients.

use std::fs::{self, File};
use std::future::{Future, ready};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::pin::{Pin, pin};
use std::process::Command;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use book_tools::process::{Running, isolate_network};
use book_tools::programs::{self, built, run, wait_until_listening};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRunner};

// Each test binary uses only its chapter's part of the module.
#[allow(dead_code)]
#[path = "support/promised_output.rs"]
mod promised_output;

// The final program of Part Four, as a module. Its `main` and the demo's
// clients go unused here.
#[allow(dead_code)]
#[path = "../listings/part4-ident/ident_server.rs"]
mod ident_server;

use ident_server::{
    AsyncRead, AsyncWrite, IDENT_PORT, InvalidPort, Lines, MAX_LINE,
    PortPair, Stream, UserId, parse_query, serve_queries,
};
use promised_output::part4_ident as promised;

const SECOND: Duration = Duration::from_secs(1);

/// Runs before the test harness starts any thread: this process gets a
/// network of its own (and, without privileges, a user namespace in which
/// it holds them), so that its threads may join the servers' networks,
/// which it creates inside its own.
#[ctor::ctor(unsafe)]
fn isolate_this_test_process() {
    // SAFETY: single-threaded, before main.
    unsafe { book_tools::process::isolate_this_process() }
        .expect("a private network namespace for the tests");
}

// The parser, with generated queries.

/// Spaces and tabs, as the RFC allows them around the numbers.
fn blanks() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["", "", "", " ", "\t", "  ", " \t", "\t "][..])
}

/// A port written with up to five digits in all, leading zeros included.
fn written_port() -> impl Strategy<Value = (u16, String)> {
    (1..=u16::MAX, 0..5usize).prop_map(|(port, zeros)| {
        let digits = port.to_string();
        let zeros = zeros.min(5 - digits.len());
        (port, format!("{}{digits}", "0".repeat(zeros)))
    })
}

/// A valid query, as a line without its end, and the ports it names.
fn valid_query() -> impl Strategy<Value = (String, PortPair)> {
    (written_port(), written_port(), [blanks(), blanks(), blanks(), blanks()])
        .prop_map(|((server, s), (client, c), [b1, b2, b3, b4])| {
            (format!("{b1}{s}{b2},{b3}{c}{b4}"), PortPair { server, client })
        })
}

/// Bytes of any value, with the ones a query is made of more likely, so
/// that some of the lines are near misses and a few are valid. Each byte
/// comes from two: one says what kind of byte, the other which.
fn query_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<(u8, u8)>(), 0..24).prop_map(|pairs| {
        let byte = |(kind, value): (u8, u8)| match kind % 8 {
            0..3 => value,
            3..6 => b'0' + value % 10,
            6 => b',',
            _ => [b' ', b'\t'][usize::from(value % 2)],
        };
        pairs.into_iter().map(byte).collect()
    })
}

/// What the RFC's grammar says of a line, written independently of the
/// server's parser: `<blanks> 1*5digit <blanks> "," <blanks> 1*5digit
/// <blanks>`, and ports from 1 to 65535.
fn rfc_reading(line: &[u8]) -> Result<PortPair, InvalidPort> {
    let no_numbers = InvalidPort {
        server: 0,
        client: 0,
    };
    let Ok(text) = std::str::from_utf8(line) else {
        return Err(no_numbers);
    };
    let Some((s, c)) = text.split_once(',') else {
        return Err(no_numbers);
    };
    let number = |field: &str| {
        let digits = field.trim_matches([' ', '\t']);
        let ok = (1..=5).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| digits.parse::<u32>().unwrap())
    };
    let (Some(server), Some(client)) = (number(s), number(c)) else {
        return Err(no_numbers);
    };
    let port = |n: u32| (1..=65535).contains(&n);
    if port(server) && port(client) {
        Ok(PortPair {
            server: server as u16,
            client: client as u16,
        })
    } else {
        Err(InvalidPort { server, client })
    }
}

/// Runs `test` on `cases` generated values, in a debug build as it is.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases,
        failure_persistence: None,
        // A fast generator: ChaCha, the default, is slow in a debug build.
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    };
    let started = Instant::now();
    TestRunner::new(config).run(&strategy, test).unwrap();
    eprintln!("{cases} cases in {:?}", started.elapsed());
}

/// Generated queries per test case: a case's overhead in proptest is
/// larger than a query's, so each case carries many.
const QUERIES_PER_CASE: usize = 100;

#[test]
fn valid_queries_parse_to_their_ports() {
    let queries = proptest::collection::vec(valid_query(), QUERIES_PER_CASE);
    check(5_000, queries, |queries| {
        for (line, ports) in queries {
            prop_assert_eq!(parse_query(line.as_bytes()), Ok(ports));
        }
        Ok(())
    });
}

#[test]
fn any_bytes_parse_without_panic_and_only_port_pairs_are_valid() {
    let lines =
        proptest::collection::vec(query_like_bytes(), QUERIES_PER_CASE);
    check(5_000, lines, |lines| {
        for line in lines {
            prop_assert_eq!(parse_query(&line), rfc_reading(&line));
        }
        Ok(())
    });
}

#[test]
fn out_of_range_ports_are_invalid_and_echoed() {
    for (line, server, client) in [
        ("0, 23", 0, 23),
        ("23, 0", 23, 0),
        ("65536, 23", 65536, 23),
        ("99999,99999", 99999, 99999),
    ] {
        let invalid = Err(InvalidPort { server, client });
        assert_eq!(parse_query(line.as_bytes()), invalid, "{line}");
    }
    for line in ["123456, 23", "-1, 23", "1.5, 23", "23 23", "", ",", "2,3,4"] {
        let no_numbers = Err(InvalidPort {
            server: 0,
            client: 0,
        });
        assert_eq!(parse_query(line.as_bytes()), no_numbers, "{line}");
    }
    let reply = run_by_hand(ident_server::answer(b"0, 23", &mut |_| {
        ready(None::<UserId>)
    }));
    assert_eq!(reply, "0, 23 : ERROR : INVALID-PORT\r\n");
}

// The connection handler, over streams in memory.

/// Polls `future` to completion on this thread. The streams in memory
/// wake their task before they return `Pending`, so polling again at once
/// is always right; the limit turns a hang into a failure.
fn run_by_hand<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the future did not finish");
}

/// Bytes that arrive in the pieces a test chose, with a `Pending` before
/// some of them, then the end of the stream.
struct Arriving {
    pieces: Vec<Vec<u8>>,
    next: usize,
    /// Whether to say `Pending` before a piece, in turn.
    pauses: Vec<bool>,
    paused: bool,
}

impl AsyncRead for Arriving {
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let pause = self.pauses[self.next % self.pauses.len()];
        if pause && !self.paused {
            self.paused = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.paused = false;
        let Some(piece) = self.pieces.get_mut(self.next) else {
            return Poll::Ready(Ok(0));
        };
        // A reader's buffer may be smaller than the piece: the rest stays
        // for the next read, as in a socket.
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece.drain(..n);
        if piece.is_empty() {
            self.next += 1;
        }
        Poll::Ready(Ok(n))
    }
}

/// A writer that takes at most the next of `takes` bytes per write, with
/// a `Pending` where a take is 0, and keeps what it was given.
struct Taking {
    written: Vec<u8>,
    takes: Vec<usize>,
    next: usize,
}

impl AsyncWrite for &mut Taking {
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let take = self.takes[self.next % self.takes.len()];
        self.next += 1;
        if take == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = take.min(buf.len());
        self.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
}

/// The owner the handler is given in these tests: a rule on the ports, so
/// that some connections have an owner and some have none.
fn pretend_owner(ports: PortPair) -> Option<UserId> {
    (ports.server % 3 != 0).then(|| UserId {
        opsys: "UNIX",
        id: format!("user{}", ports.client % 100),
    })
}

/// The reply the RFC asks for, written independently of the server.
fn expected_reply(line: &[u8]) -> String {
    match rfc_reading(line) {
        Ok(ports) => {
            let (s, c) = (ports.server, ports.client);
            match pretend_owner(ports) {
                Some(user) => format!("{s}, {c} : USERID : UNIX : {}\r\n", user.id),
                None => format!("{s}, {c} : ERROR : NO-USER\r\n"),
            }
        }
        Err(InvalidPort { server, client }) => {
            format!("{server}, {client} : ERROR : INVALID-PORT\r\n")
        }
    }
}

/// A line of a connection: mostly valid queries, and some that are not.
fn any_query() -> impl Strategy<Value = Vec<u8>> {
    let garbage = query_like_bytes().prop_map(|mut line| {
        line.retain(|&b| b != b'\n');
        line
    });
    prop_oneof![
        4 => valid_query().prop_map(|(line, _)| line.into_bytes()),
        1 => garbage,
    ]
}

/// A conversation: lines with their ends (CR LF or LF), the sizes of the
/// pieces the bytes arrive in, the pauses, and the sizes of the writes.
type Conversation = (Vec<(Vec<u8>, bool)>, Vec<usize>, Vec<bool>, Vec<usize>);

fn conversation() -> impl Strategy<Value = Conversation> {
    (
        proptest::collection::vec((any_query(), any::<bool>()), 1..200),
        proptest::collection::vec(1..64usize, 1..20),
        proptest::collection::vec(any::<bool>(), 1..8),
        proptest::collection::vec(0..40usize, 1..8),
    )
}

#[test]
fn every_query_gets_its_reply_in_order_however_the_bytes_arrive() {
    check(10_000, conversation(), |(lines, cuts, pauses, mut takes)| {
        let mut input = Vec::new();
        let mut expected = String::new();
        for (line, crlf) in &lines {
            input.extend_from_slice(line);
            input.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            expected += &expected_reply(line);
        }
        // Cut the bytes into pieces of the chosen sizes, in turn.
        let mut pieces = Vec::new();
        let mut rest = &input[..];
        for size in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at((*size).min(rest.len()));
            pieces.push(piece.to_vec());
            rest = after;
        }
        // A writer that never takes anything would hang the handler.
        if takes.iter().all(|&take| take == 0) {
            takes.push(1);
        }
        let reader = Arriving {
            pieces,
            next: 0,
            pauses,
            paused: false,
        };
        let mut writer = Taking {
            written: Vec::new(),
            takes,
            next: 0,
        };
        let owner = |ports| ready(pretend_owner(ports));
        let served = run_by_hand(serve_queries(
            reader,
            &mut writer,
            owner,
            3600 * SECOND,
        ));
        prop_assert!(served.is_ok(), "{served:?}");
        prop_assert_eq!(String::from_utf8_lossy(&writer.written), expected);
        Ok(())
    });
}
