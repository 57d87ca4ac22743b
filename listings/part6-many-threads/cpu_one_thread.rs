//! Eight tasks that only compute, on Part Four's runtime: one thread
//! runs them all, one after the other, and the process keeps one core
//! busy however many the machine has.

use listings::sturdy::{block_on, spawn};

include!("cpu_bound.rs");
