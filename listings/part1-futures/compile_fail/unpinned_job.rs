//! `part1-pinned-job` without `pin!`: it does not compile.
//!
//! `Pin::new` pins only values that are `Unpin`, values that may move at
//! any time because nothing points into them. The future of an `async`
//! block that holds a borrow of its own locals across an `.await` is not
//! `Unpin`, so the compiler refuses with error E0277.

use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::Duration;

use listings::timer_block_on::block_on;
use listings::timers::sleep;

// ANCHOR: main
fn main() {
    let mut job = async {
        let lines = [String::from("start 0"), String::from("end 0")];
        // `end` points into `lines`, which lives inside this future, and
        // it is still needed after the `.await`: the future borrows from
        // itself.
        let [start, end] = &lines;
        println!("{start}");
        sleep(Duration::from_secs(1)).await;
        println!("{end}");
    };
    let mut cx = Context::from_waker(Waker::noop());
    // As `part1-thread-timer` did with its timer: poll by hand, then move.
    assert!(Pin::new(&mut job).poll(&mut cx).is_pending());
    println!("polled once by hand, now handing it to block_on");
    block_on(job);
}
// ANCHOR_END: main
