//! io_uring from the system call up: the two system calls, the three
//! shared mappings and the structures the kernel reads and writes there,
//! with no runtime around them. The io_uring chapter drives it by hand
//! (`part6-ring-nop`, `part6-naive-read`) and builds its completion
//! reactor on it (`completion`).
//!
//! The names follow io_uring(7) and io_uring_setup(2). libc has the system
//! call numbers but not the structures or constants, so they are written
//! here from those pages and the kernel's `<linux/io_uring.h>`.
//!
//! ```
//! use listings::uring::{Cqe, Ring, Sqe, refused};
//!
//! let mut ring = match Ring::new(8) {
//!     Ok(ring) => ring,
//!     // A kernel without io_uring, or a sandbox that forbids it.
//!     Err(e) if refused(&e) => return Ok(()),
//!     Err(e) => return Err(e),
//! };
//! // SAFETY: a no-op points at no memory.
//! unsafe { ring.push(Sqe::nop().user_data(7)) }.unwrap();
//! assert_eq!(ring.pending(), 1);
//! assert_eq!(ring.submit_and_wait(1, None)?, 1);
//! let done: Cqe = ring.next_completion().unwrap();
//! assert_eq!((done.user_data, done.res), (7, 0));
//! assert!(ring.next_completion().is_none());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

// ANCHOR: params
/// `struct io_sqring_offsets`: where, in the submission ring's mapping,
/// each of its fields lives. The kernel fills it in during setup.
#[repr(C)]
#[derive(Default)]
struct SqRingOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    flags: u32,
    dropped: u32,
    array: u32,
    resv1: u32,
    user_addr: u64,
}

/// `struct io_cqring_offsets`: the same for the completion ring.
#[repr(C)]
#[derive(Default)]
struct CqRingOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    overflow: u32,
    cqes: u32,
    flags: u32,
    resv1: u32,
    user_addr: u64,
}

/// `struct io_uring_params`: what the program asks of `io_uring_setup`
/// (`flags`), and what the kernel answers (sizes, features, offsets).
#[repr(C)]
#[derive(Default)]
struct Params {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: SqRingOffsets,
    cq_off: CqRingOffsets,
}

// ANCHOR_END: params
// ANCHOR: entries
/// `struct io_uring_sqe`, a submission queue entry: one operation, 64
/// bytes. Its unions are flattened to the member this module uses.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Sqe {
    pub opcode: u8,
    /// `IOSQE_*` flags.
    pub flags: u8,
    pub ioprio: u16,
    /// The descriptor the operation works on.
    pub fd: i32,
    /// The file offset; for a cancel, unused.
    pub off: u64,
    /// The buffer's address; for a cancel, the `user_data` to cancel.
    pub addr: u64,
    /// The buffer's length.
    pub len: u32,
    /// The union of `rw_flags`, `poll32_events`, `accept_flags`,
    /// `cancel_flags`, ...: the operation's own flags.
    pub op_flags: u32,
    /// Handed back, untouched, in the operation's completion.
    pub user_data: u64,
    pub buf_index: u16,
    pub personality: u16,
    pub splice_fd_in: i32,
    pub addr3: u64,
    pad2: u64,
}

/// `struct io_uring_cqe`, a completion queue entry: which operation
/// finished (`user_data`) and its result, what the system call would have
/// returned, with an error as `-errno`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Cqe {
    pub user_data: u64,
    pub res: i32,
    pub flags: u32,
}
// ANCHOR_END: entries

const _: () = assert!(size_of::<Params>() == 120);
const _: () = assert!(size_of::<Sqe>() == 64);
const _: () = assert!(size_of::<Cqe>() == 16);

// ANCHOR: constants
/// The offsets to pass `mmap` for each of the three mappings.
const IORING_OFF_SQ_RING: libc::off_t = 0;
const IORING_OFF_CQ_RING: libc::off_t = 0x800_0000;
const IORING_OFF_SQES: libc::off_t = 0x1000_0000;

/// `io_uring_enter` flags: wait for completions; `arg` is an
/// `io_uring_getevents_arg` (which carries a timeout).
const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
const IORING_ENTER_EXT_ARG: u32 = 1 << 3;

/// Features the kernel reports: completions are never dropped when the
/// completion ring is full (5.5), and `IORING_ENTER_EXT_ARG` (5.11).
const IORING_FEAT_NODROP: u32 = 1 << 1;
const IORING_FEAT_EXT_ARG: u32 = 1 << 8;

