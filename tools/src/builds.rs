//! The cargo builds that the test suite starts while it runs, each named
//! once: the tests start them from here, and `cargo book test` makes them
//! beforehand, while the pinned mdBook tools install. On a fresh clone
//! each takes a minute or more; made first, they are done by the time a
//! test asks, and the tests that wait for them start at once.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::Project;

/// `cargo ARGS`, in the project, with the cargo running this.
fn cargo(project: &Project, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(&project.root).args(args);
    command
}

/// `cargo build --locked ARGS`.
fn cargo_build(project: &Project, args: &[&str]) -> Command {
    let mut command = cargo(project, &["build", "--locked"]);
    command.args(args);
    command
}

/// Every program of `listings/` (`book_tools::listings::build`).
pub fn listings(project: &Project) -> Command {
    cargo_build(project, &["-p", "listings", "--bins"])
}

/// Part Five's benchmark harness, a debug build
/// (`book_tools::programs::bench_harness`).
pub fn bench_harness(project: &Project) -> Command {
    cargo_build(project, &["-p", "book-bench", "--bin", "book-bench"])
}

/// The book's preprocessor, which mdBook runs with `cargo run` (book.toml,
/// `preprocessor.listings.command`) on every build of the book.
pub fn preprocessor(project: &Project) -> Command {
    cargo_build(
        project,
        &["-p", "book-preprocessor", "--bin", "book-preprocessor"],
    )
}

/// Makes every build the tests start, one after another, then the tests
/// themselves (`cargo test --no-run ARGS`), saying so first.
pub fn make_all(project: &Project, test_args: &[String]) -> Result<()> {
    eprintln!(
        "Building the listings, the benchmark harness, the preprocessor \
         and the tests ..."
    );
    let mut tests = cargo(project, &["test", "--no-run"]);
    tests.args(test_args);
    for (what, mut build) in [
        ("the listings", listings(project)),
        ("the benchmark harness", bench_harness(project)),
        ("the preprocessor", preprocessor(project)),
        ("the tests", tests),
    ] {
        let status =
            build.status().with_context(|| format!("building {what}"))?;
        if !status.success() {
            bail!("building {what} failed ({status}): see above");
        }
    }
    Ok(())
}
