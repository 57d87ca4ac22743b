//! The output each chapter promises for its programs: one definition, used
//! by the chapters' claim tests (on a real run and on the sample output the
//! chapter shows) and by the browser tests (on what a Run button printed).
//!
//! Each program with a sample output (`listings/<part>/output/<stem>.txt`)
//! has a predicate here, named for its listing, that panics with what is
//! wrong: the part of the chapter's claims about the program that is about
//! the text it prints. Claims about the process itself (wall-clock time,
//! CPU, a hang, an exit status) stay in the claim tests. A program whose
//! claims say it prints exactly what the chapter shows is held to its
//! sample ([`assert_is_the_sample`]); the others, whose lines come in an
//! order or with times that vary from run to run, to what the claims say
//! of them. [`promise_for`] finds the predicate for a listing file.
//!
//! Used by the chapters' test modules and the browser tests, and by
//! `cargo book check`, which holds a chapter's programs to it.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::programs::{sample_output, sorted_lines};

/// `listings/part3-io/poll_loop.rs` as `("part3-io", "poll_loop")`.
pub fn part_and_stem(listing_file: &str) -> Option<(&str, &str)> {
    listing_file
        .strip_prefix("listings/")
        .and_then(|rest| rest.strip_suffix(".rs"))
        .and_then(|rest| rest.split_once('/'))
}

/// The sample output of a listing, `listings/<part>/output/<stem>.txt`,
/// relative to the project root, if `listing_file` is a listing.
pub fn sample_file(listing_file: &str) -> Option<String> {
    let (part, stem) = part_and_stem(listing_file)?;
    Some(format!("listings/{part}/output/{stem}.txt"))
}

/// Why `output` breaks the promise for `listing_file`, or `None` when it
/// keeps it: the predicate's panic message, caught.
pub fn broken(listing_file: &str, output: &str) -> Option<String> {
    let promise = promise_for(listing_file);
    let kept = panic::catch_unwind(AssertUnwindSafe(|| promise(output)));
    let payload = kept.err()?;
    Some(panic_message(payload.as_ref()).to_owned())
}

/// Why `output` breaks the promise for `listing_file`, allowing for
/// `waited`: the time the run spent waiting for a core, which a loaded
/// machine adds to any delay a program measures and prints. (Only a
/// promise about a delay uses it: [`waited_for_a_core`].)
pub fn broken_after_waiting(
    listing_file: &str,
    output: &str,
    waited: Duration,
) -> Option<String> {
    allowing_for(waited, || broken(listing_file, output))
}

/// Runs `check`, a promise applied to a run's output, allowing for
/// `waited`, the time that run spent waiting for a core.
pub fn allowing_for<T>(waited: Duration, check: impl FnOnce() -> T) -> T {
    WAITED_FOR_A_CORE.set(waited);
    let kept = panic::catch_unwind(AssertUnwindSafe(check));
    WAITED_FOR_A_CORE.set(Duration::ZERO);
    kept.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

thread_local! {
    static WAITED_FOR_A_CORE: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// How long the run being checked waited for a core, as [`allowing_for`]
/// was told (zero otherwise, as for a sample).
fn waited_for_a_core() -> Duration {
    WAITED_FOR_A_CORE.get()
}

/// The message a panic was raised with.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else {
        "(a panic without a message)"
    }
}

/// What the chapter promises that `listing_file` prints, as a predicate
/// on its output: `listing_file` is the listing's path in the repository,
/// `listings/<part>/<stem>.rs`, and must have a sample output. A program
/// that prints the same every time is held to exactly its sample, with no
/// need to be named here; the programs named here are held to what their
/// claims say of output that varies from run to run.
pub fn promise_for(listing_file: &str) -> Box<dyn Fn(&str)> {
    use {introduction as intro, part1_futures as p1};
    use {part2_tasks as p2, part3_io as p3};
    let (part, stem) = part_and_stem(listing_file).unwrap_or_else(|| {
        panic!("{listing_file}: not a listing, listings/<part>/<stem>.rs")
    });
    // The programs whose lines come in an order, or with times, that vary
    // from run to run.
    let varying: Option<fn(&str)> = match (part, stem) {
        ("introduction", "ten_threads") => Some(intro::ten_threads),
        ("introduction", "thousand_threads") => Some(intro::thousand_threads),
        ("introduction", "too_many_threads") => Some(intro::too_many_threads),
        ("introduction", "ten_tasks") => Some(intro::ten_tasks),
        ("introduction", "blocking_sleep") => Some(intro::blocking_sleep),
        ("part1-futures", "busy_sleep") => Some(p1::busy_sleep),
        ("part1-futures", "timer_table") => Some(p1::timer_table),
        ("part1-futures", "thread_timer") => Some(p1::thread_timer),
        ("part1-futures", "async_job") => Some(p1::async_job),
        ("part1-futures", "exercise_join_solution") => {
            Some(p1::exercise_join_solution)
        }
        ("part2-tasks", "tokio_spawn") => Some(p2::tokio_spawn),
        ("part2-tasks", "ten_tasks") => Some(p2::ten_tasks),
        ("part2-tasks", "queue_polls") => Some(p2::queue_polls),
        ("part2-tasks", "flag_polls") => Some(p2::flag_polls),
        ("part2-tasks", "blocking_stall") => Some(p2::blocking_stall),
        ("part2-tasks", "blocking_thread") => Some(p2::blocking_thread),
        ("part2-tasks", "thread_pool") => Some(p2::thread_pool),
        ("part3-io", "one_server_thread") => Some(p3::one_server_thread),
        ("part3-io", "thread_per_connection") => {
            Some(p3::thread_per_connection)
        }
        ("part3-io", "busy_loop") => Some(p3::busy_loop),
        ("part3-io", "poll_loop") => Some(p3::poll_loop),
        ("part3-io", "exercise_echo_solution") => {
            Some(p3::exercise_echo_solution)
        }
        ("part3-io", "exercise_timeout_solution") => {
            Some(p3::exercise_timeout_solution)
        }
        ("part4-ident", "ident_server") => Some(part4_ident::ident_server),
        ("part5-measured", "tuned_server") => Some(part4_ident::ident_server),
        ("part4-epoll", "epoll_loop") => Some(part4_epoll::epoll_loop),
        ("part4-ready", "round_down") => Some(part4_ready::round_down),
        ("part4-ready", "round_up") => Some(part4_ready::round_up),
        ("part4-ready", "every_task") => Some(part4_ready::every_task),
        ("part4-ready", "only_ready") => Some(part4_ready::only_ready),
        ("part4-ready", "no_doorbell") => Some(part4_ready::no_doorbell),
        ("part4-ready", "doorbell") => Some(part4_ready::doorbell),
        ("part4-faults", "flood_unbudgeted") => {
            Some(part4_faults::flood_unbudgeted)
        }
        ("part4-faults", "flood_budgeted") => {
            Some(part4_faults::flood_budgeted)
        }
        ("part4-exercises", "exercise_limit_solution") => {
            Some(part4_exercises::exercise_limit_solution)
        }
        ("part6-many-threads", "cpu_one_thread") => {
            Some(part6_many_threads::cpu_one_thread)
        }
        ("part6-many-threads", "cpu_many_threads") => {
            Some(part6_many_threads::cpu_many_threads)
        }
        _ => None,
    };
    if let Some(promise) = varying {
        return Box::new(promise);
    }
    let (part, stem) = (part.to_owned(), stem.to_owned());
    Box::new(move |output| assert_is_the_sample(&part, &stem, output))
}

