//! The read future one writes first, on io_uring: it borrows the caller's
//! buffer, `read(&mut [u8])`, as `AsyncRead` would have it. Dropped while
//! the kernel holds that buffer, it lets the buffer be freed, and the
//! kernel writes into whatever the memory has become.

use std::cell::RefCell;
use std::hint::black_box;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use listings::uring::{Ring, Sqe, exit_if_refused};

// ANCHOR: naive
/// A read that borrows its buffer for as long as the future lives.
struct NaiveRead<'a> {
    ring: &'a RefCell<Ring>,
    fd: RawFd,
    buf: &'a mut [u8],
    submitted: bool,
}

impl Future for NaiveRead<'_> {
    type Output = io::Result<usize>;

    fn poll(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        if !self.submitted {
            let (fd, len) = (self.fd, self.buf.len() as u32);
            let read = Sqe::read(fd, self.buf.as_mut_ptr(), len);
            let mut ring = self.ring.borrow_mut();
            // UNSOUND, and the point of this program: `push` asks that the
            // buffer outlive the operation, and the borrow of `buf` ends
            // when this future is dropped, which may be long before.
            unsafe { ring.push(read) }.expect("room in the ring");
            ring.submit_and_wait(0, None)?;
            self.submitted = true;
        }
        // A real runtime would look for the completion here.
        Poll::Pending
    }
}
// No `Drop`: there seems to be nothing to do.
// ANCHOR_END: naive

fn main() -> io::Result<()> {
    let ring = RefCell::new(Ring::new(8).map_err(exit_if_refused)?);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;

    // ANCHOR: dropped
    let freed = {
        let mut buffer = vec![b'.'; 16];
        let address = buffer.as_ptr();
        let mut read = pin!(NaiveRead {
            ring: &ring,
            fd: server.as_raw_fd(),
            buf: &mut buffer,
            submitted: false,
        });
        let mut cx = Context::from_waker(Waker::noop());
        assert!(read.as_mut().poll(&mut cx).is_pending());
        println!("a read future lent the kernel a 16-byte buffer");
        // It loses a race (a timeout, a `select!`), and is dropped, and
        // its buffer after it.
        address
    };
    println!("the future was dropped before its completion; its buffer freed");

    let mut secret = b"password=hunter2".to_vec();
    // The compiler is told what is true: the address has escaped.
    let secret_at = black_box(secret.as_mut_ptr()).cast_const();
    let memory = if secret_at == freed {
        "the same"
    } else {
        "other"
    };
    println!(
        "the next 16-byte buffer got {memory} memory: {:?}",
        text(&secret)
    );

    client.write_all(b"LATE DATA")?;
    let mut ring = ring.borrow_mut();
    ring.submit_and_wait(1, None)?;
    let n = ring
        .next_completion()
        .expect("the read's completion")
        .result()?;
    println!("the peer sent \"LATE DATA\"; the read completed: {n} bytes");
    println!("the new buffer now holds {:?}", text(&secret));
    // ANCHOR_END: dropped
    Ok(())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
