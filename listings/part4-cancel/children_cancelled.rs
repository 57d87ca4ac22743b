//! The same parent with its children in a `TaskGroup`: giving up drops
//! the group, and the group aborts the children.

use std::mem;
use std::time::Duration;

use listings::abortable::{JoinHandle, block_on, sleep, spawn};

include!("select.rs");
include!("task_group.rs");
include!("wait_all.rs");

fn main() {
    block_on(async {
        // ANCHOR: parent
        let parent = async {
            let children = TaskGroup::new();
            for n in 0..3 {
                children.spawn(child(n));
            }
            println!("parent: {} children at work", children.len());
            children.wait_all().await;
        };
        match select(parent, sleep(Duration::from_millis(200))).await {
            Either::Left(()) => println!("parent: all children done"),
            Either::Right(()) => println!("parent: gave up after 0.2 s"),
        }
        // ANCHOR_END: parent
        // Time for the children to finish, if anything still runs them.
        sleep(Duration::from_secs(1)).await;
    })
    .unwrap();
}

include!("child.rs");