/// The output is exactly the sample output the chapter shows for
/// `listings/<part>/<stem>.rs`.
///
/// A difference is reported at the sample's first line that the program
/// did not print, as `listings/<part>/output/<stem>.txt:LINE: ...`.
pub fn assert_is_the_sample(part: &str, stem: &str, output: &str) {
    let sample = sample_output(part, stem);
    if output == sample {
        return;
    }
    let (printed, promised): (Vec<&str>, Vec<&str>) =
        (output.lines().collect(), sample.lines().collect());
    let line = (0..printed.len().max(promised.len()))
        .find(|&i| printed.get(i) != promised.get(i))
        // The lines agree, and only the final newline differs.
        .unwrap_or(promised.len().saturating_sub(1));
    let shown = |line: Option<&&str>| {
        line.map_or("nothing more".to_owned(), |line| format!("{line:?}"))
    };
    panic!(
        "listings/{part}/output/{stem}.txt:{}: the chapter shows {}, but \
         listings/{part}/{stem}.rs printed {}\n\nprinted:\n{output}",
        line + 1,
        shown(promised.get(line)),
        shown(printed.get(line)),
    );
}

/// `src/introduction.md`, checked by `tests/book/introduction.rs`.
pub mod introduction {
    use std::time::Duration;

    const SECOND: Duration = Duration::from_secs(1);

    /// The twenty lines of ten jobs, sorted.
    fn twenty_job_lines() -> Vec<String> {
        let mut lines: Vec<String> = (0..10)
            .flat_map(|n| [format!("start {n}"), format!("end {n}")])
            .collect();
        lines.sort();
        lines
    }

    /// The lines a job printed ("start N" and "end N"), in their order.
    fn job_lines(output: &str) -> Vec<&str> {
        output
            .lines()
            .filter(|line| {
                line.starts_with("start ") || line.starts_with("end ")
            })
            .collect()
    }

    /// The number `main` reports in "threads that ran jobs: N".
    pub fn threads_that_ran_jobs(output: &str) -> usize {
        let line = output
            .lines()
            .find_map(|line| line.strip_prefix("threads that ran jobs: "))
            .unwrap_or_else(|| panic!("no thread count in:\n{output}"));
        line.parse().unwrap()
    }

    /// "threads that ran jobs: `threads`".
    pub fn assert_threads_ran_jobs(output: &str, threads: usize) {
        assert_eq!(
            threads_that_ran_jobs(output),
            threads,
            "not {threads} threads that ran jobs:\n{output}"
        );
    }

    /// Every one of the ten jobs printed its "start" and its "end" line,
    /// in whatever order.
    pub fn assert_every_job_starts_and_ends(program: &str, output: &str) {
        let mut lines = job_lines(output);
        lines.sort();
        assert_eq!(lines, twenty_job_lines(), "{program} printed:\n{output}");
    }

    /// The ten "start" lines come before any "end" line.
    pub fn assert_all_ten_jobs_start_before_any_ends(
        program: &str,
        output: &str,
    ) {
        let lines = job_lines(output);
        assert_eq!(lines.len(), 20, "{program}:\n{output}");
        assert!(
            lines[..10].iter().all(|line| line.starts_with("start ")),
            "{program}: a job ends before all ten start:\n{output}"
        );
    }

    /// Each job's "start" line directly followed by its own "end" line.
    pub fn assert_one_job_after_another(program: &str, output: &str) {
        let lines = job_lines(output);
        assert_eq!(lines.len(), 20, "{program}:\n{output}");
        for pair in lines.chunks(2) {
            let n = pair[0].strip_prefix("start ");
            let message = "a job starts before the one before it ends";
            assert!(n.is_some(), "{program}: {message}:\n{output}");
            assert_eq!(
                pair[1].strip_prefix("end "),
                n,
                "{program}: {message}:\n{output}"
            );
        }
    }

    /// A thousand threads ran the jobs, and the program measured about a
    /// second from its start to its last join.
    pub fn assert_a_thousand_threads_took_about_a_second(output: &str) {
        assert_eq!(threads_that_ran_jobs(output), 1000, "{output}");
        let took = output
            .lines()
            .find_map(|line| line.strip_prefix("all 1000 jobs done after "))
            .unwrap_or_else(|| panic!("no time in:\n{output}"));
        let took = parse_duration(took);
        assert!(
            took >= SECOND && took < 3 * SECOND,
            "{took:?} is not about a second:\n{output}"
        );
    }

    /// The number in "bytes in one job's future: N".
    pub fn bytes_in_a_job_future(output: &str) -> usize {
        output
            .lines()
            .find_map(|line| line.strip_prefix("bytes in one job's future: "))
            .unwrap_or_else(|| panic!("no size in:\n{output}"))
            .parse()
            .unwrap()
    }

    /// A job's future is a few hundred bytes at most.
    pub fn assert_a_job_future_is_small(output: &str) {
        assert!(
            bytes_in_a_job_future(output) < 1024,
            "a job's future is over a few hundred bytes:\n{output}"
        );
    }

    /// One line of progress from `intro-too-many-threads`.
    #[derive(Debug)]
    pub struct Report {
        pub threads: usize,
        pub after: Duration,
        pub mappings: usize,
    }

    /// "2000 threads after 80.82ms, 8056 memory mappings"
    pub fn reports(output: &str) -> Vec<Report> {
        output
            .lines()
            .filter_map(|line| {
                let (threads, rest) = line.split_once(" threads after ")?;
                let (after, rest) = rest.split_once(", ")?;
                let mappings = rest.strip_suffix(" memory mappings")?;
                Some(Report {
                    threads: threads.parse().ok()?,
                    after: parse_duration(after),
                    mappings: mappings.parse().ok()?,
                })
            })
            .collect()
    }

