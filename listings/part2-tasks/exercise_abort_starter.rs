//! Exercise: give `JoinHandle` an `abort` method that cancels its task.
//!
//! Two downloads run as tasks on Part Two's flag runtime. Once the small
//! file is there, the huge one is no longer needed, and `main` aborts its
//! task. Awaiting an aborted task's handle gives `None`, and the task's
//! future must be dropped, unfinished, so that the huge file never
//! arrives. `abort` is not written yet.

use std::collections::BTreeMap;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

// The runtime: tasks and their join handles, a waker that raises a flag,
// the timer table, and a main loop that polls everything on every turn.

/// A spawned task: a future that returns nothing, boxed so that tasks of
/// different types fit in one list, and pinned because it will be polled.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks spawned since the main loop last looked. `spawn` pushes here, and
/// the main loop moves them into the list it polls.
static SPAWNED: Mutex<Vec<Task>> = Mutex::new(Vec::new());

/// "Someone was woken, poll again." Every waker sets it; the main loop
/// clears it before each round of polls and reads it after.
static WOKEN: AtomicBool = AtomicBool::new(false);

/// The timer table: when to wake whom. Keys are (deadline, timer id), so
/// the first entry is always the earliest deadline, and two sleeps that end
/// at the same instant still get an entry each.
static TIMERS: Mutex<BTreeMap<(Instant, u64), Waker>> =
    Mutex::new(BTreeMap::new());

/// Hands out the timer ids used as the second half of the keys above.
static NEXT_TIMER_ID: AtomicU64 = AtomicU64::new(0);

/// The one waker that every task shares. Since the main loop polls every
/// task on every turn, waking only has to say that a turn is needed.
struct FlagWaker;

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        WOKEN.store(true, Ordering::SeqCst);
    }
}

/// What a task shares with its `JoinHandle`: the output once the task has
/// one, and the waker of whoever awaits the handle.
struct JoinState<T> {
    output: Option<T>,
    waker: Option<Waker>,
}

/// Awaiting it gives the output of the spawned future, or `None` if the
/// task was aborted before it finished.
struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

/// Starts `future` as a task of its own, polled by the main loop.
fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(Mutex::new(JoinState {
        output: None,
        waker: None,
    }));
    let task_state = Arc::clone(&state);
    let task = async move {
        let output = future.await;
        // Store the output, then wake the awaiting task, if there is one
        // yet. The waker is taken out first so that it runs after the lock
        // is released.
        let waker = {
            let mut state = task_state.lock().unwrap();
            state.output = Some(output);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    SPAWNED.lock().unwrap().push(Box::pin(task));
    // The new task needs its first poll.
    WOKEN.store(true, Ordering::SeqCst);
    JoinHandle { state }
}

// ANCHOR: exercise
impl<T> JoinHandle<T> {
    /// Stops the task: its future is dropped unfinished, and awaiting the
    /// handle gives `None`. A task that has already finished keeps its
    /// output.
    fn abort(&self) {
        todo!("stop the task, and make the handle give None")
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(Some(output)),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: exercise

/// A future that is ready once its deadline has passed.
struct Sleep {
    deadline: Instant,
    id: u64,
}

fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        id: NEXT_TIMER_ID.fetch_add(1, Ordering::Relaxed),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Insert, or replace the waker of an earlier poll: the latest waker
        // is the one that must be woken.
        let key = (self.deadline, self.id);
        TIMERS.lock().unwrap().insert(key, cx.waker().clone());
        Poll::Pending
    }
}

/// Runs `future` to completion, polling spawned tasks along the way.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(FlagWaker));
    let mut cx = Context::from_waker(&waker);
    let mut main = pin!(future);
    let mut tasks: Vec<Task> = Vec::new();
    loop {
        // Clear the flag before polling, so that a wake-up that happens
        // during the polls below is still there when we look afterwards.
        WOKEN.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
            return output;
        }
        // Poll every task, new ones included, and drop those that are done.
        tasks.append(&mut SPAWNED.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        // If nobody was woken, nothing can happen before the next timer.
        if !WOKEN.load(Ordering::SeqCst) {
            sleep_until_next_timer();
        }
        wake_due_timers();
    }
}

/// Puts the thread to sleep until the earliest deadline in the table.
fn sleep_until_next_timer() {
    let next = TIMERS.lock().unwrap().keys().next().map(|&(at, _)| at);
    match next {
        Some(at) => thread::sleep(at.saturating_duration_since(Instant::now())),
        None => panic!("every task waits, and nothing will ever wake one"),
    }
}

/// Removes every timer whose deadline has passed and wakes its task.
fn wake_due_timers() {
    let due = {
        let mut timers = TIMERS.lock().unwrap();
        // `split_off` keeps the keys below (now, u64::MAX) in `timers` and
        // returns the rest: the due timers stay, the later ones go back.
        let later = timers.split_off(&(Instant::now(), u64::MAX));
        mem::replace(&mut *timers, later)
    };
    // Wake only after the lock is released: a waker is someone else's code,
    // and if it set a timer of its own it would wait for `TIMERS` forever.
    for waker in due.into_values() {
        waker.wake();
    }
}

// ANCHOR: program
/// Downloads the file `name`, which takes `takes`, and returns its name.
async fn download(name: &'static str, takes: Duration) -> &'static str {
    println!("{name}: started");
    sleep(takes).await;
    println!("{name}: done");
    name
}

fn main() {
    block_on(async {
        let small = spawn(download("small file", Duration::from_millis(100)));
        let huge = spawn(download("huge file", Duration::from_millis(1000)));
        let file = small.await.expect("nobody aborted the small file");
        println!("got the {file}, so the huge file is not needed");
        huge.abort();
        match huge.await {
            Some(file) => println!("got the {file} all the same"),
            None => println!("the huge file's task was aborted"),
        }
        // Time enough for the huge file to arrive, had it not been aborted.
        sleep(Duration::from_millis(1000)).await;
        println!("the end");
    });
}
// ANCHOR_END: program
