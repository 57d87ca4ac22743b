//! Part Three's main loop with the sockets taken out, counting its turns
//! (`listings::round_down`).
//!
//! The main future sleeps for 1.5 ms, fifty times over. Whenever nothing
//! was woken, the main loop sleeps in `poll(2)` until the earliest timer is
//! due, and, as in `part3-poll-loop`, it rounds the time that is left down
//! to whole milliseconds. The program counts how often the loop goes round
//! and prints the count at the end.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use listings::round_down::{TURNS, block_on, sleep};

// ANCHOR: main
/// How many times the program sleeps, and for how long each time.
const SLEEPS: u32 = 50;
const SLEEP: Duration = Duration::from_micros(1500);

fn main() -> io::Result<()> {
    block_on(async {
        for _ in 0..SLEEPS {
            sleep(SLEEP).await;
        }
    })?;
    println!("{SLEEPS} sleeps of {SLEEP:?}");
    println!("turns of the main loop: {}", TURNS.load(Ordering::Relaxed));
    Ok(())
}
// ANCHOR_END: main
