//! The claims of the exercises for Part Four (`src/part4-exercises.md`):
//! each exercise's solution keeps the promise its statement makes, and
//! its starter breaks it, for the reason the statement gives.

use std::time::Duration;

use book_tools::exercises::assert_solution_keeps_and_starter_breaks as assert_exercise;
use book_tools::programs;

use book_tools::promised_output;

use promised_output::part4_exercises::{self as promised};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the page shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-exercises", name)
}

#[test]
fn exercise_limit_never_has_more_than_two_permits_out() {
    let exercise = assert_exercise("part4-limit");
    promised::exercise_limit_solution(&exercise.solution.stdout);
    promised::exercise_limit_solution(&sample_output(
        "exercise_limit_solution",
    ));
    // Three rounds of a fifth of a second, and not much more.
    assert!(
        exercise.solution.wall
            < 3 * SECOND + exercise.solution.waited_for_a_core,
        "{:?}",
        exercise.solution
    );
}

#[test]
fn exercise_abort_closes_the_aborted_tasks_socket() {
    let exercise = assert_exercise("part4-abort");
    promised::exercise_abort_solution(&exercise.solution.stdout);
    // The starter answered three pings before it reached the `todo!()`.
    assert!(
        exercise
            .starter
            .stdout
            .ends_with("client: sent ping 3, got pong 3\n"),
        "{}",
        exercise.starter.stdout
    );
}
