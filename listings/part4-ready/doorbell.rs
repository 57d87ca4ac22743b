//! The runtime of `part4-no-doorbell` with a doorbell: a descriptor in
//! the poll set that any thread can make readable, to wake the main loop
//! (`listings::doorbell`).
//!
//! A waker that queues a task while the main loop sleeps in `poll(2)`, or
//! is about to, rings the doorbell, and `poll(2)` returns. The program is
//! the same: Part Three's server and ten clients, each connection's second
//! spent half on a timer and half in blocking work on a thread. Now it
//! ends after about a second, and prints the slowest wake-up, from the end
//! of a blocking job to its task running again.

use listings::doorbell::{
    accept, block_on, read, sleep, spawn, spawn_blocking, write_all,
};

include!("half_blocking.rs");
