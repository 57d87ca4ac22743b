//! The claims of the Introduction (`src/introduction.md`), each checked
//! against the program the chapter shows, built from `listings/` as a
//! reader builds it.
//!
//! Time bounds are physics on one side (ten one-second sleeps one after
//! another cannot take less than ten seconds) and generous on the other,
//! so that they hold on a loaded two-core machine. The programs that start
//! a thousand threads and too many threads run alone. The claims of the
//! second that depend on the kernel's limits are checked only where
//! `/proc` shows limits like the ones the chapter describes.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::thread;
use std::time::Duration;

use book_tools::process::{
    Run, Running, inspect, isolate_network, limits, machine,
};
use book_tools::programs::{
    self, assert_takes_about, built, run_all_beside_others, run_beside_others,
};

use book_tools::promised_output;

use promised_output::introduction::{
    assert_a_job_future_is_small,
    assert_a_thousand_threads_took_about_a_second,
    assert_all_ten_jobs_start_before_any_ends,
    assert_every_job_starts_and_ends, assert_one_job_after_another,
    assert_reports_and_no_join, assert_threads_ran_jobs,
    assert_young_threads_map, bytes_in_a_job_future, reports,
};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("introduction", name)
}

// Every program here only sleeps, except the two that start many threads
// and measure how the machine copes: they run alone, once each.

/// The programs that only sleep. They run side by side, all at once, as
/// soon as a test needs any of them: the test harness runs only as many
/// tests at a time as the machine has cores, and two of these programs
/// take ten seconds each.
const SLEEPERS: [&str; 4] = [
    "intro-ten-threads",
    "intro-ten-tasks",
    "intro-blocking-sleep",
    "intro-serial-await",
];

/// The run of `program`, one of [`SLEEPERS`].
fn sleeper(program: &str) -> &'static Run {
    run_all_beside_others(&SLEEPERS);
    run_beside_others(program)
}

fn ten_threads() -> &'static Run {
    sleeper("intro-ten-threads")
}

fn thousand_threads() -> &'static Run {
    // Alone on the machine, before the suite's heavy work starts: how long
    // a thousand threads take to start and end is the claim.
    let run = programs::solo_run("intro-thousand-threads");
    assert!(run.status.success() && !run.timed_out, "{run:?}");
    run
}

fn ten_tasks() -> &'static Run {
    sleeper("intro-ten-tasks")
}

fn blocking_sleep() -> &'static Run {
    sleeper("intro-blocking-sleep")
}

fn serial_await() -> &'static Run {
    sleeper("intro-serial-await")
}

fn too_many_threads() -> &'static Run {
    // Alone on the machine, before the suite's heavy work starts; killed
    // after 30 s if it ever runs that long, where the claim is that it
    // stops by itself within a few.
    programs::solo_run("intro-too-many-threads")
}

#[test]
fn ten_threads_take_about_one_second() {
    assert_takes_about(ten_threads(), SECOND);
}

#[test]
fn every_job_prints_its_start_and_end_lines() {
    for (program, output, sample) in [
        ("intro-ten-threads", &ten_threads().stdout, "ten_threads"),
        ("intro-ten-tasks", &ten_tasks().stdout, "ten_tasks"),
        (
            "intro-blocking-sleep",
            &blocking_sleep().stdout,
            "blocking_sleep",
        ),
    ] {
        for output in [output, &sample_output(sample)] {
            assert_every_job_starts_and_ends(program, output);
        }
    }
}

#[test]
fn all_ten_jobs_start_before_any_ends() {
    for (program, output, sample) in [
        ("intro-ten-threads", &ten_threads().stdout, "ten_threads"),
        ("intro-ten-tasks", &ten_tasks().stdout, "ten_tasks"),
    ] {
        for output in [output, &sample_output(sample)] {
            assert_all_ten_jobs_start_before_any_ends(program, output);
        }
    }
}

#[test]
fn ten_threads_ran_the_ten_jobs() {
    for output in [&ten_threads().stdout, &sample_output("ten_threads")] {
        assert_threads_ran_jobs(output, 10);
    }
}

