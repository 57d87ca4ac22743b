use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use listings::join::join;
use listings::park_block_on::block_on;

// ANCHOR: sleep
/// A future that is ready once its deadline has passed.
struct Sleep {
    deadline: Instant,
}

fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}
