//! The same reader, racing each line against the deadline with `select`:
//! it stops at the deadline, line or no line.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use listings::ident::streams::{Lines, Stream};
use listings::sturdy::{Async, block_on, sleep, spawn};

include!("select.rs");

fn main() -> io::Result<()> {
    block_on(async {
        let stream = accept_a_slow_client().await?;
        let mut lines = Lines::new(&stream, 100);
        // ANCHOR: reader
        // One sleep for the whole loop, pinned here so that each turn can
        // race it by reference without ending it.
        let mut deadline = pin!(sleep(Duration::from_millis(300)));
        loop {
            match select(lines.next(), deadline.as_mut()).await {
                Either::Left(Some(line)) => {
                    println!("line: {}", String::from_utf8_lossy(&line?));
                }
                Either::Left(None) => break,
                Either::Right(()) => {
                    println!("the deadline: stopping");
                    break;
                }
            }
        }
        // ANCHOR_END: reader
        Ok(())
    })?
}

include!("late_line.rs");
