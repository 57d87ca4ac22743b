//! The claims of Part Two (`src/part2-tasks.md`), each checked against the
//! program the chapter shows, built from `listings/` as a reader builds it.
//!
//! The programs mostly sleep, so most of them run beside others; the two
//! measured for CPU time run alone (`programs::run`). Time bounds are
//! physics on one side and generous on the other, so that they hold on a
//! loaded two-core machine. Orders of output lines are asserted only where
//! hundreds of milliseconds separate them.

use std::path::Path;
use std::time::Duration;

use book_tools::assemble::{Assembled, assemble};
use book_tools::exercises::assert_solution_keeps_and_starter_breaks as assert_exercise;
use book_tools::process::Run;
use book_tools::programs::{
    self, assert_takes_about, listing_source, measure_beside_others, run,
    run_beside_others, rustc_errors,
};

use book_tools::promised_output;

use promised_output::part2_tasks::{
    self as promised, assert_each_job_polled_exactly_twice,
    assert_every_job_starts_and_ends_and_the_total_comes_last,
    assert_every_tick_held_back_until_the_work_is_done,
    assert_several_times_as_many_polls, assert_the_jobs_end_in_order,
    assert_the_ticks_keep_coming_during_the_work,
    assert_the_workload_lines_in_order, polls,
};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part2-tasks", name)
}

// The two programs whose CPU time is a claim run alone.

fn ten_tasks() -> &'static Run {
    run("part2-ten-tasks")
}

fn queue_polls() -> &'static Run {
    run("part2-queue-polls")
}

// Spawning with Tokio, and the same program on our runtime.

#[test]
fn tokio_spawn_takes_about_one_second() {
    assert_takes_about(run_beside_others("part2-tokio-spawn"), SECOND);
}

#[test]
fn every_job_starts_and_ends_and_the_total_comes_last() {
    for (name, output) in [
        (
            "tokio_spawn",
            &run_beside_others("part2-tokio-spawn").stdout,
        ),
        ("ten_tasks", &ten_tasks().stdout),
    ] {
        for output in [output, &sample_output(name)] {
            assert_every_job_starts_and_ends_and_the_total_comes_last(
                name, output,
            );
        }
    }
}

#[test]
fn ten_tasks_ends_the_jobs_in_order() {
    for output in [&ten_tasks().stdout, &sample_output("ten_tasks")] {
        assert_the_jobs_end_in_order(output);
    }
}

// A list of tasks.

#[test]
fn spawn_and_forget_prints_ten_starts_and_no_end() {
    let mut expected: String =
        (0..10).map(|n| format!("start {n}\n")).collect();
    expected.push_str("main is done\n");
    let run = run_beside_others("part2-spawn-and-forget");
    promised::spawn_and_forget(&run.stdout);
    assert_eq!(sample_output("spawn_and_forget"), expected);
}

#[test]
fn spawn_and_forget_takes_about_half_a_second() {
    let run = run_beside_others("part2-spawn-and-forget");
    assert_takes_about(run, SECOND / 2);
}

// Join handles, and the wake-up that the first main loop loses.

