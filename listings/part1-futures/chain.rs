// ANCHOR: then
/// Runs `first`, then the future that `next` makes from its output.
enum Then<A, B, F> {
    /// Waiting for `first`. `next` is taken out, and called, only once
    /// `first` is ready; the `Option` lets it leave while the rest stays.
    First { first: A, next: Option<F> },
    /// Waiting for the future that `next` made.
    Second(B),
}

impl<A, B, F> Future for Then<A, B, F>
where
    A: Future + Unpin,
    B: Future + Unpin,
    F: FnOnce(A::Output) -> B + Unpin,
{
    type Output = B::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        loop {
            match &mut *self {
                Then::First { first, next } => {
                    let Poll::Ready(output) = Pin::new(first).poll(cx) else {
                        return Poll::Pending;
                    };
                    let next = next.take().expect("polled after completion");
                    *self = Then::Second(next(output));
                }
                Then::Second(second) => return Pin::new(second).poll(cx),
            }
        }
    }
}

/// Gives every future a `then` method, so that chains read left to right.
trait FutureExt: Future + Sized {
    fn then<B, F>(self, next: F) -> Then<Self, B, F>
    where
        F: FnOnce(Self::Output) -> B,
    {
        Then::First {
            first: self,
            next: Some(next),
        }
    }
}

impl<T: Future> FutureExt for T {}
// ANCHOR_END: then

// ANCHOR: chain
/// The Introduction's job as a chain. Each step is a closure that gets the
/// previous step's output and returns the next future, and each closure
/// that needs `n` takes its own copy. The return type spells out the whole
/// chain, which is why Clippy finds it complex.
#[allow(clippy::type_complexity)]
fn job_chain(
    n: usize,
) -> Then<
    Then<Ready<()>, Sleep, impl FnOnce(()) -> Sleep>,
    Ready<()>,
    impl FnOnce(()) -> Ready<()>,
> {
    // `ready(())` is a future that is ready at once. Starting the chain
    // with it puts the first `println!` into a closure, which runs on the
    // first poll and not when `job_chain` is called.
    ready(())
        .then(move |()| {
            println!("start {n}");
            sleep(Duration::from_secs(1))
        })
        .then(move |()| {
            println!("end {n}");
            ready(())
        })
}
// ANCHOR_END: chain