/// The operations this book submits (`enum io_uring_op`).
const IORING_OP_NOP: u8 = 0;
const IORING_OP_POLL_ADD: u8 = 6;
const IORING_OP_ACCEPT: u8 = 13;
const IORING_OP_ASYNC_CANCEL: u8 = 14;
const IORING_OP_READ: u8 = 22;
const IORING_OP_WRITE: u8 = 23;
// ANCHOR_END: constants

/// `struct io_uring_getevents_arg`, for `IORING_ENTER_EXT_ARG`.
#[repr(C)]
struct GeteventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

// ANCHOR: refusal
/// True if `error`, from `Ring::new`, means that io_uring is not to be
/// had here: a kernel built without it (`ENOSYS`), one where the sysctl
/// `kernel.io_uring_disabled` forbids it or a seccomp filter refuses it
/// (`EPERM`, `EACCES`, or `ENOSYS` again), as Docker's default profile,
/// and with it the Rust Playground, does. A kernel too old for the
/// features this module needs says `Unsupported`.
pub fn refused(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::ENOSYS | libc::EPERM | libc::EACCES)
    ) || error.kind() == io::ErrorKind::Unsupported
}

/// For the chapter's programs: if `error` is a refusal (see [`refused`]),
/// says so in one line and ends the program, successfully, for there is
/// nothing wrong with it; any other error comes back, for `?`.
///
/// ```
/// use listings::uring::{Ring, exit_if_refused};
///
/// // Here, or in a sandbox: the doc test passes either way, having run
/// // the ring or having explained why not.
/// let ring: Ring = Ring::new(8).map_err(exit_if_refused)?;
/// # drop(ring);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn exit_if_refused(error: io::Error) -> io::Error {
    if refused(&error) {
        println!(
            "io_uring is refused here ({error}): the kernel lacks it, or a \
             sandbox forbids it (a seccomp filter, as on the Playground, or \
             the sysctl kernel.io_uring_disabled); run this on Linux 5.11 or \
             later, outside such a sandbox"
        );
        std::process::exit(0);
    }
    error
}
// ANCHOR_END: refusal

// ANCHOR: sqe
impl Sqe {
    /// An operation that does nothing and completes with 0.
    pub fn nop() -> Sqe {
        Sqe {
            opcode: IORING_OP_NOP,
            ..Sqe::default()
        }
    }

    /// `read(fd, buf, len)`: the kernel writes up to `len` bytes at `buf`,
    /// whenever they arrive.
    pub fn read(fd: RawFd, buf: *mut u8, len: u32) -> Sqe {
        Sqe {
            opcode: IORING_OP_READ,
            fd,
            addr: buf as u64,
            len,
            // The current file position, which sockets do not have.
            off: u64::MAX,
            ..Sqe::default()
        }
    }

    /// `write(fd, buf, len)`: the kernel reads up to `len` bytes at `buf`.
    pub fn write(fd: RawFd, buf: *const u8, len: u32) -> Sqe {
        Sqe {
            opcode: IORING_OP_WRITE,
            off: u64::MAX,
            ..Sqe::read(fd, buf.cast_mut(), len)
        }
    }

