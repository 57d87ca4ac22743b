//! The driver: runs every workload's contenders interleaved (A B C ... A B
//! C ...), each in fresh processes, and collects the data file.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use book_process::{Input, Output, Running, inspect, machine};
use serde_json::Value;

use crate::data::{Sample, Series, Settings};
use crate::servers::CONTENDERS;

/// The contenders of the CPU-bound echo: the book's runtime on one thread
/// and on many, Tokio's two schedulers, and a thread per connection.
const CPU_CONTENDERS: [&str; 5] =
    ["threads", "book", "book-mt", "tokio-ct", "tokio-mt"];

/// The sizes of a full run, or of the test suite's tiny one.
pub fn settings(
    contenders: Vec<String>,
    tiny: bool,
    runs: Option<u32>,
    command: String,
) -> Settings {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if tiny {
        Settings {
            command,
            tiny,
            profile: profile.into(),
            runs: runs.unwrap_or(1),
            backlog: crate::servers::BACKLOG,
            sleep_ms: 100,
            sleep_sizes: vec![20],
            echo_connections: 4,
            echo_message_bytes: 64,
            echo_seconds: 0.05,
            idle_sizes: vec![10],
            idle_seconds: 0.05,
            wakeup_sizes: vec![10, 100],
            memory_thread_sizes: vec![50],
            memory_task_sizes: vec![500],
            memory_sleep_ms: 100,
            cpu_connections: 4,
            cpu_work_rounds: 20_000,
            cpu_seconds: 0.05,
            contenders: contenders.clone(),
        }
    } else {
        Settings {
            command,
            tiny,
            profile: profile.into(),
            runs: runs.unwrap_or(5),
            backlog: crate::servers::BACKLOG,
            sleep_ms: 1000,
            sleep_sizes: vec![1000, 5000, 9000],
            echo_connections: 100,
            echo_message_bytes: 64,
            echo_seconds: 5.0,
            idle_sizes: vec![10, 100, 1000, 3000, 9000],
            idle_seconds: 1.0,
            wakeup_sizes: vec![10, 100, 1000, 3000, 9000],
            memory_thread_sizes: vec![10_000, 100_000],
            memory_task_sizes: vec![10_000, 100_000, 1_000_000],
            memory_sleep_ms: 1000,
            cpu_connections: 8,
            cpu_work_rounds: 500_000,
            cpu_seconds: 3.0,
            contenders,
        }
    }
}

