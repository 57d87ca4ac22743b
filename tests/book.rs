//! The book as a whole: it builds with no error or warning, its links and
//! fragments resolve, every include names a real file and anchor, every
//! claim is tied to a test, and `mdbook test` passes.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use book_tools::process::{self, Run, isolate_network, without_colors};
use book_tools::project::into_result;
use book_tools::{
    Problem, Project, claims, includes, links, listings, mdbook_test, pinned,
    playground,
};

fn project() -> Project {
    Project::at(env!("CARGO_MANIFEST_DIR"))
}

fn assert_no_problems(problems: Vec<Problem>) {
    if let Err(error) = into_result(problems) {
        panic!("{error}");
    }
}

/// `mdbook build` with the pinned tools (HTML and mdbook-linkcheck2), run
/// once for all the tests here.
fn built_book() -> &'static (Run, PathBuf) {
    static BUILT: OnceLock<(Run, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let project = project();
        let dest = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book");
        let mut mdbook = pinned::command(&project, &pinned::MDBOOK).unwrap();
        mdbook.arg("build").arg("--dest-dir").arg(&dest);
        // mdbook-linkcheck2 prints a backtrace with each error if asked.
        mdbook.env("RUST_BACKTRACE", "0");
        let run =
            process::run_measured(mdbook, Duration::from_secs(600)).unwrap();
        (run, dest)
    })
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
fn every_claim_names_a_test_and_every_claim_test_a_claim() {
    assert_no_problems(claims::check(&project()).unwrap());
}

#[test]
fn mdbook_test_passes() {
    let mut mdbook = mdbook_test::command(&project(), None).unwrap();
    // mdbook test runs the book's servers, which all listen on port 8000.
    isolate_network(&mut mdbook);
    let run = process::run_measured(mdbook, Duration::from_secs(600)).unwrap();
    assert!(
        run.status.success(),
        "mdbook test failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("ERROR"),
        "mdbook test complained:\n{}",
        run.stderr
    );
}

/// What each Run button sends compiles and runs with only std and libc
/// (what the Playground offers these programs), in the book's edition, and
/// finishes well inside the few seconds the button waits.
#[test]
fn every_run_button_sends_a_program_that_runs_with_std_and_libc() {
    let (run, dest) = built_book();
    assert!(run.status.success(), "mdbook build failed:\n{}", run.stderr);
    let project = project();
    let edition = project.edition().unwrap();
    let libc = listings::build(&project).unwrap().libc_rlib;
    let work = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for chapter in project.chapters().unwrap() {
        let page = dest.join("html").join(chapter.with_extension("html"));
        if !page.exists() {
            continue; // SUMMARY.md
        }
        for button in playground::run_buttons(&page).unwrap() {
            let name =
                format!("{} Run button {}", chapter.display(), button.index);
            assert_eq!(
                button.edition.as_deref(),
                Some(edition.as_str()),
                "{name}"
            );
            let source = work.path().join("main.rs");
            let binary = work.path().join("main");
            fs::write(&source, &button.code).unwrap();
            let compiled = Command::new("rustc")
                .arg(&source)
                .args(["--edition", &edition, "-o"])
                .arg(&binary)
                .arg("--extern")
                .arg(format!("libc={}", libc.display()))
                .output()
                .unwrap();
            assert!(
                compiled.status.success(),
                "{name} sends a program that does not compile:\n{}",
                String::from_utf8_lossy(&compiled.stderr)
            );
            let mut program = Command::new(&binary);
            isolate_network(&mut program);
            let ran =
                process::run_measured(program, Duration::from_secs(5)).unwrap();
            assert!(
                !ran.timed_out,
                "{name} runs longer than the Playground waits"
            );
            assert!(
                ran.status.success(),
                "{name} fails ({}):\n{}",
                ran.status,
                ran.stderr
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the built book has no Run button at all");
}
