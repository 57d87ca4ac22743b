//! Exercise: write `race`, which finishes with whichever future is ready
//! first and drops the other.
//!
//! The same file is on two mirrors, a near one that answers after 0.3
//! seconds and a far one that takes a second. The program asks both and
//! takes the first answer. The runtime is Part One's: the timer table and
//! a `block_on` that sleeps until the next timer.

use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: exercise
/// Runs `a` and `b` at once, and is ready with the output of the first one
/// to finish. The other one is dropped unfinished.
async fn race<T>(
    _a: impl Future<Output = T>,
    _b: impl Future<Output = T>,
) -> T {
    todo!("poll both, and finish with the first output there is")
}

async fn fetch(mirror: &str, takes: Duration) -> String {
    println!("asking the {mirror} mirror");
    sleep(takes).await;
    println!("the {mirror} mirror answered");
    format!("the file, from the {mirror} mirror")
}

fn main() {
    let near = fetch("near", Duration::from_millis(300));
    let far = fetch("far", Duration::from_millis(1000));
    let file = block_on(race(near, far));
    println!("got {file}");
}
// ANCHOR_END: exercise
