//! The runtime of `part4-only-ready` with `spawn_blocking`, which runs a
//! job on a thread of its own, and a main loop that does not hear about it
//! (`listings::no_doorbell`).
//!
//! Part Three's server and ten clients, with each connection's second
//! split in two: half a second on a timer, then half a second of blocking
//! work on a thread. When the work is done, the thread wakes the task,
//! which puts it on the ready queue. But the main loop is asleep in
//! `poll(2)`, with no timer left and nothing to read on any socket, and
//! nothing tells it to look at the queue. The program prints the ten
//! `start` lines and then hangs.

use listings::no_doorbell::{
    accept, block_on, read, sleep, spawn, spawn_blocking, write_all,
};

include!("half_blocking.rs");