#[test]
fn lost_wake_up_panics_with_the_answer_ready() {
    let run = measure_beside_others("part2-lost-wake-up", 10 * SECOND);
    assert!(!run.timed_out, "it hung instead of panicking");
    assert_eq!(run.status.code(), Some(101), "a panic: {}", run.stderr);
    assert!(
        run.stderr
            .contains("every task waits, and nothing will ever wake one"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "no answer is printed");
}

// The runtime at the end of Part Two.

#[test]
fn ten_tasks_takes_about_one_second() {
    assert_takes_about(ten_tasks(), SECOND);
}

#[test]
fn ten_tasks_sits_idle_while_it_waits() {
    let run = ten_tasks();
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

/// A program of `listings/` as the book shows it: assembled with the
/// stages of the runtime it runs on.
fn assembled(file: &str) -> Assembled {
    let file = format!("listings/{file}");
    assemble(&programs::project(), Path::new(&file)).unwrap()
}

/// The code of `lines`, as two runtimes are compared line for line: no
/// blank lines, comments that document (`//!`, `///`), `use` lines or
/// anchor markers, and no `pub`, which says who may call an item, not what
/// it does.
fn code_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    lines
        .into_iter()
        .map(str::trim)
        .filter(|line| {
            !(line.is_empty()
                || line.starts_with("//!")
                || line.starts_with("///")
                || line.starts_with("use ")
                || line.starts_with("// ANCHOR"))
        })
        .map(|line| line.strip_prefix("pub ").unwrap_or(line).to_owned())
        .collect()
}

/// Whether every line of `part` appears in `whole`, in the same order.
fn appears_in_order(part: &[String], whole: &[String]) -> bool {
    let mut whole = whole.iter();
    part.iter().all(|line| whole.any(|other| other == line))
}

#[test]
fn part_three_starts_from_this_runtime() {
    let part_two = assembled("part2-tasks/ten_tasks.rs");
    let mut stages = part_two.modules.clone();
    stages.sort();
    assert_eq!(stages, ["flag_executor", "join_handle", "timers"]);
    let part_three = assembled("part3-io/busy_loop.rs");
    let part_three = code_lines(part_three.lines.iter().map(|l| &*l.text));
    let mut runtime = 0;
    for stage in &stages {
        let code =
            code_lines(listing_source(&format!("src/{stage}.rs")).lines());
        runtime += code.len();
        assert!(
            appears_in_order(&code, &part_three),
            "Part Three's first program changes the code of {stage}"
        );
    }
    assert!(runtime > 100, "{runtime} lines");
}

#[test]
fn flag_polls_runs_the_runtime_of_ten_tasks() {
    let stages = |program: &str| {
        let mut stages = assembled(program).modules;
        stages.sort();
        stages
    };
    let ten_tasks = stages("part2-tasks/ten_tasks.rs");
    assert!(
        ten_tasks.contains(&"flag_executor".to_owned()),
        "{ten_tasks:?}"
    );
    assert_eq!(stages("part2-tasks/flag_polls.rs"), ten_tasks);
    // And it brings no runtime of its own.
    let own = listing_source("part2-tasks/flag_polls.rs");
    for item in ["fn block_on", "fn spawn", "static WOKEN", "struct Sleep"] {
        assert!(!own.contains(item), "flag_polls.rs has its own `{item}`");
    }
}

// What `spawn` demands: `Send` and `'static`.

#[test]
fn borrowed_name_does_not_live_long_enough() {
    let program = assembled("part2-tasks/compile_fail/borrowed_name.rs");
    let errors = rustc_errors(&program.text());
    assert_eq!(
        errors.codes.iter().collect::<Vec<_>>(),
        ["E0597"],
        "{}",
        errors.rendered
    );
    for message in [
        "`name` does not live long enough",
        "argument requires that `name` is borrowed for `'static`",
    ] {
        assert!(errors.rendered.contains(message), "{}", errors.rendered);
    }
}

#[test]
fn rc_instead_of_arc_cannot_be_sent_and_has_no_error_code() {
    // The program as the page holds it, anchor markers included.
    let program = assembled("part2-tasks/send_and_static.rs");
    let lines: Vec<&str> = program.lines.iter().map(|l| &*l.text).collect();
    let fixed = lines.join("\n");
    assert!(
        rustc_errors(&fixed).rendered.is_empty(),
        "the listing compiles"
    );
    // The reader's edit: every `Arc` in the lines the chapter shows
    // becomes an `Rc`, and `Rc` is imported.
    let start = fixed.find("// ANCHOR: shared").unwrap();
    let end = fixed.find("// ANCHOR_END: shared").unwrap();
    let edited = format!(
        "{}{}{}\nuse std::rc::Rc;\n",
        &fixed[..start],
        fixed[start..end].replace("Arc", "Rc"),
        &fixed[end..]
    );
    let errors = rustc_errors(&edited);
    assert!(!errors.rendered.is_empty(), "the edited program compiles");
    assert!(errors.codes.is_empty(), "codes: {:?}", errors.codes);
    for message in [
        "future cannot be sent between threads safely",
        "the trait `Send` is not implemented for `Rc<String>`",
        "is used across an await",
    ] {
        assert!(errors.rendered.contains(message), "{}", errors.rendered);
    }
}

#[test]
fn send_and_static_prints_every_greeting() {
    let run = run_beside_others("part2-send-and-static");
    let expected = "hello, Ferris\n\
                    task 1: hello, Ferris\n\
                    task 2: hello, Ferris\n\
                    task 1: goodbye, Ferris\n\
                    task 2: goodbye, Ferris\n";
    promised::send_and_static(&run.stdout);
    assert_eq!(sample_output("send_and_static"), expected);
}

// Two executors, one workload, counted polls.

fn flag_polls() -> &'static Run {
    run_beside_others("part2-flag-polls")
}

