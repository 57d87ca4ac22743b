//! The book's test suite, in one test binary so that its tests run side
//! by side and share what they build: the book is built once, every
//! program is compiled once, and a long test (the browser's, a chapter's
//! blocks) runs while the others do.
//!
//! One module per concern: a chapter's claims are in the module named
//! after it (`part3_io` for `src/part3-io.md`), and `whole_book`,
//! `chapters`, `browser`, `listings` and `workflow` check
//! the book as a whole. Run one module with
//! `cargo test --test book part3_io::`.
//!
//! The harness starts the tests in the order of their names, six at a
//! time. The longest, `browser`'s, come first; Part Five's harness, whose
//! six tests would otherwise take every place at the start, is named
//! `part5_bench_harness`.

mod browser;
mod chapters;
mod introduction;
mod listings;
mod part1_futures;
mod part2_tasks;
mod part3_io;
mod part4_cancel;
mod part4_epoll;
mod part4_exercises;
mod part4_faults;
mod part4_ident;
mod part4_ready;
mod part5_bench_harness;
mod part5_measured;
mod part6_io_uring;
mod part6_many_threads;
mod support;
mod whole_book;
mod workflow;

/// Runs before the test harness starts any thread, which is what makes
/// entering a namespace and changing the environment sound here.
#[ctor::ctor(unsafe)]
fn prepare_the_process() {
    // The chapters' code blocks are the only ignored tests: a process
    // asked to run them is prepared for skeptic, in a network of its own
    // (the book's servers all listen on port 8000).
    // (Read from /proc: std's arguments may not be set up yet.)
    let arguments = std::fs::read("/proc/self/cmdline").unwrap_or_default();
    let blocks = arguments
        .split(|&byte| byte == 0)
        .any(|arg| arg == b"--ignored" || arg == b"--include-ignored");
    // Part Four's ident tests play a server's clients from threads of
    // this process that enter the server's network (`setns`). Root may
    // enter any; anyone else only one inside a user namespace of this
    // process's own, which a process can make only while single-threaded.
    // SAFETY: geteuid only reads the process's credentials.
    let root = unsafe { libc::geteuid() } == 0;
    if blocks || !root {
        // SAFETY: single-threaded, before main.
        unsafe { book_tools::process::isolate_this_process() }
            .expect("a private network namespace for the tests");
    }
    if blocks {
        // SAFETY: single-threaded, before main.
        unsafe { chapters::prepare_to_run_the_blocks() }
    } else {
        // A new run: what an earlier one could not check is forgotten.
        book_tools::programs::forget_claims_not_checked();
    }
    if !blocks && runs_every_test(&arguments) {
        book_tools::programs::start_early(&TEN_SECOND_SLEEPERS);
    }
    if !blocks && std::env::var_os("RUST_TEST_THREADS").is_none() {
        // Most tests spend their time waiting for a program, a server or
        // the browser: more of them than cores run side by side. (Nine
        // made a warm run 25 s shorter, but a timing claim failed beside
        // a `cargo build` loading the machine, as six never did.)
        // SAFETY: single-threaded, before main.
        unsafe { std::env::set_var("RUST_TEST_THREADS", TEST_THREADS) }
    }
}

/// The programs that sleep for ten seconds, beside others. A run of every
/// test starts them as soon as heavy work may start: the tests that ask
/// for one of them are a chapter's, which start together, in the order of
/// their names, and would otherwise hold every test thread for the ten
/// seconds.
const TEN_SECOND_SLEEPERS: [&str; 4] = [
    "intro-blocking-sleep",
    "intro-serial-await",
    "part1-join-blocking",
    "part3-one-server-thread",
];

/// Whether the harness's arguments (`/proc/self/cmdline`, NUL-separated)
/// ask for every test: nothing but options that change only how it
/// reports (`cargo test -- --nocapture`).
fn runs_every_test(cmdline: &[u8]) -> bool {
    const REPORTING: [&str; 6] = [
        "--nocapture",
        "--no-capture",
        "--show-output",
        "--quiet",
        "-q",
        "--color=never",
    ];
    cmdline
        .split(|&byte| byte == 0)
        .skip(1)
        .filter(|arg| !arg.is_empty())
        .all(|arg| REPORTING.iter().any(|option| option.as_bytes() == arg))
}

/// How many tests run at once, unless `--test-threads` or
/// `RUST_TEST_THREADS` says otherwise.
const TEST_THREADS: &str = "6";

#[test]
fn only_a_run_without_filters_or_choices_runs_every_test() {
    assert!(runs_every_test(b"/target/debug/deps/book-0123\0"));
    assert!(runs_every_test(b"book\0--nocapture\0"));
    assert!(!runs_every_test(b"book\0part2_tasks::\0"));
    assert!(!runs_every_test(b"book\0--skip\0browser::\0"));
    assert!(!runs_every_test(b"book\0--ignored\0"));
}
