//! Part Three's event loop (`listings::every_task`), with the rounding of
//! Part Four's first step, serving a hundred connections that stay idle,
//! and one that does not.
//!
//! A hundred handler tasks wait for their clients to send something. Once
//! each has been polled and waits, one client sends a byte. The program counts how
//! often the handlers are polled: before the byte, and from the byte until
//! its handler has echoed it. Since every waker raises the same flag, and
//! `poll(2)` wakes every waiter whether its socket is ready or not, the
//! main loop polls every handler on every turn.

use listings::every_task::{block_on, read, spawn, write_all};

include!("hundred_idle.rs");
