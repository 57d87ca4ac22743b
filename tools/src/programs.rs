//! The book's programs under test: built once per test process as a
//! reader builds them, each run in a network of its own and measured.
//!
//! Runs take turns: a program measured for its CPU time never shares the
//! machine with another of the book's programs started by the same test
//! process.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::Project;
use crate::listings::{self, Built};
use crate::process::{self, Run, isolate_network};

/// A generous limit for programs that finish by themselves.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The repository this crate belongs to (it lives in `tools/`).
pub fn project() -> Project {
    Project::at(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The listings, built once per test process.
pub fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        listings::build(&project()).expect("the listings build")
    })
}

/// One turn at a time for the book's programs in this process.
static TURN: Mutex<()> = Mutex::new(());

/// Runs `program` in a network of its own, killing it after `limit`.
/// Nothing is asserted: for a program expected to hang or fail.
pub fn measure(program: &str, limit: Duration) -> Run {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut command = Command::new(built().program(program));
    isolate_network(&mut command);
    let run = process::run_measured(command, limit).unwrap();
    // Shown with `cargo test -- --nocapture`: what the claims are held to.
    eprintln!(
        "{program}: wall {:?}, CPU {:?}, {}",
        run.wall, run.cpu, run.status
    );
    run
}

/// Runs `program`, which must finish successfully within [`RUN_LIMIT`],
/// once per test process: several claims are checked against one run.
pub fn run(program: &str) -> &'static Run {
    static RUNS: Mutex<BTreeMap<String, &'static Run>> =
        Mutex::new(BTreeMap::new());
    let mut runs = RUNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(run) = runs.get(program) {
        return run;
    }
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
    let run: &'static Run = Box::leak(Box::new(run));
    runs.insert(program.to_owned(), run);
    run
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
/// as the kernel reports in `/proc/PID/net/tcp`.
pub fn wait_until_listening(pid: u32, port: u16, limit: Duration) {
    let started = Instant::now();
    let local = format!(":{port:04X}");
    while started.elapsed() < limit {
        let table = fs::read_to_string(format!("/proc/{pid}/net/tcp"))
            .unwrap_or_default();
        // Columns: slot, local address, remote address, state (0A: LISTEN).
        let listening = table.lines().any(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            columns.len() > 3
                && columns[1].ends_with(&local)
                && columns[3] == "0A"
        });
        if listening {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} did not listen on port {port} within {limit:?}");
}
