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
//! Included by the chapters' test files and `tests/browser.rs` with
//! `#[path = "support/promised_output.rs"] mod promised_output;`.

use book_tools::programs::{sample_output, sorted_lines};

/// What the chapter promises that `listing_file` prints, as a predicate
/// on its output: `listing_file` is the listing's path in the repository,
/// `listings/<part>/<stem>.rs`, and must have a sample output.
pub fn promise_for(listing_file: &str) -> fn(&str) {
    use {introduction as intro, part1_futures as p1};
    use {part2_tasks as p2, part3_io as p3};
    let (part, stem) = listing_file
        .strip_prefix("listings/")
        .and_then(|rest| rest.strip_suffix(".rs"))
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_else(|| {
            panic!("{listing_file}: not a listing, listings/<part>/<stem>.rs")
        });
    let promise: fn(&str) = match (part, stem) {
        ("introduction", "ten_threads") => intro::ten_threads,
        ("introduction", "thousand_threads") => intro::thousand_threads,
        ("introduction", "too_many_threads") => intro::too_many_threads,
        ("introduction", "ten_tasks") => intro::ten_tasks,
        ("introduction", "blocking_sleep") => intro::blocking_sleep,
        ("part1-futures", "one_job") => p1::one_job,
        ("part1-futures", "join_blocking") => p1::join_blocking,
        ("part1-futures", "never_woken") => p1::never_woken,
        ("part1-futures", "busy_sleep") => p1::busy_sleep,
        ("part1-futures", "timer_table") => p1::timer_table,
        ("part1-futures", "thread_timer") => p1::thread_timer,
        ("part1-futures", "combinators") => p1::combinators,
        ("part1-futures", "async_job") => p1::async_job,
        ("part1-futures", "timeout") => p1::timeout,
        ("part1-futures", "pinned_job") => p1::pinned_job,
        ("part1-futures", "boxed_recursion") => p1::boxed_recursion,
        ("part2-tasks", "tokio_spawn") => p2::tokio_spawn,
        ("part2-tasks", "spawn_and_forget") => p2::spawn_and_forget,
        ("part2-tasks", "ten_tasks") => p2::ten_tasks,
        ("part2-tasks", "send_and_static") => p2::send_and_static,
        ("part2-tasks", "queue_polls") => p2::queue_polls,
        ("part2-tasks", "flag_polls") => p2::flag_polls,
        ("part2-tasks", "blocking_stall") => p2::blocking_stall,
        ("part2-tasks", "blocking_thread") => p2::blocking_thread,
        ("part3-io", "blocking_client") => p3::blocking_client,
        ("part3-io", "one_server_thread") => p3::one_server_thread,
        ("part3-io", "thread_per_connection") => p3::thread_per_connection,
        ("part3-io", "busy_loop") => p3::busy_loop,
        ("part3-io", "poll_loop") => p3::poll_loop,
        _ => panic!(
            "{listing_file}: no promised output; add the predicate its \
             claim tests apply to tests/support/promised_output.rs"
        ),
    };
    promise
}

/// The output is exactly the sample output the chapter shows for
/// `listings/<part>/<stem>.rs`.
pub fn assert_is_the_sample(part: &str, stem: &str, output: &str) {
    assert_eq!(
        output,
        sample_output(part, stem),
        "listings/{part}/{stem}.rs printed other than exactly its sample \
         output, listings/{part}/output/{stem}.txt (left: printed, right: \
         sample)"
    );
}

/// `src/introduction.md`, checked by `tests/introduction.rs`.
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

/// `src/part1-futures.md`, checked by `tests/part1_futures.rs`.
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
}

/// `src/part2-tasks.md`, checked by `tests/part2_tasks.rs`.
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
    /// Never fewer than 30: every job is polled in the first two turns and
    /// in the one that finishes it.
    pub fn assert_several_times_as_many_polls(flag: usize, queue: usize) {
        assert!(
            flag >= 3 * queue,
            "flag executor {flag} polls, not several times the queue's {queue}"
        );
    }

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
        assert_eq!(lines[0].0, "crunching", "{lines:?}");
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
    /// [`QUEUE_POLLS`] (its own promise, [`queue_polls`]).
    pub fn flag_polls(output: &str) {
        assert_several_times_as_many_polls(polls(output), QUEUE_POLLS);
        assert_the_workload_lines_in_order(output);
    }

    pub fn blocking_stall(output: &str) {
        assert_every_tick_held_back_until_the_work_is_done(output);
    }

    pub fn blocking_thread(output: &str) {
        assert_the_ticks_keep_coming_during_the_work(output);
    }
}

/// `src/part3-io.md`, checked by `tests/part3_io.rs`.
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
}
