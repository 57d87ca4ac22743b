//! Streams, and reading lines from a socket without blocking: Part
//! Four's ident chapter adds them to the sturdy runtime.
//!
//! A `Stream` yields many values where a future yields one. `AsyncRead`
//! and `AsyncWrite` are what a socket of the runtime can do when polled,
//! and `Lines` cuts the bytes that arrive into lines, through a buffer of
//! bounded size.
//!
//! Any type can be a `Stream`, here a countdown. `next` gives a `Next`, a
//! future for one value, so the values can be awaited in turn.
//!
//! ```
//! use std::pin::Pin;
//! use std::task::{Context, Poll};
//! use listings::ident::runtime::block_on;
//! use listings::ident::streams::{Next, Stream};
//!
//! struct Countdown(u32);
//!
//! impl Stream for Countdown {
//!     type Item = u32;
//!
//!     fn poll_next(
//!         mut self: Pin<&mut Self>,
//!         _: &mut Context<'_>,
//!     ) -> Poll<Option<u32>> {
//!         let n = self.0;
//!         self.0 = n.saturating_sub(1);
//!         Poll::Ready((n > 0).then_some(n))
//!     }
//! }
//!
//! let seen = block_on(async {
//!     let mut countdown = Countdown(3);
//!     let mut seen = Vec::new();
//!     loop {
//!         let next: Next<'_, Countdown> = countdown.next();
//!         match next.await {
//!             Some(n) => seen.push(n),
//!             None => return seen,
//!         }
//!     }
//! });
//! assert_eq!(seen.unwrap(), [3, 2, 1]);
//! ```
//!
//! `Lines` reads from any `AsyncRead`, and `write_all` writes to any
//! `AsyncWrite`, sockets or not. Here one buffer is both, and takes and
//! gives at most three bytes at a time: `write_all` goes on until all is
//! written, and `Lines` puts each line together from its pieces.
//!
//! ```
//! use std::io;
//! use std::task::{Context, Poll};
//! use listings::ident::runtime::block_on;
//! use listings::ident::streams::{
//!     AsyncRead, AsyncWrite, Lines, Stream, write_all,
//! };
//!
//! struct Trickle(Vec<u8>);
//!
//! impl AsyncRead for Trickle {
//!     fn poll_read(
//!         &mut self,
//!         _: &mut Context<'_>,
//!         buf: &mut [u8],
//!     ) -> Poll<io::Result<usize>> {
//!         let n = buf.len().min(self.0.len()).min(3);
//!         buf[..n].copy_from_slice(&self.0[..n]);
//!         self.0.drain(..n);
//!         Poll::Ready(Ok(n))
//!     }
//! }
//!
//! impl AsyncWrite for Trickle {
//!     fn poll_write(
//!         &mut self,
//!         _: &mut Context<'_>,
//!         buf: &[u8],
//!     ) -> Poll<io::Result<usize>> {
//!         let n = buf.len().min(3);
//!         self.0.extend_from_slice(&buf[..n]);
//!         Poll::Ready(Ok(n))
//!     }
//! }
//!
//! let lines = block_on(async {
//!     let mut buffer = Trickle(Vec::new());
//!     write_all(&mut buffer, b"one\r\ntwo\nthree\n").await?;
//!     assert_eq!(buffer.0.len(), 15);
//!     let mut lines = Lines::new(buffer, 100);
//!     let mut all = Vec::new();
//!     while let Some(line) = lines.next().await {
//!         all.push(String::from_utf8(line?).unwrap());
//!     }
//!     Ok::<_, io::Error>(all)
//! });
//! assert_eq!(lines.unwrap().unwrap(), ["one", "two", "three"]);
//! ```
//!
//! A socket of the runtime, `&Async<TcpStream>`, is an `AsyncRead` and an
//! `AsyncWrite`. A line longer than `max` is an error, and the stream ends
//! after it.
//!
//! ```
//! use std::io::{ErrorKind, Write};
//! use std::net::TcpStream;
//! use listings::ident::runtime::{Async, block_on};
//! use listings::ident::streams::{Lines, Stream};
//!
//! let listener = Async::bind("127.0.0.1:0").unwrap();
//! let address = listener.get_ref().local_addr().unwrap();
//! let mut client = TcpStream::connect(address).unwrap();
//! client.write_all(b"short\nand a line far too long\n").unwrap();
//! let (first, second, end) = block_on(async {
//!     let (stream, _) = listener.accept().await.unwrap();
//!     let mut lines = Lines::new(&stream, 10);
//!     let first = lines.next().await.unwrap();
//!     let second = lines.next().await.unwrap();
//!     (first, second, lines.next().await)
//! })
//! .unwrap();
//! assert_eq!(first.unwrap(), b"short");
//! assert_eq!(second.unwrap_err().kind(), ErrorKind::InvalidData);
//! assert!(end.is_none());
//! ```