#[test]
fn thousand_threads_take_about_one_second() {
    let run = thousand_threads();
    assert_takes_about(run, SECOND);
    for output in [&run.stdout, &sample_output("thousand_threads")] {
        // What the program measured itself, from start to last join.
        assert_a_thousand_threads_took_about_a_second(output);
    }
}

#[test]
fn too_many_threads_dies_within_a_few_seconds() {
    let run = too_many_threads();
    assert!(!run.timed_out, "still running after 30 s: {run:?}");
    // "A few seconds" of its own: the CPU time of all its threads. Another
    // build on the machine stretches the wall clock (20 s seen) and not
    // that; the wait for a core, which the kernel counts per thread, is
    // gone with the threads that waited.
    assert!(run.wall < 10 * SECOND || run.cpu < 10 * SECOND, "{run:?}");
    assert!(!run.status.success(), "{run:?}");
    // Either `thread::spawn` was refused and panicked, or a new thread
    // could not finish setting itself up and the process was aborted.
    let refused = run.stderr.contains("failed to spawn thread");
    let aborted = run.status.signal() == Some(libc::SIGABRT);
    assert!(refused || aborted, "{}\n{}", run.status, run.stderr);
    // It never joined its threads, and reported them as it went.
    assert_reports_and_no_join(&run.stdout);
}

#[test]
fn a_running_thread_adds_four_memory_mappings() {
    let sample = sample_output("too_many_threads");
    for output in [&too_many_threads().stdout, &sample] {
        // Every thread sleeps one second from its start, so in a report
        // made within a second of the first spawn, every thread started
        // so far is still running: four mappings per running thread,
        // plus the few hundred at most that any process has. On a loaded
        // machine some threads may be spawned (stack and guard page
        // mapped) but not yet running (signal stack not yet mapped), so a
        // live run only bounds the count from below by two each; the
        // sample, from an idle machine, shows the four.
        let at_least = if output == &sample { 4 } else { 2 };
        assert_young_threads_map(output, at_least);
    }
}

