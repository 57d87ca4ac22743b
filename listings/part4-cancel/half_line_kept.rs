//! The same reader, with the ident chapter's `Lines`: the timeout drops a
//! `Next`, which owns nothing, and the start of the line waits in the
//! buffer of the `Lines`, which outlives it.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;

use listings::ident::streams::{Lines, Stream};
use listings::sturdy::{Async, block_on, sleep};

include!("select.rs");

fn main() -> io::Result<()> {
    let listener = Async::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.get_ref().local_addr()?)?;
    // The start of a line, which waits in the kernel for the server.
    client.write_all(b"hel")?;
    let mut client = Some(client);
    block_on(async {
        let (stream, _) = listener.accept().await?;
        // ANCHOR: reader
        let mut lines = Lines::new(&stream, 100);
        loop {
            let timeout = sleep(Duration::from_millis(100));
            match select(lines.next(), timeout).await {
                Either::Left(Some(line)) => {
                    println!("line: {:?}", String::from_utf8_lossy(&line?));
                }
                Either::Left(None) => break,
                Either::Right(()) => {
                    if let Some(mut client) = client.take() {
                        println!("no line in 0.1 s; the client sends the rest");
                        client.write_all(b"lo\nworld\n")?;
                    }
                }
            }
        }
        // ANCHOR_END: reader
        Ok(())
    })?
}
