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

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

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
    answer_every_run_button_telling(html, |_| {})
}

/// [`answer_every_run_button`], calling `answered` with each chapter
/// (`part3-io`) as soon as all its Run buttons have their answers: the
/// buttons are answered in the book's order, and the browser presses a
/// chapter's as soon as it may. If another caller is answering them
/// already, `answered` hears of every chapter once that caller is done.
pub fn answer_every_run_button_telling(
    html: &Path,
    answered: impl Fn(&str) + Sync,
) -> &'static [Answered] {
    static ANSWERED: OnceLock<Vec<Answered>> = OnceLock::new();
    let mut told = false;
    let all = ANSWERED.get_or_init(|| {
        told = true;
        programs::heavy_work_may_start();
        answer_the_run_buttons_that_measure_the_machine(html);
        let buttons = run_buttons_of_the_book(html);
        // How many Run buttons of each chapter are still to answer.
        let mut to_answer: BTreeMap<String, usize> = chapters_with_pages(html)
            .into_iter()
            .map(|c| (c, 0))
            .collect();
        for button in &buttons {
            *to_answer.get_mut(&button.chapter).unwrap() += 1;
        }
        for (chapter, _) in to_answer.iter().filter(|&(_, &n)| n == 0) {
            answered(chapter);
        }
        let to_answer = Mutex::new(to_answer);
        let edition = programs::project().edition().unwrap();
        let (playground, local) = (shared(), this_machine());
        let answers = programs::side_by_side(&buttons, 6, |button| {
            let on = if button.button.runs_locally.is_some() {
                &local
            } else {
                &playground
            };
            let answer = on.evaluate(&button.button.code, &edition);
            let mut to_answer = to_answer.lock().unwrap();
            let left = to_answer.get_mut(&button.chapter).unwrap();
            *left -= 1;
            if *left == 0 {
                answered(&button.chapter);
            }
            answer
        });
        buttons
            .into_iter()
            .zip(answers)
            .map(|(button, answer)| Answered {
                name: button.name,
                button: button.button,
                answer,
            })
            .collect()
    });
    if !told {
        chapters_with_pages(html).iter().for_each(|c| answered(c));
    }
    all
}

/// Runs the programs of the Run buttons that measure the machine
/// ([`programs::SOLO`]) on [`this_machine`], alone, so
/// that [`answer_every_run_button`] finds their answers made: the browser
/// calls this before it opens a page. Once per test process.
pub fn answer_the_run_buttons_that_measure_the_machine(html: &Path) {
    static ANSWERED: OnceLock<()> = OnceLock::new();
    ANSWERED.get_or_init(|| {
        let edition = programs::project().edition().unwrap();
        let local = this_machine();
        let measures =
            |bin: &String| programs::SOLO.iter().any(|&(solo, _)| solo == bin);
        for ChapterButton { button, .. } in run_buttons_of_the_book(html) {
            if button.runs_locally.as_ref().is_some_and(measures) {
                // Compiled first: only the run is alone.
                let _ = local.compile(&button.code, &edition);
                programs::alone(|| local.evaluate(&button.code, &edition));
            }
        }
    });
}

/// A Run button of the built book, with its chapter and its name.
struct ChapterButton {
    /// The chapter's page without `.html`: `part3-io`.
    chapter: String,
    /// `part3-io.md Run button 4`.
    name: String,
    button: RunButton,
}

/// The chapters that have a page in `html` (SUMMARY.md makes none), as
/// their pages are named without `.html`: `part3-io`.
fn chapters_with_pages(html: &Path) -> Vec<String> {
    let chapters = programs::project().chapters().unwrap().into_iter();
    chapters
        .filter(|chapter| html.join(chapter.with_extension("html")).is_file())
        .map(|chapter| chapter.with_extension("").display().to_string())
        .collect()
}

/// Every Run button on the built book's chapter pages (in `html`), in the
/// book's order.
fn run_buttons_of_the_book(html: &Path) -> Vec<ChapterButton> {
    let mut buttons = Vec::new();
    for chapter in chapters_with_pages(html) {
        let page = html.join(format!("{chapter}.html"));
        for button in run_buttons(&page).unwrap() {
            buttons.push(ChapterButton {
                name: format!("{chapter}.md Run button {}", button.index),
                chapter: chapter.clone(),
                button,
            });
        }
    }
    buttons
}
