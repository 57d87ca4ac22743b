//! A program under test, the one way the test suite and the benchmarks
//! start, watch, stop and measure the processes they run.
//!
//! - [`network`]: a private network namespace for a program, or for a
//!   thread of ours that talks to it;
//! - [`limits`]: limits on descriptors and processes;
//! - [`running`]: a started program, killed when dropped, and how it ran
//!   ([`Run`]);
//! - [`wait`]: polling for a condition until a deadline;
//! - [`inspect`]: what the kernel shows of a live process in `/proc`: its
//!   state, threads, descriptors, memory, CPU time, listening sockets;
//! - [`machine`]: what `/proc` shows of the whole machine.
//!
//! Everything read from `/proc` is parsed by the `procfs` crate, in this
//! one place.

pub mod inspect;
pub mod limits;
pub mod machine;
pub mod network;
pub mod running;
pub mod wait;

mod exec_time;
mod output;
mod reap;

pub use network::{
    in_network_of, isolate_network, isolate_this_process, join_network_of,
};
pub use running::{
    Input, Output, Run, Running, run_measured, run_on_its_own_time,
};
pub use wait::{
    wait_for, wait_for_listening_port, wait_until, wait_until_listening,
};
