//! The claims of Part Five (`src/part5-measured.md`), checked on the
//! committed data, `src/part5-measured/results.json`, which the benchmark
//! harness (`cargo run --release -p book-bench -- all`) writes.
//!
//! Every number the chapter quotes carries a marker naming its place in
//! the data, right after it:
//! `7.04 <!-- data: echo/book/100/server_cpu_us_per_rt -->`.
//! One test reads the chapter line by line and checks each marked number
//! at the precision it is quoted; a number in the prose without a marker
//! fails the same test, unless it is one of a few workload parameters
//! (`PARAMETERS`), each checked against the data's settings. A new run
//! committed without the prose in step fails, naming the chapter's line.
//!
//! Marker paths:
//! - `WORKLOAD/CONTENDER/SIZE/METRIC`: the median of a series;
//! - `WORKLOAD/CONTENDER/SIZE/METRIC/round/R`: one round's sample;
//! - `ratio/WORKLOAD/SIZE/METRIC/NUMERATOR/DENOMINATOR`: the median of
//!   the ratios taken round by round;
//! - `machine/KEY[/KEY]` and `settings/KEY`: the machine and the settings
//!   (a text value must appear, as written, just before the marker).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::Duration;

use book_tools::assemble::{assemble, library_text};
use book_tools::process::{self, Running, inspect, wait_for, wait_until};
use book_tools::programs::{self, project};
use book_tools::stages;
use book_tools::strace::Counted;
use serde_json::Value;

use book_tools::promised_output;

use promised_output::part4_ident as promised;

const CHAPTER: &str = "src/part5-measured.md";
const DATA: &str = "src/part5-measured/results.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

static DATA_FILE: LazyLock<Value> = LazyLock::new(|| {
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    serde_json::from_str(&text).unwrap()
});

fn data() -> &'static Value {
    &DATA_FILE
}

/// A series of the data: one contender on one workload at one size.
fn series(workload: &str, contender: &str, size: u64) -> &'static Value {
    series_at(workload, contender, size).unwrap_or_else(|| {
        panic!("{DATA} has no series {workload}/{contender}/{size}")
    })
}

fn series_at(
    workload: &str,
    contender: &str,
    size: u64,
) -> Option<&'static Value> {
    data()["series"].as_array()?.iter().find(|s| {
        s["workload"] == workload
            && s["contender"] == contender
            && s["size"].as_u64() == Some(size)
    })
}

/// The median of a metric of a series.
fn median(workload: &str, contender: &str, size: u64, metric: &str) -> f64 {
    series(workload, contender, size)["median"][metric]
        .as_f64()
        .unwrap_or_else(|| {
            panic!("{DATA}: {workload}/{contender}/{size} has no {metric}")
        })
}

/// The median of the round-by-round ratios `numerator / denominator`.
fn ratio(
    workload: &str,
    size: u64,
    metric: &str,
    numerator: &str,
    denominator: &str,
) -> f64 {
    data()["ratios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["workload"] == workload
                && r["size"].as_u64() == Some(size)
                && r["metric"] == metric
                && r["numerator"] == numerator
                && r["denominator"] == denominator
        })
        .and_then(|r| r["median"].as_f64())
        .unwrap_or_else(|| {
            panic!(
                "{DATA} has no ratio {workload}/{size}/{metric}/\
                 {numerator}/{denominator}"
            )
        })
}

