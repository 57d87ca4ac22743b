//! The book built once per test process with the pinned tools (HTML and
//! mdbook-linkcheck2), for the modules that look at the built HTML
//! (`whole_book` and `browser`), as `cargo book serve` builds it.

use std::fs::File;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use book_tools::process::{self, Run};
use book_tools::programs::{self, project};
use book_tools::{pinned, search_index};

use crate::support::local_run;

/// `mdbook build` into the tests' scratch directory: how it went, and
/// where the book is (its HTML in `html/`). A failed build is returned,
/// not asserted: the HTML is written before linkcheck2 fails it, and
/// some checks still name the chapter line to fix.
pub fn built_book() -> &'static (Run, PathBuf) {
    static BUILT: OnceLock<(Run, PathBuf)> = OnceLock::new();
    static LOCK: OnceLock<File> = OnceLock::new();
    BUILT.get_or_init(|| {
        programs::heavy_work_may_start();
        let project = project();
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Another `cargo test` of this checkout, building into the same
        // place, waits until this process has finished with the built book
        // (the lock ends with it).
        // Taken once: a build that panicked (a tool missing) keeps it, and
        // the next test to try must fail in its turn, not wait for itself.
        if LOCK.get().is_none() {
            let lock = File::create(scratch.join("book.lock")).unwrap();
            lock.lock().unwrap();
            let _ = LOCK.set(lock);
        }

        let dest = scratch.join("book");
        let mut mdbook = pinned::command(&project, &pinned::MDBOOK).unwrap();
        mdbook.arg("build").arg("--dest-dir").arg(&dest);
        // As `cargo book serve` builds it: the programs the Playground
        // cannot run get Run buttons that run them on this machine.
        let (name, value) = local_run::place().mdbook_env();
        mdbook.env(name, value);
        // mdbook-linkcheck2 prints a backtrace with each error if asked.
        mdbook.env("RUST_BACKTRACE", "0");
        let run =
            process::run_measured(mdbook, Duration::from_secs(600)).unwrap();
        // As `cargo book build` does: the search index without the bug
        // of the elasticlunr-rs that mdBook 0.5.4 locks.
        if run.status.success() {
            search_index::rebuild(&dest.join("html")).unwrap();
        }
        (run, dest)
    })
}
