//! A peer floods one connection while a ticker asks to run every ten
//! milliseconds, on the sturdy runtime (`listings::sturdy`), where a task
//! yields after a budget of socket operations.

use listings::sturdy::{Async, block_on, sleep, spawn};

include!("flood.rs");
