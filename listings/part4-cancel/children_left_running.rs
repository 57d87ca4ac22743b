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
        // And one more turn of the loop. On a machine too busy to run this
        // program for most of a second, a child's timer and this one come
        // due together, and the child runs only once this future has let
        // the loop take another turn.
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                return std::task::Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await;
    })
    .unwrap();
}

include!("child.rs");
