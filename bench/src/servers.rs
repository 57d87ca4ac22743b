//! The contenders: one server per way of serving many connections, each
//! serving the same two workloads the same way, on a listener made the
//! same way.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::workload::{Workload, work_on};

/// The contenders, by the names the data file uses.
pub const CONTENDERS: [&str; 9] = [
    "threads",
    "poll-loop",
    "book",
    "book-tuned",
    "book-mt",
    "book-uring",
    "tokio-ct",
    "tokio-mt",
    "raw-epoll",
];

/// The accept queue every contender gets. Tokio's `TcpListener::bind`
/// asks for 1024; std asks for its own default. Every contender's listener
/// is made here, so that none has a longer queue than another. The kernel
/// caps it at `net.core.somaxconn`, recorded with the machine.
pub const BACKLOG: libc::c_int = 1024;

/// A listener on a free loopback port, with `BACKLOG`.
pub fn listener() -> io::Result<TcpListener> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // SAFETY: `listen` takes no pointers. Calling it again on a listening
    // socket changes the length of its queue.
    if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(listener)
}

/// Serves `workload` on `listener` with `contender`, until killed.
pub fn serve(
    contender: &str,
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    match contender {
        "threads" => threads(listener, workload),
        "poll-loop" => crate::part3::serve_workload(listener, workload),
        "book" => crate::book::serve_workload(listener, workload),
        "book-tuned" => crate::book_tuned::serve_workload(listener, workload),
        "book-mt" => crate::book_mt::serve_workload(listener, workload),
        "book-uring" => crate::book_uring::serve_workload(listener, workload),
        "tokio-ct" => {
            tokio_runtime(false)?.block_on(tokio_server(listener, workload))
        }
        "tokio-mt" => {
            tokio_runtime(true)?.block_on(tokio_server(listener, workload))
        }
        "raw-epoll" => crate::raw_epoll::serve(listener, workload),
        other => Err(io::Error::other(format!("no contender {other}"))),
    }
}

/// A thread per connection, blocking calls only.
fn threads(listener: TcpListener, workload: Workload) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept()?;
        let spawned = thread::Builder::new().spawn(move || {
            let _ = blocking_handle(stream, workload);
        });
        if let Err(e) = spawned {
            eprintln!("thread spawn failed: {e}");
        }
    }
}

fn blocking_handle(
    mut stream: TcpStream,
    workload: Workload,
) -> io::Result<()> {
    match workload {
        Workload::Sleep(duration) => {
            stream.write_all(b"start\n")?;
            thread::sleep(duration);
            stream.write_all(b"end\n")
        }
        Workload::Echo { work } => {
            let mut buf = [0; 4096];
            loop {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                work_on(&buf[..n], work);
                stream.write_all(&buf[..n])?;
            }
        }
    }
}

/// Tokio's scheduler on this thread alone, or on as many worker threads as
/// there are cores (Tokio's default).
pub fn tokio_runtime(
    multi_thread: bool,
) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

async fn tokio_server(
    listener: TcpListener,
    workload: Workload,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        match listener.accept().await {
            // A task of its own type for each workload, so that neither
            // pays for the other's state (the echo's buffer).
            Ok((stream, _)) => match workload {
                Workload::Sleep(duration) => {
                    tokio::spawn(async move {
                        let _ = tokio_sleep(stream, duration).await;
                    });
                }
                Workload::Echo { work } => {
                    tokio::spawn(async move {
                        let _ = tokio_echo(stream, work).await;
                    });
                }
            },
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn tokio_sleep(
    mut stream: tokio::net::TcpStream,
    duration: Duration,
) -> io::Result<()> {
    stream.write_all(b"start\n").await?;
    tokio::time::sleep(duration).await;
    stream.write_all(b"end\n").await
}

async fn tokio_echo(
    mut stream: tokio::net::TcpStream,
    work: u32,
) -> io::Result<()> {
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
