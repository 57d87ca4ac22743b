//! The same loop and the same fifty sleeps as `part4-round-down`, with the
//! time left until the next timer rounded up to whole milliseconds instead
//! of down (`listings::round_up`). `poll(2)` then never returns before the
//! deadline, and the loop goes round about once per sleep.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use listings::round_up::{TURNS, block_on, sleep};

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
