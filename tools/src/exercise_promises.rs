//! What each exercise promises, as a check of one run of a program: the
//! claim tests hold every exercise's starter and solution to it (the
//! solution keeps it, the starter breaks it, for the reason the statement
//! gives), and `cargo book check-exercise` holds a reader's own version
//! to the very same check.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::assemble;
use crate::exercises::{SOLUTION, STARTER, finished};
use crate::listings::{Built, compile_one_file};
use crate::process::Run;
use crate::programs::{measure_file_beside_others, sample_output};
use crate::promised_output::{
    allowing_for, part1_futures as p1, part3_io as p3, part4_exercises as p4,
};

const SECOND: Duration = Duration::from_secs(1);

/// One exercise's promise.
pub struct Promise {
    /// The exercise's short name, as the page gives it: `part1-join`.
    pub name: &'static str,
    /// The chapter's folder under `listings/`.
    pub part: &'static str,
    /// Its stem there: `join` for `exercise_join_solution.rs`.
    pub stem: &'static str,
    /// How long a run may take before it is stopped.
    pub limit: Duration,
    /// The promise, applied to a run: what is wrong, or nothing.
    pub check: fn(&Run) -> Result<(), String>,
    /// What the starter's failure says: it breaks the promise for the
    /// reason the exercise's statement gives.
    pub starter_fails_because: &'static str,
}

impl Promise {
    /// The name of its programs among the listings' bins, without
    /// `-starter` or `-solution`: `part1-exercise-join`.
    pub fn program(&self) -> String {
        let (part, _) = self.name.split_once('-').unwrap();
        format!("{part}-exercise-{}", self.stem)
    }

    /// Its starter as the page shows it, `listings/<part>/exercise_<stem>_starter.rs`.
    pub fn starter(&self) -> PathBuf {
        let file = format!("exercise_{}{STARTER}", self.stem);
        Path::new("listings").join(self.part).join(file)
    }

    /// Its solution, `listings/<part>/exercise_<stem>_solution.rs`.
    pub fn solution(&self) -> PathBuf {
        let file = format!("exercise_{}{SOLUTION}", self.stem);
        Path::new("listings").join(self.part).join(file)
    }
}

/// Every exercise of the book.
pub const PROMISES: [Promise; 8] = [
    Promise {
        name: "part1-join",
        part: "part1-futures",
        stem: "join",
        limit: Duration::from_secs(10),
        check: breakfast_is_made_with_both_at_once,
        starter_fails_because: "the toaster went on after the kettle boiled",
    },
    Promise {
        name: "part1-race",
        part: "part1-futures",
        stem: "race",
        limit: Duration::from_secs(10),
        check: the_first_answer_is_taken,
        starter_fails_because: "not yet implemented",
    },
    Promise {
        name: "part2-yield",
        part: "part2-tasks",
        stem: "yield",
        limit: Duration::from_secs(10),
        check: the_tasks_count_in_turns,
        starter_fails_because: "task a counted on alone",
    },
    Promise {
        name: "part2-abort",
        part: "part2-tasks",
        stem: "abort",
        limit: Duration::from_secs(10),
        check: the_huge_download_is_dropped,
        starter_fails_because: "not yet implemented",
    },
    Promise {
        name: "part3-echo",
        part: "part3-io",
        stem: "echo",
        limit: Duration::from_secs(10),
        check: every_client_gets_its_message_back,
        starter_fails_because: "a client got nothing back",
    },
    Promise {
        name: "part3-timeout",
        part: "part3-io",
        stem: "timeout",
        limit: Duration::from_secs(10),
        check: the_silent_client_is_given_up_on,
        starter_fails_because: "not yet implemented",
    },
    Promise {
        name: "part4-limit",
        part: "part4-exercises",
        stem: "limit",
        limit: Duration::from_secs(10),
        check: at_most_two_at_a_time,
        starter_fails_because: "more permits out than there are",
    },
    Promise {
        name: "part4-abort",
        part: "part4-exercises",
        stem: "abort",
        limit: Duration::from_secs(10),
        check: the_aborted_tasks_socket_closes,
        starter_fails_because: "not yet implemented",
    },
];

