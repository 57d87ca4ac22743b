//! The benchmark harness of Part Five (`bench/`, package `book-bench`), run
//! at its tiny size so that it cannot rot: the same driver, servers, load
//! generator and plots as the full run, with a handful of connections and
//! sleeps of a tenth of a second. Its numbers mean nothing; its data file
//! and plots must be complete and well-formed.
//!
//! The run writes to a temporary directory, in a network namespace of its
//! own (its servers listen on loopback ports the kernel picks).

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use book_tools::process::{self, Run};
use book_tools::programs;
use serde_json::Value;

const RUNS: usize = 2;
const SERVED: [&str; 9] = [
    "threads",
    "poll-loop",
    "book",
    "book-tuned",
    "book-mt",
    "book-uring",
    "tokio-ct",
    "tokio-mt",
    "raw-epoll",
];

/// One tiny run of every workload, and the data file it wrote.
struct TinyRun {
    run: Run,
    dir: tempfile::TempDir,
    data: Value,
}

fn tiny_run() -> &'static TinyRun {
    static RUN: OnceLock<TinyRun> = OnceLock::new();
    RUN.get_or_init(|| {
        programs::heavy_work_may_start();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut command = Command::new(programs::bench_harness());
        command
            .args(["all", "--tiny", "--runs", &RUNS.to_string(), "--out"])
            .arg(dir.path());
        process::isolate_network(&mut command);
        // About two seconds alone; the limit allows for a loaded machine.
        let run = process::run_measured(command, Duration::from_secs(120))
            .expect("starting book-bench");
        assert!(
            run.status.success() && !run.timed_out,
            "book-bench all --tiny failed ({:?}):\n{}",
            run.status,
            run.stderr
        );
        let file = dir.path().join("results.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let data = serde_json::from_str(&text).expect("results.json is JSON");
        TinyRun { run, dir, data }
    })
}

fn series<'a>(data: &'a Value, workload: &str) -> Vec<&'a Value> {
    data["series"]
        .as_array()
        .expect("a list of series")
        .iter()
        .filter(|s| s["workload"] == workload)
        .collect()
}

/// The contenders of `series`, in their order.
fn contenders_of<'a>(series: &[&'a Value]) -> Vec<&'a str> {
    series
        .iter()
        .map(|s| s["contender"].as_str().unwrap())
        .collect()
}

