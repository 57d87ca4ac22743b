//! The run queues of a runtime with several workers: a local queue for
//! each worker, one global queue for tasks woken outside any worker, and
//! stealing, so that no worker idles while another has a backlog.
//!
//! Each queue is a `VecDeque` behind a lock of its own. A worker takes
//! its own lock for nearly every push and pop, and nobody else takes it
//! unless that worker has more than it can run: the locks are almost
//! never contended. Tokio's queues do the same job without locks (a ring
//! buffer of atomics); these are the simple version of that design.
//!
//! ```
//! use listings::work_stealing::queues::Queues;
//!
//! let queues: Queues<&str> = Queues::new(2);
//! queues.push_local(0, "a");
//! queues.push_local(0, "b");
//! queues.push_global("from outside");
//! assert!(queues.has_work());
//!
//! // Worker 1 has nothing of its own: it steals half of worker 0's queue.
//! assert_eq!(queues.pop_local(1), None);
//! assert_eq!(queues.steal(1), Some("a"));
//! assert_eq!(queues.pop_global(), Some("from outside"));
//! assert_eq!(queues.pop_local(0), Some("b"));
//! assert!(!queues.has_work());
//! ```

use std::collections::VecDeque;

// std's lock, or loom's when the model checker runs these queues.
use super::locks::Mutex;

// ANCHOR: queues
/// A local queue per worker and a global one. `T` is what is queued: the
/// runtime queues tasks, the model checker numbers.
pub struct Queues<T> {
    /// Items queued by threads that are not workers (the main thread, a
    /// blocking job's thread), for any worker to take.
    global: Mutex<VecDeque<T>>,
    /// Worker `i`'s own queue: it pushes at the back and pops at the
    /// front, and thieves take from the front too.
    locals: Vec<Mutex<VecDeque<T>>>,
}

impl<T> Queues<T> {
    /// Empty queues for `workers` workers.
    pub fn new(workers: usize) -> Queues<T> {
        Queues {
            global: Mutex::new(VecDeque::new()),
            locals: (0..workers).map(|_| Mutex::new(VecDeque::new())).collect(),
        }
    }

    /// Queues `item` on `worker`'s own queue.
    pub fn push_local(&self, worker: usize, item: T) {
        self.locals[worker].lock().unwrap().push_back(item);
    }

    /// Queues `item` for any worker.
    pub fn push_global(&self, item: T) {
        self.global.lock().unwrap().push_back(item);
    }

    /// The oldest item of `worker`'s own queue.
    pub fn pop_local(&self, worker: usize) -> Option<T> {
        self.locals[worker].lock().unwrap().pop_front()
    }

    /// The oldest item of the global queue.
    pub fn pop_global(&self) -> Option<T> {
        self.global.lock().unwrap().pop_front()
    }

    /// Whether any queue holds an item: what an idle worker checks, with
    /// its sleep's lock held, before it goes to sleep.
    pub fn has_work(&self) -> bool {
        !self.global.lock().unwrap().is_empty()
            || self.locals.iter().any(|q| !q.lock().unwrap().is_empty())
    }
}
// ANCHOR_END: queues

// ANCHOR: steal
impl<T> Queues<T> {
    /// Takes half the items (rounded up) of the first other worker that
    /// has any, starting with the thief's neighbour: the oldest is
    /// returned to run now, the others go to the thief's own queue.
    /// Taking half, not one, means a thief that found a backlog does not
    /// come back for every item of it.
    pub fn steal(&self, thief: usize) -> Option<T> {
        let workers = self.locals.len();
        for offset in 1..workers {
            let victim = (thief + offset) % workers;
            // One lock at a time, never two: the victim's is released
            // before the thief's own is taken, so two thieves robbing
            // each other cannot deadlock. Meanwhile the stolen items are
            // in `loot`, in no queue, but held: none is lost.
            let mut loot = {
                let mut queue = self.locals[victim].lock().unwrap();
                let half = queue.len().div_ceil(2);
                queue.drain(..half).collect::<VecDeque<T>>()
            };
            let Some(first) = loot.pop_front() else {
                continue;
            };
            self.locals[thief].lock().unwrap().extend(loot);
            return Some(first);
        }
        None
    }
}
// ANCHOR_END: steal
