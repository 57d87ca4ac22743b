//! A reader that waits for lines with a timeout, each line read by an
//! `async fn` that keeps the bytes it has read in a local variable. The
//! timeout drops that future, and the start of the line with it.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;

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
        loop {
            let timeout = sleep(Duration::from_millis(100));
            match select(read_line(&stream), timeout).await {
                Either::Left(Some(line)) => println!("line: {:?}", line?),
                Either::Left(None) => break,
                Either::Right(()) => {
                    // The first time only, the client sends the rest of
                    // its line and one more, and leaves.
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

// ANCHOR: read_line
/// Reads one line, a byte at a time, into `line`: a local variable, which
/// lives in this future's state. `None` at the end of the stream.
async fn read_line(stream: &Async<TcpStream>) -> Option<io::Result<String>> {
    let mut line = Vec::new();
    let mut byte = [0];
    loop {
        match stream.read(&mut byte).await {
            Ok(0) if line.is_empty() => return None,
            Ok(0) => return Some(Err(io::ErrorKind::UnexpectedEof.into())),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(String::from_utf8_lossy(&line).into_owned()))
}
// ANCHOR_END: read_line
