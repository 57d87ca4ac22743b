// The same program on either runtime: tasks that keep a core busy and
// never wait, and what the process used in wall time and CPU time. The
// program that includes this part chooses the runtime on its first line.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

/// How many tasks, and how much CPU time each one burns. The work is
/// measured in CPU time, not in loop iterations, so that it is the same
/// in a debug build, a release build and on the Playground.
const TASKS: u32 = 8;
const CPU_PER_TASK: Duration = Duration::from_millis(125);

// ANCHOR: main
fn main() {
    let wall_start = Instant::now();
    let cpu_start = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID);
    let mut per_thread: BTreeMap<String, Duration> = BTreeMap::new();
    block_on(async {
        // One task spawns the others, so that they start out in one
        // place: on many threads, in one worker's own queue.
        let spawner = spawn(async {
            (0..TASKS).map(|n| spawn(busy(n))).collect::<Vec<_>>()
        });
        for task in spawner.await {
            let (thread, cpu) = task.await;
            *per_thread.entry(thread).or_default() += cpu;
        }
    })
    .unwrap();
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu =
        (cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) - cpu_start).as_secs_f64();
    // No thread can finish its share faster than its own CPU time: the
    // busiest thread's is the least wall time the program could take.
    let busiest = per_thread.values().max().unwrap().as_secs_f64();
    println!(
        "{TASKS} tasks of {} ms of CPU each: {cpu:.2} s of CPU time, \
         {busiest:.2} s of it on the busiest thread",
        CPU_PER_TASK.as_millis()
    );
    println!("{wall:.2} s of wall time: {:.1} cores busy", cpu / wall);
}
// ANCHOR_END: main

// ANCHOR: busy
/// A task that computes for `CPU_PER_TASK` of its thread's CPU time
/// without ever awaiting, then says which thread ran it, and returns
/// that thread's name and the CPU time it spent.
async fn busy(number: u32) -> (String, Duration) {
    let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
    let mut x = u64::from(number);
    while cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start < CPU_PER_TASK {
        for _ in 0..10_000 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005) + 1);
        }
    }
    let thread = thread::current().name().unwrap_or("?").to_owned();
    println!("task {number} ran on {thread}");
    (thread, cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start)
}

/// One of the kernel's CPU clocks: the CPU time of this process (all its
/// threads together) or of this thread, so far.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is valid for the kernel to write to.
    let result = unsafe { libc::clock_gettime(clock, &mut now) };
    assert_eq!(result, 0, "no CPU clock");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
// ANCHOR_END: busy
