//! Part Three's runtime (`listings::poll_loop`, on which the chapter's
//! server and ten clients run), serving the benchmarks' workloads.

use std::future::poll_fn;
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use listings::poll_loop::{accept, block_on, poll_io, sleep, spawn, write_all};

use crate::workload::{Workload, work_on};

/// Serves `workload` on `listener` until the process is killed.
pub fn serve_workload(
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    block_on(accept_forever(listener, workload))?
}

async fn accept_forever(
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    loop {
        let stream = accept(&listener).await?;
        // A task of its own type for each workload, so that neither pays
        // for the other's state (the echo's buffer).
        match workload {
            Workload::Sleep(duration) => {
                spawn(async move {
                    // A failed connection is the client's to count.
                    let _ = start_sleep_end(stream, duration).await;
                });
            }
            Workload::Echo { work } => {
                spawn(async move {
                    let _ = echo(stream, work).await;
                });
            }
        }
    }
}

async fn start_sleep_end(
    mut stream: TcpStream,
    duration: Duration,
) -> io::Result<()> {
    write_all(&mut stream, b"start\n").await?;
    sleep(duration).await;
    write_all(&mut stream, b"end\n").await
}

async fn echo(mut stream: TcpStream, work: u32) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let fd = stream.as_raw_fd();
        let n = poll_fn(|cx| {
            poll_io(cx, fd, libc::POLLIN, (&stream).read(&mut buf))
        })
        .await?;
        if n == 0 {
            return Ok(());
        }
        work_on(&buf[..n], work);
        write_all(&mut stream, &buf[..n]).await?;
    }
}
