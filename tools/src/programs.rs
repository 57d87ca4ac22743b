//! The book's programs under test: built once per test process as a
//! reader builds them, each run in a network of its own and measured.
//!
//! A program measured for its CPU time runs alone: no other of the book's
//! programs started by the same test process shares the machine with it.
//! Programs whose claims are about the wall-clock time of sleeping may run
//! beside each other. A program whose claims are about how fast the whole
//! machine lets it go ([`SOLO`]) runs before the suite's heavy work (the
//! browser, the chapters' blocks, `mdbook test`) starts.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, OnceLock, RwLock};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::Project;
use crate::listings::{self, Built};
use crate::process::{self, Run, isolate_network};

/// A generous limit for programs that finish by themselves.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The repository this crate belongs to (it lives in `tools/`).
pub fn project() -> Project {
    // The parent itself, not `tools/..`: paths built from the root are
    // compared with paths normalised from chapter includes.
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Project::at(tools.parent().expect("tools/ lies in the repository"))
}

/// The listings, built once per test process.
pub fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        listings::build(&project()).expect("the listings build")
    })
}

/// Part Five's benchmark harness (`bench/`, package `book-bench`), a debug
/// build made once per test process: the tests run it at a tiny size, or
/// start its servers one at a time.
pub fn bench_harness() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let output = crate::builds::bench_harness(&project())
            .arg("--message-format=json-render-diagnostics")
            .output()
            .expect("running cargo build -p book-bench");
        assert!(
            output.status.success(),
            "cargo build -p book-bench failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find_map(|m| Some(PathBuf::from(m["executable"].as_str()?)))
            .expect("cargo reported no executable for book-bench")
    })
}

/// Held exclusively by runs that must be alone, shared by the others.
static TURN: RwLock<()> = RwLock::new(());

/// The programs whose claims are about the machine itself: how long it
/// takes to start and end a thousand threads, how soon it runs out of
/// them. They run first, alone, before [`heavy_work_may_start`] lets
/// anything heavy begin, so that no browser or compiler shares the
/// machine with them. (A harness that runs one of them in another way,
/// as the Playground stand-in does, runs it [`alone`] before it loads the
/// machine.)
pub const SOLO: &[(&str, Duration)] = &[
    ("intro-thousand-threads", RUN_LIMIT),
    ("intro-too-many-threads", Duration::from_secs(30)),
];

/// Runs the [`SOLO`] programs, once per test process, and returns their
/// runs. Nothing is asserted: one is expected to fail.
fn solo_runs() -> &'static BTreeMap<&'static str, Run> {
    static RUNS: OnceLock<BTreeMap<&'static str, Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        SOLO.iter()
            .map(|&(program, limit)| (program, measure_alone(program, limit)))
            .collect()
    })
}

/// The run of a [`SOLO`] program, made before any heavy work began.
pub fn solo_run(program: &str) -> &'static Run {
    solo_runs()
        .get(program)
        .unwrap_or_else(|| panic!("{program} is not one of programs::SOLO"))
}

/// Waits until the [`SOLO`] programs have run: called by each harness
/// that loads the machine before it starts. The first call then starts
/// the programs named by [`start_early`], if any.
pub fn heavy_work_may_start() {
    solo_runs();
    static STARTED: Once = Once::new();
    if let Some(&programs) = START_EARLY.get() {
        STARTED.call_once(|| {
            thread::spawn(|| run_all_beside_others(programs));
        });
    }
}

static START_EARLY: OnceLock<&'static [&'static str]> = OnceLock::new();

/// Has the first call of [`heavy_work_may_start`] start `programs` in the
/// background, all at once, beside others, as [`run_beside_others`] runs
/// them: for a test process that runs every test, and programs that sleep
/// so long that the tests asking for them would otherwise hold every test
/// thread while they wait. (A failure shows where a test asks for the run.)
pub fn start_early(programs: &'static [&'static str]) {
    START_EARLY
        .set(programs)
        .expect("start_early is called once");
}

/// Runs `program` alone, in a network of its own, killing it after
/// `limit`. Nothing is asserted: for a program expected to hang or fail.
pub fn measure(program: &str, limit: Duration) -> Run {
    heavy_work_may_start();
    measure_alone(program, limit)
}

fn measure_alone(program: &str, limit: Duration) -> Run {
    alone_now(|| measure_now(program, limit))
}

