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

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// programs mostly sleep), chapter by chapter. Once per test process: the
/// browser's pages then get these answers at once. As each chapter's
/// buttons are answered, a file named after the chapter (`part3-io`)
/// appears in the folder given to [`announce_answers_in`], if any.
pub fn answer_every_run_button(html: &Path) -> &'static [Answered] {
    static ANSWERED: OnceLock<Vec<Answered>> = OnceLock::new();
    ANSWERED.get_or_init(|| {
        programs::heavy_work_may_start();
        let project = programs::project();
        let edition = project.edition().unwrap();
        let mut buttons = Vec::new();
        let mut left: HashMap<String, AtomicUsize> = HashMap::new();
        for chapter in project.chapters().unwrap() {
            let page = html.join(chapter.with_extension("html"));
            // SUMMARY.md makes no page.
            if !page.is_file() {
                continue;
            }
            let stem = chapter.with_extension("").display().to_string();
            let on_page = run_buttons(&page).unwrap();
            left.insert(stem.clone(), AtomicUsize::new(on_page.len()));
            for button in on_page {
                let name = format!(
                    "{} Run button {}",
                    chapter.display(),
                    button.index
                );
                buttons.push((stem.clone(), name, button));
            }
        }
        for (chapter, count) in &left {
            if count.load(Ordering::Relaxed) == 0 {
                announce(chapter);
            }
        }
        let (playground, local) = (shared(), this_machine());
        let answers =
            programs::side_by_side(&buttons, 6, |(chapter, _, button)| {
                let on = match button.runs_locally {
                    Some(_) => &local,
                    None => &playground,
                };
                let answer = on.evaluate(&button.code, &edition);
                if left[chapter].fetch_sub(1, Ordering::AcqRel) == 1 {
                    announce(chapter);
                }
                answer
            });
        // Every chapter, also for a folder named after the answers began.
        left.keys().for_each(|chapter| announce(chapter));
        buttons
            .into_iter()
            .zip(answers)
            .map(|((_, name, button), answer)| Answered {
                name,
                button,
                answer,
            })
            .collect()
    })
}

/// Where [`answer_every_run_button`] says which chapters are answered.
static ANNOUNCE_TO: OnceLock<PathBuf> = OnceLock::new();

/// Makes [`answer_every_run_button`] announce each chapter in `dir`.
pub fn announce_answers_in(dir: &Path) {
    ANNOUNCE_TO
        .set(dir.to_owned())
        .expect("announced to one folder");
}

fn announce(chapter: &str) {
    if let Some(dir) = ANNOUNCE_TO.get() {
        fs::write(dir.join(chapter), "").unwrap();
    }
}