/// Replaces one workload's sizes: `sleep=1000,9000`.
pub fn choose_sizes(settings: &mut Settings, choice: &str) -> io::Result<()> {
    let bad = || io::Error::other(format!("--sizes {choice}: want W=N1,N2"));
    let (workload, list) = choice.split_once('=').ok_or_else(bad)?;
    let sizes = list
        .split(',')
        .map(|n| n.trim().replace('_', "").parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    let slot = match workload {
        "sleep" => &mut settings.sleep_sizes,
        "idle" => &mut settings.idle_sizes,
        "wakeup" => &mut settings.wakeup_sizes,
        "memory-threads" => &mut settings.memory_thread_sizes,
        "memory-tasks" => &mut settings.memory_task_sizes,
        _ => return Err(bad()),
    };
    *slot = sizes;
    Ok(())
}

/// Runs the chosen workloads; returns every series, medians computed.
pub fn run(
    settings: &Settings,
    workloads: &[String],
) -> io::Result<Vec<Series>> {
    let mut all = Vec::new();
    let wants = |w: &str| workloads.iter().any(|x| x == w);
    if wants("sleep") {
        for &n in &settings.sleep_sizes {
            let limit = Duration::from_millis(settings.sleep_ms)
                + Duration::from_secs(30);
            all.extend(interleave(
                settings,
                "sleep",
                n,
                &CONTENDERS,
                |contender| {
                    let load = [
                        "sleep".to_string(),
                        n.to_string(),
                        limit.as_secs_f64().to_string(),
                    ];
                    let server =
                        ["sleep".to_string(), settings.sleep_ms.to_string()];
                    served(
                        contender,
                        &server,
                        &load,
                        limit * 2,
                        None,
                        |load, m| {
                            copy(
                                load,
                                m,
                                &[
                                    "wall_s",
                                    "complete",
                                    "failed",
                                    "slowest_start_s",
                                    "starts_after_1s",
                                    "median_start_s",
                                ],
                            );
                        },
                    )
                },
            )?);
        }
    }
    if wants("echo") {
        let n = settings.echo_connections;
        all.extend(interleave(
            settings,
            "echo",
            n,
            &CONTENDERS,
            |contender| {
                let load = echo_load(settings, n, 0, settings.echo_seconds);
                served(
                    contender,
                    &["echo".to_string()],
                    &load,
                    Duration::from_secs(60),
                    None,
                    per_round_trip,
                )
            },
        )?);
        // The same clients again, each server under `strace -f -c`: its
        // system calls per round trip. Under strace time means nothing,
        // so only the counts are kept.
        let dir = std::env::temp_dir();
        all.extend(interleave(
            settings,
            "echo-syscalls",
            n,
            &CONTENDERS,
            |contender| {
                let load = echo_load(settings, n, 0, settings.echo_seconds);
                let summary = dir.join(format!(
                    "book-bench-strace-{}-{contender}.txt",
                    std::process::id()
                ));
                let sample = served(
                    contender,
                    &["echo".to_string()],
                    &load,
                    Duration::from_secs(60),
                    Some(&summary),
                    |load, m| copy(load, m, &["round_trips", "failed"]),
                );
                let _ = std::fs::remove_file(&summary);
                sample
            },
        )?);
    }
    if wants("cpu") {
        // The echo again, with CPU work on every message: a server on one
        // thread has one core to spend, a server on many has them all.
        let n = settings.cpu_connections;
        all.extend(interleave(
            settings,
            "cpu",
            n,
            &CPU_CONTENDERS,
            |contender| {
                let load = echo_load(settings, n, 0, settings.cpu_seconds);
                let server =
                    ["echo".to_string(), settings.cpu_work_rounds.to_string()];
                served(
                    contender,
                    &server,
                    &load,
                    Duration::from_secs(60),
                    None,
                    per_round_trip,
                )
            },
        )?);
    }
    if wants("idle") {
        for &n in &settings.idle_sizes {
            all.extend(interleave(
                settings,
                "idle",
                n,
                &CONTENDERS,
                |contender| {
                    let load = echo_load(settings, 1, n, settings.idle_seconds);
                    served(
                        contender,
                        &["echo".to_string()],
                        &load,
                        Duration::from_secs(60),
                        None,
                        |load, m| {
                            per_round_trip(load, m);
                            if let Some(rate) = m
                                .get("round_trips_per_s")
                                .copied()
                                .filter(|r| *r > 0.0)
                            {
                                m.insert("us_per_rt".into(), 1e6 / rate);
                            }
                        },
                    )
                },
            )?);
        }
    }
    if wants("wakeup") {
        for &n in &settings.wakeup_sizes {
            let (iterations, time) = if settings.tiny {
                (200, 20)
            } else {
                (100_000, 300)
            };
            all.extend(interleave(
                settings,
                "wakeup",
                n,
                &["poll", "epoll"],
                |mechanism| {
                    let args = [
                        "wakeup",
                        mechanism,
                        &n.to_string(),
                        &iterations.to_string(),
                        &time.to_string(),
                    ];
                    alone(
                        &args,
                        Duration::from_secs(30),
                        &["us_per_wakeup", "us_write_read_alone", "iterations"],
                    )
                },
            )?);
        }
    }
    if wants("memory") {
        let sizes = |kind: &str| {
            if kind == "threads" {
                &settings.memory_thread_sizes
            } else {
                &settings.memory_task_sizes
            }
        };
        let mut all_sizes: Vec<u64> = settings
            .memory_thread_sizes
            .iter()
            .chain(&settings.memory_task_sizes)
            .copied()
            .collect();
        all_sizes.sort();
        all_sizes.dedup();
        for n in all_sizes {
            let kinds: Vec<&str> =
                ["threads", "tokio-ct", "book", "book-tuned"]
                    .into_iter()
                    .filter(|k| sizes(k).contains(&n))
                    .collect();
            all.extend(interleave(settings, "memory", n, &kinds, |kind| {
                let args = [
                    "memory",
                    kind,
                    &n.to_string(),
                    &settings.memory_sleep_ms.to_string(),
                ];
                alone(
                    &args,
                    Duration::from_secs(120),
                    &["bytes_per_sleeper", "peak_rss_kib", "wall_s", "spawned"],
                )
            })?);
        }
    }
    Ok(all)
}

fn echo_load(
    settings: &Settings,
    connections: u64,
    idle: u64,
    seconds: f64,
) -> Vec<String> {
    vec![
        "echo".into(),
        connections.to_string(),
        idle.to_string(),
        settings.echo_message_bytes.to_string(),
        seconds.to_string(),
    ]
}

/// Server CPU per round trip, user and system apart, from the load
/// generator's count and the server's accounting.
fn per_round_trip(load: &Value, m: &mut BTreeMap<String, f64>) {
    copy(
        load,
        m,
        &["round_trips", "round_trips_per_s", "failed", "seconds"],
    );
    let trips = m.get("round_trips").copied().unwrap_or(0.0);
    if trips > 0.0 {
        for (from, to) in [
            ("server_cpu_s", "server_cpu_us_per_rt"),
            ("server_user_s", "server_user_us_per_rt"),
            ("server_system_s", "server_system_us_per_rt"),
        ] {
            if let Some(&cpu) = m.get(from) {
                m.insert(to.into(), cpu * 1e6 / trips);
            }
        }
    }
}

fn copy(from: &Value, to: &mut BTreeMap<String, f64>, names: &[&str]) {
    for &name in names {
        if let Some(v) = from.get(name).and_then(Value::as_f64) {
            to.insert(name.into(), v);
        }
    }
}

/// Runs `runs` rounds; in each, every contender once, in the same order.
/// Contenders not named in `settings.contenders` are left out.
fn interleave(
    settings: &Settings,
    workload: &str,
    size: u64,
    contenders: &[&str],
    mut one: impl FnMut(&str) -> io::Result<Sample>,
) -> io::Result<Vec<Series>> {
    let runs = settings.runs;
    let contenders: Vec<&str> = contenders
        .iter()
        .copied()
        .filter(|c| settings.contenders.iter().any(|o| o == c))
        .collect();
    let mut series: Vec<Series> = contenders
        .iter()
        .map(|c| Series {
            workload: workload.into(),
            contender: c.to_string(),
            size,
            samples: Vec::new(),
            median: BTreeMap::new(),
        })
        .collect();
    for round in 0..runs {
        for (i, contender) in contenders.iter().enumerate() {
            let mut sample = one(contender)?;
            sample.round = round;
            eprintln!(
                "{workload} n={size} {contender} round {round}: {} {}",
                sample.outcome,
                summary(&sample.metrics)
            );
            series[i].samples.push(sample);
        }
    }
    for s in &mut series {
        s.compute_median();
    }
    Ok(series)
}

fn summary(metrics: &BTreeMap<String, f64>) -> String {
    metrics
        .iter()
        .map(|(k, v)| format!("{k}={v:.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn harness() -> Command {
    Command::new(std::env::current_exe().expect("no path to this program"))
}

/// One run of a contender's server and the load generator, in two
/// processes. The server's CPU time comes from the kernel: over its whole
/// life (`wait4`, when it is reaped), or over the load generator's
/// measured window when it announces one; its peak RSS from `VmHWM`.
/// With `strace_summary`, the server runs under `strace -f -c`, which
/// writes its count of system calls there; the sample then holds the
/// counts (`syscalls_per_rt`, and per round trip of each call that
/// serves a message) instead of times, which strace distorts.
fn served(
    contender: &str,
    server_args: &[String],
    load_args: &[String],
    limit: Duration,
    strace_summary: Option<&Path>,
    metrics: impl FnOnce(&Value, &mut BTreeMap<String, f64>),
) -> io::Result<Sample> {
    let mut command = match strace_summary {
        Some(summary) => {
            let mut strace = Command::new("strace");
            strace.args(["-f", "-c", "-o"]).arg(summary);
            strace.arg(std::env::current_exe()?);
            strace
        }
        None => harness(),
    };
    command.arg("server").arg(contender).args(server_args);
    // Killed when dropped: on every way out of this function.
    let (server, address) =
        match Running::spawn_listening(command, Duration::from_secs(20)) {
            Ok(started) => started,
            Err(e) => {
                return Ok(failed(format!("server did not start: {e}")));
            }
        };
    let tcp_before = machine::tcp_counters();
    let mut command = harness();
    command.arg("load").arg(&load_args[0]).arg(&address);
    command.args(&load_args[1..]);
    // The echo load generator reads the server's CPU time itself, at the
    // edges of its measured window, and reports it with its result.
    if load_args[0] == "echo" {
        command.arg(server.id().to_string());
    }
    let mut load =
        Running::spawn_with(command, Output::StdoutPiped, Input::Piped)?;
    let (lines, from_load) = mpsc::channel();
    let stdout = load.take_stdout().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let result = from_load.recv_timeout(limit).ok();
    let tcp_after = machine::tcp_counters();
    // Peak RSS from the kernel's account of the server's memory, read
    // before it dies: `ru_maxrss` of a child also counts the memory of the
    // process it was forked from, before it ran this program.
    let peak_rss_kib = inspect::peak_resident_kib(server.id()).ok();
    // Closing its stdin lets the load generator close its connections and
    // exit.
    drop(load.take_stdin());
    let load_run = load.finish_within(Duration::from_secs(30));
    let load_status = load_run.as_ref().map(|run| run.status);
    let load_stderr = load_run
        .as_ref()
        .map(|run| first_chars(&run.stderr))
        .unwrap_or_default();
    let server = match strace_summary {
        // Killing the traced server ends strace, which writes its summary
        // first; killing strace would leave the server running.
        Some(_) => {
            for traced in inspect::children(server.id()).unwrap_or_default() {
                let _ = book_process::running::signal(traced, libc::SIGKILL);
            }
            server.finish_within(Duration::from_secs(30))?
        }
        None => server.kill()?,
    };
    let errors = first_chars(&server.stderr);
    let load: Value = match result.as_deref().map(serde_json::from_str) {
        Some(Ok(value)) => value,
        other => {
            return Ok(failed(format!(
                "load generator gave no result ({other:?}, {load_status:?}): \
                 {}; server said: {}",
                load_stderr.chars().take(500).collect::<String>(),
                errors.chars().take(500).collect::<String>()
            )));
        }
    };
    let mut m = BTreeMap::new();
    match load.get("server_cpu") {
        Some(window) => copy(
            window,
            &mut m,
            &["server_cpu_s", "server_user_s", "server_system_s"],
        ),
        // Without a measured window, the server's whole life counts.
        None => {
            let user = server.cpu_user.as_secs_f64();
            let system = server.cpu_system.as_secs_f64();
            m.insert("server_user_s".into(), user);
            m.insert("server_system_s".into(), system);
            m.insert("server_cpu_s".into(), user + system);
        }
    }
    if let Some(peak) = peak_rss_kib {
        m.insert("peak_rss_kib".into(), peak as f64);
    }
    // What the kernel did about full queues meanwhile: counters of the
    // whole network namespace, which the harness has to itself on
    // loopback unless something else on the machine uses it.
    for (name, after) in &tcp_after {
        if let Some(before) = tcp_before.get(name) {
            m.insert(name.clone(), after - before);
        }
    }
    metrics(&load, &mut m);
    if let Some(summary) = strace_summary {
        // The times above were strace's own, or distorted by it.
        m.retain(|name, _| {
            !name.starts_with("server_") && name != "peak_rss_kib"
        });
        let trips = m.get("round_trips").copied().unwrap_or(0.0);
        match std::fs::read_to_string(summary) {
            // Every call of the server's life, divided by the measured
            // round trips: the start, the connections and the warm-up add
            // a few hundred calls to tens of thousands.
            Ok(text) if trips > 0.0 => {
                for (call, count) in strace_counts(&text) {
                    let name = match call.as_str() {
                        "total" => "syscalls_per_rt".to_string(),
                        _ => format!("{call}_per_rt"),
                    };
                    m.insert(name, count / trips);
                }
            }
            Ok(_) => return Ok(failed("no round trips under strace".into())),
            Err(e) => {
                return Ok(failed(format!(
                    "no strace summary (is strace installed?): {e}"
                )));
            }
        }
    }
    let connection_errors: BTreeMap<String, u64> = load
        .get("errors")
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_default();
    let failed_count = m.get("failed").copied().unwrap_or(0.0);
    let outcome = if failed_count > 0.0 {
        format!("{failed_count} connections failed")
    } else {
        "ok".into()
    };
    Ok(Sample {
        round: 0,
        outcome,
        metrics: m,
        errors: connection_errors,
    })
}

/// The calls counted in a summary of `strace -c`, whose rows are
/// `% time  seconds  usecs/call  calls  [errors]  syscall`, and its
/// `total`: only the calls that serve messages, and the total.
fn strace_counts(summary: &str) -> Vec<(String, f64)> {
    const SERVING: [&str; 9] = [
        "total",
        "io_uring_enter",
        "epoll_wait",
        "epoll_pwait",
        "read",
        "write",
        "recvfrom",
        "sendto",
        "futex",
    ];
    summary
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let call = *fields.last()?;
            let calls = fields.get(3)?.parse::<f64>().ok()?;
            SERVING.contains(&call).then(|| (call.to_string(), calls))
        })
        .collect()
}

/// One run of a benchmark that needs no server (wake-up, memory).
fn alone(args: &[&str], limit: Duration, names: &[&str]) -> io::Result<Sample> {
    let mut m = BTreeMap::new();
    let mut command = harness();
    command.args(args);
    match command.finish(limit) {
        Ok(value) => {
            copy(&value, &mut m, names);
            let outcome = match value.get("failure").and_then(Value::as_str) {
                Some(failure) => failure.to_string(),
                None => "ok".into(),
            };
            Ok(Sample {
                round: 0,
                outcome,
                metrics: m,
                errors: BTreeMap::new(),
            })
        }
        Err(e) => {
            let mut sample = failed(e);
            // How far a process that died got: "... after N spawned: ...".
            let spawned = sample
                .outcome
                .split_once(" after ")
                .and_then(|(_, rest)| rest.split_once(" spawned"))
                .and_then(|(n, _)| n.parse::<f64>().ok());
            if let Some(n) = spawned {
                sample.metrics.insert("spawned".into(), n);
            }
            Ok(sample)
        }
    }
}

fn failed(outcome: String) -> Sample {
    Sample {
        round: 0,
        outcome,
        metrics: BTreeMap::new(),
        errors: BTreeMap::new(),
    }
}

/// The first 20,000 characters of what a process wrote: enough to tell
/// what went wrong, and no more in a data file.
fn first_chars(text: &str) -> String {
    text.chars().take(20_000).collect()
}

trait Finish {
    /// Runs the command with its stdout captured and parsed as JSON, killed
    /// if it runs past `limit`. A process killed by a signal or failing is
    /// an error that says so, with what it wrote to stderr.
    fn finish(self, limit: Duration) -> Result<Value, String>;
}

impl Finish for Command {
    fn finish(self, limit: Duration) -> Result<Value, String> {
        let run = Running::spawn(self)
            .and_then(|running| running.finish(limit))
            .map_err(|e| e.to_string())?;
        if run.timed_out {
            return Err(format!("killed after the limit of {limit:?}"));
        }
        let status = run.status;
        let (out, err) = (first_chars(&run.stdout), first_chars(&run.stderr));
        if !status.success() {
            let how = match status.signal() {
                Some(signal) => format!(
                    "killed by signal {signal} ({})",
                    signal_name(signal)
                ),
                None => format!("exited with {status}"),
            };
            // What it said: a panic's message (the line after "panicked
            // at"), else its last line; and how far it got, if it reports
            // progress ("spawned N" lines).
            let mut lines = err.lines();
            let last = err.lines().rev().find(|l| !l.trim().is_empty());
            let said = lines
                .by_ref()
                .find(|l| l.contains("panicked at"))
                .and_then(|_| lines.next())
                .or(last)
                .unwrap_or("");
            let progress = err
                .lines()
                .filter_map(|l| l.strip_prefix("spawned "))
                .next_back()
                .map(|n| format!(" after {n} spawned"))
                .unwrap_or_default();
            return Err(format!("{how}{progress}: {said}"));
        }
        serde_json::from_str(&out)
            .map_err(|e| format!("bad output ({e}): {out}"))
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        _ => "other",
    }
}
