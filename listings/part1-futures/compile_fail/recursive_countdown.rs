//! `part1-boxed-recursion` without the box: it does not compile.
//!
//! The future of `countdown` holds the future of the `countdown` it awaits,
//! which holds another, and so on: a type of infinite size. The compiler
//! refuses with error E0733 and suggests `Box::pin`.

use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: countdown
/// Counts down from `n`, a fifth of a second per step.
async fn countdown(n: u32) {
    if n == 0 {
        println!("liftoff");
        return;
    }
    println!("{n}");
    sleep(Duration::from_millis(200)).await;
    countdown(n - 1).await;
}
// ANCHOR_END: countdown

fn main() {
    block_on(countdown(3));
}
