//! The ident protocol (RFC 1413) and a server for it, on the sturdy
//! runtime: Part Four's last program serves it, and Part Five measures it.
//!
//! A client sends queries such as `8113, 40000`: a TCP connection, by its
//! port on the server's side and its port on the client's. The server
//! finds the owner of that connection in the kernel's table and answers
//! `8113, 40000 : USERID : UNIX : alice`, or an `ERROR`.
//!
//! `parse_query` reads a query line into a `PortPair`, or into an
//! `InvalidPort` that holds what the reply repeats.
//!
//! ```
//! use listings::ident::server::{InvalidPort, PortPair, parse_query};
//!
//! let ports = PortPair {
//!     server: 8113,
//!     client: 40000,
//! };
//! assert_eq!(parse_query(b" 8113 ,\t40000 "), Ok(ports));
//! let too_big = InvalidPort {
//!     server: 8113,
//!     client: 70000,
//! };
//! assert_eq!(parse_query(b"8113, 70000"), Err(too_big));
//! let nothing = InvalidPort {
//!     server: 0,
//!     client: 0,
//! };
//! assert_eq!(parse_query(b"hello, world"), Err(nothing));
//! ```
//!
//! `answer` makes the reply to one line. Who owns a connection is asked of
//! the function it is given, here one that knows a single `UserId`.
//!
//! ```
//! use std::future::ready;
//! use listings::ident::runtime::block_on;
//! use listings::ident::server::{PortPair, UserId, answer};
//!
//! let mut owner = |ports: PortPair| {
//!     ready((ports.client == 40000).then(|| UserId {
//!         opsys: "UNIX",
//!         id: b"alice".to_vec(),
//!     }))
//! };
//! let replies = block_on(async {
//!     [
//!         answer(b"8113, 40000", &mut owner).await,
//!         answer(b"8113, 40001", &mut owner).await,
//!         answer(b"8113, 0", &mut owner).await,
//!     ]
//! })
//! .unwrap();
//! assert_eq!(replies[0], b"8113, 40000 : USERID : UNIX : alice\r\n");
//! assert_eq!(replies[1], b"8113, 40001 : ERROR : NO-USER\r\n");
//! assert_eq!(replies[2], b"8113, 0 : ERROR : INVALID-PORT\r\n");
//! ```
//!
//! `timeout` gives a future's output, or `None` if the time ran out first.
//!
//! ```
//! use std::time::Duration;
//! use listings::ident::runtime::{block_on, sleep};
//! use listings::ident::server::timeout;
//!
//! let (quick, slow) = block_on(async {
//!     let quick = timeout(Duration::from_secs(10), async { 42 }).await;
//!     let long = sleep(Duration::from_secs(10));
//!     let slow = timeout(Duration::from_millis(10), long).await;
//!     (quick, slow)
//! })
//! .unwrap();
//! assert_eq!(quick, Some(42));
//! assert_eq!(slow, None);
//! ```
//!
//! `serve_queries` answers the queries of one connection in turn, until the
//! client closes its side; the owner is made up again.
//!
//! ```
//! use std::future::ready;
//! use std::io::{Read, Write};
//! use std::net::{Shutdown, TcpStream};
//! use std::time::Duration;
//! use listings::ident::runtime::{Async, block_on};
//! use listings::ident::server::{PortPair, UserId, serve_queries};
//!
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let mut client = TcpStream::connect(address).unwrap();
//! client.write_all(b"1, 2\r\nnonsense\r\n").unwrap();
//! client.shutdown(Shutdown::Write).unwrap();
//! let owner = |_: PortPair| {
//!     ready(Some(UserId {
//!         opsys: "OTHER",
//!         id: b"7".to_vec(),
//!     }))
//! };
//! let idle = Duration::from_secs(5);
//! block_on(async {
//!     let (stream, _) = listener.accept().await?;
//!     serve_queries(&stream, &stream, owner, idle).await
//! })
//! .unwrap()
//! .unwrap();
//! let mut replies = String::new();
//! client.read_to_string(&mut replies).unwrap();
//! assert_eq!(
//!     replies,
//!     "1, 2 : USERID : OTHER : 7\r\n0, 0 : ERROR : INVALID-PORT\r\n"
//! );
//! ```
//!
//! A client that sends `MAX_LINE` bytes without a line end, or nothing for
//! longer than `idle`, is cut off without a reply.
//!
//! ```
//! use std::future::ready;
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use listings::ident::runtime::{Async, block_on};
//! use listings::ident::server::{MAX_LINE, PortPair, serve_queries};
//!
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let mut talker = TcpStream::connect(address).unwrap();
//! talker.write_all(&vec![b'9'; MAX_LINE]).unwrap();
//! let mut silent = TcpStream::connect(address).unwrap();
//! let errors = block_on(async {
//!     let idle = Duration::from_millis(20);
//!     let mut errors = Vec::new();
//!     for _ in 0..2 {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let owner = |_: PortPair| ready(None);
//!         let served = serve_queries(&stream, &stream, owner, idle).await;
//!         errors.push(served.unwrap_err().kind());
//!     }
//!     errors
//! })
//! .unwrap();
//! assert!(errors.contains(&ErrorKind::InvalidData), "{errors:?}");
//! assert!(errors.contains(&ErrorKind::TimedOut), "{errors:?}");
//! let mut rest = Vec::new();
//! assert_eq!(talker.read_to_end(&mut rest).unwrap(), 0);
//! assert_eq!(silent.read_to_end(&mut rest).unwrap(), 0);
//! ```
//!
//! `find_owner` looks a connection up in the kernel's table, here one this
//! process holds, by the port of each end.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use listings::ident::server::{PortPair, UserId, find_owner};
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
//! let (server, _) = listener.accept().unwrap();
//! let here = server.local_addr().unwrap();
//! let peer = client.local_addr().unwrap();
//! let ports = PortPair {
//!     server: here.port(),
//!     client: peer.port(),
//! };
//! let owner: UserId = find_owner(here, peer, ports).expect("ours");
//! // SAFETY: `getuid` takes no pointers and cannot fail.
//! let uid = unsafe { libc::getuid() };
//! match owner.opsys {
//!     "UNIX" => assert!(!owner.id.is_empty()),
//!     _ => assert_eq!(owner.id, uid.to_string().into_bytes()),
//! }
//! // A port that the client's end does not have: no such connection.
//! let elsewhere = PortPair {
//!     server: here.port(),
//!     client: peer.port() ^ 1,
//! };
//! assert_eq!(find_owner(here, peer, elsewhere), None);
//! ```
//!
//! `serve_connection` serves one connection with the real lookup: a client
//! asks about the very connection it asks on, and then stays silent until
//! the server gives up on it.
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use listings::ident::runtime::{Async, block_on};
//! use listings::ident::server::serve_connection;
//!
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let mut client = TcpStream::connect(address).unwrap();
//! let me = client.local_addr().unwrap().port();
//! let query = format!("{}, {me}\r\n", address.port());
//! client.write_all(query.as_bytes()).unwrap();
//! let served = block_on(async {
//!     let (stream, _) = listener.accept().await.unwrap();
//!     serve_connection(stream, Duration::from_millis(50)).await
//! })
//! .unwrap();
//! assert_eq!(served.unwrap_err().kind(), ErrorKind::TimedOut);
//! let mut reply = String::new();
//! client.read_to_string(&mut reply).unwrap();
//! let expected = format!("{}, {me} : USERID : ", address.port());
//! assert!(reply.starts_with(&expected), "{reply}");
//! ```
//!
//! `serve_forever` accepts connections, each served by a task of its own,
//! for as long as the program runs; it is spawned here, and `block_on`
//! returns when the client has its reply. The demonstration listens on
//! `IDENT_PORT`; this server, on a free port. Its lookups run on a pool of
//! `LOOKUP_THREADS` threads.
//!
//! ```
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use listings::ident::runtime::{Async, block_on, spawn};
//! use listings::ident::server::{
//!     IDENT_PORT, LOOKUP_THREADS, MAX_LINE, serve_forever,
//! };
//! use listings::ident::streams::{Lines, Stream, write_all};
//!
//! assert_eq!(IDENT_PORT, 8113);
//! assert_eq!(LOOKUP_THREADS, 4);
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let reply = block_on(async move {
//!     spawn(serve_forever(listener, Duration::from_secs(5)));
//!     let client = Async::new(TcpStream::connect(address)?)?;
//!     let query = format!("{}, 1\r\n", address.port());
//!     write_all(&mut &client, query.as_bytes()).await?;
//!     let mut replies = Lines::new(&client, MAX_LINE);
//!     replies.next().await.expect("a reply")
//! })
//! .unwrap()
//! .unwrap();
//! let expected = format!("{}, 1 : ERROR : NO-USER", address.port());
//! assert_eq!(reply, expected.as_bytes());
//! ```

use std::ffi::CStr;
use std::future::poll_fn;
use std::io;
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::{Pin, pin};
use std::sync::LazyLock;
use std::task::Poll;
use std::time::Duration;

use super::runtime::{Async, sleep, spawn};
use super::sock_diag::owner_uid;
use super::streams::{AsyncRead, AsyncWrite, Lines, Stream, write_all};
use super::thread_pool::ThreadPool;

// The ident protocol, RFC 1413.

// ANCHOR: parse
/// The two ports that a query names: the connection's port on this
/// machine, where the ident server runs, and its port on the client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortPair {
    pub server: u16,
    pub client: u16,
}

/// A query that names no connection. The reply repeats the two numbers
/// it did give, or `0, 0` if it gave no two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidPort {
    pub server: u32,
    pub client: u32,
}

