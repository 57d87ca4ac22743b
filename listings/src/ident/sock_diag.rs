//! Who owns a TCP connection, asked of Linux about that one socket: a
//! request over a netlink socket of the `sock_diag` family, the interface
//! the `ss` command uses, and one reply. The kernel finds the socket in its
//! hash table of connections, so the answer costs the same with ten
//! sockets or twenty thousand.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use listings::ident::sock_diag::owner_uid;
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
//! let (here, there) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
//! let me = unsafe { libc::getuid() };
//! assert_eq!(owner_uid(here, there).unwrap(), Some(me));
//! // The same two ports the other way round: the server's end, also ours.
//! assert_eq!(owner_uid(there, here).unwrap(), Some(me));
//! // A port on which nothing is connected to us.
//! let nowhere = "127.0.0.1:9".parse().unwrap();
//! assert_eq!(owner_uid(here, nowhere).unwrap(), None);
//! ```

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

// ANCHOR: request
// The messages, as <linux/inet_diag.h> and <linux/netlink.h> lay them
// out. Every field is an integer, so any bytes the kernel sends are a
// valid value of each.

/// Asks for the sockets of one address family: `SOCK_DIAG_BY_FAMILY`.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// A socket's state, as TCP numbers them: 1 is `ESTABLISHED`.
const TCP_ESTABLISHED: u8 = 1;

/// One socket, named by its two ends (`inet_diag_sockid`). Ports and
/// addresses are in network byte order; an IPv4 address fills the first
/// four bytes of its field.
#[repr(C)]
#[derive(Clone, Copy)]
struct SocketId {
    local_port: [u8; 2],
    remote_port: [u8; 2],
    local: [u8; 16],
    remote: [u8; 16],
    interface: u32,
    /// A socket's identity in the kernel; all ones, "any", when asking.
    cookie: [u32; 2],
}

/// The request (`inet_diag_req_v2`), after its netlink header.
#[repr(C)]
struct Request {
    header: libc::nlmsghdr,
    family: u8,
    protocol: u8,
    extensions: u8,
    padding: u8,
    states: u32,
    socket: SocketId,
}

// ANCHOR_END: request

// ANCHOR: reply
/// A reply: a socket's description (`inet_diag_msg`), or an error.
#[repr(C)]
struct Reply {
    header: libc::nlmsghdr,
    body: ReplyBody,
}

#[repr(C)]
union ReplyBody {
    socket: SocketInfo,
    /// `nlmsgerr`'s first field: 0, or an errno, negated.
    error: i32,
}

/// What the kernel says of one socket (`inet_diag_msg`).
#[repr(C)]
#[derive(Clone, Copy)]
struct SocketInfo {
    family: u8,
    state: u8,
    timer: u8,
    retransmits: u8,
    socket: SocketId,
    expires: u32,
    read_queue: u32,
    write_queue: u32,
    uid: u32,
    inode: u32,
}
// ANCHOR_END: reply

// ANCHOR: ask
/// The user id of the owner of the established TCP connection between
/// `local` and `remote` on this machine, if there is one.
pub fn owner_uid(
    local: SocketAddr,
    remote: SocketAddr,
) -> io::Result<Option<u32>> {
    let (family, local, remote) = as_the_kernel_keeps(local, remote);
    let request = Request {
        header: libc::nlmsghdr {
            nlmsg_len: mem::size_of::<Request>() as u32,
            nlmsg_type: SOCK_DIAG_BY_FAMILY,
            nlmsg_flags: libc::NLM_F_REQUEST as u16,
            nlmsg_seq: 1,
            nlmsg_pid: 0,
        },
        family,
        protocol: libc::IPPROTO_TCP as u8,
        extensions: 0,
        padding: 0,
        states: !0,
        socket: SocketId {
            local_port: local.port().to_be_bytes(),
            remote_port: remote.port().to_be_bytes(),
            local: address_bytes(local.ip()),
            remote: address_bytes(remote.ip()),
            interface: 0,
            cookie: [!0; 2],
        },
    };
    let reply = exchange(&request)?;
    // SAFETY: every field of both members is an integer, so any bytes
    // are a valid value of either; the header says which one was sent.
    unsafe {
        match i32::from(reply.header.nlmsg_type) {
            libc::NLMSG_ERROR if reply.body.error == -libc::ENOENT => Ok(None),
            libc::NLMSG_ERROR => {
                Err(io::Error::from_raw_os_error(-reply.body.error))
            }
            _ if reply.body.socket.state == TCP_ESTABLISHED => {
                Ok(Some(reply.body.socket.uid))
            }
            // Closed, and waiting out TIME_WAIT: nobody owns it.
            _ => Ok(None),
        }
    }
}

// ANCHOR_END: ask

// ANCHOR: addresses
/// The family to ask and the two ends as the kernel files them. A
/// connection between IPv4 addresses is filed under them, even when an
/// IPv6 socket made it to a v4-mapped address (`::ffff:127.0.0.1`), so
/// mapped addresses are asked about as the IPv4 addresses they map.
fn as_the_kernel_keeps(
    local: SocketAddr,
    remote: SocketAddr,
) -> (u8, SocketAddr, SocketAddr) {
    let plain = |address: SocketAddr| match address.ip() {
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), address.port()),
            None => address,
        },
        IpAddr::V4(_) => address,
    };
    match (plain(local), plain(remote)) {
        (local @ SocketAddr::V4(_), remote @ SocketAddr::V4(_)) => {
            (libc::AF_INET as u8, local, remote)
        }
        _ => (libc::AF_INET6 as u8, local, remote),
    }
}

/// An address in the request's 16 bytes, in network byte order.
fn address_bytes(ip: IpAddr) -> [u8; 16] {
    let mut bytes = [0; 16];
    match ip {
        IpAddr::V4(ip) => bytes[..4].copy_from_slice(&ip.octets()),
        IpAddr::V6(ip) => bytes = ip.octets(),
    }
    bytes
}
// ANCHOR_END: addresses

// ANCHOR: exchange
/// Sends `request` to the kernel's `sock_diag` and returns its one reply.
fn exchange(request: &Request) -> io::Result<Reply> {
    // SAFETY: plain system call; the descriptor it returns is ours alone.
    let socket = unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        OwnedFd::from_raw_fd(fd)
    };
    // SAFETY: `request` is valid for reading for its whole size.
    let sent = unsafe {
        libc::send(
            socket.as_raw_fd(),
            (request as *const Request).cast(),
            mem::size_of::<Request>(),
            0,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut reply = MaybeUninit::<Reply>::zeroed();
    // SAFETY: `reply` is valid for writing for its whole size; a longer
    // message is cut to it (a socket's description may carry attributes
    // after the part we read).
    let received = unsafe {
        libc::recv(
            socket.as_raw_fd(),
            reply.as_mut_ptr().cast(),
            mem::size_of::<Reply>(),
            0,
        )
    };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    // A reply too short to hold its header, and an error, is not one.
    let least = mem::size_of::<libc::nlmsghdr>() + mem::size_of::<i32>();
    if (received as usize) < least {
        return Err(io::Error::other("a short reply from sock_diag"));
    }
    // SAFETY: zeroed, then partly overwritten by the kernel: integers
    // throughout, so every byte pattern is a valid `Reply`.
    Ok(unsafe { reply.assume_init() })
}
// ANCHOR_END: exchange
