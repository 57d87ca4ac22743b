use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

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