    /// `accept4(fd, NULL, NULL, SOCK_CLOEXEC)`: completes with the new
    /// connection's descriptor.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::net::{TcpListener, TcpStream};
    /// use std::os::fd::{AsRawFd, FromRawFd};
    /// use listings::uring::{Ring, Sqe, refused};
    ///
    /// let mut ring = match Ring::new(8) {
    ///     Ok(ring) => ring,
    ///     Err(e) if refused(&e) => return Ok(()),
    ///     Err(e) => return Err(e),
    /// };
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut client = TcpStream::connect(listener.local_addr()?)?;
    /// // SAFETY: an accept points at no memory of ours.
    /// unsafe { ring.push(Sqe::accept(listener.as_raw_fd())) }.unwrap();
    /// ring.submit_and_wait(1, None)?;
    /// let fd = ring.next_completion().unwrap().result()?;
    /// // SAFETY: the kernel made this descriptor for us alone.
    /// let server = unsafe { TcpStream::from_raw_fd(fd as i32) };
    ///
    /// let hello = b"hello";
    /// let write = Sqe::write(server.as_raw_fd(), hello.as_ptr(), 5);
    /// let poll = Sqe::poll(client.as_raw_fd(), libc::POLLIN);
    /// // SAFETY: `hello` is a constant; the poll points at nothing.
    /// unsafe { ring.push(write.user_data(1)) }.unwrap();
    /// unsafe { ring.push(poll.user_data(2)) }.unwrap();
    /// ring.submit_and_wait(2, None)?;
    /// let mut seen = Vec::new();
    /// while let Some(done) = ring.next_completion() {
    ///     seen.push((done.user_data, done.result()?));
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [(1, 5), (2, libc::POLLIN as u32)]);
    /// let mut got = [0; 5];
    /// client.read_exact(&mut got)?;
    /// assert_eq!(&got, hello);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn accept(fd: RawFd) -> Sqe {
        Sqe {
            opcode: IORING_OP_ACCEPT,
            fd,
            op_flags: libc::SOCK_CLOEXEC as u32,
            ..Sqe::default()
        }
    }

    // ANCHOR_END: sqe
    // ANCHOR: cancel
    /// One-shot `poll(2)` of `fd` for `events` (`POLLIN`, ...): completes
    /// with the events that happened.
    pub fn poll(fd: RawFd, events: libc::c_short) -> Sqe {
        Sqe {
            opcode: IORING_OP_POLL_ADD,
            fd,
            op_flags: events as u32,
            ..Sqe::default()
        }
    }

    /// Asks the kernel to cancel the operation submitted with
    /// `user_data`. The cancel completes on its own (0: found and
    /// cancelled; `-ENOENT`: not found, it finished already; `-EALREADY`:
    /// it is running and may still complete), and so does the operation
    /// it names, with `-ECANCELED` if cancelled.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use listings::uring::{Ring, Sqe, refused};
    ///
    /// let mut ring = match Ring::new(8) {
    ///     Ok(ring) => ring,
    ///     Err(e) if refused(&e) => return Ok(()),
    ///     Err(e) => return Err(e),
    /// };
    /// let (ours, _peer) = UnixStream::pair()?;
    /// let mut buf = vec![0u8; 16];
    /// let read = Sqe::read(ours.as_raw_fd(), buf.as_mut_ptr(), 16);
    /// // SAFETY: `buf` outlives the read: both completions are taken
    /// // below, before it is dropped.
    /// unsafe { ring.push(read.user_data(1)) }.unwrap();
    /// unsafe { ring.push(Sqe::cancel(1).user_data(2)) }.unwrap();
    /// ring.submit_and_wait(2, None)?;
    /// let mut results = [0; 2];
    /// while let Some(done) = ring.next_completion() {
    ///     results[done.user_data as usize - 1] = done.res;
    /// }
    /// // Nothing had arrived: the read was cancelled, and the cancel
    /// // found it.
    /// assert_eq!(results, [-libc::ECANCELED, 0]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cancel(user_data: u64) -> Sqe {
        Sqe {
            opcode: IORING_OP_ASYNC_CANCEL,
            fd: -1,
            addr: user_data,
            ..Sqe::default()
        }
    }

    /// The same entry, to be handed back with `user_data`.
    pub fn user_data(self, user_data: u64) -> Sqe {
        Sqe { user_data, ..self }
    }
}

impl Cqe {
    /// `res` as a `Result`: a count or a descriptor, or the error.
    pub fn result(&self) -> io::Result<u32> {
        if self.res < 0 {
            Err(io::Error::from_raw_os_error(-self.res))
        } else {
            Ok(self.res as u32)
        }
    }
}
// ANCHOR_END: cancel

/// A region that `mmap` shared between the kernel and this process,
/// unmapped when dropped.
struct Mapping {
    address: *mut libc::c_void,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of the ring `fd` at `offset`, one of the
    /// `IORING_OFF_*` values.
    fn new(fd: RawFd, offset: libc::off_t, len: usize) -> io::Result<Self> {
        // SAFETY: a new shared mapping of the ring's memory, at an address
        // of the kernel's choosing; nothing else in the process uses it.
        let address = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                offset,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { address, len })
    }

    /// The field at byte `offset`, as the kernel's offsets give it.
    fn at<T>(&self, offset: u32) -> *mut T {
        assert!(offset as usize + size_of::<T>() <= self.len);
        // SAFETY: inside the mapping, as just checked.
        unsafe { self.address.byte_add(offset as usize).cast() }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: mapped by `new`, and no pointer into it outlives the
        // `Ring` that owns it.
        unsafe { libc::munmap(self.address, self.len) };
    }
}

