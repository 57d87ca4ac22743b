//! The data file: every run's raw numbers, the medians, the ratios pair by
//! pair, and the machine they came from. `results.json` is this, written
//! with serde; the plots and the chapter's claims read it back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or goes away.
pub const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Data {
    pub format: u32,
    pub machine: Machine,
    pub settings: Settings,
    /// One entry per (workload, contender, size), in the order run.
    pub series: Vec<Series>,
    pub ratios: Vec<Ratio>,
    /// The SVG files drawn from this data, next to it.
    pub plots: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Machine {
    pub cpu_model: String,
    /// Cores this process may run on.
    pub cores: usize,
    pub kernel: String,
    /// The compiler that built the harness.
    pub rustc: String,
    pub tokio: String,
    /// When the run began, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    pub memory_kib: u64,
    /// The soft limit on open descriptors, after raising it to the hard one.
    pub nofile_limit: u64,
    /// Kernel settings that bound the results: `net.core.somaxconn`,
    /// `net.ipv4.tcp_max_syn_backlog`, `vm.max_map_count`, ...
    pub sysctl: BTreeMap<String, String>,
    /// The 1-minute load average when the run began and when it ended:
    /// other work on the machine shows here.
    pub load_before: f64,
    pub load_after: f64,
    /// How long the whole run took, in minutes.
    pub run_minutes: f64,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Settings {
    /// The command that produced the file.
    pub command: String,
    /// True for the test suite's small run: its numbers mean nothing.
    pub tiny: bool,
    /// `release` or `debug`.
    pub profile: String,
    /// Runs of each contender for each size, interleaved.
    pub runs: u32,
    pub backlog: i32,
    pub sleep_ms: u64,
    pub sleep_sizes: Vec<u64>,
    pub echo_connections: u64,
    pub echo_message_bytes: u64,
    pub echo_seconds: f64,
    pub idle_sizes: Vec<u64>,
    pub idle_seconds: f64,
    pub wakeup_sizes: Vec<u64>,
    pub memory_thread_sizes: Vec<u64>,
    pub memory_task_sizes: Vec<u64>,
    pub memory_sleep_ms: u64,
    /// The CPU-bound echo: its clients, the rounds of [`work_on`] the
    /// server spends on each message, and how long it is measured.
    ///
    /// [`work_on`]: crate::workload::work_on
    #[serde(default)]
    pub cpu_connections: u64,
    #[serde(default)]
    pub cpu_work_rounds: u32,
    #[serde(default)]
    pub cpu_seconds: f64,
    /// The contenders run (all of them unless `--contenders` chose).
    pub contenders: Vec<String>,
}

/// Every run of one contender on one workload at one size.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Series {
    /// `sleep`, `echo`, `idle`, `wakeup` or `memory`.
    pub workload: String,
    pub contender: String,
    /// Connections (sleep, echo), idle descriptors (idle, wakeup), or
    /// sleepers (memory).
    pub size: u64,
    pub samples: Vec<Sample>,
    /// The median of each metric over the samples that have it.
    pub median: BTreeMap<String, f64>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Sample {
    /// Which round of the interleaving (0-based): samples of the same
    /// round ran one after the other.
    pub round: u32,
    /// `ok`, or what went wrong (the run still counts as data).
    pub outcome: String,
    pub metrics: BTreeMap<String, f64>,
    /// Failed connections by reason, if any.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
}

/// `numerator`'s metric over `denominator`'s, round by round.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Ratio {
    pub workload: String,
    pub size: u64,
    pub metric: String,
    pub numerator: String,
    pub denominator: String,
    /// The rounds in which both had the metric (a run that failed, or a
    /// window too short for the user/system split, has none), and the
    /// ratio in each.
    pub rounds: Vec<u32>,
    pub per_round: Vec<f64>,
    pub median: f64,
}

impl Data {
    pub fn series(
        &self,
        workload: &str,
        contender: &str,
        size: u64,
    ) -> Option<&Series> {
        self.series.iter().find(|s| {
            s.workload == workload && s.contender == contender && s.size == size
        })
    }

    /// Contenders of `workload`, in the order first run.
    pub fn contenders(&self, workload: &str) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for s in self.series.iter().filter(|s| s.workload == workload) {
            if !names.contains(&s.contender) {
                names.push(s.contender.clone());
            }
        }
        names
    }

    /// Sizes of `workload`, ascending.
    pub fn sizes(&self, workload: &str) -> Vec<u64> {
        let mut sizes: Vec<u64> = self
            .series
            .iter()
            .filter(|s| s.workload == workload)
            .map(|s| s.size)
            .collect();
        sizes.sort();
        sizes.dedup();
        sizes
    }
}

