//! The claims of Part Four's last chapter (`src/part4-ident.md`), checked
//! against the ident server the chapter shows.
//!
//! The server's file is included here as a module, as Part Five's
//! benchmarks include it: its parser and its connection handler are
//! driven directly, with generated input, and the program built from the
//! same file runs as a server in a network of its own, where a thread of
//! this process joins it to play its clients.

use std::future::{Future, ready};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::process::Command;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use book_tools::process::limits::{self, raise_descriptor_limit_of};
use book_tools::process::{
    self, Running, in_network_of, inspect, isolate_network,
};
use book_tools::programs::{self, built, run, wait_until_listening};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRunner};

use book_tools::promised_output;

// The ident server and its streams, from the listings library.
use listings::ident::server::{
    self as ident, IDENT_PORT, InvalidPort, MAX_LINE, PortPair, UserId,
    parse_query, serve_queries,
};
use listings::ident::streams::{AsyncRead, AsyncWrite, Lines, Stream};
use promised_output::part4_ident as promised;

const SECOND: Duration = Duration::from_secs(1);

// The parser, with generated queries.

/// Spaces and tabs, as the RFC allows them around the numbers.
const BLANKS: [&str; 8] = ["", "", "", " ", "\t", "  ", " \t", "\t "];

/// A valid query, as a line without its end, and the ports it names. The
/// bits of `style` choose the blanks and the leading zeros (up to five
/// digits in all): one generated number instead of six keeps generating
/// cheap.
fn valid_query() -> impl Strategy<Value = (String, PortPair)> {
    (1..=u16::MAX, 1..=u16::MAX, any::<u32>()).prop_map(
        |(server, client, style)| {
            let bits = |at: u32, width: u32| {
                (style >> at) as usize & ((1 << width) - 1)
            };
            let written = |port: u16, zeros: usize| {
                let digits = port.to_string();
                let zeros = zeros.min(5 - digits.len());
                format!("{}{digits}", "0".repeat(zeros))
            };
            let (s, c) =
                (written(server, bits(0, 3)), written(client, bits(3, 3)));
            let [b1, b2, b3, b4] = [6, 9, 12, 15].map(|at| BLANKS[bits(at, 3)]);
            let line = format!("{b1}{s}{b2},{b3}{c}{b4}");
            (line, PortPair { server, client })
        },
    )
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
    let lines = proptest::collection::vec(query_like_bytes(), QUERIES_PER_CASE);
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
    let not_numbers = [
        "hello",
        "123456, 23",
        "-1, 23",
        "1.5, 23",
        "23 23",
        "",
        ",",
        "2,3,4",
    ];
    for line in not_numbers {
        let no_numbers = Err(InvalidPort {
            server: 0,
            client: 0,
        });
        assert_eq!(parse_query(line.as_bytes()), no_numbers, "{line}");
    }
    let mut nobody = |_| ready(None::<UserId>);
    for (line, reply) in [
        ("99999, 23", "99999, 23 : ERROR : INVALID-PORT\r\n"),
        ("hello", "0, 0 : ERROR : INVALID-PORT\r\n"),
    ] {
        let answer = ident::answer(line.as_bytes(), &mut nobody);
        assert_eq!(run_by_hand(answer), reply.as_bytes());
    }
}

// Who owns a connection: over IPv4 and IPv6, and the reply's octets.

/// The owner of the connection between `ours` (a socket of this process)
/// and its peer, asked as an ident client would: the query's own
/// connection between `here` and `peer`, naming the two ports.
fn owner_of(
    ours: &std::net::TcpStream,
    here: std::net::IpAddr,
    peer: std::net::IpAddr,
) -> Option<UserId> {
    let (local, remote) =
        (ours.local_addr().unwrap(), ours.peer_addr().unwrap());
    let ports = PortPair {
        server: local.port(),
        client: remote.port(),
    };
    ident::find_owner((here, 0).into(), (peer, 0).into(), ports)
}

/// This process's user id, as a reply names it.
fn our_user_id() -> UserId {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let loopback = [127, 0, 0, 1].into();
    owner_of(&ours, loopback, loopback).expect("our own connection")
}

