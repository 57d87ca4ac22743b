use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

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
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    block_on(server_and_ten_clients(listener))??;
    let slowest = *SLOWEST_WAKE_UP.lock().unwrap();
    println!("slowest wake-up after blocking work: {slowest:.2?}");
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
// ANCHOR_END: program

// Part Three's server of ten connections, and its clients.
include!("../part3-io/ten_clients.rs");
