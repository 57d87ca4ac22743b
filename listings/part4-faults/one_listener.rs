use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

// The program: three tasks accept on one listener, and three clients
// connect.

// ANCHOR: main
fn main() -> io::Result<()> {
    block_on(async {
        let listener = Arc::new(Async::bind("127.0.0.1:0")?);
        let address = listener.get_ref().local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        for task in 0..3 {
            let (listener, accepted) = (listener.clone(), accepted.clone());
            spawn(async move {
                if listener.accept().await.is_ok() {
                    println!("task {task} accepted a connection");
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        // All three tasks are waiting when the clients connect.
        sleep(Duration::from_millis(100)).await;
        let _clients = [
            TcpStream::connect(address)?,
            TcpStream::connect(address)?,
            TcpStream::connect(address)?,
        ];
        sleep(Duration::from_millis(500)).await;
        let accepted = accepted.load(Ordering::SeqCst);
        println!("{accepted} of 3 connections accepted half a second later");
        Ok(())
    })?
}
// ANCHOR_END: main
