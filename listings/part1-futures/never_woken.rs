//! Ten jobs that wait without blocking, and a sleep that nobody wakes.
//!
//! Each job is now a state machine: its first poll prints "start", creates
//! a `Sleep` and returns `Pending`; a later poll, once the sleep is over,
//! prints "end". But `Sleep` breaks the rule of `poll`: it says `Pending`
//! without arranging for anyone to call its waker. The executor, which
//! parks the thread until a waker unparks it, parks forever. The program
//! prints ten "start" lines and hangs, using next to no CPU.

include!("own_sleep.rs");

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            Poll::Ready(())
        } else {
            // Wrong: nothing will ever ask for another poll.
            Poll::Pending
        }
    }
}
// ANCHOR_END: sleep

include!("job.rs");

fn main() {
    block_on(join((0..10).map(|n| Job::Start { n })));
}