/// A connection that an IPv6 socket made to a v4-mapped address is listed
/// in Linux's IPv6 table; an ident query about it may come over IPv4, or
/// over IPv6 with the same mapped addresses.
#[test]
fn a_connection_made_from_ipv6_to_a_v4_mapped_address_is_found() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ours = TcpStream::connect(("::ffff:127.0.0.1", port)).unwrap();
    assert!(ours.local_addr().unwrap().is_ipv6());
    let v4: std::net::IpAddr = [127, 0, 0, 1].into();
    let mapped: std::net::IpAddr = std::net::Ipv4Addr::new(127, 0, 0, 1)
        .to_ipv6_mapped()
        .into();
    assert_eq!(owner_of(&ours, v4, v4), Some(our_user_id()));
    assert_eq!(owner_of(&ours, mapped, mapped), Some(our_user_id()));
}

/// An IPv4 connection asked about over IPv6 (an ident server listening
/// on `[::]` sees IPv4 clients as v4-mapped addresses), and a native IPv6
/// connection asked about over IPv6.
#[test]
fn ipv4_and_native_ipv6_connections_are_found_when_asked_over_ipv6() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mapped: std::net::IpAddr = std::net::Ipv4Addr::new(127, 0, 0, 1)
        .to_ipv6_mapped()
        .into();
    assert_eq!(owner_of(&ours, mapped, mapped), Some(our_user_id()));

    let listener = std::net::TcpListener::bind("[::1]:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let v6: std::net::IpAddr = std::net::Ipv6Addr::LOCALHOST.into();
    assert_eq!(owner_of(&ours, v6, v6), Some(our_user_id()));
    // Asked with the wrong addresses, it is nobody's.
    let v4: std::net::IpAddr = [127, 0, 0, 1].into();
    assert_eq!(owner_of(&ours, v4, v4), None);
}

/// A user id goes out as the octets the password database holds, not
/// as text: bytes that are not UTF-8 arrive unchanged. At most 512 of
/// them, and never a line end.
#[test]
fn user_ids_go_out_as_octets_and_at_most_512() {
    let latin1 = b"ren\xe9".to_vec();
    let mut owner = |_| {
        ready(Some(UserId {
            opsys: "UNIX",
            id: latin1.clone(),
        }))
    };
    let reply = run_by_hand(ident::answer(b"1, 2", &mut owner));
    assert_eq!(reply, b"1, 2 : USERID : UNIX : ren\xe9\r\n");
    assert!(ident::fits_a_reply(&[b'x'; 512]));
    assert!(!ident::fits_a_reply(&[b'x'; 513]));
    assert!(!ident::fits_a_reply(b"a\nb"));
    assert!(!ident::fits_a_reply(b"a\rb"));
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
    (!ports.server.is_multiple_of(3)).then(|| UserId {
        opsys: "UNIX",
        id: format!("user{}", ports.client % 100).into_bytes(),
    })
}

/// The reply the RFC asks for to a query for `ports`.
fn expected_reply(ports: PortPair) -> String {
    let PortPair { server, client } = ports;
    match pretend_owner(ports) {
        Some(user) => {
            let id = String::from_utf8(user.id).unwrap();
            format!("{server}, {client} : USERID : UNIX : {id}\r\n")
        }
        None => format!("{server}, {client} : ERROR : NO-USER\r\n"),
    }
}

/// A line of a connection and the reply it must get: mostly valid
/// queries, and some lines that are near misses or garbage, whose replies
/// follow the RFC's grammar as `rfc_reading` has it.
fn any_query() -> impl Strategy<Value = (Vec<u8>, String)> {
    let valid = valid_query()
        .prop_map(|(line, ports)| (line.into_bytes(), expected_reply(ports)));
    let other = query_like_bytes().prop_map(|mut line| {
        // No LF inside, and no CR at the end, where it would be read as
        // part of the line end that follows.
        line.retain(|&b| b != b'\n');
        while line.last() == Some(&b'\r') {
            line.pop();
        }
        let reply = match rfc_reading(&line) {
            Ok(ports) => expected_reply(ports),
            Err(InvalidPort { server, client }) => {
                format!("{server}, {client} : ERROR : INVALID-PORT\r\n")
            }
        };
        (line, reply)
    });
    prop_oneof![4 => valid, 1 => other]
}

/// A conversation: lines with their ends (CR LF or LF), the sizes of the
/// pieces the bytes arrive in, the pauses, and the sizes of the writes.
type Conversation = (
    Vec<((Vec<u8>, String), bool)>,
    Vec<usize>,
    Vec<bool>,
    Vec<usize>,
);

