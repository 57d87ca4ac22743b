fn main() {
    let start = Instant::now();
    let (queue, ready) = mpsc::channel();
    let spawner = Spawner { queue };
    spawner.spawn(ticker(start));
    spawner.spawn(cruncher(start));
    drop(spawner);
    run(ready);
}

/// Ticks ten times, every tenth of a second after `start`. Each deadline
/// is counted from `start`, so a late tick does not delay the next ones.
async fn ticker(start: Instant) {
    for n in 1..=10 {
        let deadline = start + Duration::from_millis(100 * n);
        sleep(deadline.saturating_duration_since(Instant::now())).await;
        println!("tick {n} at {} ms", start.elapsed().as_millis());
    }
}

/// Work that keeps the thread busy for 550 ms and then returns a result.
/// `thread::sleep` stands for any such work: a long computation, a
/// blocking read, a name lookup.
fn crunch() -> u64 {
    thread::sleep(Duration::from_millis(550));
    42
}
