//! A peer floods one connection while a ticker asks to run every ten
//! milliseconds, on the runtime as the previous chapter left it
//! (`listings::fragile`), where a task runs until it waits.

use listings::fragile::{Async, block_on, sleep, spawn};

include!("flood.rs");
