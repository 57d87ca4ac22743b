/// The error of a future that ran out of time.
#[derive(Debug)]
struct TimedOut;

/// `future`, given at most `limit` to finish, held in the `Timeout` itself
/// rather than in a box.
struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(limit),
    }
}
