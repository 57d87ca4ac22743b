/// The Introduction's job number `n`.
async fn job(n: usize) {
    println!("start {n}");
    sleep(Duration::from_secs(1)).await;
    println!("end {n}");
}

// ANCHOR: main
/// Runs job `n` with a time limit and says how it went.
async fn job_with_limit(n: usize, limit: Duration) {
    match timeout(limit, job(n)).await {
        Ok(()) => println!("job {n} finished in time"),
        // The `Timeout`, and the job inside it, were dropped when the
        // `.await` above finished: the job stopped at its own `.await`.
        Err(TimedOut) => println!("job {n} timed out"),
    }
}

fn main() {
    block_on(join([
        job_with_limit(0, Duration::from_secs(2)),
        job_with_limit(1, Duration::from_millis(300)),
    ]));
}
// ANCHOR_END: main
