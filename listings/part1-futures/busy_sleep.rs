//! Ten jobs whose sleep keeps the rule of `poll` in the crudest way.
//!
//! The same program as `part1-never-woken`, with one change: before it
//! says `Pending`, `Sleep` calls its own waker. The executor's thread is
//! unparked at once and polls again, and again, until the second is over.
//! The output is right and comes after about one second, but the thread
//! never rests: for the whole second it keeps one core busy.

include!("own_sleep.rs");

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // "Poll me again." Nothing else knows when the deadline passes, so
        // the sleep asks for another poll straight away: busy waiting.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: sleep

include!("job.rs");

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
