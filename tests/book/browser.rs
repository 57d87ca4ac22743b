//! The book in a real browser: every chapter page in light and dark mode,
//! every Run button pressed and its output held to what the chapter
//! promises (the claim tests' own predicates, from
//! `tools/src/promised_output.rs`), Playground links, highlighted
//! changes, exercises' solutions folded (and unfolded to be run), search,
//! print, footnotes and edit links.
//!
//! Chromium is driven by Playwright from Node.js
//! (`tests/browser/book.test.mjs`), against the built book served on
//! loopback. Requests to play.rust-lang.org go to a stand-in that really
//! compiles and runs what a page posts (`tools/playground/`); the pages'
//! own Run buttons for the programs the Playground cannot run post to the
//! same local Playground as `cargo book serve` offers it, guarded; every
//! other request leaving the machine is refused and reported. What
//! the browser saw comes back as JSON, and the output checks are made here.
//!
//! The tools come from `cargo book install-tools` (`book_tools::browser`);
//! screenshots of every page land in `target/browser-screenshots/`
//! (whole pages with `BOOK_WHOLE_PAGE_SCREENSHOTS=1`).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use book_tools::browser;
use book_tools::figures::PLAYGROUND_URL_BUDGET;
use book_tools::process::{Run, Running, without_colors};
use book_tools::programs::{self, project};
use serde_json::Value;
use tower_http::services::ServeDir;

use book_playground::Guard;

use crate::support::built_book::built_book;
use crate::support::{local_run, playground_standin};

use book_tools::promised_output;

use promised_output::promise_for;

/// How long the browser may take for the whole book: a bound on a hang.
/// A cold run on a loaded 2-core machine has taken over 300 s (Chromium
/// pages open while every Run button's program is compiled).
const BROWSER_LIMIT: Duration = Duration::from_secs(480);

/// The program every Edit button is tried with (`EDITED_PROGRAM` to the
/// browser), and what it prints.
const EDITED_PROGRAM: &str =
    "fn main() {\n    println!(\"edited in the browser\");\n}\n";
const EDITED_OUTPUT: &str = "edited in the browser";

/// The browser's run over the whole book: Node's report, and what it saw.
struct BrowserRun {
    node: Run,
    /// `results.json` as written by book.test.mjs.
    results: Value,
    /// How long the run of each listing that the stand-in answered with
    /// waited for a core, by listing file.
    waited: HashMap<String, Duration>,
    /// How many requests the local Playground refused.
    local_refused: usize,
}

