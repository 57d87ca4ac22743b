//! The claims of Part One (`src/part1-futures.md`), each checked against the
//! program the chapter shows, built from `listings/` as a reader builds it.
//!
//! Time bounds are physics on one side (ten one-second sleeps one after
//! another cannot take less than ten seconds) and generous on the other,
//! so that they hold on a loaded two-core machine. Programs measured for
//! their CPU time run alone; the others, which only sleep, run beside
//! each other.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use book_tools::assemble::assemble;
use book_tools::compile_fail::Errors;
use book_tools::exercises::assert_solution_keeps_and_starter_breaks as assert_exercise;
use book_tools::process::Run;
use book_tools::programs::{
    self, assert_burns_a_core, assert_takes_about, measure, run,
    run_all_beside_others, run_beside_others, rustc_errors, sorted_lines,
};

use book_tools::promised_output;

use promised_output::part1_futures::{
    self as promised, assert_every_start_before_every_end,
    assert_the_waker_is_stored_then_replaced,
};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part1-futures", name)
}

/// What rustc says about a listing of `compile_fail/`, assembled with the
/// stages it names as the page shows it.
fn errors_of(name: &str) -> Errors {
    let file = format!("listings/part1-futures/compile_fail/{name}.rs");
    let program = assemble(&programs::project(), Path::new(&file)).unwrap();
    rustc_errors(&program.text())
}

/// The errors of compile_fail program `name`, which must be exactly one
/// error, `code`, whose message says `says`.
fn refused_with(name: &str, code: &str, says: &str) -> Errors {
    let errors = errors_of(name);
    assert_eq!(
        errors.codes.iter().collect::<Vec<_>>(),
        [code],
        "{}",
        errors.rendered
    );
    assert!(errors.rendered.contains(says), "{}", errors.rendered);
    errors
}

/// The programs whose claims are about output and the time spent sleeping.
const SLEEPERS: [&str; 11] = [
    "part1-one-job",
    "part1-join-blocking",
    "part1-thread-timer",
    "part1-combinators",
    "part1-async-job",
    "part1-compiled-job",
    "part1-timeout",
    "part1-hand-projected-timeout",
    "part1-pin-project-timeout",
    "part1-pinned-job",
    "part1-boxed-recursion",
];

/// Runs `program`, one of [`SLEEPERS`], beside others. The first call
/// starts all of them at once: they only sleep, and one after another
/// their seconds would add up.
fn sleeper(program: &str) -> &'static Run {
    run_all_beside_others(&SLEEPERS);
    run_beside_others(program)
}

#[test]
fn one_job_prints_start_then_end_a_second_later() {
    let run = sleeper("part1-one-job");
    promised::one_job(&run.stdout);
    assert_eq!(sample_output("one_job"), "start 0\nend 0\n");
    assert_takes_about(run, SECOND);
}

#[test]
fn join_of_blocking_jobs_takes_about_ten_seconds() {
    let run = sleeper("part1-join-blocking");
    assert_takes_about(run, 10 * SECOND);
}

#[test]
fn join_of_blocking_jobs_runs_them_one_after_another() {
    let expected: String =
        (0..10).map(|n| format!("start {n}\nend {n}\n")).collect();
    promised::join_blocking(&sleeper("part1-join-blocking").stdout);
    assert_eq!(sample_output("join_blocking"), expected);
}

/// `part1-never-woken`, alone and killed after three seconds: one run for
/// both of its claims.
fn never_woken() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| measure("part1-never-woken", 3 * SECOND))
}