/// The promise of the exercise named `name` (`part1-join`), or an error
/// that lists the names there are.
pub fn promise(name: &str) -> Result<&'static Promise> {
    match PROMISES.iter().find(|promise| promise.name == name) {
        Some(promise) => Ok(promise),
        None => {
            let names: Vec<&str> = PROMISES.iter().map(|p| p.name).collect();
            bail!("no exercise {name:?}; the exercises: {}", names.join(", "))
        }
    }
}

/// What a program made of an exercise did with its promise.
#[derive(Debug)]
pub enum Verdict {
    /// It keeps the promise.
    Kept(Run),
    /// It breaks it, and how.
    Broken(Run, String),
    /// It does not compile: rustc's errors.
    DoesNotCompile(String),
}

/// Compiles `code` as the Playground would (one file, the book's edition,
/// the listings' crates; programs compiled before are kept), runs it as a
/// reader's program runs, in a network of its own and stopped after the
/// promise's limit, and holds the run to the exercise's promise. The
/// claim tests check the starters and solutions with it, and `cargo book
/// check-exercise` a reader's own version.
pub fn check_code(
    project: &Project,
    built: &Built,
    promise: &Promise,
    code: &str,
) -> Result<Verdict> {
    let edition = project.edition()?;
    let cache = &built.one_file_programs;
    let program = match compile_one_file(built, cache, code, &edition) {
        Ok(program) => program,
        Err(errors) => return Ok(Verdict::DoesNotCompile(errors)),
    };
    let run = measure_file_beside_others(&program, promise.limit);
    Ok(match (promise.check)(&run) {
        Ok(()) => Verdict::Kept(run),
        Err(broken) => Verdict::Broken(run, broken),
    })
}

/// [`check_code`] for a file.
pub fn check_file(
    project: &Project,
    built: &Built,
    promise: &Promise,
    file: &Path,
) -> Result<Verdict> {
    let code = fs::read_to_string(file)
        .with_context(|| format!("reading {}", file.display()))?;
    check_code(project, built, promise, &code)
}

/// An exercise's starter or solution as the page shows it: one file, its
/// runtime put in.
pub fn program_text(project: &Project, listing: &Path) -> Result<String> {
    Ok(assemble::assemble(project, listing)
        .map_err(|problem| anyhow::anyhow!("{problem}"))?
        .text())
}

/// The reader's copy of an exercise, `exercises/NAME.rs`, written from
/// the starter as the page shows it (hidden lines included) if there is
/// none yet. Returns the path and whether it was just written.
pub fn readers_copy(
    project: &Project,
    promise: &Promise,
) -> Result<(PathBuf, bool)> {
    let copy = project
        .root
        .join("exercises")
        .join(format!("{}.rs", promise.name));
    if copy.is_file() {
        return Ok((copy, false));
    }
    let starter = program_text(project, &promise.starter())?;
    fs::create_dir_all(copy.parent().unwrap())?;
    fs::write(&copy, starter)
        .with_context(|| format!("writing {}", copy.display()))?;
    Ok((copy, true))
}

/// A promise that panics when broken, as a check that says how.
fn as_check(
    run: &Run,
    promise: impl FnOnce() + panic::UnwindSafe,
) -> Result<(), String> {
    panic::catch_unwind(promise)
        .map_err(|_| format!("not the promised output:\n{}", run.stdout))
}

/// "Join two futures": both appliances are switched on before either is
/// done, and breakfast follows when both are: the sample, exactly.
fn breakfast_is_made_with_both_at_once(run: &Run) -> Result<(), String> {
    finished(run)?;
    let lines: Vec<&str> = run.stdout.lines().collect();
    let position = |line: &str| lines.iter().position(|l| *l == line);
    if let (Some(on), Some(boiled)) =
        (position("toaster on"), position("kettle boiled"))
        && on > boiled
    {
        return Err(format!(
            "the toaster went on after the kettle boiled:\n{}",
            run.stdout
        ));
    }
    let waited = run.waited_for_a_core;
    as_check(run, || {
        allowing_for(waited, || p1::exercise_join_solution(&run.stdout))
    })
}