/// Builds and serves the book, starts the Playground stand-in, and runs
/// the browser checks, once for all the tests here.
fn browser_run() -> &'static BrowserRun {
    static RUN: OnceLock<BrowserRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let project = project();
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let started = std::time::Instant::now();
        let (built, dest) = built_book();
        eprintln!("browser: book built at {:?}", started.elapsed());
        assert!(
            built.status.success(),
            "mdbook build failed:\n{}",
            built.stderr
        );
        let html = dest.join("html");
        let edition = project.edition().unwrap();
        let tools = browser::ensure_installed(&project).unwrap();

        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let standin = book_playground::serve(
            playground_standin::shared(),
            std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
            Guard::Open,
        )
        .unwrap();
        let book_url = runtime.block_on(serve(html.clone()));
        // The pages' own Run buttons for the programs the Playground
        // cannot run, guarded as `cargo book serve` guards them: only the
        // book's origin, with the token its pages carry.
        let local_run = local_run::place();
        let local = book_playground::serve(
            playground_standin::this_machine(),
            local_run.listener(),
            Guard::BookOnly {
                origins: vec![book_url.trim_end_matches('/').to_owned()],
                token: local_run.token.clone(),
            },
        )
        .unwrap();

        let screenshots = scratch.parent().unwrap().join("browser-screenshots");
        let _ = fs::remove_dir_all(&screenshots);
        fs::create_dir_all(&screenshots).unwrap();
        let results = scratch.join("browser-results.json");
        let _ = fs::remove_file(&results);
        let answered = scratch.join("browser-run-buttons-answered");
        // A file in an older target directory, a directory now.
        let _ = fs::remove_file(&answered);
        let _ = fs::remove_dir_all(&answered);
        fs::create_dir_all(&answered).unwrap();

        // What the pages must show and send for each listing: every
        // program assembled with its library modules, as the build does.
        let programs = scratch.join("programs");
        let _ = fs::remove_dir_all(&programs);
        book_tools::assemble::write_all(&project, &programs).unwrap();

        let mut node = Command::new(&tools.node);
        node.current_dir(&tools.tests_dir)
            .args(["--test-reporter=spec", "book.test.mjs"])
            .env("BOOK_URL", &book_url)
            .env("PLAYGROUND_URL", standin.url())
            .env("LOCAL_RUN_URL", local.url())
            .env("RUN_BUTTONS_ANSWERED", &answered)
            .env("PROJECT_ROOT", &project.root)
            .env("PROGRAMS_DIR", &programs)
            .env("CHROMIUM", &tools.chromium)
            .env("SCREENSHOT_DIR", &screenshots)
            .env("RESULTS_FILE", &results)
            .env(
                "ACCESSIBILITY_CACHE",
                scratch.parent().unwrap().join("axe-clean-pages.json"),
            )
            .env("BOOK_EDITION", &edition)
            .env("EDITED_PROGRAM", EDITED_PROGRAM)
            .env("EDITED_OUTPUT", EDITED_OUTPUT)
            .env("PLAYGROUND_URL_BUDGET", PLAYGROUND_URL_BUDGET.to_string())
            .env(
                "GIT_REPOSITORY_URL",
                project.setting("output.html.git-repository-url").unwrap(),
            );
        // Before Chromium loads the machine.
        playground_standin::answer_the_run_buttons_that_measure_the_machine(
            &html,
        );
        // A page gives a Run button six seconds; the edited program is the
        // one the pages post that no Run button does, and the first page
        // to press Edit must not wait for it to compile on a busy machine.
        let edited =
            playground_standin::shared().evaluate(EDITED_PROGRAM, &edition);
        assert_eq!(edited.result.trim_end(), EDITED_OUTPUT, "{edited:?}");
        eprintln!("browser: Chromium starts at {:?}", started.elapsed());
        let node = Running::spawn(node).unwrap();

        // A Run button waits six seconds for its answer: every program the
        // pages will post runs while Chromium opens the pages, and the
        // browser presses no Run button of a chapter before a file named
        // after it in `answered` says that the stand-in has each of its
        // runs to answer with.
        let tell =
            |chapter: &str| fs::write(answered.join(chapter), "").unwrap();
        let waited =
            playground_standin::answer_every_run_button_telling(&html, tell)
                .iter()
                .filter_map(|answered| {
                    let listing = answered.button.listing.clone()?;
                    Some((listing, answered.answer.waited_for_a_core))
                })
                .collect();
        eprintln!("browser: Run buttons answered at {:?}", started.elapsed());

        let node = node.finish(BROWSER_LIMIT).unwrap();
        let results = fs::read_to_string(&results)
            .map(|text| serde_json::from_str(&text).unwrap())
            .unwrap_or(Value::Null);
        drop(standin);
        BrowserRun {
            node,
            results,
            waited,
            local_refused: local.refused(),
        }
    })
}