    /// A duration as `{:.2?}` prints it: "80.82ms", "1.08s", "512.00µs".
    pub fn parse_duration(text: &str) -> Duration {
        let (number, unit) = text
            .find(|c: char| c.is_alphabetic() || c == 'µ')
            .map(|at| text.split_at(at))
            .unwrap_or_else(|| panic!("no unit in {text:?}"));
        let number: f64 = number
            .parse()
            .unwrap_or_else(|_| panic!("not a duration: {text:?}"));
        let seconds = match unit {
            "s" => number,
            "ms" => number / 1e3,
            "µs" => number / 1e6,
            "ns" => number / 1e9,
            _ => panic!("unknown unit in {text:?}"),
        };
        Duration::from_secs_f64(seconds)
    }

    /// It reported its threads as it went, and never got to joining them.
    pub fn assert_reports_and_no_join(output: &str) {
        assert!(
            !output.contains("threads done"),
            "it joined its threads:\n{output}"
        );
        assert!(!reports(output).is_empty(), "no report:\n{output}");
    }

    /// Every report made within a second of the first spawn, when every
    /// thread started so far still runs (each sleeps one second), counts
    /// `at_least` memory mappings per thread, and at most four per thread
    /// plus the few hundred that any process has (its program, libraries,
    /// heap).
    pub fn assert_young_threads_map(output: &str, at_least: usize) {
        let young: Vec<Report> = reports(output)
            .into_iter()
            .filter(|report| report.after < SECOND)
            .collect();
        assert!(!young.is_empty(), "no report within a second:\n{output}");
        for report in young {
            assert!(
                report.mappings >= at_least * report.threads
                    && report.mappings < 4 * report.threads + 500,
                "{report:?}: not {at_least} to 4 mappings a thread"
            );
        }
    }

    pub fn ten_threads(output: &str) {
        assert_every_job_starts_and_ends("intro-ten-threads", output);
        assert_all_ten_jobs_start_before_any_ends("intro-ten-threads", output);
        assert_threads_ran_jobs(output, 10);
    }

    pub fn thousand_threads(output: &str) {
        assert_a_thousand_threads_took_about_a_second(output);
    }

    /// On a loaded machine some threads may be spawned (stack and guard
    /// page mapped) but not yet running (signal stack not yet mapped), so
    /// a run only bounds the mappings from below by two per thread; the
    /// sample, from an idle machine, shows the four.
    pub fn too_many_threads(output: &str) {
        assert_reports_and_no_join(output);
        assert_young_threads_map(output, 2);
    }

    pub fn ten_tasks(output: &str) {
        assert_every_job_starts_and_ends("intro-ten-tasks", output);
        assert_all_ten_jobs_start_before_any_ends("intro-ten-tasks", output);
        assert_threads_ran_jobs(output, 1);
        assert_a_job_future_is_small(output);
    }

    pub fn blocking_sleep(output: &str) {
        assert_every_job_starts_and_ends("intro-blocking-sleep", output);
        assert_one_job_after_another("intro-blocking-sleep", output);
        assert_threads_ran_jobs(output, 1);
    }
}

/// `src/part1-futures.md`, checked by `tests/book/part1_futures.rs`.
pub mod part1_futures {
    use super::{assert_is_the_sample, sorted_lines};

    const PART: &str = "part1-futures";

    /// `start 0` to `start 9`, then `end 0` to `end 9`: the twenty lines
    /// of ten jobs, in the order of a run in which every job started
    /// before the first one ended. The order of the `end` lines is not
    /// part of any claim.
    fn ten_starts_then_ten_ends() -> Vec<String> {
        let starts = (0..10).map(|n| format!("start {n}"));
        starts.chain((0..10).map(|n| format!("end {n}"))).collect()
    }

    /// Asserts that `output` holds the twenty lines of ten jobs, every
    /// `start` before any `end`.
    pub fn assert_every_start_before_every_end(program: &str, output: &str) {
        let expected = ten_starts_then_ten_ends();
        let mut expected: Vec<&str> =
            expected.iter().map(String::as_str).collect();
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 20, "{program} printed:\n{output}");
        assert!(
            lines[..10].iter().all(|line| line.starts_with("start ")),
            "{program} printed:\n{output}"
        );
        expected.sort();
        assert_eq!(
            sorted_lines(output),
            expected,
            "{program} printed:\n{output}"
        );
    }

    /// The lines of `part1-thread-timer`: the second poll comes with the
    /// waker of the first and may keep it or replace it, since `will_wake`
    /// is only a best effort; the third comes with another task's waker.
    pub fn assert_the_waker_is_stored_then_replaced(
        program: &str,
        output: &str,
    ) {
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 4, "{program} printed:\n{output}");
        assert_eq!(lines[0], "poll 1: no waker stored yet, stored this one");
        assert!(
            [
                "poll 2: will_wake is true, kept the stored one",
                "poll 2: will_wake is false, replaced it",
            ]
            .contains(&lines[1]),
            "{program} printed:\n{output}"
        );
        assert_eq!(lines[2], "poll 3: will_wake is false, replaced it");
        assert_eq!(lines[3], "poll 4: done");
    }

    pub fn one_job(output: &str) {
        assert_is_the_sample(PART, "one_job", output);
    }

    pub fn join_blocking(output: &str) {
        assert_is_the_sample(PART, "join_blocking", output);
    }

    pub fn never_woken(output: &str) {
        assert_is_the_sample(PART, "never_woken", output);
    }

    pub fn busy_sleep(output: &str) {
        assert_every_start_before_every_end("part1-busy-sleep", output);
    }

    pub fn timer_table(output: &str) {
        assert_every_start_before_every_end("part1-timer-table", output);
    }

    pub fn thread_timer(output: &str) {
        assert_the_waker_is_stored_then_replaced("part1-thread-timer", output);
    }

    pub fn combinators(output: &str) {
        assert_is_the_sample(PART, "combinators", output);
    }

    /// The claim also compares it with a run of `part1-timer-table`, which
    /// prints the same lines, promised by [`timer_table`].
    pub fn async_job(output: &str) {
        assert_every_start_before_every_end("part1-async-job", output);
    }

    pub fn timeout(output: &str) {
        assert_is_the_sample(PART, "timeout", output);
    }

    pub fn pinned_job(output: &str) {
        assert_is_the_sample(PART, "pinned_job", output);
    }

    pub fn boxed_recursion(output: &str) {
        assert_is_the_sample(PART, "boxed_recursion", output);
    }

    /// The exercises' solutions; their starters print no sample.
    /// The sample, exactly. A run kept off a core for longer than the
    /// 0.6 s between the toast and the kettle may find both done in one
    /// turn, and print them in the order `join2` polls them, kettle
    /// first; only such a run may.
    pub fn exercise_join_solution(output: &str) {
        let stem = "exercise_join_solution";
        let gap = std::time::Duration::from_millis(600);
        if super::waited_for_a_core() >= gap {
            let both_at_once = super::sample_output(PART, stem).replace(
                "toast up\nkettle boiled\n",
                "kettle boiled\ntoast up\n",
            );
            if output == both_at_once {
                return;
            }
        }
        assert_is_the_sample(PART, stem, output);
    }

    pub fn exercise_race_solution(output: &str) {
        assert_is_the_sample(PART, "exercise_race_solution", output);
    }
}

