//! Three tasks accept on one shared listener, on the sturdy runtime
//! (`listings::sturdy`), which remembers every task that waits on a
//! socket and wakes them all.

use listings::sturdy::{Async, block_on, sleep, spawn};

include!("one_listener.rs");
