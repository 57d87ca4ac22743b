//! Ten clients and a server that gives every connection its own thread.
//!
//! The same program as `part3-one-server-thread`, with one change: the
//! server thread no longer serves each connection itself but spawns a
//! thread to do it and goes straight back to `accept`. The ten connections
//! are served side by side, and the program is done after about one second.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

include!("server_thread_main.rs");

// ANCHOR: server
/// Accepts ten connections and serves each on a thread of its own.
fn serve_ten(listener: TcpListener) -> io::Result<()> {
    let mut handlers = Vec::new();
    for (n, stream) in listener.incoming().take(10).enumerate() {
        let stream = stream?;
        // `move` hands `stream` and `n` to the new thread. Without it the
        // closure would borrow `n` from this loop, and a spawned thread
        // may outlive everything it borrows.
        handlers.push(thread::spawn(move || serve(stream, n)));
    }
    // Wait for every handler, so that an error on any connection comes
    // back to `main` through this thread's own result.
    for handler in handlers {
        handler.join().expect("a connection thread panicked")?;
    }
    Ok(())
}
// ANCHOR_END: server

include!("serve_and_client.rs");