/// `src/part2-tasks.md`, checked by `tests/book/part2_tasks.rs`.
pub mod part2_tasks {
    use super::{assert_is_the_sample, sorted_lines};

    const PART: &str = "part2-tasks";

    /// The polls of the queue executor: each of the ten jobs exactly
    /// twice.
    pub const QUEUE_POLLS: usize = 20;

    /// Every job's "start" and "end" line, in whatever order, and the
    /// total on the last line.
    pub fn assert_every_job_starts_and_ends_and_the_total_comes_last(
        name: &str,
        output: &str,
    ) {
        let mut expected: Vec<String> = (0..10)
            .flat_map(|n| [format!("start {n}"), format!("end {n}")])
            .collect();
        expected.push("total: 285".into());
        let mut expected: Vec<&str> =
            expected.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(sorted_lines(output), expected, "{name}:\n{output}");
        assert_eq!(output.lines().last(), Some("total: 285"), "{name}");
    }

    /// Ten starts, then the ten ends in the jobs' order, then the total.
    pub fn assert_the_jobs_end_in_order(output: &str) {
        let expected: Vec<String> = (0..10)
            .map(|n| format!("start {n}"))
            .chain((0..10).map(|n| format!("end {n}")))
            .chain(["total: 285".to_owned()])
            .collect();
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines, expected, "the jobs do not end in order");
    }

    /// The number on the last line, `polls: N`, of a program's output.
    pub fn polls(output: &str) -> usize {
        let last = output.lines().last().unwrap_or_default();
        last.strip_prefix("polls: ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `polls: N` at the end of:\n{output}"))
    }

    /// The queue executor polls each of the ten jobs exactly twice.
    pub fn assert_each_job_polled_exactly_twice(output: &str) {
        assert_eq!(
            polls(output),
            QUEUE_POLLS,
            "not each job polled exactly twice:\n{output}"
        );
    }

    /// 120 when every timer fires in a turn of its own; fewer if a loaded
    /// machine makes the loop so late that several fall due together.
    pub fn assert_several_times_as_many_polls(flag: usize, queue: usize) {
        assert!(
            flag >= 3 * queue,
            "flag executor {flag} polls, not several times the queue's {queue}"
        );
    }

    /// The fewest polls the flag executor can make, however late its loop:
    /// every job is polled in the first two turns and in the one that
    /// finishes it.
    const FLAG_POLLS_AT_LEAST: usize = 30;

    /// How far apart the jobs' timers fall due.
    const TIMER_GAP: std::time::Duration =
        std::time::Duration::from_millis(100);

    /// Ten starts then ten ends in order, before `polls: N`: both
    /// executors run the same workload the same way.
    pub fn assert_the_workload_lines_in_order(output: &str) {
        let mut lines: Vec<&str> = output.lines().collect();
        lines.pop(); // `polls: N`
        let expected: Vec<String> = (0..10)
            .map(|n| format!("start {n}"))
            .chain((0..10).map(|n| format!("end {n}")))
            .collect();
        assert_eq!(lines, expected, "not ten starts then ten ends in order");
    }

    /// The lines of a ticker-and-cruncher program, with the milliseconds
    /// of the lines that report them.
    pub fn timed_lines(output: &str) -> Vec<(&str, Option<u64>)> {
        output
            .lines()
            .map(|line| {
                let ms = line
                    .split_once(" at ")
                    .and_then(|(_, at)| at.strip_suffix(" ms"))
                    .map(|ms| ms.parse().expect("milliseconds"));
                (line, ms)
            })
            .collect()
    }

    fn position(lines: &[(&str, Option<u64>)], prefix: &str) -> usize {
        lines
            .iter()
            .position(|(line, _)| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line `{prefix}...` in {lines:?}"))
    }

    /// Ten ticks and one crunch, each reported once.
    pub fn assert_ten_ticks_and_one_crunch(lines: &[(&str, Option<u64>)]) {
        assert_eq!(lines.len(), 12, "{lines:?}");
        // "crunching" comes first unless the machine is so loaded that
        // tick 1 is already due when the ticker is first polled.
        let crunching = position(lines, "crunching");
        let crunched = position(lines, "crunched ");
        assert!(crunching < crunched, "{lines:?}");
        let mut ticks: Vec<&str> = lines
            .iter()
            .filter_map(|(line, _)| line.split(" at ").next())
            .filter(|line| line.starts_with("tick "))
            .collect();
        ticks.sort_by_key(|tick| tick[5..].parse::<u32>().unwrap());
        let expected: Vec<String> =
            (1..=10).map(|n| format!("tick {n}")).collect();
        assert_eq!(ticks, expected, "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|(line, _)| line.starts_with("crunched 42 "))
        );
    }

    /// The work on the executor's thread holds back every tick: it is done
    /// before any tick, and ticks 1 to 5, due at 100 to 500 ms, come after
    /// its 550 ms.
    pub fn assert_every_tick_held_back_until_the_work_is_done(output: &str) {
        let lines = timed_lines(output);
        assert_ten_ticks_and_one_crunch(&lines);
        // The work is done before any tick, on the one thread.
        assert_eq!(lines[0].0, "crunching", "{lines:?}");
        assert!(
            lines[1].0.starts_with("crunched 42 at "),
            "a tick comes before the work is done:\n{output}"
        );
        // Ticks 1 to 5 were due at 100 to 500 ms; none can come before
        // the 550 ms of work are over.
        for (line, ms) in &lines[2..7] {
            assert!(
                ms.unwrap() >= 550,
                "{line}, before the 550 ms of work are over, in:\n{output}"
            );
        }
    }

    /// The work on a thread of its own leaves the ticks coming: tick 1
    /// comes before the work is done, at 550 ms or later.
    pub fn assert_the_ticks_keep_coming_during_the_work(output: &str) {
        let lines = timed_lines(output);
        assert_ten_ticks_and_one_crunch(&lines);
        // Tick 1 is due at 100 ms, the work ends at 550 ms or later.
        let tick = position(&lines, "tick 1 ");
        let crunched = position(&lines, "crunched ");
        let message = "tick 1 does not come during the work";
        assert!(tick < crunched, "{message}:\n{output}");
        assert!(lines[tick].1 < lines[crunched].1, "{message}:\n{output}");
        assert!(
            lines[crunched].1.unwrap() >= 550,
            "the work is done before its 550 ms:\n{output}"
        );
    }

    pub fn tokio_spawn(output: &str) {
        assert_every_job_starts_and_ends_and_the_total_comes_last(
            "tokio_spawn",
            output,
        );
    }

    pub fn spawn_and_forget(output: &str) {
        assert_is_the_sample(PART, "spawn_and_forget", output);
    }

    pub fn ten_tasks(output: &str) {
        assert_every_job_starts_and_ends_and_the_total_comes_last(
            "ten_tasks",
            output,
        );
        assert_the_jobs_end_in_order(output);
    }

    pub fn send_and_static(output: &str) {
        assert_is_the_sample(PART, "send_and_static", output);
    }

    pub fn queue_polls(output: &str) {
        assert_each_job_polled_exactly_twice(output);
        assert_the_workload_lines_in_order(output);
    }

    /// Several times as many polls as the queue executor's, which are
    /// [`QUEUE_POLLS`] (its own promise, [`queue_polls`]). A run kept off
    /// a core for longer than the 0.1 s between two timers may find
    /// several due in one turn, which polls the jobs once for all of them
    /// (a loaded machine made 50 of 120 so): only such a run may poll
    /// fewer times, and never fewer than [`FLAG_POLLS_AT_LEAST`].
    pub fn flag_polls(output: &str) {
        let flag = polls(output);
        if super::waited_for_a_core() >= TIMER_GAP {
            assert!(
                flag >= FLAG_POLLS_AT_LEAST,
                "flag executor {flag} polls, fewer than any turns can make"
            );
        } else {
            assert_several_times_as_many_polls(flag, QUEUE_POLLS);
        }
        assert_the_workload_lines_in_order(output);
    }

    pub fn blocking_stall(output: &str) {
        assert_every_tick_held_back_until_the_work_is_done(output);
    }

    pub fn blocking_thread(output: &str) {
        assert_the_ticks_keep_coming_during_the_work(output);
    }

    /// The threads the pool of `part2-thread-pool` has.
    pub const POOL_THREADS: usize = 4;

    /// What one line of `part2-thread-pool` says: how long the hundred
    /// jobs took, in seconds, and how many ran at once at most.
    fn jobs_line(output: &str, how: &str) -> (f64, usize) {
        let line = output
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{how}: 100 jobs in ")))
            .unwrap_or_else(|| panic!("no line for {how:?} in:\n{output}"));
        let (seconds, rest) = line.split_once(" s, at most ").unwrap();
        let most = rest.strip_suffix(" at once").unwrap();
        (seconds.parse().unwrap(), most.parse().unwrap())
    }

    /// A thread per job runs more jobs at once than the pool has threads;
    /// the pool runs at most its four, so the hundred jobs of 20 ms take
    /// it at least 25 rounds, half a second.
    pub fn thread_pool(output: &str) {
        assert_eq!(output.lines().count(), 2, "{output}");
        let (_, most) = jobs_line(output, "a thread per job");
        assert!(most > POOL_THREADS, "a thread per job: {most} at once");
        let (seconds, most) = jobs_line(output, "a pool of 4 threads");
        assert!(most <= POOL_THREADS, "the pool ran {most} at once");
        assert!(seconds >= 0.5, "the pool took {seconds} s");
    }

    /// The exercises' solutions; their starters print no sample.
    pub fn exercise_yield_solution(output: &str) {
        assert_is_the_sample(PART, "exercise_yield_solution", output);
    }

    pub fn exercise_abort_solution(output: &str) {
        assert_is_the_sample(PART, "exercise_abort_solution", output);
    }
}