use std::future::poll_fn;
use std::io;
use std::mem;
use std::net::TcpStream;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use super::runtime::Async;

// ANCHOR: stream
/// A source of values that arrive one at a time: the many-valued cousin
/// of `Future`. `poll_next` returns `Ready(Some(item))` for each value,
/// `Pending` (after arranging a wake-up) while the next one is not there
/// yet, and `Ready(None)` once there will be no more.
pub trait Stream {
    type Item;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>>;

    /// A future for the next value: `while let Some(x) = s.next().await`.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin + Sized,
    {
        Next { stream: self }
    }
}

/// The future that `Stream::next` returns.
pub struct Next<'a, S> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
// ANCHOR_END: stream

// ANCHOR: poll_io
/// Something to read bytes from that returns `Pending` instead of
/// blocking, and wakes the task when it is worth trying again.
pub trait AsyncRead {
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
}

/// Something to write bytes to, in the same way.
pub trait AsyncWrite {
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;
}

// The runtime's `read` and `write` futures keep nothing between polls:
// whether the socket is ready, and who waits for it, is kept in its
// registration. So polling a new future each time is the same as polling
// one future again.
impl AsyncRead for &Async<TcpStream> {
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        pin!(self.read(buf)).poll(cx)
    }
}

impl AsyncWrite for &Async<TcpStream> {
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        pin!(self.write(buf)).poll(cx)
    }
}

/// Writes all of `buf`. A write may take only part of it; the rest waits,
/// in this future, for the socket to make room.
pub async fn write_all(
    writer: &mut impl AsyncWrite,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| writer.poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}
// ANCHOR_END: poll_io

// ANCHOR: lines
/// The lines that arrive on `reader`, without their line ends (LF, or CR
/// LF). A line that does not end within `max` bytes is an error, and so
/// is a last line that the peer never finished; after an error, the
/// stream ends.
pub struct Lines<R> {
    reader: R,
    /// Bytes read but not returned yet: the start of a line whose end has
    /// not arrived, or whole lines waiting for their turn. Never more
    /// than `max` bytes, and nothing at all on an idle connection.
    buffer: Vec<u8>,
    /// How many bytes at the front of `buffer` hold no line end, so that
    /// each byte is searched only once.
    searched: usize,
    max: usize,
    finished: bool,
}

impl<R> Lines<R> {
    pub fn new(reader: R, max: usize) -> Lines<R> {
        Lines {
            reader,
            buffer: Vec::new(),
            searched: 0,
            max,
            finished: false,
        }
    }

    fn fail(&mut self, error: io::Error) -> Poll<Option<io::Result<Vec<u8>>>> {
        self.finished = true;
        Poll::Ready(Some(Err(error)))
    }
}

// ANCHOR_END: lines

// ANCHOR: next_line
impl<R: AsyncRead + Unpin> Stream for Lines<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Vec<u8>>>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            // A whole line in the buffer: cut it off and return it.
            let unsearched = &this.buffer[this.searched..];
            if let Some(at) = unsearched.iter().position(|&b| b == b'\n') {
                // The line keeps the buffer's memory, and what follows it
                // moves to a new buffer of its size: nothing, usually.
                let rest = this.buffer.split_off(this.searched + at + 1);
                let mut line = mem::replace(&mut this.buffer, rest);
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                this.searched = 0;
                return Poll::Ready(Some(Ok(line)));
            }
            this.searched = this.buffer.len();
            // No line end in `max` bytes: stop reading instead of growing.
            let room = this.max - this.buffer.len();
            if room == 0 {
                let message = format!("no line end in {} bytes", this.max);
                return this
                    .fail(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            // Read into a scratch buffer on the stack, which lives only for
            // this call, and keep what came.
            let mut chunk = [0; 512];
            let chunk = &mut chunk[..room.min(512)];
            let n = match this.reader.poll_read(cx, chunk) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return this.fail(e),
            };
            if n == 0 {
                // The end of the stream. Bytes after the last line end
                // are a line that was never finished.
                if this.buffer.is_empty() {
                    this.finished = true;
                    return Poll::Ready(None);
                }
                return this.fail(io::ErrorKind::UnexpectedEof.into());
            }
            this.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}
// ANCHOR_END: next_line
