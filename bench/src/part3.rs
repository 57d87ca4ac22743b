//! Part Three's runtime (`listings/part3-io/poll_loop.rs`), serving the
//! benchmarks' workloads.
//!
//! The listing's items are private, so the benchmark's two functions live
//! in the same module: the build script hands over the listing unchanged
//! but for its `//!` lines (see `build.rs`), and it is included here. Its
//! own `main` and clients are not used.

#![allow(dead_code)]

include!(concat!(env!("OUT_DIR"), "/poll_loop.rs"));

/// Serves `workload` on `listener` until the process is killed.
pub fn serve_workload(
    listener: TcpListener,
    workload: crate::servers::Workload,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    block_on(accept_forever(listener, workload))?
}

async fn accept_forever(
    listener: TcpListener,
    workload: crate::servers::Workload,
) -> io::Result<()> {
    loop {
        let stream = accept(&listener).await?;
        // A task of its own type for each workload, so that neither pays
        // for the other's state (the echo's buffer).
        match workload {
            crate::servers::Workload::Sleep(duration) => {
                spawn(async move {
                    // A failed connection is the client's to count.
                    let _ = start_sleep_end(stream, duration).await;
                });
            }
            crate::servers::Workload::Echo => {
                spawn(async move {
                    let _ = echo(stream).await;
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

async fn echo(mut stream: TcpStream) -> io::Result<()> {
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
        write_all(&mut stream, &buf[..n]).await?;
    }
}
