//! The claims of the first chapter of Part Four (`src/part4-ready.md`),
//! each checked against the program the chapter shows, built from
//! `listings/` as a reader builds it.
//!
//! Every program runs in a network namespace of its own (its port 8000 is
//! its own) and has its wall-clock and CPU time measured by the kernel.
//! Counts of turns and polls that depend on the machine's speed are bounded
//! loosely on the side that a slow or loaded machine moves them to.

use std::time::Duration;

use book_tools::process::Run;
use book_tools::programs::{self, assert_takes_about, measure, run};

use book_tools::promised_output;

use promised_output::part4_ready::{
    self as promised, CONNECTIONS, SLEEPS, handler_polls, turns,
};

const MILLISECOND: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// The sample output the chapter shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-ready", name)
}

// Timer precision: the programs that count turns spin when they round down,
// so they run alone (`programs::run`).

fn round_down() -> &'static Run {
    run("part4-round-down")
}

fn round_up() -> &'static Run {
    run("part4-round-up")
}

#[test]
fn rounding_down_goes_round_many_times_per_sleep() {
    promised::round_down(&round_down().stdout);
    let sample = sample_output("round_down");
    promised::round_down(&sample);
    // The chapter reads "over twenty thousand" turns, hundreds per sleep,
    // off its sample, which comes from an idle machine.
    assert!(turns(&sample) > 20_000, "{sample}");
    assert!(turns(&sample) > 100 * SLEEPS, "{sample}");
}

#[test]
fn rounding_up_goes_round_once_per_sleep() {
    promised::round_up(&round_up().stdout);
    let sample = sample_output("round_up");
    promised::round_up(&sample);
    // The chapter's numbers, from an idle machine.
    assert_eq!(promised::turns(&sample), promised::SLEEPS + 1, "{sample}");
}

#[test]
fn rounding_down_takes_many_times_the_turns_of_rounding_up() {
    // The sample, from an idle machine, shows hundreds of times the turns.
    // A live run on a loaded machine may lose its core while it spins, so
    // its bound is lower, but still far above what a loop that sleeps
    // through each wait could reach.
    for (down, up, factor) in [
        (turns(&round_down().stdout), turns(&round_up().stdout), 2),
        (
            turns(&sample_output("round_down")),
            turns(&sample_output("round_up")),
            100,
        ),
    ] {
        assert!(
            down > factor * up,
            "{down} turns rounding down, {up} rounding up"
        );
    }
}

#[test]
fn rounding_up_makes_each_sleep_last_at_least_two_milliseconds() {
    // Each 1.5 ms sleep asks `poll(2)` for 2 ms, and `poll(2)` never
    // returns before its timeout has run out.
    let sleeps = u32::try_from(SLEEPS).unwrap();
    let up = round_up().wall;
    assert!(up >= sleeps * 2 * MILLISECOND, "{up:?}");
}

// Only what is ready: a hundred idle connections and one byte, on Part
// Three's loop and on the loop with a ready queue. The counts do not depend
// on timing: each follows from the order in which the loop does things.

#[test]
fn part_three_loop_polls_every_handler_for_one_byte() {
    promised::every_task(&run("part4-every-task").stdout);
    promised::every_task(&sample_output("every_task"));
}

#[test]
fn ready_queue_polls_each_handler_once_to_start() {
    for output in [
        &run("part4-only-ready").stdout,
        &sample_output("only_ready"),
    ] {
        let (before, _) = handler_polls(output);
        assert_eq!(before, CONNECTIONS, "{output}");
    }
}

#[test]
fn ready_queue_polls_one_handler_once_for_one_byte() {
    promised::only_ready(&run("part4-only-ready").stdout);
    promised::only_ready(&sample_output("only_ready"));
}

// The doorbell: blocking work on threads, whose wake-ups a loop asleep in
// `poll(2)` does not hear without one.

/// Three times what the program needs: half a second of sleep and half a
/// second of work.
const NO_DOORBELL_LIMIT: Duration = Duration::from_secs(3);

fn no_doorbell() -> &'static Run {
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(|| measure("part4-no-doorbell", NO_DOORBELL_LIMIT))
}

#[test]
fn without_a_doorbell_the_loop_sleeps_through_the_wake_ups() {
    let run = no_doorbell();
    assert!(run.timed_out, "it ended: {run:?}");
    promised::no_doorbell(&run.stdout);
    promised::no_doorbell(&sample_output("no_doorbell"));
}

#[test]
fn without_a_doorbell_the_loop_hangs_idle() {
    let run = no_doorbell();
    assert!(run.timed_out, "it ended: {run:?}");
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}

fn doorbell() -> &'static Run {
    run("part4-doorbell")
}

#[test]
fn with_a_doorbell_every_client_gets_its_lines_and_wake_ups_come_promptly() {
    promised::doorbell(&doorbell().stdout);
    promised::doorbell(&sample_output("doorbell"));
}

#[test]
fn with_a_doorbell_the_sample_wake_up_took_under_a_millisecond() {
    let slowest = promised::slowest_wake_up(&sample_output("doorbell"));
    assert!(slowest < MILLISECOND, "{slowest:?}");
}

#[test]
fn doorbell_takes_about_one_second() {
    assert_takes_about(doorbell(), SECOND);
}

#[test]
fn doorbell_sits_idle_while_it_waits() {
    let run = doorbell();
    assert!(run.cpu_share() < 0.1, "CPU {:?} in {:?}", run.cpu, run.wall);
}
