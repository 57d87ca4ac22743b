//! A reader that must stop at a deadline, and looks at the clock between
//! lines: it stops only when a line comes, however late that is.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use listings::ident::streams::{Lines, Stream};
use listings::sturdy::{Async, block_on, sleep, spawn};

fn main() -> io::Result<()> {
    block_on(async {
        let stream = accept_a_slow_client().await?;
        let mut lines = Lines::new(&stream, 100);
        // ANCHOR: reader
        let deadline = Instant::now() + Duration::from_millis(300);
        while let Some(line) = lines.next().await {
            println!("line: {}", String::from_utf8_lossy(&line?));
            // Checked only here, once a line has come.
            if Instant::now() >= deadline {
                println!("past the deadline: stopping");
                break;
            }
        }
        // ANCHOR_END: reader
        Ok(())
    })?
}

include!("late_line.rs");
