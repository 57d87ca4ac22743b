//! Tasks on the workers, each awaiting one job after another on threads
//! of their own: every job's end wakes a task from a thread that is no
//! worker, through the global queue and a sleeping worker or the
//! doorbell. A wake-up lost on the way would leave its task waiting, and
//! the program would never end.

use listings::many_threads::{block_on, spawn, spawn_blocking};

const TASKS: u64 = 8;
const JOBS_PER_TASK: u64 = 250;

// ANCHOR: main
fn main() {
    let total = block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                spawn(async move {
                    let mut sum = 0;
                    for j in 0..JOBS_PER_TASK {
                        let job = t * JOBS_PER_TASK + j;
                        sum += spawn_blocking(move || job).await;
                    }
                    sum
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await;
        }
        total
    })
    .unwrap();
    let jobs = TASKS * JOBS_PER_TASK;
    println!("{jobs} jobs, each on a thread of its own, each awaited");
    println!("sum of their results: {total} (0 + 1 + ... + {})", jobs - 1);
    assert_eq!(total, jobs * (jobs - 1) / 2);
}
// ANCHOR_END: main
