//! The same loop and the same fifty sleeps as `part4-round-down`, with the
//! time left until the next timer rounded up to whole milliseconds instead
//! of down (`listings::round_up`). `poll(2)` then never returns before the
//! deadline, and the loop goes round about once per sleep.

use listings::round_up::{TURNS, block_on, sleep};

include!("fifty_sleeps.rs");
