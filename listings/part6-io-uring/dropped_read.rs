//! The same race on the completion runtime: a read is dropped while the
//! kernel holds its buffer, once before the data comes and once after.
//! The runtime cancels the operation and keeps the buffer until the
//! completion arrives; the program's memory is never written.

use std::future::poll_fn;
use std::io::{self, Write};
use std::net::TcpStream;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use listings::completion::{Async, abandoned, block_on, sleep};
use listings::uring::exit_if_refused;

fn main() -> io::Result<()> {
    block_on(dropped_reads()).map_err(exit_if_refused)?
}

// ANCHOR: dropped
/// Polls `future` once, as a race does before its rival wins, and drops
/// it.
async fn start_and_drop(future: impl Future) {
    let mut future = pin!(future);
    poll_fn(|cx| {
        let _ = future.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
}

/// A few turns of the loop: the ring goes to the kernel, and the
/// completions come back.
async fn settle() {
    sleep(Duration::from_millis(20)).await;
}

async fn dropped_reads() -> io::Result<()> {
    let listener = Async::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.get_ref().local_addr()?)?;
    let (stream, _) = listener.accept().await?;

    start_and_drop(stream.read(Vec::with_capacity(16))).await;
    settle().await;
    println!("dropped before the data came: {:?}", abandoned());
    client.write_all(b"first")?;
    let (n, buf) = stream.read(Vec::with_capacity(16)).await;
    println!("the next read got {n:?} bytes, {:?}", text(&buf));

    client.write_all(b"LATE DATA")?;
    let buffer = Vec::with_capacity(16);
    let lent = buffer.as_ptr();
    start_and_drop(stream.read(buffer)).await;
    let secret = b"password=hunter2".to_vec();
    let memory = if secret.as_ptr() == lent {
        "the same"
    } else {
        "other"
    };
    settle().await;
    println!("dropped after the data came: {:?}", abandoned());
    println!("the next 16-byte buffer got {memory} memory than the read's");
    println!("it still holds {:?}", text(&secret));
    Ok(())
}
// ANCHOR_END: dropped

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
