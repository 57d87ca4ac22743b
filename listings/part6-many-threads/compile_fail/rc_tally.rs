//! A future that is not `Send`, spawned on the runtime with a worker per
//! core: it does not compile.
//!
//! `Tally` shares its counter with `main` through an `Rc`, whose count
//! is changed without atomic instructions and so must stay on one
//! thread. A worker could poll the task while `main` reads the counter
//! on another thread, so `spawn` refuses it with error E0277: `Rc<Cell<u32>>`
//! cannot be sent between threads safely.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use listings::many_threads::{block_on, spawn};

// ANCHOR: tally
/// A future that counts its polls in a counter shared with `main`.
struct Tally {
    polls: Rc<Cell<u32>>,
}

impl Future for Tally {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        Poll::Ready(self.polls.get())
    }
}

fn main() {
    let polls = Rc::new(Cell::new(0));
    let task = spawn(Tally {
        polls: Rc::clone(&polls),
    });
    block_on(task).unwrap();
    println!("polled {} times", polls.get());
}
// ANCHOR_END: tally
