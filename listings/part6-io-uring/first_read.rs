//! A read handed to the kernel through the ring, by hand, before anything
//! has arrived: its completion comes when the bytes do.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use listings::uring::{Ring, Sqe, exit_if_refused};

fn main() -> io::Result<()> {
    // ANCHOR: main
    let mut ring = Ring::new(8).map_err(exit_if_refused)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;

    let mut buffer = vec![0u8; 64];
    let read = Sqe::read(server.as_raw_fd(), buffer.as_mut_ptr(), 64);
    // SAFETY: `buffer` stays alive, and untouched, until the read's
    // completion has been taken from the ring, below.
    unsafe { ring.push(read.user_data(1)) }.expect("an empty ring has room");
    let taken = ring.submit_and_wait(0, None)?;
    println!("the kernel took {taken} entry: a read of an empty socket");

    ring.submit_and_wait(1, Some(Duration::from_millis(100)))?;
    let early = ring.next_completion();
    println!(
        "completions after 100 ms of waiting: {}",
        early.iter().count()
    );

    client.write_all(b"hello, ring")?;
    ring.submit_and_wait(1, None)?;
    let done = ring.next_completion().expect("the read's completion");
    let n = done.result()? as usize;
    let text = String::from_utf8_lossy(&buffer[..n]);
    println!(
        "operation {} completed: {n} bytes, {text:?}",
        done.user_data
    );
    // ANCHOR_END: main
    Ok(())
}
