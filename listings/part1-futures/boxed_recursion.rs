//! A recursive `async fn`, with the recursive call boxed.
//!
//! `countdown(n)` prints `n`, sleeps and awaits `countdown(n - 1)`. Its
//! future would have to contain the future of the call it awaits, which is
//! of its own type; `Box::pin` puts that inner future on the heap, so the
//! outer one holds a pointer of fixed size. It prints 3, 2, 1 and
//! "liftoff" in well under a second.

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
    // The inner future lives on the heap; this one holds only a pointer.
    Box::pin(countdown(n - 1)).await;
}
// ANCHOR_END: countdown

fn main() {
    block_on(countdown(3));
}
