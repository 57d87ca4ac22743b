//! The local Playground (`tools/playground/`) as the tests use it: in
//! place of play.rust-lang.org, with the real Playground's limits
//! ([`shared`]), and as `cargo book serve` offers it for the programs the
//! Playground cannot run ([`this_machine`]).
//!
//! Within one test run each distinct program runs once on each: a program
//! posted again (by the browser, after `whole_book` ran every Run button's
//! program) gets the answer of that run. Compiled programs are kept in the
//! cache the starters and `cargo book check-exercise` share, so a second
//! test run compiles nothing.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use book_playground::{Evaluation, Limits, Playground};
use book_tools::playground::{RunButton, run_buttons};
use book_tools::programs;

/// The stand-in for the real Playground, with its limits.
pub fn shared() -> Arc<Playground> {
    static SHARED: OnceLock<Arc<Playground>> = OnceLock::new();
    Arc::clone(SHARED.get_or_init(|| new(Limits::PLAYGROUND)))
}

/// The local Playground as `cargo book serve` runs it, for the programs
/// the real one cannot run.
pub fn this_machine() -> Arc<Playground> {
    static LOCAL: OnceLock<Arc<Playground>> = OnceLock::new();
    Arc::clone(LOCAL.get_or_init(|| new(Limits::THIS_MACHINE)))
}

fn new(limits: Limits) -> Arc<Playground> {
    let built = programs::built();
    Arc::new(Playground::new(built, &built.one_file_programs, limits))
}

/// A Run button of the built book, and what the stand-in answered for it.
pub struct Answered {
    /// `part3-io.md Run button 4`.
    pub name: String,
    pub button: RunButton,
    pub answer: Evaluation,
}

/// Every Run button on the built book's chapter pages (in `html`), its
/// program run once in the book's edition, on the [`shared`] stand-in or,
/// for a program run locally, on [`this_machine`], six at a time (the
/// programs mostly sleep). Once per test process: the browser's pages then
/// get these answers at once.
pub fn answer_every_run_button(html: &Path) -> &'static [Answered] {
    static ANSWERED: OnceLock<Vec<Answered>> = OnceLock::new();
    ANSWERED.get_or_init(|| {
        programs::heavy_work_may_start();
        answer_the_run_buttons_that_measure_the_machine(html);
        let buttons = run_buttons_of_the_book(html);
        let edition = programs::project().edition().unwrap();
        let (playground, local) = (shared(), this_machine());
        let answers = programs::side_by_side(&buttons, 6, |(_, button)| {
            let on = if button.runs_locally.is_some() {
                &local
            } else {
                &playground
            };
            on.evaluate(&button.code, &edition)
        });
        buttons
            .into_iter()
            .zip(answers)
            .map(|((name, button), answer)| Answered {
                name,
                button,
                answer,
            })
            .collect()
    })
}

/// Runs the programs of the Run buttons that measure the machine
/// ([`programs::MEASURE_THE_MACHINE`]) on [`this_machine`], alone, so
/// that [`answer_every_run_button`] finds their answers made: the browser
/// calls this before it opens a page. Once per test process.
pub fn answer_the_run_buttons_that_measure_the_machine(html: &Path) {
    static ANSWERED: OnceLock<()> = OnceLock::new();
    ANSWERED.get_or_init(|| {
        let edition = programs::project().edition().unwrap();
        let local = this_machine();
        for (_, button) in run_buttons_of_the_book(html) {
            let measures = |bin: &String| {
                programs::MEASURE_THE_MACHINE.contains(&bin.as_str())
            };
            if button.runs_locally.as_ref().is_some_and(measures) {
                // Compiled first: only the run is alone.
                let _ = local.compile(&button.code, &edition);
                programs::alone(|| local.evaluate(&button.code, &edition));
            }
        }
    });
}

/// Every Run button on the built book's chapter pages (in `html`), named
/// by chapter and number: `part3-io.md Run button 4`.
fn run_buttons_of_the_book(html: &Path) -> Vec<(String, RunButton)> {
    let mut buttons = Vec::new();
    for chapter in programs::project().chapters().unwrap() {
        let page = html.join(chapter.with_extension("html"));
        // SUMMARY.md makes no page.
        if !page.is_file() {
            continue;
        }
        for button in run_buttons(&page).unwrap() {
            let name =
                format!("{} Run button {}", chapter.display(), button.index);
            buttons.push((name, button));
        }
    }
    buttons
}
