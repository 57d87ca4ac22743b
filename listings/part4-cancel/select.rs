use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;

// ANCHOR: select
/// Which of two futures finished first, with its output.
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Runs `a` and `b` at once, and is ready with the output of the first
/// to finish. The other is dropped unfinished, right there: it lives in
/// this future's state, which ends when the function returns.
async fn select<A: Future, B: Future>(
    a: A,
    b: B,
) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    // Both are polled with the same context, so that whichever can make
    // progress wakes the task. `a` is asked first: when both are ready in
    // the same poll, `a` wins.
    poll_fn(|cx| {
        if let Poll::Ready(output) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(output));
        }
        if let Poll::Ready(output) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(output));
        }
        Poll::Pending
    })
    .await
}
// ANCHOR_END: select
