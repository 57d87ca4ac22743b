use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

// The program: two tasks wait on pipes, and the other end of each closes.

// ANCHOR: main
fn main() -> io::Result<()> {
    block_on(async {
        // A task waits to read from an empty pipe; the write end closes.
        let (reader, writer) = io::pipe()?;
        let reader = Async::new(reader)?;
        let reading = spawn(async move { reader.read(&mut [0; 64]).await });
        sleep(Duration::from_millis(100)).await;
        drop(writer);
        println!("closed the write end");
        match within_half_a_second(reading).await {
            Some(result) => println!("read: {result:?}"),
            None => println!("read: still waiting half a second later"),
        }

        // A task waits to write into a full pipe; the read end closes.
        let (reader, writer) = io::pipe()?;
        let writer = Async::new(writer)?;
        // A megabyte: more than a pipe holds (64 KiB on Linux).
        let writing =
            spawn(async move { writer.write_all(&[b'x'; 1 << 20]).await });
        sleep(Duration::from_millis(100)).await;
        drop(reader);
        println!("closed the read end");
        match within_half_a_second(writing).await {
            Some(Ok(())) => println!("write: done"),
            Some(Err(e)) => println!("write: {e}"),
            None => println!("write: still waiting half a second later"),
        }
        Ok(())
    })?
}

/// The output of the task behind `handle`, or `None` if it has not
/// finished within half a second.
async fn within_half_a_second<T>(mut handle: JoinHandle<T>) -> Option<T> {
    let mut limit = sleep(Duration::from_millis(500));
    poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut handle).poll(cx) {
            return Poll::Ready(Some(output));
        }
        Pin::new(&mut limit).poll(cx).map(|()| None)
    })
    .await
}
// ANCHOR_END: main