// ANCHOR: ring
/// An io_uring instance: its descriptor and the three mappings it shares
/// with the kernel. The submission ring holds indexes into the array of
/// entries (SQEs); the program fills an entry, puts its index in the ring
/// and moves the ring's tail; the kernel takes entries from the head. The
/// completion ring holds completions (CQEs): the kernel adds them at the
/// tail, the program takes them from the head.
pub struct Ring {
    /// `head`, `tail`, `ring_mask` and `array` of the submission ring.
    sq_head: *const AtomicU32,
    sq_tail: *const AtomicU32,
    sq_mask: u32,
    sq_array: *mut u32,
    /// The SQEs, `sq_mask + 1` of them.
    sqes: *mut Sqe,
    /// Entries written but not yet handed to the kernel: the tail the
    /// kernel will see at the next `submit_and_wait`.
    sq_local_tail: u32,
    /// `head`, `tail`, `ring_mask` and the CQEs of the completion ring.
    cq_head: *const AtomicU32,
    cq_tail: *const AtomicU32,
    cq_mask: u32,
    cqes: *const Cqe,
    /// Dropped after the pointers above, which point into them.
    _maps: [Mapping; 3],
    /// Closed last: the mappings keep the ring alive anyway.
    fd: OwnedFd,
}
// ANCHOR_END: ring

// SAFETY: the pointers point into mappings the `Ring` owns, and every
// method that follows them takes `&mut self`: one thread at a time.
unsafe impl Send for Ring {}