/// `src/part3-io.md`, checked by `tests/book/part3_io.rs`.
pub mod part3_io {
    use super::{assert_is_the_sample, sorted_lines};

    const PART: &str = "part3-io";

    /// Every one of the ten clients printed its "start" and its "end"
    /// line, in whatever order.
    pub fn assert_every_client_gets_its_start_and_end_lines(
        program: &str,
        output: &str,
    ) {
        let expected: Vec<String> = (0..10)
            .flat_map(|n| [format!("start {n}"), format!("end {n}")])
            .collect();
        let mut expected: Vec<&str> =
            expected.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(
            sorted_lines(output),
            expected,
            "{program} printed:\n{output}"
        );
    }

    /// The ten "start" lines come before any "end" line.
    pub fn assert_every_client_starts_before_any_ends(output: &str) {
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 20, "{output}");
        assert!(
            lines[..10].iter().all(|line| line.starts_with("start ")),
            "a client ends before all ten start:\n{output}"
        );
    }

    pub fn blocking_client(output: &str) {
        assert_is_the_sample(PART, "blocking_client", output);
    }

    pub fn one_server_thread(output: &str) {
        assert_every_client_gets_its_start_and_end_lines(
            "part3-one-server-thread",
            output,
        );
    }

    pub fn thread_per_connection(output: &str) {
        assert_every_client_gets_its_start_and_end_lines(
            "part3-thread-per-connection",
            output,
        );
        assert_every_client_starts_before_any_ends(output);
    }

    pub fn busy_loop(output: &str) {
        assert_every_client_gets_its_start_and_end_lines(
            "part3-busy-loop",
            output,
        );
    }

    pub fn poll_loop(output: &str) {
        assert_every_client_gets_its_start_and_end_lines(
            "part3-poll-loop",
            output,
        );
    }

    /// The exercises' solutions; their starters print no sample. Each
    /// echo client gets its own message back, the clients in any order.
    /// The sample's lines, the server's about the talker before its
    /// about the silent client. The talker's own "hung up" line comes at
    /// about 0.1 s, well before the silent client's half second is up,
    /// but it races the server's second line on a machine stalled for
    /// that long, so only its presence is promised.
    pub fn exercise_timeout_solution(output: &str) {
        let sample = super::sample_output(PART, "exercise_timeout_solution");
        assert_eq!(
            sorted_lines(output),
            sorted_lines(&sample),
            "not the lines the chapter shows:\n{output}"
        );
        let line = |text: &str| output.lines().position(|line| line == text);
        let hello = line("server: a client said \"hello\"");
        let nothing = line("server: a client said nothing for 500ms");
        assert!(hello < nothing, "the talker answered after:\n{output}");
    }

    pub fn exercise_echo_solution(output: &str) {
        let mut expected: Vec<String> = (0..3)
            .map(|n| format!("client {n} got back \"hello from client {n}\""))
            .collect();
        expected.sort();
        assert_eq!(
            sorted_lines(output),
            expected,
            "not every client's own message back:\n{output}"
        );
    }
}

