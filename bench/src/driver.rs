//! The driver: runs every workload's contenders interleaved (A B C ... A B
//! C ...), each in fresh processes, and collects the data file.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::data::{Sample, Series, Settings};
use crate::servers::CONTENDERS;

/// The sizes of a full run, or of the test suite's tiny one.
pub fn settings(tiny: bool, runs: Option<u32>, command: String) -> Settings {
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
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
            echo_seconds: 2.0,
            idle_sizes: vec![10, 100, 1000, 3000, 9000],
            idle_seconds: 1.0,
            wakeup_sizes: vec![10, 100, 1000, 3000, 9000],
            memory_thread_sizes: vec![10_000, 100_000],
            memory_task_sizes: vec![10_000, 100_000, 1_000_000],
            memory_sleep_ms: 1000,
        }
    }
}

/// Runs the chosen workloads; returns every series, medians computed.
pub fn run(settings: &Settings, workloads: &[String]) -> io::Result<Vec<Series>> {
    let mut all = Vec::new();
    let wants = |w: &str| workloads.iter().any(|x| x == w);
    if wants("sleep") {
        for &n in &settings.sleep_sizes {
            let limit = Duration::from_millis(settings.sleep_ms) + Duration::from_secs(30);
            all.extend(interleave(settings.runs, "sleep", n, &CONTENDERS, |contender| {
                let load = [
                    "sleep".to_string(),
                    n.to_string(),
                    limit.as_secs_f64().to_string(),
                ];
                let server = ["sleep".to_string(), settings.sleep_ms.to_string()];
                served(contender, &server, &load, limit * 2, |load, m| {
                    copy(load, m, &["wall_s", "complete", "failed", "slowest_start_s", "median_start_s"]);
                })
            })?);
        }
    }
    if wants("echo") {
        let n = settings.echo_connections;
        all.extend(interleave(settings.runs, "echo", n, &CONTENDERS, |contender| {
            let load = echo_load(settings, n, 0, settings.echo_seconds);
            served(contender, &["echo".to_string()], &load, Duration::from_secs(60), per_round_trip)
        })?);
    }
    if wants("idle") {
        for &n in &settings.idle_sizes {
            all.extend(interleave(settings.runs, "idle", n, &CONTENDERS, |contender| {
                let load = echo_load(settings, 1, n, settings.idle_seconds);
                served(contender, &["echo".to_string()], &load, Duration::from_secs(60), |load, m| {
                    per_round_trip(load, m);
                    if let Some(rate) = m.get("round_trips_per_s").copied().filter(|r| *r > 0.0) {
                        m.insert("us_per_rt".into(), 1e6 / rate);
                    }
                })
            })?);
        }
    }
    if wants("wakeup") {
        for &n in &settings.wakeup_sizes {
            let (iterations, time) = if settings.tiny { (200, 20) } else { (100_000, 300) };
            all.extend(interleave(settings.runs, "wakeup", n, &["poll", "epoll"], |mechanism| {
                let args = ["wakeup", mechanism, &n.to_string(), &iterations.to_string(), &time.to_string()];
                alone(&args, Duration::from_secs(30), &["us_per_wakeup", "us_write_read_alone", "iterations"])
            })?);
        }
    }
    if wants("memory") {
        let sizes = |kind: &str| {
            if kind == "threads" { &settings.memory_thread_sizes } else { &settings.memory_task_sizes }
        };
        let mut all_sizes: Vec<u64> =
            settings.memory_thread_sizes.iter().chain(&settings.memory_task_sizes).copied().collect();
        all_sizes.sort();
        all_sizes.dedup();
        for n in all_sizes {
            let kinds: Vec<&str> =
                ["threads", "tokio-ct", "book"].into_iter().filter(|k| sizes(k).contains(&n)).collect();
            all.extend(interleave(settings.runs, "memory", n, &kinds, |kind| {
                let args = ["memory", kind, &n.to_string(), &settings.memory_sleep_ms.to_string()];
                alone(&args, Duration::from_secs(120), &["bytes_per_sleeper", "peak_rss_kib", "wall_s", "spawned"])
            })?);
        }
    }
    Ok(all)
}

