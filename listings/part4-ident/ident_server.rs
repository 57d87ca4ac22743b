//! An ident server (RFC 1413) on the sturdy runtime of Part Four, with a
//! few clients that ask it questions: the last program of Part Four.
//!
//! The runtime is `listings::sturdy`; `listings::ident` holds the streams
//! and lines the server reads through, the server, and the demonstration.
//! The server reads queries such as `8113, 40000`, finds the owner of that
//! TCP connection in the kernel's table, and answers
//! `8113, 40000 : USERID : UNIX : alice` or an `ERROR`.
//!
//! Run without arguments, it starts the server and three clients and
//! prints what the clients were told. `serve [IDLE_SECONDS]` runs only the
//! server, until it is stopped.

use listings::ident::demo;

fn main() -> std::io::Result<()> {
    demo::main()
}