/// `src/part4-epoll.md`, checked by `tests/book/part4_epoll.rs`.
pub mod part4_epoll {
    use super::assert_is_the_sample;

    const PART: &str = "part4-epoll";

    /// The demonstrations on socket pairs print the same lines on every
    /// run: each `epoll_wait` is made with a timeout of 0, right after a
    /// step whose effect on the socket is complete when it returns.
    pub fn interest_list(output: &str) {
        assert_is_the_sample(PART, "interest_list", output);
    }

    pub fn triggers(output: &str) {
        assert_is_the_sample(PART, "triggers", output);
    }

    pub fn edge_pitfall(output: &str) {
        assert_is_the_sample(PART, "edge_pitfall", output);
    }

    /// Part Three's twenty lines, in whatever order the clients print
    /// them.
    pub fn epoll_loop(output: &str) {
        super::part3_io::assert_every_client_gets_its_start_and_end_lines(
            "part4-epoll-loop",
            output,
        );
    }
}

/// `src/part4-ready.md`, checked by `tests/book/part4_ready.rs`.
pub mod part4_ready {
    /// The sleeps of `part4-round-down` and `part4-round-up`: fifty of
    /// 1.5 ms each.
    pub const SLEEPS: usize = 50;

    /// The number after `prefix` on a line of `output`.
    pub fn number_after(prefix: &str, output: &str) -> usize {
        output
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}N` in:\n{output}"))
    }

    /// The turns of the main loop, from `turns of the main loop: N`.
    pub fn turns(output: &str) -> usize {
        number_after("turns of the main loop: ", output)
    }

    /// The first line names the sleeps.
    pub fn assert_fifty_sleeps(output: &str) {
        assert_eq!(
            output.lines().next(),
            Some("50 sleeps of 1.5ms"),
            "not the fifty sleeps:\n{output}"
        );
    }

    /// Rounding down spins: many turns per sleep on average (hundreds on
    /// an idle machine; a loaded one, late to return from `poll(2)`,
    /// spins for less of each sleep).
    pub fn assert_many_turns_per_sleep(output: &str) {
        assert!(
            turns(output) > 5 * SLEEPS,
            "not many turns per sleep:\n{output}"
        );
    }

    /// Rounding up: a turn per sleep, in which the sleep before it ends
    /// and the next one starts, and a last turn in which the main future
    /// finishes. `poll(2)` never returns before the deadline, so no turn
    /// finds nothing to do. A loaded machine may be so late to look at a
    /// new sleep that its deadline has passed, and end two sleeps in one
    /// turn: fewer turns, never more.
    pub fn assert_one_turn_per_sleep(output: &str) {
        let turns = turns(output);
        assert!(
            (SLEEPS * 9 / 10..=SLEEPS + 1).contains(&turns),
            "not one turn per sleep and one to finish:\n{output}"
        );
    }

    pub fn round_down(output: &str) {
        assert_fifty_sleeps(output);
        assert_many_turns_per_sleep(output);
    }

    pub fn round_up(output: &str) {
        assert_fifty_sleeps(output);
        assert_one_turn_per_sleep(output);
    }

    /// The connections of `part4-every-task` and `part4-only-ready`, all
    /// idle but one.
    pub const CONNECTIONS: usize = 100;

    /// The polls of the handlers before the byte, and those for it.
    pub fn handler_polls(output: &str) -> (usize, usize) {
        (
            number_after("handler polls before the byte: ", output),
            number_after("handler polls for the byte: ", output),
        )
    }

    /// The first line says what happened.
    pub fn assert_one_byte_on_one_of_a_hundred(output: &str) {
        assert_eq!(
            output.lines().next(),
            Some("100 connections, 1 byte echoed on one of them"),
            "{output}"
        );
    }

    /// Part Three's loop polls every handler on every turn: each once
    /// before the byte, in the one turn the main future steps aside for,
    /// and every one of them for it.
    pub fn assert_every_handler_polled_for_the_byte(output: &str) {
        let (before, for_the_byte) = handler_polls(output);
        assert_eq!(
            before, CONNECTIONS,
            "not every handler polled once before the byte:\n{output}"
        );
        assert_eq!(
            for_the_byte, CONNECTIONS,
            "not every handler polled for the byte:\n{output}"
        );
    }

    /// The ready queue: each handler polled once to start, and only the
    /// one whose client sent the byte polled for it, once.
    pub fn assert_one_handler_polled_for_the_byte(output: &str) {
        let (before, for_the_byte) = handler_polls(output);
        assert_eq!(
            before, CONNECTIONS,
            "not each handler polled once to start:\n{output}"
        );
        assert_eq!(
            for_the_byte, 1,
            "not one poll of one handler for the byte:\n{output}"
        );
    }

    /// The ten `start` lines, in any order, and nothing else: the loop
    /// never hears that the blocking work is done.
    pub fn assert_ten_starts_and_no_end(output: &str) {
        let mut expected: Vec<String> =
            (0..10).map(|n| format!("start {n}")).collect();
        expected.sort();
        assert_eq!(
            super::sorted_lines(output),
            expected,
            "not ten starts and nothing else:\n{output}"
        );
    }

    /// The slowest wake-up the program measured, from the last line:
    /// `slowest wake-up after blocking work: 332.39µs`.
    pub fn slowest_wake_up(output: &str) -> std::time::Duration {
        let last = output.lines().last().unwrap_or_default();
        let duration = last
            .strip_prefix("slowest wake-up after blocking work: ")
            .unwrap_or_else(|| panic!("no slowest wake-up in:\n{output}"));
        super::introduction::parse_duration(duration)
    }

    /// Every client's two lines, then a wake-up that came within half a
    /// second of the blocking work's end (well under a millisecond on an
    /// idle machine; the bound leaves room for a heavily loaded one, where
    /// a woken thread may wait a tenth of a second for a core, and more
    /// for as long as the run waited for a core).
    pub fn assert_clients_served_and_woken_promptly(output: &str) {
        let (lines, _) = output
            .trim_end_matches('\n')
            .rsplit_once('\n')
            .unwrap_or_else(|| panic!("too few lines:\n{output}"));
        super::part3_io::assert_every_client_gets_its_start_and_end_lines(
            "part4-doorbell",
            lines,
        );
        // The time the run waited for a core is allowed on top: the
        // browser's and the suite's other work can hold it off for longer.
        let slowest = slowest_wake_up(output);
        let allowed =
            std::time::Duration::from_millis(500) + super::waited_for_a_core();
        assert!(
            slowest < allowed,
            "a wake-up took {slowest:?} (allowed {allowed:?}):\n{output}"
        );
    }

    pub fn every_task(output: &str) {
        assert_one_byte_on_one_of_a_hundred(output);
        assert_every_handler_polled_for_the_byte(output);
    }

    pub fn only_ready(output: &str) {
        assert_one_byte_on_one_of_a_hundred(output);
        assert_one_handler_polled_for_the_byte(output);
    }

    pub fn no_doorbell(output: &str) {
        assert_ten_starts_and_no_end(output);
    }

    pub fn doorbell(output: &str) {
        assert_clients_served_and_woken_promptly(output);
    }
}

/// `src/part4-ident.md`, checked by `tests/book/part4_ident.rs`.
pub mod part4_ident {
    /// What the demo's clients were told, in their order. The first
    /// client's connection belongs to whoever ran the program: a user
    /// name (`UNIX`), or a number for a user without a name (`OTHER`).
    pub fn ident_server(output: &str) {
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 6, "not six replies:\n{output}");
        let owner = lines[0]
            .strip_prefix("this connection: USERID : ")
            .unwrap_or_else(|| panic!("no USERID first:\n{output}"));
        let named = owner
            .strip_prefix("UNIX : ")
            .is_some_and(|name| !name.is_empty());
        let numbered = owner
            .strip_prefix("OTHER : ")
            .is_some_and(|uid| uid.parse::<u32>().is_ok());
        assert!(named || numbered, "no owner in:\n{output}");
        assert_eq!(
            lines[1..],
            [
                "a port nobody uses: ERROR : NO-USER",
                "port 0: ERROR : INVALID-PORT",
                "garbage: 0, 0 : ERROR : INVALID-PORT",
                "then: 8113, 1 : ERROR : NO-USER",
                "a line of 2000 bytes: the server closed the connection",
            ],
            "other replies than the chapter's:\n{output}"
        );
    }
}

/// `src/part4-faults.md`, checked by `tests/book/part4_faults.rs`.
pub mod part4_faults {
    use super::assert_is_the_sample;

    const PART: &str = "part4-faults";

    /// Both tasks still wait half a second after the other end closed.
    pub fn hangup_unheard(output: &str) {
        assert_is_the_sample(PART, "hangup_unheard", output);
    }

    /// The reader gets the end of the stream, the writer a broken pipe.
    pub fn hangup_heard(output: &str) {
        assert_is_the_sample(PART, "hangup_heard", output);
    }

    /// Of three tasks accepting on one listener, only the last to wait
    /// is woken: one of three connections accepted.
    pub fn one_waiter(output: &str) {
        assert_is_the_sample(PART, "one_waiter", output);
    }

    /// Every task waiting on the listener is woken: all three accept.
    pub fn every_waiter(output: &str) {
        assert_is_the_sample(PART, "every_waiter", output);
    }

    /// How many ticks, and the latest tick's lateness, of `flood.rs`'s
    /// last line: "the latest of 30 ticks came 622 ms late".
    pub fn latest_tick(output: &str) -> (u32, u64) {
        let line = output.lines().nth(1).unwrap_or_default();
        let parsed = line
            .strip_prefix("the latest of ")
            .and_then(|rest| rest.strip_suffix(" ms late"))
            .and_then(|rest| rest.split_once(" ticks came "))
            .and_then(|(ticks, late)| {
                Some((ticks.parse().ok()?, late.parse().ok()?))
            });
        parsed.unwrap_or_else(|| panic!("no latest tick:\n{output}"))
    }

    /// `flood.rs`'s first line: "read 64 MiB", some of it.
    fn assert_the_flood_was_read(output: &str) {
        let mebibytes = output
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("read "))
            .and_then(|rest| rest.strip_suffix(" MiB"))
            .and_then(|n| n.parse::<u64>().ok());
        assert!(mebibytes.is_some_and(|n| n > 0), "nothing read:\n{output}");
    }

    /// How long the peer of `flood.rs` sends.
    pub const FLOOD_MS: u64 = 600;

    /// Without a budget the reader holds the loop for as long as the
    /// flood lasts: the ticker's first wake-up comes most of it late (a
    /// loaded machine may let the reader drain the socket now and then).
    pub fn flood_unbudgeted(output: &str) {
        assert_the_flood_was_read(output);
        let (ticks, late) = latest_tick(output);
        assert!(ticks == 30 && late >= FLOOD_MS / 2, "{output}");
    }

    /// With a budget the reader yields every few operations, and no tick
    /// waits for the flood to end. (How late a tick may come depends on
    /// how loaded the machine is: the time the run waited for a core is
    /// allowed for, when it is known.)
    pub fn flood_budgeted(output: &str) {
        assert_the_flood_was_read(output);
        let (ticks, late) = latest_tick(output);
        let allowed = FLOOD_MS + super::waited_for_a_core().as_millis() as u64;
        assert!(ticks == 30 && late < allowed, "{output}");
    }
}

/// `src/part4-exercises.md`, checked by `tests/book/part4_exercises.rs`.
pub mod part4_exercises {
    use super::assert_is_the_sample;

    const PART: &str = "part4-exercises";

    /// The limit of the "At most two at a time" exercise.
    pub const PERMITS: usize = 2;

    /// The lines of "At most two at a time": every connection served once,
    /// `connection N: served, K of 2 permits out`, in any order, each with
    /// K at most the limit. `Err` says what is wrong.
    pub fn permits_never_exceed_the_limit(output: &str) -> Result<(), String> {
        let mut served = Vec::new();
        for line in output.lines() {
            let number = |text: &str| text.parse::<usize>().ok();
            let parsed = line
                .strip_prefix("connection ")
                .and_then(|rest| rest.split_once(": served, "))
                .and_then(|(n, rest)| {
                    let (out, max) = rest
                        .strip_suffix(" permits out")?
                        .split_once(" of ")?;
                    Some((number(n)?, number(out)?, number(max)?))
                });
            let Some((n, out, max)) = parsed else {
                return Err(format!("not a line the server sends: {line:?}"));
            };
            if max != PERMITS || out > max {
                return Err(format!(
                    "more permits out than there are: {line:?}"
                ));
            }
            served.push(n);
        }
        served.sort();
        if served != (0..5).collect::<Vec<usize>>() {
            return Err(format!(
                "not connections 0 to 4, each once:\n{output}"
            ));
        }
        Ok(())
    }

    /// The exercises' solutions; their starters print no sample.
    pub fn exercise_limit_solution(output: &str) {
        if let Err(wrong) = permits_never_exceed_the_limit(output) {
            panic!("{wrong}");
        }
    }

    pub fn exercise_abort_solution(output: &str) {
        assert_is_the_sample(PART, "exercise_abort_solution", output);
    }
}

/// `src/part6-many-threads.md`, checked by `tests/book/part6_many_threads.rs`.
pub mod part6_many_threads {
    /// The tasks of the CPU-bound programs, and the CPU time each burns.
    pub const TASKS: u32 = 8;
    pub const CPU_PER_TASK_MS: u32 = 125;

    /// What a CPU-bound program reports of itself on its last two lines.
    #[derive(Debug, Clone, Copy)]
    pub struct Report {
        /// Seconds of CPU time, all threads together.
        pub cpu: f64,
        /// Seconds of CPU time of the thread that spent the most.
        pub busiest: f64,
        /// Seconds of wall time.
        pub wall: f64,
        /// CPU time over wall time.
        pub cores: f64,
    }

    /// The report: `8 tasks of 125 ms of CPU each: C s of CPU time, B s
    /// of it on the busiest thread`, then `W s of wall time: K cores
    /// busy`.
    pub fn report(output: &str) -> Report {
        let lines: Vec<&str> = output.lines().collect();
        let [.., first, second] = lines[..] else {
            panic!("no report:\n{output}");
        };
        let numbers = |text: &str| -> Vec<f64> {
            text.split(' ')
                .filter_map(|word| word.parse().ok())
                .collect()
        };
        let expected =
            format!("{TASKS} tasks of {CPU_PER_TASK_MS} ms of CPU each: ");
        let cpu = first
            .strip_prefix(&expected)
            .filter(|rest| rest.ends_with(" of it on the busiest thread"))
            .map(numbers);
        let wall = second.strip_suffix(" cores busy").map(numbers);
        match (cpu.as_deref(), wall.as_deref()) {
            (Some(&[cpu, busiest]), Some(&[wall, cores])) => Report {
                cpu,
                busiest,
                wall,
                cores,
            },
            _ => panic!("no report of CPU and wall time:\n{output}"),
        }
    }