fn conversation() -> impl Strategy<Value = Conversation> {
    (
        proptest::collection::vec((any_query(), any::<bool>()), 1..=210),
        proptest::collection::vec(1..64usize, 1..20),
        proptest::collection::vec(any::<bool>(), 1..8),
        proptest::collection::vec(0..40usize, 1..8),
    )
}

#[test]
fn every_query_gets_its_reply_in_order_however_the_bytes_arrive() {
    let queries = std::cell::Cell::new(0);
    check(
        10_000,
        conversation(),
        |(lines, cuts, pauses, mut takes)| {
            queries.set(queries.get() + lines.len());
            let mut input = Vec::new();
            let mut expected = String::new();
            for ((line, reply), crlf) in &lines {
                input.extend_from_slice(line);
                input.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                expected += reply;
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
        },
    );
    // 10,000 cases of 105 lines on average.
    eprintln!("{} queries", queries.get());
    assert!(queries.get() > 1_000_000, "{} queries", queries.get());
}

/// A reader that never ends a line, and counts the bytes it gave.
struct Endless<'a> {
    given: &'a std::cell::Cell<usize>,
}

impl AsyncRead for Endless<'_> {
    fn poll_read(
        &mut self,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        buf.fill(b'9');
        self.given.set(self.given.get() + buf.len());
        Poll::Ready(Ok(buf.len()))
    }
}

#[test]
fn a_line_without_an_end_is_an_error_after_max_line_bytes() {
    let given = std::cell::Cell::new(0);
    let mut lines = Lines::new(Endless { given: &given }, MAX_LINE);
    let error = match run_by_hand(lines.next()) {
        Some(Err(error)) => error,
        other => panic!("not an error: {other:?}"),
    };
    assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}");
    // It stopped reading at the limit, and the stream is over.
    assert_eq!(given.get(), MAX_LINE);
    assert!(run_by_hand(lines.next()).is_none());
}

#[test]
fn lines_end_in_lf_or_cr_lf_and_an_unfinished_last_line_is_an_error() {
    let reader = Arriving {
        pieces: vec![b"8113, 1\r\n2, 3\n\r\n4,".to_vec(), b" 5".to_vec()],
        next: 0,
        pauses: vec![true],
        paused: false,
    };
    let mut lines = Lines::new(reader, MAX_LINE);
    for expected in [&b"8113, 1"[..], b"2, 3", b""] {
        let line = run_by_hand(lines.next()).unwrap().unwrap();
        assert_eq!(line, expected);
    }
    let last = run_by_hand(lines.next()).unwrap().unwrap_err();
    assert_eq!(last.kind(), ErrorKind::UnexpectedEof);
    assert!(run_by_hand(lines.next()).is_none());
}

// The program: the demo with its clients, and the server alone.

#[test]
fn ident_server_prints_what_its_clients_were_told() {
    let run = run("part4-ident-server");
    promised::ident_server(&run.stdout);
    promised::ident_server(&programs::sample_output(
        "part4-ident",
        "ident_server",
    ));
}

#[test]
fn ident_server_finishes_in_well_under_a_second() {
    let run = run("part4-ident-server");
    // Less the time it waited for a core, which a loaded machine makes
    // long (seen: 780 ms of a 1.2 s run that used 19 ms of CPU).
    let own = run.wall.saturating_sub(run.waited_for_a_core);
    assert!(own < SECOND, "{run:?}");
}

/// Starts `part4-ident-server serve IDLE_SECONDS` in a network of its own
/// and waits until it listens.
fn start_server(idle_seconds: &str) -> Running {
    let mut command = Command::new(built().program("part4-ident-server"));
    command.args(["serve", idle_seconds]);
    isolate_network(&mut command);
    raise_descriptor_limit_of(&mut command);
    let server = Running::spawn(command).unwrap();
    wait_until_listening(server.id(), IDENT_PORT, 30 * SECOND);
    server
}

/// A client of the server in process `pid`, with a time limit on reads.
fn connect_to(pid: u32) -> TcpStream {
    let stream = in_network_of(pid, || {
        TcpStream::connect(("127.0.0.1", IDENT_PORT)).unwrap()
    });
    stream.set_read_timeout(Some(10 * SECOND)).unwrap();
    stream
}

/// Reads one reply line, CR LF included.
fn read_reply(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let mut byte = [0];
    while !reply.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => panic!("closed after {reply:?}"),
            Ok(_) => reply.push(byte[0]),
            Err(e) => panic!("after {reply:?}: {e}"),
        }
    }
    String::from_utf8(reply).unwrap()
}

