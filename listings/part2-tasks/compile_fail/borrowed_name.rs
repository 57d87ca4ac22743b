//! A task that borrows a local variable: it does not compile.
//!
//! `greet` takes a `&str`, so the future it returns holds that reference.
//! `spawn` wants a future that is `'static`, one that borrows nothing that
//! could go away while the task still runs, and the name is a local of
//! `borrowed_name`. The compiler refuses with error E0597: `name` does not
//! live long enough.

use std::time::Duration;

use listings::flag_executor::{block_on, spawn};
use listings::timers::sleep;

// The program: a task that greets a borrowed name.

fn main() {
    block_on(borrowed_name());
}

// ANCHOR: borrowed
/// The task would borrow `name`, which belongs to this function.
async fn borrowed_name() {
    let name = String::from("Ferris");
    let greeting = spawn(greet(&name));
    greeting.await;
}

/// Greets `name` after a moment.
async fn greet(name: &str) {
    sleep(Duration::from_millis(100)).await;
    println!("hello, {name}");
}
// ANCHOR_END: borrowed