/// Reads a query, `<port-on-server> , <port-on-client>`, from one line
/// (without its line end). Any bytes at all are a valid argument.
pub fn parse_query(line: &[u8]) -> Result<PortPair, InvalidPort> {
    let no_numbers = InvalidPort {
        server: 0,
        client: 0,
    };
    let Some(comma) = line.iter().position(|&b| b == b',') else {
        return Err(no_numbers);
    };
    let (before, after) = (&line[..comma], &line[comma + 1..]);
    let (Some(server), Some(client)) = (number(before), number(after)) else {
        return Err(no_numbers);
    };
    match (port(server), port(client)) {
        (Some(server), Some(client)) => Ok(PortPair { server, client }),
        _ => Err(InvalidPort { server, client }),
    }
}

/// One to five decimal digits, as the RFC's grammar has them, with any
/// spaces and tabs around them. Five digits fit a `u32` with room to
/// spare, so the arithmetic cannot overflow.
fn number(field: &[u8]) -> Option<u32> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = field.iter().position(|b| !blank(b))?;
    let end = field.iter().rposition(|b| !blank(b))? + 1;
    let digits = &field[start..end];
    if digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// TCP ports run from 1 to 65535.
fn port(n: u32) -> Option<u16> {
    u16::try_from(n).ok().filter(|&port| port != 0)
}
// ANCHOR_END: parse