/// The value a marker path names.
fn lookup(path: &str) -> Result<Value, String> {
    let parts: Vec<&str> = path.split('/').collect();
    let size = |s: &str| s.parse::<u64>().map_err(|_| format!("size {s}"));
    let found = match parts.as_slice() {
        ["machine" | "settings", keys @ ..] => {
            let mut value = &data()[parts[0]];
            for key in keys {
                value = match key.parse::<usize>() {
                    Ok(i) if value.is_array() => &value[i],
                    _ => &value[*key],
                };
            }
            value.clone()
        }
        ["ratio", w, n, m, a, b] => {
            let n = size(n)?;
            data()["ratios"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| {
                    r["workload"] == *w
                        && r["size"].as_u64() == Some(n)
                        && r["metric"] == *m
                        && r["numerator"] == *a
                        && r["denominator"] == *b
                })
                .map(|r| r["median"].clone())
                .unwrap_or(Value::Null)
        }
        [w, c, n, m, "round", r] => {
            let r = size(r)?;
            series_at(w, c, size(n)?)
                .and_then(|s| {
                    s["samples"]
                        .as_array()?
                        .iter()
                        .find(|x| x["round"].as_u64() == Some(r))
                })
                .map(|x| x["metrics"][*m].clone())
                .unwrap_or(Value::Null)
        }
        [w, c, n, m] => {
            let n = size(n)?;
            data()["series"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| {
                    s["workload"] == *w
                        && s["contender"] == *c
                        && s["size"].as_u64() == Some(n)
                })
                .map(|s| s["median"][*m].clone())
                .unwrap_or(Value::Null)
        }
        _ => return Err(format!("`{path}` is not a data path")),
    };
    if found.is_null() {
        Err(format!("{DATA} has nothing at `{path}`"))
    } else {
        Ok(found)
    }
}

/// Runs a claim test; a failure names the chapter's line whose claim
/// marker names the test, so a new run that no longer supports a sentence
/// points at the sentence.
fn at_its_claim(test: &str, check: impl FnOnce()) {
    let chapter = std::fs::read_to_string(root().join(CHAPTER)).unwrap();
    let marker = format!("<!-- claim: part5_measured::{test} -->");
    let line = chapter
        .lines()
        .position(|l| l.contains(&marker))
        .map_or(0, |i| i + 1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    if let Err(payload) = result {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!(
            "{CHAPTER}:{line}: the claim before this marker fails: {message}"
        );
    }
}

/// Workload parameters the prose may name without a marker, each with the
/// value the data's settings must hold for it.
fn parameters() -> Vec<(&'static str, bool)> {
    let s = &data()["settings"];
    let sizes = |key: &str| -> Vec<u64> {
        s[key]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    vec![
        (
            "1,000, 5,000 and 9,000",
            sizes("sleep_sizes") == [1000, 5000, 9000],
        ),
        ("9,000 connections", sizes("sleep_sizes").contains(&9000)),
        ("5,000 connections", sizes("sleep_sizes").contains(&5000)),
        ("N = 9,000", sizes("sleep_sizes").contains(&9000)),
        ("100 connections", s["echo_connections"] == 100),
        ("64-byte", s["echo_message_bytes"] == 64),
        (
            "10 to 9,000",
            sizes("idle_sizes").first() == Some(&10)
                && sizes("idle_sizes").last() == Some(&9000)
                && sizes("wakeup_sizes") == sizes("idle_sizes"),
        ),
        (
            "10,000 and 100,000 threads",
            sizes("memory_thread_sizes") == [10000, 100000],
        ),
        (
            "1,000,000 tasks",
            sizes("memory_task_sizes").last() == Some(&1_000_000),
        ),
        ("5 s", s["echo_seconds"] == 5.0),
    ]
}

/// A number as the prose writes it: digits with thousands commas and an
/// optional fraction, not part of a word (`IPv4`, `x86_64`).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() {
            let b = bytes[end];
            let joins = (b == b',' || b == b'.')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if b.is_ascii_digit() || joins {
                end += 1;
            } else {
                break;
            }
        }
        found.push((i, end));
        i = end;
    }
    found
}

/// Whether `quoted` (as written, commas allowed) is `value` rounded to the
/// precision it is written with.
fn agrees(quoted: &str, value: f64) -> bool {
    let plain = quoted.replace(',', "");
    let decimals = plain.split_once('.').map_or(0, |(_, f)| f.len());
    let Ok(number) = plain.parse::<f64>() else {
        return false;
    };
    format!("{value:.decimals$}") == format!("{number:.decimals$}")
}

