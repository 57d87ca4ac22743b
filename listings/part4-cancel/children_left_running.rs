//! A parent that starts three children and gives up on them after 0.2
//! seconds. It drops their join handles, and the children run on.

use std::time::Duration;

use listings::abortable::{block_on, sleep, spawn};

include!("select.rs");

fn main() {
    block_on(async {
        // ANCHOR: parent
        let parent = async {
            let children: Vec<_> = (0..3).map(|n| spawn(child(n))).collect();
            println!("parent: {} children at work", children.len());
            for child in children {
                child.await;
            }
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