/// A kernel limit, `/proc/sys/KEY`.
fn read_limit(key: &str) -> usize {
    let limit = machine::sysctl_number(key)
        .unwrap_or_else(|e| panic!("/proc/sys/{key}: {e}"));
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// `ulimit -u`: how many processes and threads this user may have (the
/// kernel does not hold root to it).
fn max_user_processes() -> usize {
    limits::processes_this_user_may_have().unwrap()
}

#[test]
fn too_many_threads_stops_at_the_limit_on_memory_mappings() {
    let max_map_count = read_limit("vm/max_map_count");
    let pid_max = read_limit("kernel/pid_max");
    let threads_max = read_limit("kernel/threads-max");
    // The chapter explains a machine where the mappings run out first:
    // one where the kernel allows more threads than a process can map
    // stacks for (two mappings at least per thread, joined or not).
    let can_map_at_most = max_map_count / 2;
    let user_processes = max_user_processes();
    if pid_max <= can_map_at_most
        || threads_max <= can_map_at_most
        || user_processes <= can_map_at_most
    {
        return programs::cannot_check(&format!(
            "the mappings do not run out first here: max_map_count \
             {max_map_count}, pid_max {pid_max}, threads-max {threads_max}, \
             max user processes {user_processes}"
        ));
    }
    let run = too_many_threads();
    let last = reports(&run.stdout).pop().expect("no report at all");
    // Reports come every 2,000 threads, each with four mappings at most,
    // so the last one comes at most 8,000 (and the few hundred that are
    // not threads' own) below the limit.
    // One over the limit at most: the kernel compares its count with the
    // limit before it adds a mapping. And /proc/self/maps lists
    // [vsyscall], which it does not count.
    assert!(last.mappings <= max_map_count + 2, "{last:?}");
    assert!(
        last.mappings + 4 * 2_000 + 500 > max_map_count,
        "{last:?}, limit {max_map_count}"
    );
    assert!(last.threads <= can_map_at_most, "{last:?}");
}

#[test]
fn sample_of_too_many_threads_ends_at_sixteen_thousand() {
    let sample = sample_output("too_many_threads");
    let last = reports(&sample).pop().expect("no report in the sample");
    assert_eq!((last.threads, last.mappings), (16_000, 64_060), "{sample}");
    assert!(last.after < SECOND, "{last:?}");
    // Both ways to die, in one run: `main` was refused a thread, and a new
    // thread failed to map its signal stack, which aborted the process.
    for message in [
        "failed to spawn thread",
        "Resource temporarily unavailable",
        "failed to set up alternative stack guard page",
        "Cannot allocate memory",
        "fatal runtime error",
    ] {
        assert!(sample.contains(message), "{message}:\n{sample}");
    }
}

#[test]
fn ten_tasks_take_about_one_second() {
    assert_takes_about(ten_tasks(), SECOND);
}

#[test]
fn ten_tasks_run_on_one_thread() {
    for output in [&ten_tasks().stdout, &sample_output("ten_tasks")] {
        assert_threads_ran_jobs(output, 1);
    }
}

#[test]
fn ten_tasks_process_never_has_a_second_thread() {
    let mut command = Command::new(built().program("intro-ten-tasks"));
    isolate_network(&mut command);
    let running = Running::spawn(command).unwrap();
    // Look at the process until it exits. It is not reaped before
    // `finish`, so its pid cannot be taken by another process meanwhile.
    let mut samples = Vec::new();
    while let Some(threads) = inspect::threads(running.id()) {
        samples.push(threads);
        thread::sleep(Duration::from_millis(5));
    }
    let run = running.finish(30 * SECOND).unwrap();
    assert!(run.status.success(), "{run:?}");
    // A second of running, sampled every few milliseconds when the
    // machine is idle; on a loaded one, at least every hundred or so.
    assert!(samples.len() >= 8, "{} samples", samples.len());
    assert!(samples.iter().all(|&n| n == 1), "{samples:?}");
}

#[test]
fn a_job_future_is_a_few_hundred_bytes_at_most() {
    assert_a_job_future_is_small(&ten_tasks().stdout);
    // The number the chapter quotes from the run it shows.
    assert_eq!(bytes_in_a_job_future(&sample_output("ten_tasks")), 136);
}

#[test]
fn blocking_sleep_takes_about_ten_seconds() {
    assert_takes_about(blocking_sleep(), 10 * SECOND);
}

#[test]
fn blocking_sleep_compiles_without_a_warning() {
    let source = programs::project()
        .root
        .join("listings/introduction/blocking_sleep.rs");
    let edition = programs::project().edition().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new("rustc")
        .arg(&source)
        .args(["--edition", &edition, "--crate-type", "bin"])
        .args(["--emit=metadata", "--out-dir"])
        .arg(scratch.path())
        .args(built().rustc_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // rustc prints nothing at all when it has no warning to give.
    assert!(stderr.trim().is_empty(), "{stderr}");
}

#[test]
fn blocking_sleep_runs_one_job_after_another() {
    assert_one_job_after_another(
        "intro-blocking-sleep",
        &blocking_sleep().stdout,
    );
    assert_one_job_after_another(
        "sample of intro-blocking-sleep",
        &sample_output("blocking_sleep"),
    );
    assert_threads_ran_jobs(&blocking_sleep().stdout, 1);
}

#[test]
fn serial_await_takes_about_ten_seconds() {
    assert_takes_about(serial_await(), 10 * SECOND);
}

#[test]
fn serial_await_prints_the_same_lines_in_order() {
    let expected: Vec<String> = (0..10)
        .flat_map(|n| [format!("start {n}"), format!("end {n}")])
        .chain(["threads that ran jobs: 1".to_owned()])
        .collect();
    let output = &serial_await().stdout;
    assert_eq!(output.lines().collect::<Vec<_>>(), expected, "{output}");
    // The same lines as the sample of the blocking mistake shows.
    promised_output::assert_is_the_sample(
        "introduction",
        "blocking_sleep",
        output,
    );
}