#[test]
fn queue_executor_polls_each_job_exactly_twice() {
    assert_each_job_polled_exactly_twice(&queue_polls().stdout);
    assert_each_job_polled_exactly_twice(&sample_output("queue_polls"));
}

#[test]
fn flag_executor_polls_several_times_as_often() {
    let flag = flag_polls();
    promised_output::allowing_for(flag.waited_for_a_core, || {
        promised::flag_polls(&flag.stdout)
    });
    assert_several_times_as_many_polls(
        polls(&sample_output("flag_polls")),
        polls(&sample_output("queue_polls")),
    );
}

#[test]
fn both_executors_print_the_same_lines_in_the_same_order() {
    for output in [
        &flag_polls().stdout,
        &queue_polls().stdout,
        &sample_output("flag_polls"),
        &sample_output("queue_polls"),
    ] {
        assert_the_workload_lines_in_order(output);
    }
}

#[test]
fn queue_executor_returns_when_the_queue_closes() {
    // `run` asserts a successful exit; it must also come after the work,
    // not before the last timer.
    let run = queue_polls();
    assert_takes_about(run, SECOND);
    assert!(run.stdout.ends_with("end 9\npolls: 20\n"), "{}", run.stdout);
}

#[test]
fn queue_executor_sits_idle_while_it_waits() {
    let run = queue_polls();
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

// Blocking work, on the executor's thread and on a thread of its own.

#[test]
fn blocking_stall_holds_back_every_tick_until_the_work_is_done() {
    let run = run_beside_others("part2-blocking-stall");
    for output in [&run.stdout, &sample_output("blocking_stall")] {
        assert_every_tick_held_back_until_the_work_is_done(output);
    }
}

#[test]
fn blocking_thread_keeps_the_ticks_coming_during_the_work() {
    let run = run_beside_others("part2-blocking-thread");
    for output in [&run.stdout, &sample_output("blocking_thread")] {
        assert_the_ticks_keep_coming_during_the_work(output);
    }
}

#[test]
fn a_pool_runs_at_most_its_four_threads_where_a_thread_per_job_runs_more() {
    let run = run_beside_others("part2-thread-pool");
    for output in [&run.stdout, &sample_output("thread_pool")] {
        promised::thread_pool(output);
    }
}

#[test]
fn blocking_programs_take_about_one_second() {
    for program in ["part2-blocking-stall", "part2-blocking-thread"] {
        assert_takes_about(run_beside_others(program), SECOND);
    }
}

// The exercises: each check is the promise of the exercise's statement,
// which the solution keeps and the starter breaks.

#[test]
fn exercise_yield_lets_the_tasks_count_in_turns() {
    let exercise = assert_exercise("part2-yield");
    promised::exercise_yield_solution(&exercise.solution.stdout);
}

#[test]
fn exercise_abort_drops_the_huge_download() {
    let exercise = assert_exercise("part2-abort");
    promised::exercise_abort_solution(&exercise.solution.stdout);
    // The huge download would have ended a second after the start, and
    // `main` waits a second after the abort: the program ran past it.
    assert!(exercise.solution.wall >= SECOND, "{:?}", exercise.solution);
}
