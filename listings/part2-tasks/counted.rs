/// How many times the counted futures were polled, all of them together.
static POLLS: AtomicUsize = AtomicUsize::new(0);

/// Awaits `future`, counting every poll it receives.
async fn counted<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        POLLS.fetch_add(1, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}
