//! The claims of the exercises for Part Four (`src/part4-exercises.md`):
//! each exercise's solution keeps the promise its statement makes, and
//! its starter breaks it, for the reason the statement gives.

use std::time::Duration;

use book_tools::exercises::{
    assert_solution_keeps_and_starter_breaks as assert_exercise, finished,
};
use book_tools::process::Run;
use book_tools::programs;

use book_tools::promised_output;

use promised_output::part4_exercises::{
    self as promised, permits_never_exceed_the_limit,
};

const SECOND: Duration = Duration::from_secs(1);

/// The sample output the page shows for a program.
fn sample_output(name: &str) -> String {
    programs::sample_output("part4-exercises", name)
}

/// "At most two at a time": never more than two permits out, and five
/// connections, two at a time for a fifth of a second each, cannot all be
/// served in less than three fifths of a second.
fn at_most_two_at_a_time(run: &Run) -> Result<(), String> {
    finished(run)?;
    permits_never_exceed_the_limit(&run.stdout)?;
    if run.wall < 3 * SECOND / 5 {
        return Err(format!("served all five in {:?}", run.wall));
    }
    Ok(())
}

#[test]
fn exercise_limit_never_has_more_than_two_permits_out() {
    let exercise = assert_exercise(
        "part4-exercise-limit",
        10 * SECOND,
        at_most_two_at_a_time,
        "more permits out than there are",
    );
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

/// "Abort a task": three pings answered, the task aborted, and the
/// client's next read finds the end of the stream: the sample, exactly.
fn the_aborted_tasks_socket_closes(run: &Run) -> Result<(), String> {
    finished(run)?;
    if run.stdout != sample_output("exercise_abort_solution") {
        return Err(format!("not the promised output:\n{}", run.stdout));
    }
    Ok(())
}

#[test]
fn exercise_abort_closes_the_aborted_tasks_socket() {
    let exercise = assert_exercise(
        "part4-exercise-abort",
        10 * SECOND,
        the_aborted_tasks_socket_closes,
        "not yet implemented",
    );
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
