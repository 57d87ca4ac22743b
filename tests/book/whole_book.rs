//! The book as a whole: it builds with no error or warning, its links and
//! fragments resolve, every include names a real file and anchor, every
//! claim is tied to a test, and every Run button's program runs as its
//! chapter promises.

use crate::support::built_book::built_book;
use crate::support::playground_standin::{self, Answered};
use book_tools::process::without_colors;
use book_tools::programs::project;
use book_tools::project::into_result;
use book_tools::promised_output;
use book_tools::{
    Problem, claims, exercises, includes, links, run_locally, search_index,
    stages,
};

fn assert_no_problems(problems: Vec<Problem>) {
    if let Err(error) = into_result(problems) {
        panic!("{error}");
    }
}

#[test]
fn book_builds_without_errors_or_warnings() {
    let (run, _) = built_book();
    let stderr = without_colors(&run.stderr);
    assert!(run.status.success(), "mdbook build failed:\n{stderr}");
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .collect();
    assert!(
        complaints.is_empty(),
        "mdbook build complained:\n{}",
        complaints.join("\n")
    );
}

/// mdBook's search index, made again (`search_index.rs`): each field holds
/// its own words, so a section's code is not indexed a second time as its
/// breadcrumbs, and the index a reader downloads stays small.
#[test]
fn the_search_index_holds_each_field_s_own_words() {
    let (run, dest) = built_book();
    assert!(run.status.success(), "mdbook build failed:\n{}", run.stderr);
    let file = search_index::index_file(&dest.join("html")).unwrap();
    let search = search_index::read_index(&file).unwrap();
    for field in ["title", "body", "breadcrumbs"] {
        let words = search_index::field_words(&search, field);
        assert_eq!(
            words,
            search_index::stored_words(&search, field),
            "{} field `{field}` holds other fields' words",
            file.display()
        );
    }
}

/// Checked even when mdbook-linkcheck2 failed the build (the HTML is
/// written first): this check names the chapter source line.
#[test]
fn every_link_and_fragment_resolves() {
    let (run, dest) = built_book();
    assert!(
        dest.join("html/index.html").exists(),
        "no HTML:\n{}",
        run.stderr
    );
    assert_no_problems(links::check(&project(), &dest.join("html")).unwrap());
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    assert_no_problems(includes::check_book(&project()).unwrap());
}

#[test]
fn every_listing_and_anchor_is_shown_in_a_chapter() {
    assert_no_problems(
        includes::check_everything_is_shown(&project()).unwrap(),
    );
}

#[test]
fn every_stage_differs_from_its_parent_only_where_a_chapter_shows_it() {
    assert_no_problems(stages::check(&project()).unwrap());
}

#[test]
fn every_public_item_of_the_library_is_in_a_doc_example() {
    assert_no_problems(stages::check_examples(&project()).unwrap());
}

#[test]
fn every_program_without_a_run_button_says_how_to_run_it() {
    assert_no_problems(run_locally::check(&project()).unwrap());
}

#[test]
fn every_claim_names_a_test_and_every_claim_test_a_claim() {
    assert_no_problems(claims::check(&project()).unwrap());
}

