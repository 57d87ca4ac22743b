//! The runtime of `part4-only-ready` with `spawn_blocking`, which runs a
//! job on a thread of its own, and a main loop that does not hear about it
//! (`listings::no_doorbell`).
//!
//! Part Three's server and ten clients, with each connection's second
//! split in two: half a second on a timer, then half a second of blocking
//! work on a thread. When the work is done, the thread wakes the task,
//! which puts it on the ready queue. But the main loop is asleep in
//! `poll(2)`, with no timer left and nothing to read on any socket, and
//! nothing tells it to look at the queue. The program prints the ten
//! `start` lines and then hangs.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use listings::no_doorbell::{
    accept, block_on, read, sleep, spawn, spawn_blocking, write_all,
};

/// Copies everything the peer sends to stdout, until it hangs up.
async fn copy_to_stdout(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = read(&mut stream, &mut buf).await?;
        if n == 0 {
            // A read of zero bytes is the end of the stream: the peer has
            // closed its side, and no more data will ever come.
            return Ok(());
        }
        // Stdout stays blocking: a few bytes to a terminal or a pipe.
        io::stdout().write_all(&buf[..n])?;
    }
}

// ANCHOR: program
// The program: Part Three's server and ten clients, each connection's
// second spent half on a timer and half in blocking work on a thread.

/// The longest any task took to run again after its blocking job ended.
static SLOWEST_WAKE_UP: Mutex<Duration> = Mutex::new(Duration::ZERO);

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:8000")?;
    listener.set_nonblocking(true)?;
    block_on(async {
        let server = spawn(serve_ten(listener));
        let clients: Vec<_> = (0..10).map(|_| spawn(client())).collect();
        for client in clients {
            client.await;
        }
        server.await
    })??;
    let slowest = *SLOWEST_WAKE_UP.lock().unwrap();
    println!("slowest wake-up after blocking work: {slowest:.2?}");
    Ok(())
}

/// Accepts ten connections and serves each in a task of its own.
async fn serve_ten(listener: TcpListener) -> io::Result<()> {
    let mut handlers = Vec::new();
    for n in 0..10 {
        let stream = accept(&listener).await?;
        handlers.push(spawn(serve(stream, n)));
    }
    for handler in handlers {
        handler.await?;
    }
    Ok(())
}

/// Serves connection number `n`: "start", half a second of sleep, half a
/// second of blocking work, "end".
async fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    write_all(&mut stream, format!("start {n}\n").as_bytes()).await?;
    sleep(Duration::from_millis(500)).await;
    // A stand-in for work that blocks, such as a long computation or a
    // slow disk. It reports when it ended.
    let ended = spawn_blocking(|| {
        thread::sleep(Duration::from_millis(500));
        Instant::now()
    })
    .await;
    let wake_up = ended.elapsed();
    {
        let mut slowest = SLOWEST_WAKE_UP.lock().unwrap();
        *slowest = (*slowest).max(wake_up);
    }
    write_all(&mut stream, format!("end {n}\n").as_bytes()).await
}

/// One client: connect, then copy everything the server sends to stdout.
async fn client() {
    // The shortcut of Part Three: `connect` blocks. Against a listener on
    // this machine it returns almost at once.
    let stream =
        TcpStream::connect("127.0.0.1:8000").expect("could not connect");
    stream
        .set_nonblocking(true)
        .expect("could not set non-blocking");
    copy_to_stdout(stream).await.expect("copy failed");
}
// ANCHOR_END: program
