//! Exercises: each is a starter program (`listings/<part>/exercise_<name>_starter.rs`,
//! unfinished: it does the wrong thing, or panics at a `todo!()`) and its
//! solution (`exercise_<name>_solution.rs`), shown on the same page, the
//! solution folded away in a closed `<details class="solution">`.
//!
//! - [`check_page`] checks a built page: every solution is folded and has
//!   its starter beside it, and every starter its solution.
//! - [`assert_solution_keeps_and_starter_breaks`] runs both programs of an
//!   exercise, compiled as the page shows them, through the promise its
//!   statement makes, for the claim tests: the solution keeps it, the
//!   starter breaks it, and for the reason expected. It is the check
//!   `cargo book check-exercise` runs on a reader's own version
//!   ([`crate::exercise_promises`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;

use anyhow::{Context, Result};
use scraper::{ElementRef, Html, Selector};

use crate::exercise_promises::{self, Verdict};
use crate::process::Run;
use crate::programs::{built, project};

/// The file name ending of an exercise's starter listing.
pub const STARTER: &str = "_starter.rs";
/// The file name ending of an exercise's solution listing.
pub const SOLUTION: &str = "_solution.rs";

/// The problems with the exercises of a built page, each naming the page
/// and the listing: a solution that is not inside a closed
/// `<details class="solution">`, a starter that is folded away, a starter
/// without its solution on the page or a solution without its starter.
pub fn check_page(page: &Path) -> Result<Vec<String>> {
    let html = fs::read_to_string(page)
        .with_context(|| format!("reading {}", page.display()))?;
    let name = page.file_name().unwrap_or_default().to_string_lossy();
    Ok(problems_in(&name, &Html::parse_document(&html)))
}

fn problems_in(page: &str, html: &Html) -> Vec<String> {
    let figures = Selector::parse("figure.listing[data-file]").unwrap();
    let shown: Vec<(String, bool)> = html
        .select(&figures)
        .map(|figure| {
            let file = figure.value().attr("data-file").unwrap_or_default();
            (file.to_owned(), in_closed_solution(figure))
        })
        .collect();
    let on_page = |file: &str| shown.iter().any(|(shown, _)| shown == file);
    let mut problems = Vec::new();
    for (file, folded) in &shown {
        if let Some(exercise) = file.strip_suffix(SOLUTION) {
            if !folded {
                problems.push(format!(
                    "{page}: {file} is a solution, but not folded away in a \
                     closed <details class=\"solution\">"
                ));
            }
            if !on_page(&format!("{exercise}{STARTER}")) {
                problems.push(format!(
                    "{page}: {file} is a solution, but its starter, \
                     {exercise}{STARTER}, is not on the page"
                ));
            }
        }
        if let Some(exercise) = file.strip_suffix(STARTER) {
            if *folded {
                problems.push(format!(
                    "{page}: {file} is a starter, folded away with the \
                     solution"
                ));
            }
            if !on_page(&format!("{exercise}{SOLUTION}")) {
                problems.push(format!(
                    "{page}: {file} is a starter, but its solution, \
                     {exercise}{SOLUTION}, is not on the page"
                ));
            }
        }
    }
    problems.dedup();
    problems
}

/// Whether `element` sits inside a `<details class="solution">` that the
/// page shows closed.
fn in_closed_solution(element: ElementRef) -> bool {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|ancestor| {
            let node = ancestor.value();
            node.name() == "details"
                && node.classes().any(|class| class == "solution")
                && node.attr("open").is_none()
        })
}

/// `Ok` if `run` finished successfully; otherwise why not, with what it
/// wrote to stderr (a `todo!()` says "not yet implemented" there).
pub fn finished(run: &Run) -> Result<(), String> {
    if run.timed_out {
        Err(format!("it ran until it was killed:\n{}", run.stderr))
    } else if !run.status.success() {
        Err(format!("it failed ({}):\n{}", run.status, run.stderr))
    } else {
        Ok(())
    }
}