/// A new client asks about its own connection and gets its owner; returns
/// how long that took, from connecting to the reply.
fn assert_serves_a_new_client(pid: u32) -> Duration {
    let started = Instant::now();
    let mut client = connect_to(pid);
    let port = client.local_addr().unwrap().port();
    let query = format!("{IDENT_PORT}, {port}");
    client.write_all(format!("{query}\r\n").as_bytes()).unwrap();
    let reply = read_reply(&mut client);
    let took = started.elapsed();
    assert!(
        reply.starts_with(&format!("{query} : USERID : ")),
        "{reply:?}"
    );
    // Leave, and wait until the server has closed its end too.
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_closed_without_reply(&mut client);
    took
}

/// Reads until the server closes the connection, which must come without
/// a byte of reply, as a close or a reset; returns when it came.
fn assert_closed_without_reply(stream: &mut TcpStream) -> Instant {
    let mut buf = [0; 64];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Ok(n) => panic!("a reply: {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => panic!("not closed: {e}"),
    }
    Instant::now()
}

/// Stops the server and checks that it was still running and never
/// panicked; returns what it wrote to stderr.
fn stop(server: Running) -> String {
    let run = server.kill().unwrap();
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&run.status),
        Some(libc::SIGKILL),
        "the server ended by itself: {}",
        run.stderr
    );
    run.stderr
}

#[test]
fn a_line_too_long_closes_its_connection_and_others_are_served() {
    let server = start_server("60");
    let mut client = connect_to(server.id());
    client.write_all(&[b'9'; 2000]).unwrap();
    assert_closed_without_reply(&mut client);
    assert_serves_a_new_client(server.id());
    let stderr = stop(server);
    assert!(stderr.contains("no line end in 1000 bytes"), "{stderr}");
}

#[test]
fn garbage_gets_invalid_port_and_the_connection_goes_on() {
    let server = start_server("60");
    let mut client = connect_to(server.id());
    let port = client.local_addr().unwrap().port();
    let mut lines: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0, 0x80, b',', 0xc3, b'1'],
        b"hello, world".to_vec(),
        b"99999 , 0".to_vec(),
        b"\x1b[2J".to_vec(),
    ];
    lines.push(format!("{IDENT_PORT}, {port}").into_bytes());
    for line in &lines {
        client.write_all(line).unwrap();
        client.write_all(b"\r\n").unwrap();
    }
    let replies: Vec<String> =
        lines.iter().map(|_| read_reply(&mut client)).collect();
    assert_eq!(
        replies[..4],
        [
            "0, 0 : ERROR : INVALID-PORT\r\n",
            "0, 0 : ERROR : INVALID-PORT\r\n",
            "99999, 0 : ERROR : INVALID-PORT\r\n",
            "0, 0 : ERROR : INVALID-PORT\r\n",
        ]
    );
    let owned = format!("{IDENT_PORT}, {port} : USERID : ");
    assert!(replies[4].starts_with(&owned), "{:?}", replies[4]);
    stop(server);
}

