//! The runtime from the end of Part Two, taught to do network IO
//! (`listings::busy_loop`), serving ten clients.
//!
//! The server and its ten clients are all tasks on one thread. Every socket
//! is in non-blocking mode: a call that cannot finish at once returns
//! `WouldBlock` instead of stopping the thread. What the runtime still
//! lacks is a way to sleep until a socket is ready, so a future that meets
//! `WouldBlock` wakes itself straight away and the main loop goes round
//! again, and again. The output is right and arrives after about one second,
//! but for all of that second one core runs flat out.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use listings::busy_loop::{
    accept, block_on, copy_to_stdout, sleep, spawn, write_all,
};

// ANCHOR: program
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
    })
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
// ANCHOR_END: program
