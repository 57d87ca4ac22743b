//! The ident server's demonstration: the server and three clients that
//! ask it about a connection, send it garbage and send it a line too long;
//! or, for measuring, the server alone. Part Four's last program runs it
//! on the sturdy runtime, and Part Five's tuned program on the tuned one.
//!
//! `main` binds `IDENT_PORT`, a fixed port, and with `serve` it never
//! returns, so it is named here but not run.
//!
//! ```
//! use std::io;
//! use listings::ident::demo::main;
//!
//! let program: fn() -> io::Result<()> = main;
//! let _ = program;
//! ```

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use super::runtime::{Async, block_on, spawn};
use super::server::{IDENT_PORT, MAX_LINE, serve_forever};
use super::streams::{Lines, Stream, write_all};

// ANCHOR: main
/// Without arguments: the server and three clients, whose reports are
/// printed in order. With `serve [IDLE_SECONDS]`: the server alone, until
/// the process is stopped.
pub fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let serve_only = args.next().is_some_and(|arg| arg == "serve");
    let idle_seconds = match args.next() {
        Some(seconds) => seconds.parse().expect("IDLE_SECONDS: a number"),
        None => 60,
    };
    let idle = Duration::from_secs(idle_seconds);
    let listener = Async::bind(&format!("127.0.0.1:{IDENT_PORT}"))?;
    if serve_only {
        return block_on(serve_forever(listener, idle));
    }
    block_on(async {
        spawn(serve_forever(listener, idle));
        // Three clients at once; their reports are printed in order.
        let clients = [
            spawn(ask_about_connections()),
            spawn(send_garbage()),
            spawn(send_a_line_too_long()),
        ];
        for client in clients {
            for line in client.await {
                println!("{line}");
            }
        }
    })
}

// ANCHOR_END: main

// ANCHOR: query_the_server
/// Connects to the ident server, sends each query in turn and returns
/// the replies, or what happened instead of one.
async fn ask(stream: &Async<TcpStream>, queries: &[String]) -> Vec<String> {
    let mut replies = Lines::new(stream, MAX_LINE);
    let mut writer = stream;
    let mut report = Vec::new();
    for query in queries {
        let query = format!("{query}\r\n");
        if let Err(e) = write_all(&mut writer, query.as_bytes()).await {
            report.push(format!("cannot send: {e}"));
            break;
        }
        report.push(match replies.next().await {
            Some(Ok(reply)) => String::from_utf8_lossy(&reply).into_owned(),
            // A reset is a close with our bytes still unread.
            None => "the server closed the connection".to_owned(),
            Some(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                "the server closed the connection".to_owned()
            }
            Some(Err(e)) => format!("error: {e}"),
        });
    }
    report
}

/// Connects to the ident server. `connect` blocks, as in Part Three.
fn connect() -> Async<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", IDENT_PORT))
        .expect("the server listens");
    Async::new(stream).expect("could not register")
}
// ANCHOR_END: query_the_server

// ANCHOR: clients
/// Asks, on one connection, about that very connection, about a port
/// with no connection behind it, and about port 0.
async fn ask_about_connections() -> Vec<String> {
    let stream = connect();
    let me = stream.get_ref().local_addr().unwrap().port();
    let about = ["this connection", "a port nobody uses", "port 0"];
    let queries = [
        format!("{IDENT_PORT}, {me}"),
        format!("{IDENT_PORT}, 1"),
        format!("0, {me}"),
    ];
    let replies = ask(&stream, &queries).await;
    let mut report = Vec::new();
    for ((about, query), reply) in about.iter().zip(&queries).zip(replies) {
        // A reply repeats the query's two ports; show what follows them.
        let rest = reply.strip_prefix(query.as_str()).unwrap_or(&reply);
        report.push(format!("{about}:{}", rest.trim_start_matches(" :")));
    }
    report
}

/// Sends a line that is no query, then a query, on one connection.
async fn send_garbage() -> Vec<String> {
    let queries = [
        "\u{fffd}\u{0}hello, world!".to_owned(),
        format!("{IDENT_PORT}, 1"),
    ];
    let replies = ask(&connect(), &queries).await;
    vec![
        format!("garbage: {}", replies[0]),
        format!("then: {}", replies[1]),
    ]
}

/// Sends 2000 bytes without a line end.
async fn send_a_line_too_long() -> Vec<String> {
    let replies = ask(&connect(), &["9".repeat(2000)]).await;
    vec![format!("a line of 2000 bytes: {}", replies[0])]
}
// ANCHOR_END: clients
