//! Two tasks that satisfy `spawn`'s bounds: `Send` and `'static`.
//!
//! The runtime is the one from `part2-ten-tasks`, `flag_executor`. The
//! first task gets a name of its own instead of a borrowed one, since a
//! task may outlive the function that spawned it. The next two share one
//! name through an `Arc`, whose counter is safe to touch from any thread,
//! so the futures that hold it are `Send`.

use std::sync::Arc;
use std::time::Duration;

use listings::flag_executor::{block_on, spawn};
use listings::timers::sleep;

// The program: a task with a name of its own, then two that share one.

fn main() {
    block_on(async {
        owned_name().await;
        shared_name().await;
    });
}

// ANCHOR: owned
/// The task gets a copy of the name, which lives as long as the task.
async fn owned_name() {
    let name = String::from("Ferris");
    let greeting = spawn(greet(name.clone()));
    greeting.await;
}

/// Greets `name` after a moment.
async fn greet(name: String) {
    sleep(Duration::from_millis(100)).await;
    println!("hello, {name}");
}
// ANCHOR_END: owned

// ANCHOR: shared
/// Two tasks share one name. The last of them to finish frees it.
async fn shared_name() {
    let name = Arc::new(String::from("Ferris"));
    let first = spawn(greet_twice(1, Arc::clone(&name)));
    let second = spawn(greet_twice(2, name));
    first.await;
    second.await;
}

/// Says hello, waits a moment, says goodbye: the future holds `name`
/// across the await.
async fn greet_twice(task: u32, name: Arc<String>) {
    println!("task {task}: hello, {name}");
    sleep(Duration::from_millis(100)).await;
    println!("task {task}: goodbye, {name}");
}
// ANCHOR_END: shared