fn echo_load(settings: &Settings, connections: u64, idle: u64, seconds: f64) -> Vec<String> {
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
    copy(load, m, &["round_trips", "round_trips_per_s", "failed", "seconds"]);
    let trips = m.get("round_trips").copied().unwrap_or(0.0);
    if trips > 0.0 {
        for (from, to) in [
            ("server_cpu_s", "server_cpu_us_per_rt"),
            ("server_user_s", "server_user_us_per_rt"),
            ("server_system_s", "server_system_us_per_rt"),
        ] {
            let cpu = m[from];
            m.insert(to.into(), cpu * 1e6 / trips);
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
fn interleave(
    runs: u32,
    workload: &str,
    size: u64,
    contenders: &[&str],
    mut one: impl FnMut(&str) -> io::Result<Sample>,
) -> io::Result<Vec<Series>> {
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
    metrics.iter().map(|(k, v)| format!("{k}={v:.4}")).collect::<Vec<_>>().join(" ")
}

fn harness() -> Command {
    Command::new(std::env::current_exe().expect("no path to this program"))
}

/// One run of a contender's server and the load generator, in two
/// processes; the server's CPU time and peak memory come from the kernel
/// when it is reaped.
fn served(
    contender: &str,
    server_args: &[String],
    load_args: &[String],
    limit: Duration,
    metrics: impl FnOnce(&Value, &mut BTreeMap<String, f64>),
) -> io::Result<Sample> {
    let mut server = harness()
        .arg("server")
        .arg(contender)
        .args(server_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let server_errors = collect(server.stderr.take().unwrap());
    let (lines, first) = mpsc::channel();
    let stdout = server.stdout.take().unwrap();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = lines.send(line);
    });
    let address = match first.recv_timeout(Duration::from_secs(20)) {
        Ok(line) if line.starts_with("listening on ") => line["listening on ".len()..].trim().to_string(),
        other => {
            let usage = reap(&mut server);
            return Ok(failed(format!("server did not start: {other:?} {:?}", usage.map(|u| u.status))));
        }
    };
    let load = harness().arg("load").arg(&load_args[0]).arg(&address).args(&load_args[1..]).finish(limit);
    let usage = reap(&mut server)?;
    let errors = server_errors.join().unwrap_or_default();
    let load = match load {
        Ok(value) => value,
        Err(e) => return Ok(failed(format!("load generator: {e}; server said: {errors}"))),
    };
    let mut m = BTreeMap::new();
    m.insert("server_user_s".into(), usage.user_s);
    m.insert("server_system_s".into(), usage.system_s);
    m.insert("server_cpu_s".into(), usage.user_s + usage.system_s);
    m.insert("peak_rss_kib".into(), usage.max_rss_kib as f64);
    metrics(&load, &mut m);
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
    Ok(Sample { round: 0, outcome, metrics: m, errors: connection_errors })
}

/// One run of a benchmark that needs no server (wake-up, memory).
fn alone(args: &[&str], limit: Duration, names: &[&str]) -> io::Result<Sample> {
    let mut m = BTreeMap::new();
    match harness().args(args).finish(limit) {
        Ok(value) => {
            copy(&value, &mut m, names);
            let outcome = match value.get("failure").and_then(Value::as_str) {
                Some(failure) => failure.to_string(),
                None => "ok".into(),
            };
            Ok(Sample { round: 0, outcome, metrics: m, errors: BTreeMap::new() })
        }
        Err(e) => Ok(failed(e)),
    }
}

fn failed(outcome: String) -> Sample {
    Sample { round: 0, outcome, metrics: BTreeMap::new(), errors: BTreeMap::new() }
}

/// Reads a pipe to the end on a thread of its own; keeps the first 2,000
/// characters.
fn collect(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        let text = String::from_utf8_lossy(&all);
        text.chars().take(2000).collect()
    })
}

trait Finish {
    /// Runs the command with its stdout captured and parsed as JSON, killed
    /// if it runs past `limit`. A process killed by a signal or failing is
    /// an error that says so, with what it wrote to stderr.
    fn finish(&mut self, limit: Duration) -> Result<Value, String>;
}

impl Finish for Command {
    fn finish(&mut self, limit: Duration) -> Result<Value, String> {
        let mut child = self
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        let began = Instant::now();
        let status = loop {
            match child.try_wait().map_err(|e| e.to_string())? {
                Some(status) => break status,
                None if began.elapsed() > limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("killed after the limit of {limit:?}"));
                }
                None => thread::sleep(Duration::from_millis(5)),
            }
        };
        let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
        if !status.success() {
            use std::os::unix::process::ExitStatusExt;
            let how = match status.signal() {
                Some(signal) => format!("killed by signal {signal} ({})", signal_name(signal)),
                None => format!("exited with {status}"),
            };
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(format!("{how}: {last}"));
        }
        serde_json::from_str(&out).map_err(|e| format!("bad output ({e}): {out}"))
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

struct Usage {
    status: i32,
    user_s: f64,
    system_s: f64,
    max_rss_kib: u64,
}

/// Kills a server and reaps it, with the kernel's account of its life:
/// CPU time of all its threads, user and system, and its peak RSS.
fn reap(server: &mut Child) -> io::Result<Usage> {
    let pid = server.id() as libc::pid_t;
    // SAFETY: `pid` is our child, not yet reaped, so the number is its.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let mut status = 0;
    // SAFETY: all zeros is a valid `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for the call.
        let result = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if result == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Usage {
        status,
        user_s: seconds(usage.ru_utime),
        system_s: seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
    })
}
