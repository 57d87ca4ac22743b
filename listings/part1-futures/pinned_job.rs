//! An `async` block that borrows from itself, polled by hand and then
//! handed on, pinned.
//!
//! The block keeps a reference into one of its own locals across an
//! `.await`, so its future must not move once it has been polled. `pin!`
//! puts it where it stays, and what is handed on to `block_on` is a pinned
//! reference to it. It prints "start 0" on the first poll and "end 0" a
//! second later.

use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: main
fn main() {
    let job = async {
        let lines = [String::from("start 0"), String::from("end 0")];
        // `end` points into `lines`, which lives inside this future, and
        // it is still needed after the `.await`: the future borrows from
        // itself.
        let [start, end] = &lines;
        println!("{start}");
        sleep(Duration::from_secs(1)).await;
        println!("{end}");
    };
    // `pin!` moves the future to a place it will never leave (a hidden
    // local of `main`) and gives back a `Pin<&mut _>` to it.
    let mut job = pin!(job);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(job.as_mut().poll(&mut cx).is_pending());
    println!("polled once by hand, now handing it to block_on");
    // Only the pinned reference moves into `block_on`; the future stays.
    block_on(job);
}
// ANCHOR_END: main