    /// The thread each task ran on, by task number, from the lines `task
    /// N ran on THREAD`: each task exactly once, all of them.
    pub fn threads_of_tasks(output: &str) -> Vec<String> {
        let mut threads = vec![None; TASKS as usize];
        let lines = output.lines().collect::<Vec<_>>();
        for line in &lines[..lines.len().saturating_sub(2)] {
            let (number, thread) = line
                .strip_prefix("task ")
                .and_then(|rest| rest.split_once(" ran on "))
                .unwrap_or_else(|| panic!("not a task's line: {line:?}"));
            let number: usize = number.parse().unwrap();
            assert!(
                threads[number].replace(thread.to_owned()).is_none(),
                "task {number} ran twice:\n{output}"
            );
        }
        threads
            .into_iter()
            .enumerate()
            .map(|(n, t)| t.unwrap_or_else(|| panic!("no task {n}:\n{output}")))
            .collect()
    }

    /// Every task ran once, the process burned each task's CPU time, and
    /// no run was faster than its busiest thread.
    fn every_task_ran_once(output: &str) -> (Vec<String>, Report) {
        let threads = threads_of_tasks(output);
        let report = report(output);
        let burned = f64::from(TASKS * CPU_PER_TASK_MS) / 1000.0;
        assert!(
            report.cpu >= burned - 0.01 && report.cpu < 2.0 * burned,
            "not about {burned} s of CPU:\n{output}"
        );
        // Printed to a hundredth, and clocks read a moment apart.
        assert!(report.wall >= report.busiest - 0.02, "{output}");
        (threads, report)
    }