/// Removes what is not prose from a line: inline code, link targets and
/// HTML comments other than data markers.
fn prose(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            let end = after.find('`').map_or(after.len(), |e| e + 1);
            out.push(' ');
            rest = &after[end.min(after.len())..];
        } else if let Some(after) = rest.strip_prefix("](") {
            let end = after.find(')').map_or(after.len(), |e| e + 1);
            out.push_str("] ");
            rest = &after[end..];
        } else if rest.starts_with("<!--") && !rest.starts_with("<!-- data:") {
            let end = rest.find("-->").map_or(rest.len(), |e| e + 3);
            out.push(' ');
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Checks one prose line: every marked number against the data, and no
/// number left without a marker. Returns the problems found.
fn check_line(line: &str, params: &[(&str, bool)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut text = prose(line);
    for (phrase, holds) in params {
        if text.contains(phrase) {
            if !holds {
                problems.push(format!(
                    "`{phrase}` no longer matches the data's settings"
                ));
            }
            text = text.replace(phrase, " ");
        }
    }
    let mut unmarked = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<!-- data:") {
        let before = &rest[..start];
        let after = &rest[start + "<!-- data:".len()..];
        let end = after.find("-->").unwrap_or(after.len());
        let path = after[..end].trim();
        rest = &after[(end + 3).min(after.len())..];
        match lookup(path) {
            Err(e) => {
                problems.push(e);
                unmarked.push_str(before);
            }
            Ok(Value::String(s)) => match before.rfind(s.as_str()) {
                Some(at) => {
                    unmarked.push_str(&before[..at]);
                    unmarked.push_str(&before[at + s.len()..]);
                }
                None => {
                    problems.push(format!(
                        "`{path}` is \"{s}\", which the text before its \
                         marker does not show"
                    ));
                    unmarked.push_str(before);
                }
            },
            Ok(value) => {
                let value = value.as_f64().unwrap_or(f64::NAN);
                match numbers(before).last() {
                    Some(&(a, b)) => {
                        if !agrees(&before[a..b], value) {
                            problems.push(format!(
                                "{} does not agree with `{path}` = {value}",
                                &before[a..b]
                            ));
                        }
                        unmarked.push_str(&before[..a]);
                        unmarked.push_str(&before[b..]);
                    }
                    None => problems
                        .push(format!("marker `{path}` follows no number")),
                }
            }
        }
    }
    unmarked.push_str(rest);
    for (a, b) in numbers(&unmarked) {
        problems.push(format!(
            "{} has no `<!-- data: ... -->` marker naming its place in {DATA}",
            &unmarked[a..b]
        ));
    }
    problems
}

#[test]
fn every_number_quoted_matches_the_committed_data() {
    at_its_claim("every_number_quoted_matches_the_committed_data", || {
        let chapter = std::fs::read_to_string(root().join(CHAPTER)).unwrap();
        let params = parameters();
        let mut problems = Vec::new();
        let mut fenced = false;
        let mut marked = 0;
        for (i, line) in chapter.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced || line.starts_with('#') {
                continue;
            }
            marked += line.matches("<!-- data:").count();
            for problem in check_line(line, &params) {
                problems.push(format!("{CHAPTER}:{}: {problem}", i + 1));
            }
        }
        assert!(marked > 50, "only {marked} data markers in {CHAPTER}");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    });
}