/// Runs `work` (which runs a program) alone, as [`measure`] runs one: no
/// other program of the test run runs meanwhile. For a program whose
/// output measures the machine it runs on.
pub fn alone<R>(work: impl FnOnce() -> R) -> R {
    heavy_work_may_start();
    alone_now(work)
}

fn alone_now<R>(work: impl FnOnce() -> R) -> R {
    let _alone = TURN
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    work()
}

/// Like [`measure`], but beside other programs that allow company.
pub fn measure_beside_others(program: &str, limit: Duration) -> Run {
    // The first program run waits for the solo runs, which then find the
    // machine free instead of waiting for every run already under way.
    // (Not in `measure_file_beside_others`: `cargo book check-exercise`
    // runs a reader's file through it, and must not run the solo ones.)
    heavy_work_may_start();
    measure_file_beside_others(built().program(program), limit)
}

/// Like [`measure_beside_others`], for a program compiled elsewhere (an
/// exercise compiled as one file).
pub fn measure_file_beside_others(program: &Path, limit: Duration) -> Run {
    let _shared = TURN.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    measure_file(program, limit)
}

fn measure_now(program: &str, limit: Duration) -> Run {
    measure_file(built().program(program), limit)
}

fn measure_file(program: &Path, limit: Duration) -> Run {
    let mut command = Command::new(program);
    // As a reader runs it. A backtrace would also cost a program that
    // runs out of memory on purpose (too_many_threads) the very memory it
    // cannot have, where it has been seen to hang instead of aborting.
    command.env_remove("RUST_BACKTRACE");
    isolate_network(&mut command);
    let run = process::run_measured(command, limit).unwrap();
    // Shown with `cargo test -- --nocapture`: what the claims are held to.
    let program = program.file_name().unwrap_or_default().to_string_lossy();
    eprintln!(
        "{program}: wall {:?}, CPU {:?}, waited for a core {:?}, {}",
        run.wall, run.cpu, run.waited_for_a_core, run.status
    );
    run
}

/// Runs `program` alone; it must finish successfully within
/// [`RUN_LIMIT`]. Once per test process: several claims are checked
/// against one run.
pub fn run(program: &str) -> &'static Run {
    run_once(program, measure)
}

/// Like [`run`], for a program whose claims hold in company (wall-clock
/// time spent sleeping, output).
pub fn run_beside_others(program: &str) -> &'static Run {
    run_once(program, measure_beside_others)
}

fn run_once(program: &str, measure: fn(&str, Duration) -> Run) -> &'static Run {
    static RUNS: OnceLock<Mutex<BTreeMap<String, &'static OnceLock<Run>>>> =
        OnceLock::new();
    // One slot per program, so that runs of different programs can go on
    // at once while a second caller for the same program waits.
    let slot = *RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(program.to_owned())
        .or_insert_with(|| Box::leak(Box::default()));
    slot.get_or_init(|| {
        let run = measure(program, RUN_LIMIT);
        assert!(
            !run.timed_out,
            "{program} ran for over {RUN_LIMIT:?}:\n{}",
            run.stderr
        );
        assert!(
            run.status.success(),
            "{program} failed ({}):\n{}",
            run.status,
            run.stderr
        );
        run
    })
}

/// Runs all of `programs` at once, beside others, and waits for them: for
/// programs that only sleep, whose seconds would add up one after another.
/// Each still runs once per test process; a program that fails here fails
/// again, with its message, where a test asks for its run.
pub fn run_all_beside_others(programs: &[&str]) {
    thread::scope(|scope| {
        for &program in programs {
            scope.spawn(move || run_beside_others(program));
        }
    });
}

