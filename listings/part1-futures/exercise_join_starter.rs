//! Exercise: make `join2` run its two futures at once.
//!
//! Breakfast needs a kettle (one second) and a toaster (0.4 seconds), and
//! `join2` should run both and hand back both results. As written, it
//! awaits one future and then the other, so the toaster is switched on
//! only once the water has boiled. The runtime is Part One's: the timer
//! table and a `block_on` that sleeps until the next timer.

use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: exercise
/// Runs `a` and `b` at once, and is ready with both outputs when both are.
async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    // Wrong: `b` is not even polled until `a` has finished.
    let a = a.await;
    let b = b.await;
    (a, b)
}

async fn kettle() -> &'static str {
    println!("kettle on");
    sleep(Duration::from_millis(1000)).await;
    println!("kettle boiled");
    "hot water"
}

async fn toaster() -> u32 {
    println!("toaster on");
    sleep(Duration::from_millis(400)).await;
    println!("toast up");
    2
}

fn main() {
    let (water, slices) = block_on(join2(kettle(), toaster()));
    println!("breakfast: {water} and {slices} slices of toast");
}
// ANCHOR_END: exercise