impl Series {
    pub fn compute_median(&mut self) {
        let mut names: Vec<&String> =
            self.samples.iter().flat_map(|s| s.metrics.keys()).collect();
        names.sort();
        names.dedup();
        self.median = names
            .into_iter()
            .filter_map(|name| {
                let values: Vec<f64> = self
                    .samples
                    .iter()
                    .filter_map(|s| s.metrics.get(name).copied())
                    .collect();
                Some((name.clone(), median(&values)?))
            })
            .collect();
    }
}

pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> =
        values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// The ratios the chapter quotes: for each workload's key metrics, the
/// `numerator` contender against every other one, round by round. Both of
/// the book's final runtimes are numerators: Part Four's as it was, and
/// Part Five's tuned one.
pub fn ratios(series: &[Series]) -> Vec<Ratio> {
    const BOOK: &[&str] = &["book", "book-tuned"];
    const KEY_METRICS: &[(&str, &[&str], &[&str])] = &[
        ("sleep", BOOK, &["wall_s", "server_cpu_s", "peak_rss_kib"]),
        (
            "echo",
            BOOK,
            &[
                "round_trips_per_s",
                "server_cpu_us_per_rt",
                "server_user_us_per_rt",
            ],
        ),
        // Part Six's completion runtime against readiness (the echo
        // workload is where its chapter compares them).
        (
            "echo",
            &["book-uring"],
            &["round_trips_per_s", "server_cpu_us_per_rt"],
        ),
        // Part Six's runtime on many threads: the echo against Tokio's
        // (and every other), the CPU-bound echo against one thread.
        (
            "echo",
            &["book-mt"],
            &["round_trips_per_s", "server_cpu_us_per_rt"],
        ),
        ("cpu", &["book-mt"], &["round_trips_per_s", "server_cpu_s"]),
        ("sleep", &["book-mt"], &["wall_s"]),
        ("idle", BOOK, &["server_cpu_us_per_rt", "us_per_rt"]),
        ("wakeup", &["poll"], &["us_per_wakeup"]),
        ("memory", BOOK, &["bytes_per_sleeper"]),
    ];
    let mut ratios = Vec::new();
    for &(workload, numerators, metrics) in KEY_METRICS {
        let tops = series.iter().filter(|s| {
            s.workload == workload && numerators.contains(&s.contender.as_str())
        });
        for top in tops {
            let numerator = top.contender.as_str();
            for bottom in series.iter().filter(|s| {
                s.workload == workload
                    && s.size == top.size
                    && s.contender != numerator
            }) {
                for &metric in metrics {
                    let (rounds, per_round): (Vec<u32>, Vec<f64>) = top
                        .samples
                        .iter()
                        .filter_map(|a| {
                            let b = bottom
                                .samples
                                .iter()
                                .find(|b| b.round == a.round)?;
                            let x = a.metrics.get(metric)?;
                            let y = b.metrics.get(metric)?;
                            (*y != 0.0).then(|| (a.round, x / y))
                        })
                        .unzip();
                    if let Some(median) = median(&per_round) {
                        ratios.push(Ratio {
                            workload: workload.into(),
                            size: top.size,
                            metric: metric.into(),
                            numerator: numerator.into(),
                            denominator: bottom.contender.clone(),
                            rounds,
                            per_round,
                            median,
                        });
                    }
                }
            }
        }
    }
    ratios
}