/// What each Run button sends compiles and runs with only the crates the
/// Playground offers (std, libc, futures, tokio, pin-project-lite), in the
/// book's edition, and finishes well inside the few seconds the button
/// waits: successfully, or, for a `should_panic` block (an exercise's
/// starter), with a panic. The same holds for the Run buttons a book
/// served by `cargo book serve` has for the programs the Playground cannot
/// run, within the limits of the local Playground that runs them.
#[test]
fn every_run_button_sends_a_program_that_runs_on_the_playground() {
    let (run, dest) = built_book();
    assert!(run.status.success(), "mdbook build failed:\n{}", run.stderr);
    let edition = project().edition().unwrap();
    let answered =
        playground_standin::answer_every_run_button(&dest.join("html"));
    assert!(
        !answered.is_empty(),
        "the built book has no Run button at all"
    );
    let mut failures = Vec::new();
    for Answered {
        name,
        button,
        answer,
    } in answered
    {
        if button.edition.as_deref() != Some(edition.as_str()) {
            failures.push(format!("{name} sends edition {:?}", button.edition));
        }
        match (&answer.error, button.should_panic) {
            (None, false) => {}
            (Some(error), true) if error.contains("panicked at") => {}
            (None, true) => failures.push(format!(
                "{name} is should_panic, but runs without a panic on the \
                 Playground:\n{}",
                answer.result
            )),
            (Some(error), _) => failures
                .push(format!("{name} fails on the Playground:\n{error}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every program a Run button runs prints what its chapter promises: the
/// sample output the chapter shows (`listings/<part>/output/<stem>.txt`),
/// exactly, or for a program whose output varies from run to run, what
/// its claims say of it (`support::promised_output`). A claim that a new
/// listing prints what the chapter shows may name this test.
#[test]
fn every_run_button_prints_the_output_its_chapter_shows() {
    let (run, dest) = built_book();
    assert!(run.status.success(), "mdbook build failed:\n{}", run.stderr);
    let answered =
        playground_standin::answer_every_run_button(&dest.join("html"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for Answered {
        name,
        button,
        answer,
    } in answered
    {
        let Some(listing) = &button.listing else {
            continue;
        };
        let sample = promised_output::sample_file(listing)
            .unwrap_or_else(|| panic!("{name}: a figure of {listing}"));
        if answer.error.is_some() || !project().root.join(&sample).is_file() {
            continue;
        }
        if let Some(why) = promised_output::broken_after_waiting(
            listing,
            &answer.result,
            answer.waited_for_a_core,
        ) {
            failures.push(format!("{name} ({listing}): {why}"));
        }
        checked += 1;
    }
    assert!(
        checked > 0,
        "no Run button runs a listing with a sample output"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every exercise's solution is folded away on its page, in a closed
/// `<details class="solution">`, with its starter on the same page, and
/// every starter has its solution there (`book_tools::exercises`).
#[test]
fn every_solution_is_folded_away_beside_its_starter() {
    let (run, dest) = built_book();
    assert!(run.status.success(), "mdbook build failed:\n{}", run.stderr);
    let mut problems = Vec::new();
    let mut exercises = 0;
    for chapter in project().pages().unwrap() {
        let page = dest.join("html").join(chapter.with_extension("html"));
        problems.extend(exercises::check_page(&page).unwrap());
        let html = std::fs::read_to_string(&page).unwrap();
        exercises += html.matches(exercises::SOLUTION).count();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(exercises > 0, "the built book has no exercise at all");
}

/// Each chapter's title in the table of contents is its page's heading:
/// the reader who clicks "Futures by hand" lands on "Futures by hand".
/// What a reader meets: each chapter's main path at most 4,500 words, no
/// code block showing more than 60 lines, and no talk of the test suite
/// (`reading.rs`).
#[test]
fn every_chapter_keeps_to_the_reading_limits() {
    assert_no_problems(book_tools::reading::check(&project()).unwrap());
}

#[test]
fn each_chapter_is_headed_as_the_contents_name_it() {
    let root = project().root;
    let summary = std::fs::read_to_string(root.join("src/SUMMARY.md")).unwrap();
    let mut problems = Vec::new();
    for (number, line) in summary.lines().enumerate() {
        let entry = line.trim_start_matches("- ").trim();
        let Some((title, file)) = entry
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("]("))
            .and_then(|(title, rest)| Some((title, rest.strip_suffix(')')?)))
        else {
            continue;
        };
        let page =
            std::fs::read_to_string(root.join("src").join(file)).unwrap();
        let heading = page.lines().find_map(|l| l.strip_prefix("# "));
        if heading != Some(title) {
            problems.push(format!(
                "src/SUMMARY.md:{}: \"{title}\", but src/{file} is headed {heading:?}",
                number + 1
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `book.toml` writes the repository's address three times: the repository
/// button, the edit link of every page and the listing captions. They must
/// name the same repository and branch, or some links lead elsewhere.
#[test]
fn book_toml_names_one_repository() {
    let setting = |key: &str| project().setting(key).unwrap();
    let repository = setting("output.html.git-repository-url");
    assert_eq!(
        setting("output.html.edit-url-template"),
        format!("{repository}/edit/main/{{path}}")
    );
    assert_eq!(
        setting("preprocessor.listings.source-url-template"),
        format!("{repository}/blob/main/{{path}}")
    );
}
