//! The runtime of `listings::only_ready` polls only the tasks that were
//! woken, and `poll(2)` wakes only the tasks whose sockets are ready.
//!
//! Each task is its own waker, and waking a task puts it on a ready queue,
//! once however often it is woken before its next poll. A future that
//! meets `WouldBlock` registers its waker for its socket and direction, and
//! the registration stays until `poll(2)` reports that socket ready in that
//! direction. The program is `part4-every-task`'s: a hundred idle
//! connections, one byte, and the handlers' polls counted.

use listings::only_ready::{block_on, read, spawn, write_all};

include!("hundred_idle.rs");