/// `run` applied to every item, `at_once` items at a time, and the results
/// in the items' order: for jobs that mostly wait (programs that sleep,
/// each in a network of its own), which a two-core machine can run several
/// of side by side.
pub fn side_by_side<T: Sync, R: Send>(
    items: &[T],
    at_once: usize,
    run: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    thread::scope(|scope| {
        for _ in 0..at_once.min(items.len()) {
            scope.spawn(|| {
                while let Some((index, item)) = {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    items.get(index).map(|item| (index, item))
                } {
                    let result = run(item);
                    results.lock().unwrap().push((index, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Checks "burns a whole core" for a program that has `waiting` to wait
/// (its sleeps) and spins through it: all that time it is on a core or
/// ready and waiting for one, so the two together come to most of
/// `waiting`, however loaded the machine (which may give it much less than
/// a whole core). It is not held to its wall time: on a machine busy
/// writing to disk, its few prints were seen to block for longer than it
/// spun, in neither count. A program that sleeps through `waiting` asks
/// for a few hundredths of it.
pub fn assert_burns_a_core(run: &Run, waiting: Duration) {
    let asked = run.cpu + run.waited_for_a_core;
    assert!(
        asked > waiting.mul_f64(0.6),
        "asked {asked:?} of a core: {run:?}"
    );
}

/// Checks "takes about N seconds" for a program that spends `sleeping`
/// asleep: never less (it cannot be faster than its sleeps), and less than
/// half as much again, or two seconds, whichever is more, plus the time it
/// waited for a core: bounds that a loaded two-core machine keeps to.
pub fn assert_takes_about(run: &Run, sleeping: Duration) {
    assert!(
        run.wall >= sleeping,
        "{:?} is less than the {sleeping:?} it sleeps",
        run.wall
    );
    let limit = sleeping
        + (sleeping / 2).max(Duration::from_secs(2))
        + run.waited_for_a_core;
    assert!(run.wall < limit, "{:?} is not about {sleeping:?}", run.wall);
}

/// Where [`cannot_check`] writes down, for `cargo book test` to report,
/// each claim test that could not check its claim on this run: one line
/// each, `module::test<TAB>why`.
pub const NOT_CHECKED_FILE: &str = "target/claims-not-checked.txt";

/// Forgets the claims not checked by an earlier run: called once as the
/// test suite starts.
pub fn forget_claims_not_checked() {
    let _ = fs::remove_file(project().root.join(NOT_CHECKED_FILE));
}

/// For a test that cannot check its claim on this machine (a kernel limit
/// too low for it, say). Under CI (`CI` set) that fails the test: CI
/// promises every claim checked. Elsewhere the test ends without checking,
/// says so on the terminal, outside the harness's capture, and writes it
/// down in [`NOT_CHECKED_FILE`]: `cargo book test` then counts its claim
/// as not verified on this run.
pub fn cannot_check(why: &str) {
    if std::env::var_os("CI").is_some_and(|value| !value.is_empty()) {
        panic!("cannot check this claim on this machine, and CI must: {why}");
    }
    let test = thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr(),
        "NOT CHECKED: {test}: {why}; its claim is not verified on this run"
    );
    let record = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(project().root.join(NOT_CHECKED_FILE));
    if let Ok(mut record) = record {
        let _ = writeln!(record, "{test}\t{}", why.replace('\n', " "));
    }
}

/// A program of `listings/` (`part3-io/x.rs`) as the book shows it and
/// compiles it: one file, its parts and the library modules it uses put
/// in (`assemble.rs`).
pub fn program_text(path: &str) -> String {
    let file = Path::new("listings").join(path);
    crate::assemble::assemble(&project(), &file)
        .unwrap_or_else(|problem| panic!("{problem}"))
        .text()
}

/// The source of a listing: `path` is relative to `listings/`.
pub fn listing_source(path: &str) -> String {
    let path = project().root.join("listings").join(path);
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What rustc says about `source`, compiled (std only) as the book's
/// edition.
pub fn rustc_errors(source: &str) -> crate::compile_fail::Errors {
    crate::compile_fail::errors_of(&project().edition().unwrap(), source)
        .unwrap()
}

/// What rustc says about `source`, compiled as the book's edition with
/// the crates the listings use (libc among them), as the Playground has
/// them: for a program on a stage that calls the system.
pub fn rustc_errors_with_crates(source: &str) -> crate::compile_fail::Errors {
    let edition = project().edition().unwrap();
    let crates = built().rustc_args();
    crate::compile_fail::errors_with_crates(&edition, source, &crates).unwrap()
}

/// The sample output a chapter shows: `listings/<part>/output/<name>.txt`.
pub fn sample_output(part: &str, name: &str) -> String {
    let path = project()
        .root
        .join("listings")
        .join(part)
        .join("output")
        .join(format!("{name}.txt"));
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of an output in sorted order, for output whose order varies.
pub fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}

/// Waits until process `pid` listens on TCP port `port` in its network,
/// as the kernel reports in `/proc/PID/net/tcp`; panics after `limit`.
pub use book_process::wait_until_listening;