fn metric(sample: &Value, name: &str) -> f64 {
    sample["metrics"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no metric {name} in {sample}"))
}

#[test]
fn tiny_run_describes_the_machine_and_settings() {
    let TinyRun { data, run, .. } = tiny_run();
    eprintln!("tiny run: {:?} wall, {:?} CPU", run.wall, run.cpu);
    assert_eq!(data["format"], 1);
    let machine = &data["machine"];
    for field in ["cpu_model", "kernel", "rustc", "tokio", "date"] {
        let value = machine[field].as_str().unwrap_or("");
        assert!(!value.is_empty(), "machine.{field} is empty: {machine}");
    }
    assert!(machine["rustc"].as_str().unwrap().starts_with("rustc "));
    assert!(machine["cores"].as_u64().unwrap() >= 1);
    assert!(machine["sysctl"]["net.core.somaxconn"].is_string());
    assert_eq!(data["settings"]["tiny"], true);
    assert_eq!(data["settings"]["runs"], RUNS);
}

#[test]
fn every_connection_of_the_sleep_workload_got_both_lines() {
    let data = &tiny_run().data;
    let all = series(data, "sleep");
    let contenders = contenders_of(&all);
    assert_eq!(contenders, SERVED);
    for s in all {
        let samples = s["samples"].as_array().unwrap();
        assert_eq!(samples.len(), RUNS, "{s}");
        for sample in samples {
            assert_eq!(sample["outcome"], "ok", "{s}");
            let size = s["size"].as_f64().unwrap();
            assert_eq!(metric(sample, "complete"), size, "{sample}");
            assert_eq!(metric(sample, "failed"), 0.0, "{sample}");
            // Every client waited for the server's sleep.
            let sleep = data["settings"]["sleep_ms"].as_f64().unwrap() / 1e3;
            assert!(metric(sample, "wall_s") >= sleep, "{sample}");
            assert!(metric(sample, "server_cpu_s") >= 0.0);
            assert!(metric(sample, "peak_rss_kib") > 0.0, "{sample}");
            // The kernel's account of full queues is recorded.
            assert!(metric(sample, "listen_overflows") >= 0.0, "{sample}");
            assert!(metric(sample, "starts_after_1s") >= 0.0, "{sample}");
        }
    }
}

/// Checks that each sample of echo series `s` ran, lost no client and
/// made a round trip at least; returns the samples.
fn every_round_trip_came_back(s: &Value) -> &Vec<Value> {
    let samples = s["samples"].as_array().unwrap();
    for sample in samples {
        assert_eq!(sample["outcome"], "ok", "{s}");
        assert_eq!(metric(sample, "failed"), 0.0, "{sample}");
        assert!(metric(sample, "round_trips") >= 1.0, "{sample}");
    }
    samples
}

#[test]
fn every_echo_round_trip_came_back_and_is_counted() {
    let data = &tiny_run().data;
    for workload in ["echo", "idle"] {
        let all = series(data, workload);
        assert_eq!(
            all.len(),
            SERVED.len()
                * data["settings"][format!("{workload}_sizes")]
                    .as_array()
                    .map_or(1, Vec::len)
        );
        for s in all {
            for sample in every_round_trip_came_back(s) {
                let per_trip = metric(sample, "server_cpu_us_per_rt");
                assert!(per_trip >= 0.0, "{sample}");
                // The user/system split comes from clock ticks, of which a
                // window this short may see none; when there is one, it
                // adds up to the total.
                let m = &sample["metrics"];
                let user = m["server_user_us_per_rt"].as_f64();
                let system = m["server_system_us_per_rt"].as_f64();
                if let (Some(user), Some(system)) = (user, system) {
                    let parts = user + system;
                    assert!(
                        (per_trip - parts).abs() <= 1e-6 * per_trip.max(1.0),
                        "{sample}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_cpu_bound_echo_does_its_work_on_every_message() {
    let data = &tiny_run().data;
    let all = series(data, "cpu");
    let contenders = contenders_of(&all);
    assert_eq!(
        contenders,
        ["threads", "book", "book-mt", "tokio-ct", "tokio-mt"]
    );
    let echo = series(data, "echo");
    for s in all {
        every_round_trip_came_back(s);
        // The same server without the work spends several times less on
        // a round trip.
        let plain = echo
            .iter()
            .find(|e| e["contender"] == s["contender"])
            .unwrap();
        let cost = |s: &Value| s["median"]["server_cpu_us_per_rt"].as_f64();
        let (working, plain) = (cost(s).unwrap(), cost(plain).unwrap());
        assert!(
            working > 1.5 * plain,
            "{working} µs against {plain} µs: {s}"
        );
    }
}

#[test]
fn system_calls_per_echo_round_trip_are_counted_under_strace() {
    let data = &tiny_run().data;
    let all = series(data, "echo-syscalls");
    let contenders = contenders_of(&all);
    assert_eq!(contenders, SERVED);
    for s in all {
        for sample in s["samples"].as_array().unwrap() {
            assert_eq!(sample["outcome"], "ok", "{s}");
            assert!(metric(sample, "round_trips") > 0.0, "{sample}");
            // Every round trip takes at least one call, and strace's
            // distorted times are not kept.
            let calls = metric(sample, "syscalls_per_rt");
            assert!(calls > 0.0 && calls.is_finite(), "{sample}");
            assert!(sample["metrics"].get("server_cpu_s").is_none());
        }
    }
    // The completion runtime waits in `io_uring_enter`, the others never
    // call it.
    for s in series(data, "echo-syscalls") {
        let entered = s["samples"][0]["metrics"].get("io_uring_enter_per_rt");
        assert_eq!(entered.is_some(), s["contender"] == "book-uring", "{s}");
    }
}

#[test]
fn wake_ups_and_memory_are_measured_for_each_size() {
    let data = &tiny_run().data;
    for s in series(data, "wakeup") {
        for sample in s["samples"].as_array().unwrap() {
            assert_eq!(sample["outcome"], "ok", "{s}");
            assert!(metric(sample, "us_per_wakeup") > 0.0, "{sample}");
        }
    }
    let kinds: Vec<&str> = series(data, "memory")
        .iter()
        .map(|s| s["contender"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["threads", "tokio-ct", "book", "book-tuned"]);
    for s in series(data, "memory") {
        for sample in s["samples"].as_array().unwrap() {
            assert_eq!(sample["outcome"], "ok", "{s}");
            assert_eq!(metric(sample, "spawned"), s["size"].as_f64().unwrap());
        }
    }
}

#[test]
fn medians_and_pair_by_pair_ratios_are_computed() {
    let data = &tiny_run().data;
    for s in data["series"].as_array().unwrap() {
        let median = s["median"].as_object().unwrap();
        for (name, value) in s["samples"][0]["metrics"].as_object().unwrap() {
            let values: Vec<f64> = s["samples"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|sample| sample["metrics"][name].as_f64())
                .collect();
            let (low, high) = values
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            let m = median[name].as_f64().unwrap();
            assert!(low <= m && m <= high, "median {name} of {s}: {value}");
        }
    }
    let ratios = data["ratios"].as_array().unwrap();
    // Each of the book's three runtimes with ratios on sleep (Part Four's,
    // Part Five's, and Part Six's on many threads) against each of the
    // others, on each key metric of the sleep workload.
    let sleep_wall: Vec<&Value> = ratios
        .iter()
        .filter(|r| r["workload"] == "sleep" && r["metric"] == "wall_s")
        .collect();
    assert_eq!(sleep_wall.len(), 3 * (SERVED.len() - 1));
    // Part Six's runtime on many threads against each other contender of
    // the CPU-bound echo.
    let cpu_rate = ratios.iter().filter(|r| {
        r["workload"] == "cpu" && r["metric"] == "round_trips_per_s"
    });
    let denominators: Vec<&str> = cpu_rate
        .map(|r| {
            assert_eq!(r["numerator"], "book-mt", "{r}");
            r["denominator"].as_str().unwrap()
        })
        .collect();
    assert_eq!(denominators, ["threads", "book", "tokio-ct", "tokio-mt"]);
    for r in ratios {
        let per_round = r["per_round"].as_array().unwrap();
        let rounds = r["rounds"].as_array().unwrap();
        assert_eq!(per_round.len(), rounds.len(), "{r}");
        assert!(!rounds.is_empty() && rounds.len() <= RUNS, "{r}");
        let (top, bottom) = (
            r["numerator"].as_str().unwrap(),
            r["denominator"].as_str().unwrap(),
        );
        let metric_name = r["metric"].as_str().unwrap();
        let series_of = |contender: &str| {
            data["series"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| {
                    s["workload"] == r["workload"]
                        && s["contender"] == contender
                        && s["size"] == r["size"]
                })
                .unwrap()
        };
        // Every round of a metric that does not depend on clock ticks.
        if !metric_name_is_split(metric_name) {
            let values = |contender: &str| -> Vec<Value> {
                let samples = series_of(contender)["samples"].as_array();
                let samples = samples.unwrap().iter();
                samples.map(|s| s["metrics"][metric_name].clone()).collect()
            };
            assert_eq!(
                rounds.len(),
                RUNS,
                "{r}\n{top}: {:?}\n{bottom}: {:?}",
                values(top),
                values(bottom)
            );
        }
        // Round by round: this round's value over that round's value.
        for (round, ratio) in rounds.iter().zip(per_round) {
            let round = round.as_u64().unwrap() as usize;
            let a = metric(&series_of(top)["samples"][round], metric_name);
            let b = metric(&series_of(bottom)["samples"][round], metric_name);
            let ratio = ratio.as_f64().unwrap();
            assert!(
                (ratio - a / b).abs() <= 1e-9 * ratio.abs().max(1.0),
                "{r}"
            );
        }
        assert!(r["median"].as_f64().unwrap().is_finite());
    }
}

/// The user/system split of server CPU time, which a short window may
/// lack (see `every_echo_round_trip_came_back_and_is_counted`).
fn metric_name_is_split(name: &str) -> bool {
    name.starts_with("server_user") || name.starts_with("server_system")
}

#[test]
fn plots_are_drawn_from_the_data_as_svg() {
    let TinyRun { data, dir, .. } = tiny_run();
    let plots: Vec<&str> = data["plots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        plots,
        [
            "sleep_wall.svg",
            "sleep_cpu.svg",
            "sleep_rss.svg",
            "idle_cpu.svg",
            "wakeup.svg",
            "memory.svg",
            "echo_cpu.svg",
            "echo_rate.svg",
            "cpu_rate.svg",
        ]
    );
    for plot in plots {
        let svg = std::fs::read_to_string(dir.path().join(plot)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{plot}"
        );
        // Every contender is named, in the legend or on the axis (the
        // backend writes each text on a line of its own).
        let workload = plot.split(['_', '.']).next().unwrap();
        for s in series(data, workload) {
            let name = s["contender"].as_str().unwrap();
            let named = svg.lines().any(|line| line.trim() == name);
            assert!(named, "{plot} does not name {name}");
        }
    }
}
