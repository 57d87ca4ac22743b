//! Part Three's main loop with the sockets taken out, counting its turns
//! (`listings::round_down`).
//!
//! The main future sleeps for 1.5 ms, fifty times over. Whenever nothing
//! was woken, the main loop sleeps in `poll(2)` until the earliest timer is
//! due, and, as in `part3-poll-loop`, it rounds the time that is left down
//! to whole milliseconds. The program counts how often the loop goes round
//! and prints the count at the end.

use listings::round_down::{TURNS, block_on, sleep};

include!("fifty_sleeps.rs");