impl AsRawFd for Ring {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

// ANCHOR: setup
impl Ring {
    /// Sets up a ring with room for `entries` submissions (a power of
    /// two), and twice as many completions, and maps it.
    pub fn new(entries: u32) -> io::Result<Ring> {
        let mut params = Params::default();
        // SAFETY: `params` is valid for the call; the kernel reads
        // `flags` and writes the rest.
        let fd = unsafe {
            libc::syscall(libc::SYS_io_uring_setup, entries, &mut params)
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        let needed = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
        if params.features & needed != needed {
            return Err(io::ErrorKind::Unsupported.into());
        }

        // The three mappings, each as long as the offsets say. (Since
        // 5.4 the two rings share one region, and mapping it twice, as
        // here, gives the same memory twice: simpler than telling.)
        let (sq, cq) = (&params.sq_off, &params.cq_off);
        let raw = fd.as_raw_fd();
        let sq_len = sq.array as usize + params.sq_entries as usize * 4;
        let cq_len =
            cq.cqes as usize + params.cq_entries as usize * size_of::<Cqe>();
        let sqes_len = params.sq_entries as usize * size_of::<Sqe>();
        let sq_map = Mapping::new(raw, IORING_OFF_SQ_RING, sq_len)?;
        let cq_map = Mapping::new(raw, IORING_OFF_CQ_RING, cq_len)?;
        let sqe_map = Mapping::new(raw, IORING_OFF_SQES, sqes_len)?;

        // SAFETY: the kernel wrote the masks before setup returned, and
        // never changes them.
        let (sq_mask, cq_mask) = unsafe {
            (
                *sq_map.at::<u32>(sq.ring_mask),
                *cq_map.at::<u32>(cq.ring_mask),
            )
        };
        let sq_tail = sq_map.at::<AtomicU32>(sq.tail);
        Ok(Ring {
            sq_head: sq_map.at(sq.head),
            // SAFETY: nobody but this process moves the submission tail.
            sq_local_tail: unsafe { (*sq_tail).load(Ordering::Relaxed) },
            sq_tail,
            sq_mask,
            sq_array: sq_map.at(sq.array),
            sqes: sqe_map.at(0),
            cq_head: cq_map.at(cq.head),
            cq_tail: cq_map.at(cq.tail),
            cq_mask,
            cqes: cq_map.at(cq.cqes),
            _maps: [sq_map, cq_map, sqe_map],
            fd,
        })
    }
    // ANCHOR_END: setup

    // ANCHOR: push
    /// Writes `sqe` into the next free entry. The kernel sees it at the
    /// next `submit_and_wait`. Gives `sqe` back if the submission ring is
    /// full: submit, then push again.
    ///
    /// # Safety
    ///
    /// The memory `sqe` points at (its buffer) must stay valid, and must
    /// not be touched by the program, until the operation's completion
    /// has been taken from the ring: the kernel reads or writes it at any
    /// moment in between, and knows nothing of Rust's borrows.
    pub unsafe fn push(&mut self, sqe: Sqe) -> Result<(), Sqe> {
        // Acquire: pairs with the kernel's release of the head, so the
        // entries it has consumed are ours to overwrite.
        // SAFETY (every deref below): pointers into our own mappings.
        let head = unsafe { (*self.sq_head).load(Ordering::Acquire) };
        let entries = self.sq_mask + 1;
        if self.sq_local_tail.wrapping_sub(head) == entries {
            return Err(sqe);
        }
        let index = self.sq_local_tail & self.sq_mask;
        unsafe {
            self.sqes.add(index as usize).write(sqe);
            self.sq_array.add(index as usize).write(index);
        }
        self.sq_local_tail = self.sq_local_tail.wrapping_add(1);
        Ok(())
    }

    /// How many entries are written but not yet taken by the kernel:
    /// pushed since the last `submit_and_wait`, or left by one that the
    /// kernel answered before taking them all (`EBUSY`).
    pub fn pending(&self) -> u32 {
        // SAFETY: a pointer into our own mapping.
        let head = unsafe { (*self.sq_head).load(Ordering::Acquire) };
        self.sq_local_tail.wrapping_sub(head)
    }
    // ANCHOR_END: push

    // ANCHOR: enter
    /// Hands the pending entries to the kernel and waits until at least
    /// `wait_for` completions are in the ring, or `timeout` has passed
    /// (`None`: no limit). One system call, `io_uring_enter`. Returns how
    /// many entries the kernel took. A timeout, or a signal, ends the wait
    /// early without an error; the caller looks at the ring either way.
    pub fn submit_and_wait(
        &mut self,
        wait_for: u32,
        timeout: Option<Duration>,
    ) -> io::Result<u32> {
        let to_submit = self.pending();
        // Release: the entries and the array were written above, in
        // `push`; the kernel's acquire of the tail makes it see them.
        // SAFETY: a pointer into our own mapping.
        unsafe {
            (*self.sq_tail).store(self.sq_local_tail, Ordering::Release);
        }
        let mut flags = 0;
        if wait_for > 0 {
            flags |= IORING_ENTER_GETEVENTS;
        }
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs() as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let arg = GeteventsArg {
            sigmask: 0,
            sigmask_sz: 0,
            min_wait_usec: 0,
            ts: ts.as_ref().map_or(0, |ts| ptr::from_ref(ts) as u64),
        };
        flags |= IORING_ENTER_EXT_ARG;
        // SAFETY: `arg` and the timespec it points at live until the call
        // returns; the kernel only reads them.
        let taken = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                self.fd.as_raw_fd(),
                to_submit,
                wait_for,
                flags,
                &arg,
                size_of::<GeteventsArg>(),
            )
        };
        if taken < 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                // The time ran out, or a signal came, or the completion
                // ring is full and the kernel holds more (`EBUSY`): the
                // caller reaps what is there and comes back.
                Some(libc::ETIME | libc::EINTR | libc::EBUSY) => Ok(0),
                _ => Err(error),
            };
        }
        Ok(taken as u32)
    }
    // ANCHOR_END: enter

    // ANCHOR: reap
    /// Takes the oldest completion from the ring, if there is one.
    pub fn next_completion(&mut self) -> Option<Cqe> {
        // SAFETY (every deref below): pointers into our own mappings.
        let head = unsafe { (*self.cq_head).load(Ordering::Relaxed) };
        // Acquire: pairs with the kernel's release of the tail, so the
        // entry it wrote before moving the tail is there to read.
        let tail = unsafe { (*self.cq_tail).load(Ordering::Acquire) };
        if head == tail {
            return None;
        }
        let cqe =
            unsafe { self.cqes.add((head & self.cq_mask) as usize).read() };
        // Release: the entry is read before the kernel may reuse its slot.
        unsafe {
            (*self.cq_head).store(head.wrapping_add(1), Ordering::Release);
        }
        Some(cqe)
    }
}
// ANCHOR_END: reap