    /// On one thread: every task on `main`, which did all the work, and
    /// never more than one core busy.
    pub fn cpu_one_thread(output: &str) {
        let (threads, report) = every_task_ran_once(output);
        assert!(threads.iter().all(|t| t == "main"), "{output}");
        assert!(report.busiest >= report.cpu - 0.02, "{output}");
        assert!(report.cores <= 1.05, "{output}");
    }

    /// On the workers: every task on one of them.
    pub fn cpu_many_threads(output: &str) {
        let (threads, _) = every_task_ran_once(output);
        assert!(threads.iter().all(|t| t.starts_with("worker ")), "{output}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kettle before the toast only from a run kept off a core for
    /// longer than the gap between them.
    #[test]
    fn the_breakfast_may_come_in_poll_order_only_after_a_long_wait() {
        let listing = "listings/part1-futures/exercise_join_solution.rs";
        let sample = sample_output("part1-futures", "exercise_join_solution");
        let swapped = sample
            .replace("toast up\nkettle boiled\n", "kettle boiled\ntoast up\n");
        assert_ne!(swapped, sample);
        let (short, long) =
            (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(broken_after_waiting(listing, &sample, short), None);
        assert!(broken_after_waiting(listing, &swapped, short).is_some());
        assert_eq!(broken_after_waiting(listing, &swapped, long), None);
    }

    /// Timers falling due together, and so fewer polls, only from a run
    /// kept off a core for longer than the gap between two of them; and
    /// never fewer polls than any turns can make.
    #[test]
    fn the_flag_executor_polls_fewer_times_only_after_a_long_wait() {
        let listing = "listings/part2-tasks/flag_polls.rs";
        let sample = sample_output("part2-tasks", "flag_polls");
        let with_polls =
            |n: usize| sample.replace("polls: 120", &format!("polls: {n}"));
        let (short, long) =
            (Duration::from_millis(50), Duration::from_millis(300));
        assert_eq!(broken_after_waiting(listing, &sample, short), None);
        assert!(
            broken_after_waiting(listing, &with_polls(50), short).is_some()
        );
        assert_eq!(broken_after_waiting(listing, &with_polls(50), long), None);
        assert!(broken_after_waiting(listing, &with_polls(29), long).is_some());
    }

    /// A delay is allowed the time its run waited for a core, and only
    /// while that run is being checked.
    #[test]
    fn a_promise_about_a_delay_allows_for_the_wait_for_a_core() {
        let listing = "listings/part4-faults/flood_budgeted.rs";
        let output = "read 3 MiB\nthe latest of 30 ticks came 700 ms late\n";
        let waited = Duration::from_millis(200);
        assert!(broken(listing, output).is_some());
        assert_eq!(broken_after_waiting(listing, output, waited), None);
        assert!(broken(listing, output).is_some(), "the allowance stayed");
        let short = Duration::from_millis(50);
        assert!(broken_after_waiting(listing, output, short).is_some());
    }
}