/// "A race": the near mirror's answer is taken, and the far mirror never
/// answers: the sample, exactly.
fn the_first_answer_is_taken(run: &Run) -> Result<(), String> {
    finished(run)?;
    if run.stdout.contains("the far mirror answered") {
        return Err(format!("the far mirror was not dropped:\n{}", run.stdout));
    }
    exactly_the_sample(run, "part1-futures", "exercise_race_solution")
}

/// "Yield to the others": the two tasks count in turns, `a 1`, `b 1`,
/// `a 2` and so on: the sample, exactly.
fn the_tasks_count_in_turns(run: &Run) -> Result<(), String> {
    finished(run)?;
    if run.stdout.starts_with("a 1\na 2\n") {
        return Err(format!("task a counted on alone:\n{}", run.stdout));
    }
    exactly_the_sample(run, "part2-tasks", "exercise_yield_solution")
}

/// "Abort a task": the aborted handle gives `None`, and the huge file
/// never arrives, though the program runs on past the moment it would
/// have: the sample, exactly.
fn the_huge_download_is_dropped(run: &Run) -> Result<(), String> {
    finished(run)?;
    if run.stdout.contains("huge file: done") {
        return Err(format!("the huge file arrived:\n{}", run.stdout));
    }
    exactly_the_sample(run, "part2-tasks", "exercise_abort_solution")?;
    // The huge download would have ended a second after the start.
    if run.wall < SECOND {
        return Err(format!(
            "it ended after {:?}, before the huge download would have",
            run.wall
        ));
    }
    Ok(())
}

/// "An echo server": each client gets its own message back.
fn every_client_gets_its_message_back(run: &Run) -> Result<(), String> {
    finished(run)?;
    if run.stdout.contains("got back \"\"") {
        return Err(format!("a client got nothing back:\n{}", run.stdout));
    }
    as_check(run, || p3::exercise_echo_solution(&run.stdout))
}

/// "Half a second to speak": the talker's request arrives, the silent
/// client's read is given up, and both see the server hang up: the
/// sample, exactly.
fn the_silent_client_is_given_up_on(run: &Run) -> Result<(), String> {
    finished(run)?;
    as_check(run, || p3::exercise_timeout_solution(&run.stdout))
}

/// "At most two at a time": never more than two permits out, and five
/// connections, two at a time for a fifth of a second each, cannot all be
/// served in less than three fifths of a second.
fn at_most_two_at_a_time(run: &Run) -> Result<(), String> {
    finished(run)?;
    p4::permits_never_exceed_the_limit(&run.stdout)?;
    if run.wall < 3 * SECOND / 5 {
        return Err(format!("served all five in {:?}", run.wall));
    }
    Ok(())
}

/// "Abort a task" (Part Four): three pings answered, the task aborted,
/// and the client's next read finds the end of the stream: the sample,
/// exactly.
fn the_aborted_tasks_socket_closes(run: &Run) -> Result<(), String> {
    finished(run)?;
    exactly_the_sample(run, "part4-exercises", "exercise_abort_solution")
}

fn exactly_the_sample(run: &Run, part: &str, name: &str) -> Result<(), String> {
    if run.stdout != sample_output(part, name) {
        return Err(format!("not the promised output:\n{}", run.stdout));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exercise_of_the_listings_has_a_promise_and_no_other() {
        let project = crate::programs::project();
        let mut solutions = Vec::new();
        for part in fs::read_dir(project.root.join("listings")).unwrap() {
            let part = part.unwrap().path();
            for file in fs::read_dir(&part).into_iter().flatten() {
                let file = file.unwrap().path();
                let name = file.file_name().unwrap().to_string_lossy();
                if name.starts_with("exercise_") && name.ends_with(SOLUTION) {
                    solutions.push(
                        file.strip_prefix(&project.root).unwrap().to_owned(),
                    );
                }
            }
        }
        solutions.sort();
        let mut promised: Vec<PathBuf> =
            PROMISES.iter().map(Promise::solution).collect();
        promised.sort();
        assert_eq!(solutions, promised);
    }

    #[test]
    fn an_unknown_exercise_is_refused_with_the_names_there_are() {
        let error = promise("part9-nothing").err().unwrap().to_string();
        assert!(error.contains("part1-join, part1-race"), "{error}");
    }
}