#[test]
fn a_client_that_vanishes_mid_line_leaves_the_server_serving() {
    let server = start_server("60");
    // One client stops sending in the middle of a query.
    let served = open_descriptors(server.id());
    let mut quiet = connect_to(server.id());
    quiet
        .write_all(format!("{IDENT_PORT}, 4").as_bytes())
        .unwrap();
    quiet.shutdown(std::net::Shutdown::Write).unwrap();
    assert_closed_without_reply(&mut quiet);
    // Another resets its connection in the middle of one: a close with
    // `SO_LINGER` set to zero seconds sends RST instead of FIN.
    let reset = connect_to(server.id());
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` is valid for reading, with its true size.
    let set = unsafe {
        libc::setsockopt(
            reset.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "{}", io::Error::last_os_error());
    (&reset)
        .write_all(format!("{IDENT_PORT}, 5").as_bytes())
        .unwrap();
    drop(reset);
    assert_serves_a_new_client(server.id());
    // Both are gone: the server holds no descriptor for either.
    wait_until("both closed", || open_descriptors(server.id()) == served);
    let stderr = stop(server);
    assert!(stderr.contains("unexpected end of file"), "{stderr}");
}

#[test]
fn an_idle_client_is_disconnected_after_the_idle_timeout() {
    let server = start_server("1");
    // Taken before connecting: the server's clock starts when it accepts,
    // which may be before `connect` returns here on a busy machine.
    let connected = Instant::now();
    let mut idle = connect_to(server.id());
    let closed = assert_closed_without_reply(&mut idle);
    let waited = closed - connected;
    assert!(waited >= SECOND && waited < 3 * SECOND, "{waited:?}");
    assert_serves_a_new_client(server.id());
    stop(server);
}

/// How many clients the server holds at once in the test below.
const STALLED_CLIENTS: usize = 10_000;

/// What the server may spend on each of them, in resident memory.
const BYTES_PER_CLIENT: u64 = 4 * 1024;

fn open_descriptors(pid: u32) -> usize {
    inspect::open_descriptors(pid).unwrap()
}

/// Whether the server has read everything its clients sent: no socket on
/// its port has bytes waiting in its receive queue.
fn all_read(pid: u32) -> bool {
    inspect::unread_bytes_on_port(pid, IDENT_PORT).unwrap() == 0
}

/// Waits until `done` holds, for at most a minute.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    process::wait_until(what, 60 * SECOND, done);
}

/// Connects `count` clients to the server in process `pid`, each of which
/// sends what `first` makes of its connection, and returns them once the
/// server has accepted them all.
fn connect_clients(
    pid: u32,
    count: usize,
    first: impl Fn(&TcpStream) -> Vec<u8> + Sync,
) -> Vec<TcpStream> {
    let descriptors = open_descriptors(pid);
    in_network_of(pid, || {
        let mut clients = Vec::with_capacity(count);
        while clients.len() < count {
            for _ in 0..100.min(count - clients.len()) {
                let mut client =
                    TcpStream::connect(("127.0.0.1", IDENT_PORT)).unwrap();
                client.write_all(&first(&client)).unwrap();
                clients.push(client);
            }
            // Let the server accept them before connecting more, so that
            // its queue of connections waiting to be accepted never fills.
            let accepted = descriptors + clients.len();
            wait_until("accepted", || open_descriptors(pid) >= accepted);
        }
        clients
    })
}

/// The descriptors the test needs for `clients` clients, held until the
/// test ends, or why it cannot have them here. The two tests of ten
/// thousand clients take turns: together they would need twice the
/// descriptors this process may have.
fn descriptors_for(
    clients: usize,
) -> Result<std::sync::MutexGuard<'static, ()>, String> {
    static CROWD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let limit = limits::raise_descriptor_limit().unwrap();
    let needed = clients as u64 + 1000;
    if limit < needed {
        return Err(format!("{needed} descriptors needed, hard limit {limit}"));
    }
    Ok(CROWD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// The server, started for `clients` clients, with this test's turn at
/// the descriptors and the server's resident memory (KiB) before them;
/// or `None`, the claim written down as not checked, where the
/// descriptors cannot be had.
fn server_for_a_crowd(
    clients: usize,
) -> Option<(std::sync::MutexGuard<'static, ()>, Running, u64)> {
    let turn = match descriptors_for(clients) {
        Ok(turn) => turn,
        Err(why) => {
            programs::cannot_check(&why);
            return None;
        }
    };
    let server = start_server("60");
    // The first query starts the pool's threads and loads the password
    // database: memory that does not grow with the clients.
    assert_serves_a_new_client(server.id());
    let before = inspect::resident_kib(server.id()).unwrap();
    Some((turn, server, before))
}

#[test]
fn ten_thousand_stalled_clients_cost_under_4_kib_each_and_a_new_one_is_served()
{
    let Some((_turn, server, before)) = server_for_a_crowd(STALLED_CLIENTS)
    else {
        return;
    };
    let pid = server.id();
    let started = Instant::now();

    // Each client sends all of a line but its end, and goes quiet: the
    // server must keep the 999 bytes, the most it keeps of any line.
    let stalled =
        connect_clients(pid, STALLED_CLIENTS, |_| vec![b'9'; MAX_LINE - 1]);
    wait_until("every byte read", || all_read(pid));
    let connected = started.elapsed();

    let took = assert_serves_a_new_client(pid);
    let rss = inspect::resident_kib(pid).unwrap();
    let peak = inspect::peak_resident_kib(pid).unwrap();
    let per_client = |kib: u64| (kib - before) * 1024 / STALLED_CLIENTS as u64;
    eprintln!(
        "{STALLED_CLIENTS} stalled clients, connected in {connected:?}: \
         VmRSS {before} -> {rss} KiB ({} bytes each), VmHWM {peak} KiB \
         ({} bytes each); a new client served in {took:?}",
        per_client(rss),
        per_client(peak)
    );
    assert!(took < 2 * SECOND, "a new client waited {took:?}");
    assert!(per_client(rss) < BYTES_PER_CLIENT, "VmRSS {rss} KiB");
    assert!(per_client(peak) < BYTES_PER_CLIENT, "VmHWM {peak} KiB");
    // And the stalled clients are all still connected.
    for mut client in stalled {
        client.set_nonblocking(true).unwrap();
        let error = client.read(&mut [0]).expect_err("closed, or a reply");
        assert_eq!(error.kind(), ErrorKind::WouldBlock, "{error}");
    }
    stop(server);
}

/// How many queries arrive at once in the test below.
const QUERIES_AT_ONCE: usize = 10_000;

#[test]
fn ten_thousand_queries_at_once_wait_for_the_pools_threads_and_all_are_answered()
 {
    let Some((_turn, server, before)) = server_for_a_crowd(QUERIES_AT_ONCE)
    else {
        return;
    };
    let pid = server.id();
    // The loop's thread and the pool's: all the threads it will ever have.
    let most = 1 + ident::LOOKUP_THREADS;
    assert!(inspect::threads(pid).unwrap() <= most);

    // Each client sends its query about its own connection, all but the
    // query's last byte; then the last bytes go out together, and ten
    // thousand lookups are wanted at once.
    let mut clients = connect_clients(pid, QUERIES_AT_ONCE, |client| {
        let port = client.local_addr().unwrap().port();
        format!("{IDENT_PORT}, {port}\r").into_bytes()
    });
    wait_until("every byte read", || all_read(pid));
    let answering = std::sync::atomic::AtomicBool::new(true);
    let (started, threads_seen) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = 0;
            while answering.load(std::sync::atomic::Ordering::SeqCst) {
                seen = seen.max(inspect::threads(pid).unwrap());
                std::thread::sleep(Duration::from_millis(1));
            }
            seen
        });
        let started = Instant::now();
        for client in &mut clients {
            client.write_all(b"\n").unwrap();
        }
        let me = String::from_utf8(our_user_id().id).unwrap();
        for client in &mut clients {
            let port = client.local_addr().unwrap().port();
            let reply = read_reply(client);
            let expected =
                format!("{IDENT_PORT}, {port} : USERID : UNIX : {me}");
            assert_eq!(reply, format!("{expected}\r\n"));
        }
        answering.store(false, std::sync::atomic::Ordering::SeqCst);
        (started, watcher.join().unwrap())
    });
    let took = started.elapsed();
    let peak = inspect::peak_resident_kib(pid).unwrap();
    let per_query = (peak - before) * 1024 / QUERIES_AT_ONCE as u64;
    eprintln!(
        "{QUERIES_AT_ONCE} queries answered in {took:?}, at most \
         {threads_seen} threads seen; VmHWM {before} -> {peak} KiB \
         ({per_query} bytes a query)"
    );
    assert!(threads_seen <= most, "{threads_seen} threads");
    assert!(per_query < BYTES_PER_CLIENT, "VmHWM {peak} KiB");
    drop(clients);
    stop(server);
}

#[test]
fn a_client_that_never_reads_its_replies_is_disconnected_after_the_idle_timeout()
 {
    let server = start_server("1");
    let mut client = connect_to(server.id());
    client.set_write_timeout(Some(30 * SECOND)).unwrap();
    // Invalid queries, whose replies need no lookup: 6 bytes each way in,
    // 29 bytes back, until the replies fill the buffers between us, the
    // server stops reading, and our writes stop going anywhere.
    let queries = "0, 0\r\n".repeat(1000);
    let started = Instant::now();
    let error = loop {
        if let Err(error) = client.write_all(queries.as_bytes()) {
            break error;
        }
        assert!(started.elapsed() < 60 * SECOND, "still writing");
    };
    let took = started.elapsed();
    eprintln!("writes failed after {took:?}: {error}");
    // The server closed the connection with our queries unread, which
    // resets it.
    assert!(
        matches!(
            error.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{error}"
    );
    assert!(took >= SECOND, "{took:?}");
    assert_serves_a_new_client(server.id());
    stop(server);
}
