use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

// The program: a peer sends faster than its task can read, while another
// task asks to run every ten milliseconds.

// ANCHOR: main
/// How long the peer sends, as fast as it can.
const FLOOD: Duration = Duration::from_millis(600);
const TICK: Duration = Duration::from_millis(10);

fn main() -> io::Result<()> {
    block_on(async {
        let listener = Async::bind("127.0.0.1:0")?;
        let address = listener.get_ref().local_addr()?;
        let ticker = spawn(ticks(30));
        let peer = thread::spawn(move || flood(address));
        let (connection, _) = listener.accept().await?;
        let reader = spawn(async move { read_to_end(&connection).await });
        let latest = ticker.await;
        let read = reader.await?;
        peer.join().unwrap()?;
        println!("read {} MiB", read >> 20);
        println!("the latest of 30 ticks came {} ms late", latest.as_millis());
        Ok(())
    })?
}

/// Sleeps a tick `count` times; returns how late the latest wake-up was.
async fn ticks(count: u32) -> Duration {
    let mut latest = Duration::ZERO;
    for _ in 0..count {
        let due = Instant::now() + TICK;
        sleep(TICK).await;
        latest = latest.max(due.elapsed());
    }
    latest
}
// ANCHOR_END: main

/// Reads until the peer closes, working on every byte as a server would
/// (here, four rounds of a hash); returns how many bytes came.
async fn read_to_end(connection: &Async<TcpStream>) -> io::Result<u64> {
    let mut buf = [0; 4 * 1024];
    let (mut total, mut hash) = (0, 0u64);
    loop {
        let n = connection.read(&mut buf).await?;
        if n == 0 {
            std::hint::black_box(hash);
            return Ok(total);
        }
        for &byte in &buf[..n] {
            for _ in 0..4 {
                hash = hash.wrapping_mul(31).wrapping_add(u64::from(byte));
            }
        }
        total += n as u64;
    }
}

/// Connects to `address` and sends as fast as the connection takes it,
/// for `FLOOD`.
fn flood(address: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(address)?;
    let started = Instant::now();
    while started.elapsed() < FLOOD {
        stream.write_all(&[b'x'; 64 * 1024])?;
    }
    Ok(())
}
