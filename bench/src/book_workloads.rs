//! The benchmark's workloads on one of the book's runtimes: a module of
//! `book.rs` (Part Four's runtime) and of `book_tuned.rs` (Part Five's),
//! each of which names its runtime `runtime`.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use super::runtime::{Async, block_on, sleep, spawn};

use crate::workload::{Workload, work_on};

/// Serves `workload` on `listener` until the process is killed.
pub fn serve_workload(
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    let listener = Async::new(listener)?;
    block_on(async move {
        loop {
            match listener.accept().await {
                // A task of its own type for each workload, so that
                // neither pays for the other's state (the echo's buffer).
                Ok((stream, _)) => match workload {
                    Workload::Sleep(duration) => {
                        spawn(async move {
                            let _ = start_sleep_end(stream, duration).await;
                        });
                    }
                    Workload::Echo { work } => {
                        spawn(async move {
                            let _ = echo(stream, work).await;
                        });
                    }
                },
                // Out of descriptors: let connections close first.
                Err(_) => sleep(Duration::from_millis(10)).await,
            }
        }
    })
}

async fn start_sleep_end(
    stream: Async<TcpStream>,
    duration: Duration,
) -> io::Result<()> {
    stream.write_all(b"start\n").await?;
    sleep(duration).await;
    stream.write_all(b"end\n").await
}

async fn echo(stream: Async<TcpStream>, work: u32) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        work_on(&buf[..n], work);
        stream.write_all(&buf[..n]).await?;
    }
}

/// Spawns `count` tasks that each sleep for `duration`, and waits for
/// them all: the memory workload.
pub fn sleepers(count: usize, duration: Duration) -> io::Result<()> {
    block_on(async move {
        let handles: Vec<_> =
            (0..count).map(|_| spawn(sleep(duration))).collect();
        for handle in handles {
            handle.await;
        }
    })
}