/// An exercise's two programs, as they ran.
#[derive(Debug)]
pub struct Exercise {
    pub starter: Run,
    pub solution: Run,
}

/// Runs both programs of the exercise named `name` (`part1-join`) and
/// holds them to its promise ([`crate::exercise_promises`]): the solution
/// keeps it, and the starter breaks it for the reason the statement gives.
pub fn assert_solution_keeps_and_starter_breaks(name: &str) -> Exercise {
    let promise = exercise_promises::promise(name).unwrap();
    let project = project();
    let check = |listing: PathBuf| {
        let code = exercise_promises::program_text(&project, &listing)
            .unwrap_or_else(|problem| panic!("{problem}"));
        exercise_promises::check_code(&project, built(), promise, &code)
            .unwrap_or_else(|error| panic!("{}: {error:#}", listing.display()))
    };
    let (starter, solution) = thread::scope(|scope| {
        let starter = scope.spawn(|| check(promise.starter()));
        let solution = scope.spawn(|| check(promise.solution()));
        (starter.join().unwrap(), solution.join().unwrap())
    });
    let solution = match solution {
        Verdict::Kept(run) => run,
        Verdict::Broken(_, broken) => {
            panic!(
                "{name}: the solution breaks the exercise's promise: {broken}"
            )
        }
        Verdict::DoesNotCompile(errors) => {
            panic!("{name}: the solution does not compile:\n{errors}")
        }
    };
    let reason = promise.starter_fails_because;
    let starter = match starter {
        Verdict::Kept(_) => panic!(
            "{name}: the starter already keeps the exercise's promise: there \
             is nothing left to do"
        ),
        Verdict::Broken(run, broken) => {
            assert!(
                broken.contains(reason),
                "{name}: the starter breaks the exercise's promise, but not \
                 because {reason:?}: {broken}"
            );
            run
        }
        Verdict::DoesNotCompile(errors) => {
            panic!("{name}: the starter does not compile:\n{errors}")
        }
    };
    Exercise { starter, solution }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(file: &str) -> String {
        format!(
            "<figure class=\"listing\" data-file=\"listings/p/{file}\">\
             <pre><code>fn main() {{}}</code></pre></figure>"
        )
    }

    fn problems(body: &str) -> Vec<String> {
        problems_in("p.html", &Html::parse_document(body))
    }

    #[test]
    fn a_folded_solution_beside_its_starter_is_right() {
        let page = format!(
            "{}<details class=\"solution\"><summary>Solution</summary>{}\
             </details>{}",
            figure("exercise_a_starter.rs"),
            figure("exercise_a_solution.rs"),
            figure("exercise_a_solution.rs"),
        );
        // The second excerpt of the solution is not folded.
        assert_eq!(
            problems(&page),
            [
                "p.html: listings/p/exercise_a_solution.rs is a solution, but \
              not folded away in a closed <details class=\"solution\">"
            ]
        );
        let page = format!(
            "{}<details class=\"solution\"><summary>Solution</summary>{}\
             </details>",
            figure("exercise_a_starter.rs"),
            figure("exercise_a_solution.rs"),
        );
        assert_eq!(problems(&page), [] as [String; 0]);
    }

    #[test]
    fn open_or_missing_halves_are_found() {
        let page = format!(
            "<details class=\"solution\" open>{}</details>{}",
            figure("exercise_a_solution.rs"),
            figure("exercise_b_starter.rs"),
        );
        assert_eq!(
            problems(&page),
            [
                "p.html: listings/p/exercise_a_solution.rs is a solution, \
                 but not folded away in a closed <details class=\"solution\">",
                "p.html: listings/p/exercise_a_solution.rs is a solution, \
                 but its starter, listings/p/exercise_a_starter.rs, is not \
                 on the page",
                "p.html: listings/p/exercise_b_starter.rs is a starter, but \
                 its solution, listings/p/exercise_b_solution.rs, is not on \
                 the page",
            ]
        );
    }
}
