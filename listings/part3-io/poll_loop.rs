//! The finished event loop of Part Three, non-blocking IO plus `poll(2)`
//! (`listings::poll_loop`), serving ten clients.
//!
//! The same server and ten clients as `part3-busy-loop`, with one change. A
//! future that meets `WouldBlock` no longer wakes itself; it registers its
//! socket, the events it waits for and its waker. When no task is ready to
//! run, the main loop hands every registered socket to the kernel's
//! `poll(2)`, with a timeout that ends at the earliest timer, and the thread
//! sleeps until a socket is ready or the timer is due. The output is the
//! same after about one second, and the process is idle while it waits.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use listings::poll_loop::{
    accept, block_on, copy_to_stdout, sleep, spawn, write_all,
};

// The program: the server and ten clients, all tasks on this thread.

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
    })?
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

/// Serves connection number `n`: "start", one second of sleep, "end".
async fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    write_all(&mut stream, format!("start {n}\n").as_bytes()).await?;
    sleep(Duration::from_secs(1)).await;
    write_all(&mut stream, format!("end {n}\n").as_bytes()).await
}

/// One client: connect, then copy everything the server sends to stdout.
async fn client() {
    // The shortcut of this part: `connect` blocks. Against a listener on
    // this machine it returns almost at once; see the chapter for what a
    // non-blocking connect needs.
    let stream =
        TcpStream::connect("127.0.0.1:8000").expect("could not connect");
    stream
        .set_nonblocking(true)
        .expect("could not set non-blocking");
    copy_to_stdout(stream).await.expect("copy failed");
}