// ANCHOR: answer
/// Who owns a connection, as a reply names them: an operating system
/// (`UNIX`, or `OTHER` for an identifier that is not a user name) and
/// the identifier. The RFC's identifiers are octets, not text: a user
/// name goes out as the bytes the password database holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserId {
    pub opsys: &'static str,
    pub id: Vec<u8>,
}

/// The longest identifier a reply may carry (RFC 1413, section 6).
pub const MAX_USER_ID: usize = 512;

/// The reply to one query line, ending in CR LF. `owner` finds who owns
/// the connection, if anyone does.
pub async fn answer<F, L>(line: &[u8], owner: &mut F) -> Vec<u8>
where
    F: FnMut(PortPair) -> L,
    L: Future<Output = Option<UserId>>,
{
    match parse_query(line) {
        Ok(ports) => {
            let PortPair { server, client } = ports;
            match owner(ports).await {
                Some(UserId { opsys, id }) => {
                    let head =
                        format!("{server}, {client} : USERID : {opsys} : ");
                    [head.as_bytes(), &id, b"\r\n"].concat()
                }
                None => format!("{server}, {client} : ERROR : NO-USER\r\n")
                    .into_bytes(),
            }
        }
        Err(InvalidPort { server, client }) => {
            format!("{server}, {client} : ERROR : INVALID-PORT\r\n")
                .into_bytes()
        }
    }
}
// ANCHOR_END: answer

// ANCHOR: connection
/// The longest query line, line end included. The RFC lets a client give
/// up on a reply after 1000 bytes without a line end; we hold queries to
/// the same limit.
pub const MAX_LINE: usize = 1000;

/// Answers the queries that arrive on `reader`, one reply each, in order,
/// on `writer`, until the client closes the connection or breaks a rule:
/// a line over `MAX_LINE` bytes, a last line without its end, or more
/// than `idle` spent waiting for a query or for the client to take a
/// reply. Then the connection is closed without a reply, which the RFC
/// tells clients to read as `ERROR : UNKNOWN-ERROR`.
pub async fn serve_queries<R, W, F, L>(
    reader: R,
    mut writer: W,
    mut owner: F,
    idle: Duration,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite,
    F: FnMut(PortPair) -> L,
    L: Future<Output = Option<UserId>>,
{
    let timed_out = || io::Error::from(io::ErrorKind::TimedOut);
    let mut lines = Lines::new(reader, MAX_LINE);
    loop {
        let line = match timeout(idle, lines.next()).await {
            Some(Some(line)) => line?,
            Some(None) => return Ok(()),
            None => return Err(timed_out()),
        };
        let reply = answer(&line, &mut owner).await;
        let written = timeout(idle, write_all(&mut writer, &reply));
        written.await.ok_or_else(timed_out)??;
    }
}

/// Runs `future` for at most `limit`: `None` if the time ran out first.
pub async fn timeout<F: Future>(
    limit: Duration,
    future: F,
) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = sleep(limit);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        Pin::new(&mut timer).poll(cx).map(|()| None)
    })
    .await
}
// ANCHOR_END: connection

