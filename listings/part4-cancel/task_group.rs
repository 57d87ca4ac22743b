use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::Waker;

// ANCHOR: members
/// Tasks that belong to one owner. Dropping the group aborts every member
/// still running, wherever it waits.
struct TaskGroup {
    members: Arc<Mutex<Members>>,
}

/// The members still running, by number, and whoever waits for them all.
#[derive(Default)]
struct Members {
    running: BTreeMap<u64, JoinHandle<()>>,
    next: u64,
    waiter: Option<Waker>,
}

/// Lives in a member's future, and takes the member out of the group
/// when that future ends: finished, panicked or aborted.
struct Leave {
    members: Arc<Mutex<Members>>,
    number: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let (handle, waiter) = {
            let mut members = self.members.lock().unwrap();
            let handle = members.running.remove(&self.number);
            let last = members.running.is_empty();
            (handle, if last { members.waiter.take() } else { None })
        };
        // Dropped, not aborted: the task is ending already.
        drop(handle);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

// ANCHOR_END: members

// ANCHOR: group
impl TaskGroup {
    fn new() -> TaskGroup {
        TaskGroup {
            members: Arc::default(),
        }
    }

    /// Starts `future` as a task of the group.
    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let mut members = self.members.lock().unwrap();
        let number = members.next;
        members.next += 1;
        let leave = Leave {
            members: Arc::clone(&self.members),
            number,
        };
        // `spawn` only queues the task, which cannot end, and leave,
        // before its handle is in the group.
        let handle = spawn(async move {
            let _leave = leave;
            future.await;
        });
        members.running.insert(number, handle);
    }

    /// How many members are still running.
    fn len(&self) -> usize {
        self.members.lock().unwrap().running.len()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        // Taken out under the lock, aborted after it: aborting a member
        // drops its future, and its `Leave` locks the members.
        let running = mem::take(&mut self.members.lock().unwrap().running);
        for handle in running.into_values() {
            handle.abort();
        }
    }
}
// ANCHOR_END: group
