// ANCHOR: job
/// The Introduction's job number `n`, as a state machine. Each variant is
/// a place where the job can be between two polls, holding what it needs
/// from there on.
enum Job {
    /// Not polled yet.
    Start { n: usize },
    /// Printed "start", waiting for its sleep to end.
    Sleeping { n: usize, sleep: Sleep },
    /// Printed "end" and returned `Ready`.
    Done,
}

impl Future for Job {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Each turn of the loop moves the job on by one state, until it has
        // to wait (`Pending`) or is finished (`Ready`).
        loop {
            match &mut *self {
                Job::Start { n } => {
                    println!("start {n}");
                    let n = *n;
                    let sleep = sleep(Duration::from_secs(1));
                    *self = Job::Sleeping { n, sleep };
                }
                Job::Sleeping { n, sleep } => {
                    // Not over yet: the sleep has arranged a wake-up (or
                    // should have), so the job can say `Pending` too.
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    println!("end {n}");
                    *self = Job::Done;
                    return Poll::Ready(());
                }
                Job::Done => panic!("a job was polled after it finished"),
            }
        }
    }
}
// ANCHOR_END: job