// ANCHOR: owner
/// Finds who owns the TCP connection between port `ports.server` of this
/// machine and port `ports.client` of the client. The addresses are the
/// ones of the query's own connection: a client may ask only about its
/// connections with us (RFC 1413, section 3).
pub fn find_owner(
    here: SocketAddr,
    peer: SocketAddr,
    ports: PortPair,
) -> Option<UserId> {
    let local = SocketAddr::new(here.ip(), ports.server);
    let remote = SocketAddr::new(peer.ip(), ports.client);
    let uid = owner_uid(local, remote).ok()??;
    Some(match user_name(uid) {
        Some(name) if fits_a_reply(&name) => UserId {
            opsys: "UNIX",
            id: name,
        },
        // A user id without a name (or with one no reply can carry) is
        // not what a UNIX reply promises (a name to mail or finger), so
        // it goes out as OTHER.
        _ => UserId {
            opsys: "OTHER",
            id: uid.to_string().into_bytes(),
        },
    })
}

/// Whether a reply can carry `name` as it is: at most 512 octets, and
/// no CR or LF, which would end the reply early (nor NUL, which a C
/// string cannot hold anyway). Any other octet goes out unchanged.
///
/// ```
/// use listings::ident::server::{MAX_USER_ID, fits_a_reply};
///
/// assert!(fits_a_reply(b"alice"));
/// assert!(fits_a_reply("zoë".as_bytes()));
/// assert!(fits_a_reply(&[b'a'; MAX_USER_ID]));
/// assert!(!fits_a_reply(&[b'a'; MAX_USER_ID + 1]));
/// assert!(!fits_a_reply(b"two\r\nlines"));
/// ```
pub fn fits_a_reply(name: &[u8]) -> bool {
    name.len() <= MAX_USER_ID
        && !name.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

// ANCHOR_END: owner

// ANCHOR: user_name
/// The name of user `uid`, from the password database, as its bytes.
fn user_name(uid: u32) -> Option<Vec<u8>> {
    let mut buffer = vec![0 as libc::c_char; 1024];
    loop {
        // SAFETY: all-zero bytes are a valid `passwd` (null pointers and
        // zeros), and `getpwuid_r` fills it in.
        let mut entry: libc::passwd = unsafe { mem::zeroed() };
        let mut found = std::ptr::null_mut();
        // SAFETY: `entry`, `buffer` (with its true length) and `found`
        // are valid for writing for the whole call.
        let error = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            )
        };
        // The entry's strings did not fit: try a bigger buffer, up to a
        // limit no real entry comes near.
        if error == libc::ERANGE && buffer.len() < 1 << 16 {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if error != 0 || found.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string
        // in `buffer`, which is alive and untouched until we return.
        let name = unsafe { CStr::from_ptr(entry.pw_name) };
        return Some(name.to_bytes().to_vec());
    }
}
// ANCHOR_END: user_name

// ANCHOR: server
/// The ident server's port. The RFC's is 113, which only a privileged
/// program may listen on.
pub const IDENT_PORT: u16 = 8113;

/// The most lookups that run at once: a burst of queries waits its turn
/// in the pool's queue instead of starting a thread each.
pub const LOOKUP_THREADS: usize = 4;

/// The threads that find owners, started by the first query.
static LOOKUPS: LazyLock<ThreadPool> =
    LazyLock::new(|| ThreadPool::new(LOOKUP_THREADS));

/// Accepts connections until the program ends, each served by a task.
pub async fn serve_forever(listener: Async<TcpListener>, idle: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                spawn(async move {
                    // A connection that fails or breaks a rule is closed
                    // and reported; the others go on.
                    if let Err(e) = serve_connection(stream, idle).await {
                        eprintln!("connection from {peer}: {e}");
                    }
                });
            }
            // Out of file descriptors: wait for a connection to close
            // before trying again, as the sturdy server does.
            Err(e) if is_out_of_descriptors(&e) => {
                sleep(Duration::from_millis(100)).await;
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

fn is_out_of_descriptors(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Serves one connection: the queries, answered from the kernel's table.
pub async fn serve_connection(
    stream: Async<TcpStream>,
    idle: Duration,
) -> io::Result<()> {
    let here = stream.get_ref().local_addr()?;
    let peer = stream.get_ref().peer_addr()?;
    // Reading the password database may wait (for a network directory,
    // on some machines), so the lookup runs on a thread of the pool.
    let owner = |ports| LOOKUPS.spawn(move || find_owner(here, peer, ports));
    serve_queries(&stream, &stream, owner, idle).await
}
// ANCHOR_END: server
