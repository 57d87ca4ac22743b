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
                    served(contender, &server, &load, limit * 2, |load, m| {
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
                    })
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
        Ok(line) if line.starts_with("listening on ") => {
            line["listening on ".len()..].trim().to_string()
        }
        other => {
            let usage = reap(&mut server);
            return Ok(failed(format!(
                "server did not start: {other:?} {:?}",
                usage.map(|u| u.status)
            )));
        }
    };
    let tcp_before = tcp_counters();
    let load = harness()
        .arg("load")
        .arg(&load_args[0])
        .arg(&address)
        .args(&load_args[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut load = match load {
        Ok(load) => load,
        Err(e) => {
            reap(&mut server)?;
            return Err(e);
        }
    };
    let load_errors = collect(load.stderr.take().unwrap());
    let (lines, from_load) = mpsc::channel();
    let stdout = load.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // The load generator prints `measuring` when its measured window
    // begins (echo only), then its result; the server's CPU time is read
    // at both. Without the first line, the server's whole life counts.
    let began = Instant::now();
    let mut window_start = None;
    let mut window_end = None;
    let mut result = None;
    while result.is_none() {
        let left = limit.saturating_sub(began.elapsed());
        match from_load.recv_timeout(left) {
            Ok(line) if line.trim() == "measuring" => {
                window_start = cpu_time(server.id());
            }
            Ok(line) => {
                window_end = cpu_time(server.id());
                result = Some(line);
            }
            Err(_) => break,
        }
    }
    let tcp_after = tcp_counters();
    // Peak RSS from the kernel's account of the server's memory, read
    // before it dies: `ru_maxrss` of a child also counts the memory of the
    // process it was forked from, before it ran this program.
    let peak_rss_kib = status_kib(server.id(), "VmHWM");
    // Closing its stdin lets the load generator close its connections and
    // exit.
    drop(load.stdin.take());
    let load_status = wait_at_most(&mut load, Duration::from_secs(30));
    let usage = reap(&mut server)?;
    let errors = server_errors.join().unwrap_or_default();
    let load_stderr = load_errors.join().unwrap_or_default();
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
    match (window_start, window_end) {
        (Some(start), Some(end)) => {
            m.insert("server_cpu_s".into(), end.total_s - start.total_s);
            // The kernel splits user and system time by sampling, a tick
            // at a time; the split is scaled to the exact total, as the
            // kernel scales its own.
            let user = end.user_ticks - start.user_ticks;
            let system = end.system_ticks - start.system_ticks;
            if user + system > 0.0 {
                let total = end.total_s - start.total_s;
                m.insert(
                    "server_user_s".into(),
                    total * user / (user + system),
                );
                m.insert(
                    "server_system_s".into(),
                    total * system / (user + system),
                );
            }
        }
        _ => {
            m.insert("server_user_s".into(), usage.user_s);
            m.insert("server_system_s".into(), usage.system_s);
            m.insert("server_cpu_s".into(), usage.user_s + usage.system_s);
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

/// Reads a pipe to the end on a thread of its own; keeps the first 20,000
/// characters.
fn collect(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        let text = String::from_utf8_lossy(&all);
        text.chars().take(20_000).collect()
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
        let (out, err) = (
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
        );
        if !status.success() {
            use std::os::unix::process::ExitStatusExt;
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

struct Usage {
    status: i32,
    user_s: f64,
    system_s: f64,
}

/// A process's CPU time so far: the exact total, from the scheduler's
/// account of each of its threads (`/proc/PID/task/*/schedstat`, in
/// nanoseconds), and the kernel's sampled split into user and system
/// time (`/proc/PID/stat`, in clock ticks).
#[derive(Clone, Copy, Debug)]
struct CpuTime {
    total_s: f64,
    user_ticks: f64,
    system_ticks: f64,
}

fn cpu_time(pid: u32) -> Option<CpuTime> {
    let mut total_ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread that ended since the listing has nothing to add.
        if let Ok(text) = std::fs::read_to_string(path) {
            total_ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
        }
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields
    // from the last `)`. utime and stime are fields 14 and 15.
    let fields: Vec<&str> =
        stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    Some(CpuTime {
        total_s: total_ns as f64 / 1e9,
        user_ticks: fields.get(11)?.parse().ok()?,
        system_ticks: fields.get(12)?.parse().ok()?,
    })
}

/// TCP counters of this network namespace that tell of full queues:
/// connections dropped because the accept queue was full
/// (`listen_overflows`), all connections dropped at listen
/// (`listen_drops`), SYN cookies sent because the SYN queue was full
/// (`syncookies_sent`), and segments sent again (`tcp_retransmits`).
fn tcp_counters() -> BTreeMap<String, f64> {
    let mut counters = BTreeMap::new();
    let wanted = [
        ("TcpExt", "ListenOverflows", "listen_overflows"),
        ("TcpExt", "ListenDrops", "listen_drops"),
        ("TcpExt", "SyncookiesSent", "syncookies_sent"),
        ("Tcp", "RetransSegs", "tcp_retransmits"),
    ];
    for file in ["/proc/net/netstat", "/proc/net/snmp"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        // Each group is two lines: "Group: names..." then "Group: values".
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.chunks(2) {
            let [names, values] = pair else { continue };
            let (Some((group, names)), Some((_, values))) =
                (names.split_once(": "), values.split_once(": "))
            else {
                continue;
            };
            for (name, value) in
                names.split_whitespace().zip(values.split_whitespace())
            {
                for (g, n, key) in wanted {
                    if g == group
                        && n == name
                        && let Ok(value) = value.parse::<f64>()
                    {
                        counters.insert(key.to_string(), value);
                    }
                }
            }
        }
    }
    counters
}

/// Waits for `child` for at most `limit`, then kills it.
fn wait_at_most(
    child: &mut Child,
    limit: Duration,
) -> io::Result<std::process::ExitStatus> {
    let began = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if began.elapsed() > limit {
            child.kill()?;
            return child.wait();
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// A field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
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
    })
}
