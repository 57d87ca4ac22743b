//! `part3-thread-per-connection` without the `move`: it does not compile.
//!
//! The closure given to `thread::spawn` moves `stream` (because `serve`
//! takes it by value) but only borrows `n`, which lives in the accept loop
//! of the server thread. A spawned thread may outlive that loop, so the
//! compiler refuses the borrow with error E0373.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

include!("../server_thread_main.rs");

// ANCHOR: server
/// Accepts ten connections and serves each on a thread of its own.
fn serve_ten(listener: TcpListener) -> io::Result<()> {
    let mut handlers = Vec::new();
    for (n, stream) in listener.incoming().take(10).enumerate() {
        let stream = stream?;
        // No `move`: the closure takes `stream` but borrows `n`.
        handlers.push(thread::spawn(|| serve(stream, n)));
    }
    // Wait for every handler, so that an error on any connection comes
    // back to `main` through this thread's own result.
    for handler in handlers {
        handler.join().expect("a connection thread panicked")?;
    }
    Ok(())
}
// ANCHOR_END: server

include!("../serve_and_client.rs");