#[test]
fn the_checker_catches_a_wrong_or_unmarked_number() {
    at_its_claim("the_checker_catches_a_wrong_or_unmarked_number", || {
        let params = parameters();
        let v = median("echo", "book", 100, "server_cpu_us_per_rt");
        let good = format!(
            "It used {v:.2} <!-- data: echo/book/100/server_cpu_us_per_rt --> µs."
        );
        assert_eq!(check_line(&good, &params), Vec::<String>::new());
        let wrong = format!(
            "It used {:.2} <!-- data: echo/book/100/server_cpu_us_per_rt --> µs.",
            v + 0.5
        );
        assert_eq!(check_line(&wrong, &params).len(), 1);
        assert_eq!(check_line("It used 7.04 µs.", &params).len(), 1);
        assert_eq!(
            check_line("With `poll(2)` and 100 connections, IPv4.", &params),
            Vec::<String>::new()
        );
    });
}

#[test]
fn the_plots_are_drawn_from_the_committed_data() {
    at_its_claim("the_plots_are_drawn_from_the_committed_data", || {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("results.json");
        std::fs::copy(root().join(DATA), &copy).unwrap();
        let output = Command::new(programs::bench_harness())
            .arg("plot")
            .arg(&copy)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "book-bench plot failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let plots = data()["plots"].as_array().unwrap();
        assert!(plots.len() >= 8, "{plots:?}");
        for plot in plots {
            let name = plot.as_str().unwrap();
            let drawn = std::fs::read(dir.path().join(name)).unwrap();
            let committed =
                std::fs::read(root().join("src/part5-measured").join(name))
                    .unwrap_or_else(|e| {
                        panic!("src/part5-measured/{name}: {e}")
                    });
            assert!(
                drawn == committed,
                "src/part5-measured/{name} is not what `book-bench plot` draws \
                 from {DATA}: run the harness again, or redraw the plots"
            );
        }
    });
}

#[test]
fn the_data_is_a_full_release_run_on_two_cores() {
    at_its_claim("the_data_is_a_full_release_run_on_two_cores", || {
        let s = &data()["settings"];
        assert_eq!(s["tiny"], false);
        assert_eq!(s["profile"], "release");
        assert!(s["runs"].as_u64().unwrap() >= 5);
        assert_eq!(data()["machine"]["cores"], 2);
    });
}

#[test]
fn threads_lose_connections_at_9000_and_every_event_loop_serves_all() {
    at_its_claim(
        "threads_lose_connections_at_9000_and_every_event_loop_serves_all",
        || {
            assert!(median("sleep", "threads", 9000, "complete") < 9000.0);
            assert!(median("sleep", "threads", 9000, "listen_overflows") > 0.0);
            assert!(median("sleep", "threads", 9000, "starts_after_1s") > 0.0);
            // In every round some connections failed.
            let samples = series("sleep", "threads", 9000)["samples"]
                .as_array()
                .unwrap();
            assert!(samples.iter().all(|s| s["outcome"] != "ok"));
            let loops = [
                "poll-loop",
                "book",
                "book-tuned",
                "tokio-ct",
                "tokio-mt",
                "raw-epoll",
            ];
            for c in loops {
                for s in series("sleep", c, 9000)["samples"].as_array().unwrap()
                {
                    assert_eq!(s["outcome"], "ok", "{c}");
                    assert_eq!(s["metrics"]["complete"], 9000.0, "{c}");
                }
            }
            // The accept queue overflowed in one round for Part Four's
            // runtime and in three for Tokio's multi_thread, never for the
            // others; every connection was still served.
            let rounds_overflowed = [1, 0, 0, 3, 0];
            for (c, rounds) in ["book", "book-tuned", "tokio-ct", "tokio-mt"]
                .into_iter()
                .chain(["raw-epoll"])
                .zip(rounds_overflowed)
            {
                let overflowed = series("sleep", c, 9000)["samples"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| {
                        s["metrics"]["listen_overflows"].as_f64() > Some(0.0)
                    })
                    .count();
                assert_eq!(overflowed, rounds, "{c}");
            }
        },
    );
}