/// Serves `dir` on 127.0.0.1 at a port the kernel chooses, on the current
/// runtime; returns its URL.
async fn serve(dir: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback_service(ServeDir::new(dir));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Node's report (test runner and Playwright), for a person to read.
fn report(node: &Run) -> String {
    without_colors(&format!("{}{}", node.stdout, node.stderr))
}

#[test]
fn every_page_passes_the_browser_checks() {
    let run = browser_run();
    // Shown with `--nocapture`: what was checked, and how long it took.
    println!("{}", report(&run.node));
    assert!(
        !run.node.timed_out,
        "the browser checks took over {BROWSER_LIMIT:?}:\n{}",
        report(&run.node)
    );
    assert!(
        run.node.status.success(),
        "the browser checks failed (screenshots in \
         target/browser-screenshots/):\n{}",
        report(&run.node)
    );
}

/// Every program run from a page prints what the chapter promises: what
/// its claim tests hold a real run and the sample output to (exactly the
/// sample, for most; the claimed lines, orders and times for the programs
/// whose output varies from run to run). The sample the page shows is the
/// chapter's sample output file.
#[test]
fn every_run_prints_the_output_its_chapter_shows() {
    let run = browser_run();
    let outputs = run.results["outputs"].as_array();
    let outputs = outputs.unwrap_or_else(|| {
        panic!("the browser reported no outputs:\n{}", report(&run.node))
    });
    assert!(!outputs.is_empty(), "no listing with an output was run");
    let failures: Vec<String> = outputs
        .iter()
        .filter_map(|output| {
            let text = |key: &str| output[key].as_str().unwrap_or_default();
            let (page, listing, file) =
                (text("page"), text("listing"), text("file"));
            // As a program prints it: its lines, each ending in a newline.
            let shown = format!("{}\n", text("output").trim_end_matches('\n'));
            let promised = text("promised").trim_end_matches('\n');
            let sample = sample_of(file);
            let sample = sample.trim_end_matches('\n');
            if promised != sample {
                return Some(format!(
                    "{page}: {listing}: the page shows other than the \
                     sample output file (- in the file, + on the page)\n{}",
                    line_diff(sample, promised)
                ));
            }
            let waited = run.waited.get(file).copied().unwrap_or_default();
            promised_output::broken_after_waiting(file, &shown, waited).map(
                |why| {
                    format!(
                        "{page}: {listing} printed other than the chapter \
                     promises:\n{why}\n{}",
                        line_diff(promised, shown.trim_end_matches('\n'))
                    )
                },
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A page of another origin cannot have a program run on the reader's
/// machine, even with the book's token: the browser does not let it read
/// an answer, and the local Playground refuses what it sends without
/// running it.
#[test]
fn a_page_of_another_origin_cannot_run_programs_locally() {
    let run = browser_run();
    let attempt = &run.results["foreignLocalRun"];
    assert!(
        attempt["shown"]
            .as_str()
            .is_some_and(|shown| shown.contains("did not answer")),
        "the foreign page's Run button showed {attempt}:\n{}",
        report(&run.node)
    );
    assert!(
        attempt["sent"].as_bool() == Some(true) && run.local_refused >= 1,
        "the local Playground refused {} requests; the browser reported \
         {attempt}",
        run.local_refused
    );
}

/// The sample output of a listing, `listings/<part>/<stem>.rs`.
fn sample_of(listing_file: &str) -> String {
    let path = Path::new(listing_file);
    let part = path.parent().and_then(Path::file_name);
    let stem = path.file_stem();
    match (part.and_then(|p| p.to_str()), stem.and_then(|s| s.to_str())) {
        (Some(part), Some(stem)) => programs::sample_output(part, stem),
        _ => panic!("{listing_file}: not a listing file"),
    }
}

/// Every program with a sample output has a promise, and its sample keeps
/// it: what a Run button may show is defined for every listing a chapter
/// shows an output for.
#[test]
fn every_sample_output_has_a_promise_it_keeps() {
    let listings = project().root.join("listings");
    let mut samples = 0;
    for part in fs::read_dir(&listings).unwrap() {
        let output_dir = part.unwrap().path().join("output");
        let Ok(files) = fs::read_dir(&output_dir) else {
            continue;
        };
        let part = output_dir.parent().unwrap().file_name().unwrap();
        let part = part.to_str().unwrap();
        for file in files {
            let file = file.unwrap().path();
            let stem = file.file_stem().unwrap().to_str().unwrap();
            let listing = format!("listings/{part}/{stem}.rs");
            assert!(
                project().root.join(&listing).is_file(),
                "{}: no {listing}",
                file.display()
            );
            promise_for(&listing)(&programs::sample_output(part, stem));
            samples += 1;
        }
    }
    assert!(samples > 0, "no sample output in {}", listings.display());
}

/// The two texts line by line: `  ` for a line both have, `- ` for one
/// only the chapter shows, `+ ` for one only the run printed.
fn line_diff(promised: &str, printed: &str) -> String {
    let (promised, printed): (Vec<&str>, Vec<&str>) =
        (promised.lines().collect(), printed.lines().collect());
    let mut out = String::from("(- as the chapter shows it, + as it ran)\n");
    let (mut p, mut r) = (0, 0);
    while p < promised.len() || r < printed.len() {
        match (promised.get(p), printed.get(r)) {
            (Some(a), Some(b)) if a == b => {
                out += &format!("  {a}\n");
                (p, r) = (p + 1, r + 1);
            }
            // Not printed at all, or not from here on: missing.
            (Some(a), _) if !printed[r..].contains(a) => {
                out += &format!("- {a}\n");
                p += 1;
            }
            // Printed before the chapter's next line comes: extra.
            (_, Some(b)) => {
                out += &format!("+ {b}\n");
                r += 1;
            }
            (_, None) => unreachable!("a line left is either missing or extra"),
        }
    }
    out
}

#[test]
fn line_diff_shows_missing_and_extra_lines() {
    assert_eq!(
        line_diff("a\nb\nc", "a\nc\nd"),
        "(- as the chapter shows it, + as it ran)\n  a\n- b\n  c\n+ d\n"
    );
}
