//! Part Six's completion runtime (`listings::completion`: Part Four's
//! runtime on io_uring), serving the benchmarks' workloads as `book.rs`
//! serves them with Part Four's. Its sockets take buffers by value, so
//! the workloads are written again here for that API: the same steps, a
//! `Vec` given to each read and write and given back.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use listings::completion::{Async, block_on, sleep, spawn};

use crate::workload::{Workload, work_on};

/// Serves `workload` on `listener` until the process is killed. Fails at
/// once where the kernel refuses io_uring.
pub fn serve_workload(
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    let listener = Async::new(listener)?;
    block_on(async move {
        loop {
            match listener.accept().await {
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
    stream.write_all(b"start\n".to_vec()).await.0?;
    sleep(duration).await;
    stream.write_all(b"end\n".to_vec()).await.0
}

async fn echo(stream: Async<TcpStream>, work: u32) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        let (n, back) = stream.read(buf).await;
        if n? == 0 {
            return Ok(());
        }
        work_on(&back, work);
        let (written, back) = stream.write_all(back).await;
        written?;
        buf = back;
    }
}