#[test]
fn poll_grows_with_the_idle_descriptors_and_epoll_stays_flat() {
    at_its_claim(
        "poll_grows_with_the_idle_descriptors_and_epoll_stays_flat",
        || {
            let sizes = [10, 100, 1000, 3000, 9000];
            let poll: Vec<f64> = sizes
                .iter()
                .map(|&n| median("wakeup", "poll", n, "us_per_wakeup"))
                .collect();
            let epoll: Vec<f64> = sizes
                .iter()
                .map(|&n| median("wakeup", "epoll", n, "us_per_wakeup"))
                .collect();
            assert!(poll.windows(2).all(|w| w[1] > w[0]), "{poll:?}");
            assert!(poll[4] / poll[0] > 100.0, "{poll:?}");
            let (lo, hi) = epoll
                .iter()
                .fold((f64::MAX, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
            assert!(hi / lo < 1.5, "{epoll:?}");
            // The write and read alone are the larger part of an epoll wake-up.
            let alone = median("wakeup", "epoll", 9000, "us_write_read_alone");
            assert!(alone > epoll[4] / 2.0, "{alone} of {}", epoll[4]);
        },
    );
}

#[test]
fn the_books_wake_up_cost_stays_within_twice_the_raw_loop() {
    at_its_claim(
        "the_books_wake_up_cost_stays_within_twice_the_raw_loop",
        || {
            for n in [10, 100, 1000, 3000, 9000] {
                for c in ["book", "book-tuned"] {
                    let metric = "server_cpu_us_per_rt";
                    let r = ratio("idle", n, metric, c, "raw-epoll");
                    assert!(r < 2.0, "{c} at {n}: {r}");
                }
            }
            let poll =
                median("idle", "poll-loop", 9000, "server_cpu_us_per_rt");
            let book = median("idle", "book", 9000, "server_cpu_us_per_rt");
            assert!(poll > 100.0 * book);
        },
    );
}

#[test]
fn a_sleeping_book_task_costs_less_than_a_tokio_task_and_a_thread() {
    at_its_claim(
        "a_sleeping_book_task_costs_less_than_a_tokio_task_and_a_thread",
        || {
            for n in [10_000, 100_000, 1_000_000] {
                let tokio =
                    median("memory", "tokio-ct", n, "bytes_per_sleeper");
                for c in ["book", "book-tuned"] {
                    let book = median("memory", c, n, "bytes_per_sleeper");
                    assert!(book < tokio, "{c} at {n}: {book} vs {tokio}");
                }
            }
            let thread =
                median("memory", "threads", 10_000, "bytes_per_sleeper");
            assert!(
                thread
                    > 10.0
                        * median(
                            "memory",
                            "tokio-ct",
                            10_000,
                            "bytes_per_sleeper"
                        )
            );
        },
    );
}

#[test]
fn std_aborts_past_the_memory_map_limit_instead_of_returning_an_error() {
    at_its_claim(
        "std_aborts_past_the_memory_map_limit_instead_of_returning_an_error",
        || {
            for s in series("memory", "threads", 100_000)["samples"]
                .as_array()
                .unwrap()
            {
                let outcome = s["outcome"].as_str().unwrap();
                assert!(outcome.contains("SIGABRT"), "{outcome}");
                assert!(s["metrics"]["spawned"].as_f64().unwrap() < 100_000.0);
            }
        },
    );
}

#[test]
fn the_machine_was_quiet_when_the_run_began() {
    at_its_claim("the_machine_was_quiet_when_the_run_began", || {
        // Below one runnable thread on average, on two cores.
        let load = data()["machine"]["load_before"].as_f64().unwrap();
        assert!(load < 1.0, "{load}");
    });
}

#[test]
fn part_fours_runtime_spends_over_twice_the_raw_loops_user_space() {
    at_its_claim(
        "part_fours_runtime_spends_over_twice_the_raw_loops_user_space",
        || {
            let metric = "server_user_us_per_rt";
            let r = ratio("echo", 100, metric, "book", "raw-epoll");
            assert!(r > 2.0, "{r}");
        },
    );
}

#[test]
fn the_tuned_runtime_spends_less_per_echo_round_trip_than_part_fours() {
    at_its_claim(
        "the_tuned_runtime_spends_less_per_echo_round_trip_than_part_fours",
        || {
            let r = |metric| ratio("echo", 100, metric, "book-tuned", "book");
            let user = r("server_user_us_per_rt");
            let cpu = r("server_cpu_us_per_rt");
            let rate = r("round_trips_per_s");
            assert!(
                user < 1.0 && cpu < 1.0 && rate > 1.0,
                "{user} {cpu} {rate}"
            );
        },
    );
}

#[test]
fn the_tuned_runtime_uses_less_cpu_per_echo_round_trip_than_tokio_current_thread()
 {
    at_its_claim(
        "the_tuned_runtime_uses_less_cpu_per_echo_round_trip_than_tokio_current_thread",
        || {
            let metric = "server_cpu_us_per_rt";
            let tuned = ratio("echo", 100, metric, "book-tuned", "tokio-ct");
            assert!(tuned < 1.0, "{tuned}");
            // The prose says Part Four's runtime missed this target.
            let part_four = ratio("echo", 100, metric, "book", "tokio-ct");
            assert!(part_four > 1.0, "{part_four}");
        },
    );
}

#[test]
fn the_tuned_runtimes_echo_rate_is_within_noise_of_tokio_current_thread() {
    at_its_claim(
        "the_tuned_runtimes_echo_rate_is_within_noise_of_tokio_current_thread",
        || {
            let metric = "round_trips_per_s";
            let r = ratio("echo", 100, metric, "book-tuned", "tokio-ct");
            assert!((0.9..1.1).contains(&r), "{r}");
            // Above one round by round, below in the medians.
            assert!(r > 1.0, "{r}");
            let tuned = median("echo", "book-tuned", 100, metric);
            let tokio = median("echo", "tokio-ct", 100, metric);
            assert!(tuned < tokio, "{tuned} vs {tokio}");
        },
    );
}

#[test]
fn the_tuned_runtime_is_closer_to_the_raw_loop_in_user_space_but_over_twice_it()
{
    at_its_claim(
        "the_tuned_runtime_is_closer_to_the_raw_loop_in_user_space_but_over_twice_it",
        || {
            let metric = "server_user_us_per_rt";
            let tuned = ratio("echo", 100, metric, "book-tuned", "raw-epoll");
            let part_four = ratio("echo", 100, metric, "book", "raw-epoll");
            assert!(2.0 < tuned && tuned < part_four, "{tuned} {part_four}");
            let tokio = median("echo", "tokio-ct", 100, metric);
            let tuned = median("echo", "book-tuned", 100, metric);
            assert!(tokio > tuned, "Tokio {tokio} µs, tuned {tuned} µs");
        },
    );
}

#[test]
fn at_9000_the_tuned_runtime_is_within_5_percent_of_tokio_wall_below_its_rss_and_tied_on_cpu()
 {
    at_its_claim(
        "at_9000_the_tuned_runtime_is_within_5_percent_of_tokio_wall_below_its_rss_and_tied_on_cpu",
        || {
            let r = |metric, c| ratio("sleep", 9000, metric, c, "tokio-ct");
            let wall = r("wall_s", "book-tuned");
            assert!((0.95..=1.05).contains(&wall), "{wall}");
            let rss = r("peak_rss_kib", "book-tuned");
            assert!(rss < 1.0, "{rss}");
            // A tie: both book runtimes within a tenth of Tokio, on either
            // side of it.
            let tuned = r("server_cpu_s", "book-tuned");
            let part_four = r("server_cpu_s", "book");
            assert!((0.9..1.1).contains(&tuned), "{tuned}");
            assert!((0.9..1.1).contains(&part_four), "{part_four}");
        },
    );
}

// The tuned runtime: Part Four's last program with three changes.

const PART_FOUR: &str = "listings/part4-ident/ident_server.rs";
const TUNED: &str = "listings/part5-measured/tuned_server.rs";
const TUNED_RUNTIME: &str = "listings/src/tuned.diff";

#[test]
fn the_tuned_server_answers_exactly_as_part_fours() {
    let tuned = programs::run("part5-tuned-server");
    let part_four = programs::run("part4-ident-server");
    assert_eq!(tuned.stdout, part_four.stdout);
    promised::ident_server(&tuned.stdout);
    promised::ident_server(&programs::sample_output(
        "part5-measured",
        "tuned_server",
    ));
}

#[test]
fn the_tuned_listing_changes_only_the_runtime() {
    // The two programs are made of the same files but for the runtime.
    let files = |program: &str| {
        let assembled = assemble(&project(), Path::new(program)).unwrap();
        assembled.files
    };
    let (part_four, tuned) = (files(PART_FOUR), files(TUNED));
    let runtime = |file: &PathBuf| {
        file.ends_with("sturdy.rs") || file.ends_with("tuned.diff")
    };
    // In whatever order the assembler met them: the runtimes name their
    // shared modules in different orders.
    let others = |files: &[PathBuf]| {
        let mut others: Vec<_> =
            files.iter().filter(|f| !runtime(f)).cloned().collect();
        others.sort();
        others
    };
    let same = others(&part_four);
    assert!(!same.is_empty());
    assert_eq!(same, others(&tuned));
    assert!(tuned.contains(&PathBuf::from(TUNED_RUNTIME)));
    // And the tuned runtime is Part Four's, but where the chapter shows
    // a change.
    let runtime = library_text(&project(), Path::new(TUNED_RUNTIME)).unwrap();
    assert_eq!(stages::parent_of(&runtime).as_deref(), Some("sturdy"));
    let problems =
        stages::check_stage(&project(), Path::new(TUNED_RUNTIME)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

// The server's calls to `recvfrom` (which a `TcpStream` read makes) and
/// how many of them failed, while one client sends `messages` messages of
/// 64 bytes, each after the last came back and the server went to sleep
/// in `epoll_wait`: so that no message can arrive while the server still
/// handles the last one, and every read finds what it would find on a
/// quiet connection.
fn reads_under_strace(contender: &str, messages: u64) -> Counted {
    let strace = book_tools::strace::ensure_installed().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("strace.txt");
    let mut command = Command::new(strace);
    command
        .args(["-f", "-c", "-e", "trace=recvfrom", "-o"])
        .arg(&summary)
        .arg(programs::bench_harness())
        .args(["server", contender, "echo"]);
    let (traced, address) =
        Running::spawn_listening(command, Duration::from_secs(60)).unwrap();
    let server = server_under(&traced);

    let mut client = TcpStream::connect(&address).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let message = [7u8; 64];
    let mut echo = [0u8; 64];
    for _ in 0..messages {
        wait_until_in_epoll_wait(server);
        client.write_all(&message).unwrap();
        client.read_exact(&mut echo).unwrap();
        assert_eq!(echo, message);
    }
    wait_until_in_epoll_wait(server);
    // Killing the server ends strace: it writes its summary, then ends as
    // its tracee did, killed.
    process::running::signal(server, libc::SIGKILL).unwrap();
    traced.finish(Duration::MAX).unwrap();
    let text = std::fs::read_to_string(&summary).unwrap();
    book_tools::strace::counted(&text, "recvfrom")
        .unwrap_or_else(|| panic!("no recvfrom in strace's summary:\n{text}"))
}

/// The server under strace: strace's only child.
fn server_under(strace: &Running) -> u32 {
    wait_for(
        "strace to start the server",
        Duration::from_secs(10),
        || {
            let children = inspect::children(strace.id()).unwrap();
            children.first().copied()
        },
    )
}

/// Waits until the main thread of process `pid` sleeps in `epoll_wait`
/// (or `epoll_pwait`), as `/proc/PID/syscall` shows: its loop has handled
/// everything there was and waits for the next event.
fn wait_until_in_epoll_wait(pid: u32) {
    // x86_64 has both calls; newer architectures only `epoll_pwait`.
    #[cfg(target_arch = "x86_64")]
    let waits = [libc::SYS_epoll_wait, libc::SYS_epoll_pwait];
    #[cfg(not(target_arch = "x86_64"))]
    let waits = [libc::SYS_epoll_pwait];
    wait_until(
        "the server to go back to epoll_wait",
        Duration::from_secs(10),
        || {
            inspect::sleeping_in_system_call(pid)
                .is_some_and(|call| waits.contains(&call))
        },
    );
}

#[test]
fn part_fours_runtime_reads_twice_per_message_and_the_tuned_one_once() {
    at_its_claim(
        "part_fours_runtime_reads_twice_per_message_and_the_tuned_one_once",
        || {
            const MESSAGES: u64 = 100;
            // Each connection's first poll may find nothing yet: one
            // read more than the messages need, at most.
            let part_four = reads_under_strace("book", MESSAGES);
            assert!(
                (2 * MESSAGES..=2 * MESSAGES + 1).contains(&part_four.calls),
                "{part_four:?}"
            );
            assert!(
                (MESSAGES..=MESSAGES + 1).contains(&part_four.errors),
                "{part_four:?}"
            );
            let tuned = reads_under_strace("book-tuned", MESSAGES);
            assert!(
                (MESSAGES..=MESSAGES + 1).contains(&tuned.calls),
                "{tuned:?}"
            );
            assert!(tuned.errors <= 1, "{tuned:?}");
        },
    );
}

/// The harness's echo server with `contender`, and its address.
fn start_echo_server(contender: &str) -> (Running, String) {
    let mut command = Command::new(programs::bench_harness());
    command.args(["server", contender, "echo"]);
    Running::spawn_listening(command, Duration::from_secs(60)).unwrap()
}

/// Sends `signal` to process `pid` and waits until it has stopped (`T` in
/// `/proc/PID/stat`) or goes on, as the signal asks.
fn signal_and_wait(pid: u32, signal: libc::c_int, stopped: bool) {
    process::running::signal(pid, signal).unwrap();
    let what = if stopped { "to stop" } else { "to go on" };
    wait_until(
        &format!("process {pid} {what}"),
        Duration::from_secs(10),
        || (inspect::state(pid).unwrap() == 'T') == stopped,
    );
}

#[test]
fn a_short_read_after_the_peer_closed_still_finds_the_end() {
    at_its_claim(
        "a_short_read_after_the_peer_closed_still_finds_the_end",
        || {
            for contender in ["book", "book-tuned"] {
                let (server, address) = start_echo_server(contender);
                let pid = server.id();
                let mut client = TcpStream::connect(&address).unwrap();
                client
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                // One round trip first: the server has accepted, and
                // when it sleeps again its task waits to read.
                let mut probe = [0u8; 5];
                client.write_all(b"probe").unwrap();
                client.read_exact(&mut probe).unwrap();
                wait_until_in_epoll_wait(pid);
                // Ten bytes and the end arrive while it cannot run: its
                // next `epoll_wait` reports both in one event.
                signal_and_wait(pid, libc::SIGSTOP, true);
                client.write_all(b"ten bytes\n").unwrap();
                client.shutdown(std::net::Shutdown::Write).unwrap();
                signal_and_wait(pid, libc::SIGCONT, false);
                let mut echoed = Vec::new();
                let result = client.read_to_end(&mut echoed);
                assert!(
                    result.is_ok(),
                    "{contender}: the server never closed ({result:?}), \
                     after echoing {echoed:?}"
                );
                assert_eq!(echoed, b"ten bytes\n", "{contender}");
            }
        },
    );
}