#[test]
fn never_woken_sleep_hangs_after_ten_starts() {
    let run = never_woken();
    assert!(run.timed_out, "it finished: {}", run.status);
    let expected: String = (0..10).map(|n| format!("start {n}\n")).collect();
    promised::never_woken(&run.stdout);
    assert_eq!(sample_output("never_woken"), expected);
    // It hangs asleep in `park`, not spinning.
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

#[test]
fn busy_sleep_prints_every_start_and_end() {
    assert_every_start_before_every_end(
        "part1-busy-sleep",
        &run("part1-busy-sleep").stdout,
    );
    assert_every_start_before_every_end(
        "sample of part1-busy-sleep",
        &sample_output("busy_sleep"),
    );
}

#[test]
fn busy_sleep_takes_about_one_second() {
    assert_takes_about(run("part1-busy-sleep"), SECOND);
}

#[test]
fn busy_sleep_burns_a_whole_core() {
    assert_burns_a_core(run("part1-busy-sleep"), Duration::from_secs(1));
}

#[test]
fn timer_table_prints_every_start_and_end() {
    assert_every_start_before_every_end(
        "part1-timer-table",
        &run("part1-timer-table").stdout,
    );
    assert_every_start_before_every_end(
        "sample of part1-timer-table",
        &sample_output("timer_table"),
    );
}

#[test]
fn timer_table_takes_about_one_second() {
    assert_takes_about(run("part1-timer-table"), SECOND);
}

#[test]
fn timer_table_sits_idle_while_it_waits() {
    let run = run("part1-timer-table");
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

#[test]
fn thread_timer_stores_the_waker_of_the_latest_poll() {
    assert_the_waker_is_stored_then_replaced(
        "part1-thread-timer",
        &sleeper("part1-thread-timer").stdout,
    );
    assert_the_waker_is_stored_then_replaced(
        "sample of part1-thread-timer",
        &sample_output("thread_timer"),
    );
}

#[test]
fn thread_timer_takes_about_one_second() {
    assert_takes_about(sleeper("part1-thread-timer"), SECOND);
}

#[test]
fn combinators_take_about_three_seconds() {
    let run = sleeper("part1-combinators");
    assert_takes_about(run, 3 * SECOND);
}

#[test]
fn combinators_run_the_jobs_one_after_another() {
    let expected = "start 0\nend 0\nstart 1\nend 1\nstart 2\nend 2\n";
    promised::combinators(&sleeper("part1-combinators").stdout);
    assert_eq!(sample_output("combinators"), expected);
}

#[test]
fn async_job_prints_what_the_hand_written_job_prints() {
    let by_compiler = &sleeper("part1-async-job").stdout;
    let by_hand = &run("part1-timer-table").stdout;
    assert_every_start_before_every_end("part1-async-job", by_compiler);
    assert_eq!(sorted_lines(by_compiler), sorted_lines(by_hand));
    assert_every_start_before_every_end(
        "sample of part1-async-job",
        &sample_output("async_job"),
    );
}

#[test]
fn async_job_takes_about_one_second() {
    assert_takes_about(sleeper("part1-async-job"), SECOND);
}

/// The size `part1-compiled-job` printed for `what`, from its line
/// `" 48 bytes: what"`.
fn size_of_in(output: &str, what: &str) -> usize {
    let line = output
        .lines()
        .find(|line| line.ends_with(&format!(" bytes: {what}")))
        .unwrap_or_else(|| panic!("no size of {what} in:\n{output}"));
    let size = line.trim_start().split(' ').next().unwrap();
    size.parse().unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn compiled_job_prints_the_size_of_each_future() {
    let run = sleeper("part1-compiled-job");
    assert_eq!(run.stdout, sample_output("compiled_job"));
    // The sizes the chapter quotes, and where they come from: `n`, a
    // `Sleep` (a deadline and an id), and a byte for the state, padded.
    let n = size_of::<usize>();
    let sleep = size_of::<std::time::Instant>() + size_of::<u64>();
    assert_eq!((n, sleep), (8, 24));
    let size = |what| size_of_in(&run.stdout, what);
    // `Job`: its largest state, `n` and the sleep; the state's number
    // hides in a bit pattern the deadline never has.
    assert_eq!(size("Job, by hand"), n + sleep);
    assert_eq!(size("Job, by hand"), 32);
    // The `async fn`'s future: `n` twice, the sleep, and the state's byte
    // padded to 8; the written-out state machine, the same.
    assert_eq!(size("the async fn's future"), n + n + sleep + 8);
    assert_eq!(size("the async fn's future"), 48);
    assert_eq!(size("JobAsCompiled"), size("the async fn's future"));
    // The chain: the second closure, `n` in an `Option` (16 bytes), beside
    // the first step's sleep and a byte that says which step (32).
    assert_eq!(size("the combinator chain"), (n + 8) + (sleep + 8));
    assert_eq!(size("the combinator chain"), 48);
}

#[test]
fn compiled_job_runs_the_four_jobs_side_by_side() {
    let run = sleeper("part1-compiled-job");
    let expected: Vec<String> = (0..4)
        .map(|n| format!("start {n}"))
        .chain((0..4).map(|n| format!("end {n}")))
        .collect();
    for (output, whose) in [
        (&run.stdout, "part1-compiled-job"),
        (&sample_output("compiled_job"), "the sample"),
    ] {
        let jobs: Vec<&str> = output.lines().skip(4).collect();
        assert_eq!(jobs, expected, "{whose} printed:\n{output}");
    }
    assert_takes_about(run, SECOND);
}

#[test]
fn timeout_drops_the_slow_job_before_its_end() {
    let run = sleeper("part1-timeout");
    let expected = "start 0\n\
                    start 1\n\
                    job 1 timed out\n\
                    end 0\n\
                    job 0 finished in time\n";
    promised::timeout(&run.stdout);
    assert_eq!(sample_output("timeout"), expected);
    // Job 1's second was over before the program ended, and still no end.
    assert!(!run.stdout.contains("end 1"), "{}", run.stdout);
    assert!(run.wall >= SECOND, "{:?}", run.wall);
}

#[test]
fn timeout_takes_about_one_second() {
    assert_takes_about(sleeper("part1-timeout"), SECOND);
}

#[test]
fn unpinned_job_cannot_be_unpinned() {
    let errors = refused_with("unpinned_job", "E0277", "cannot be unpinned");
    // The remedies the compiler suggests.
    assert!(errors.rendered.contains("`pin!`"), "{}", errors.rendered);
    assert!(
        errors.rendered.contains("`Box::pin`"),
        "{}",
        errors.rendered
    );
}

#[test]
fn pinned_job_starts_by_hand_and_ends_in_block_on() {
    let run = sleeper("part1-pinned-job");
    let expected = "start 0\n\
                    polled once by hand, now handing it to block_on\n\
                    end 0\n";
    promised::pinned_job(&run.stdout);
    assert_eq!(sample_output("pinned_job"), expected);
    assert_takes_about(run, SECOND);
}

/// Asserts that `program`, a `Timeout` without a box, prints what the
/// boxed one of `part1-timeout` prints, and that its sample is that too.
fn assert_prints_what_the_boxed_timeout_prints(program: &str, sample: &str) {
    let run = sleeper(program);
    assert_eq!(run.stdout, sample_output("timeout"), "{program}");
    assert_eq!(sample_output(sample), sample_output("timeout"));
    // Job 1's second was over before the program ended, and still no end.
    assert!(!run.stdout.contains("end 1"), "{}", run.stdout);
    assert!(run.wall >= SECOND, "{:?}", run.wall);
}

#[test]
fn unprojected_timeout_cannot_be_unpinned() {
    refused_with("unprojected_timeout", "E0277", "`F` cannot be unpinned");
}

#[test]
fn hand_projected_timeout_prints_what_the_boxed_one_prints() {
    assert_prints_what_the_boxed_timeout_prints(
        "part1-hand-projected-timeout",
        "hand_projected_timeout",
    );
}

#[test]
fn unprojected_sleep_cannot_be_borrowed_through_the_pin() {
    refused_with(
        "unprojected_sleep",
        "E0596",
        "cannot borrow data in dereference of \
             `Pin<&mut Timeout<F>>` as mutable",
    );
}

#[test]
fn pin_project_timeout_prints_what_the_boxed_one_prints() {
    assert_prints_what_the_boxed_timeout_prints(
        "part1-pin-project-timeout",
        "pin_project_timeout",
    );
}

#[test]
fn pin_project_timeout_refuses_a_drop_impl() {
    // The program as the page shows it, with a `Drop` that could move the
    // pinned future out of the `&mut self` it gets.
    let file = "listings/part1-futures/pin_project_timeout.rs";
    let program = assemble(&programs::project(), Path::new(file)).unwrap();
    let source = format!(
        "{}\nimpl<F> Drop for Timeout<F> {{\n    fn drop(&mut self) {{}}\n}}\n",
        program.text()
    );
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("with_drop.rs");
    std::fs::write(&path, source).unwrap();
    let edition = programs::project().edition().unwrap();
    let output = std::process::Command::new("rustc")
        .arg(&path)
        .args(["--edition", &edition, "--crate-type", "bin"])
        .args(["--emit=metadata", "--out-dir"])
        .arg(scratch.path())
        .args(programs::built().rustc_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it compiled:\n{stderr}");
    assert!(stderr.contains("error[E0119]"), "{stderr}");
    assert!(stderr.contains("MustNotImplDrop"), "{stderr}");
}

#[test]
fn recursive_countdown_requires_boxing() {
    let errors = refused_with(
        "recursive_countdown",
        "E0733",
        "recursion in an async fn requires boxing",
    );
    assert!(errors.rendered.contains("Box::pin"), "{}", errors.rendered);
}

#[test]
fn boxed_recursion_counts_down_to_liftoff() {
    let run = sleeper("part1-boxed-recursion");
    promised::boxed_recursion(&run.stdout);
    assert_eq!(sample_output("boxed_recursion"), "3\n2\n1\nliftoff\n");
}

// The exercises: each check is the promise of the exercise's statement,
// which the solution keeps and the starter breaks.

#[test]
fn exercise_join_switches_both_on_before_either_is_done() {
    let exercise = assert_exercise("part1-join");
    let solution = &exercise.solution;
    promised_output::allowing_for(solution.waited_for_a_core, || {
        promised::exercise_join_solution(&solution.stdout)
    });
    assert_takes_about(solution, SECOND);
}

#[test]
fn exercise_race_takes_the_first_answer_and_drops_the_other() {
    let exercise = assert_exercise("part1-race");
    promised::exercise_race_solution(&exercise.solution.stdout);
}
