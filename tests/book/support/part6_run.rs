//! Part Six's benchmark run, which both of its chapters quote:
//! `src/part6-measured/results.json`, made by the command in its
//! `settings.command`. A quoted number is followed by a marker,
//! `<!-- run: WORKLOAD/CONTENDER/METRIC -->`, naming the median it shows.

use std::sync::LazyLock;

use book_tools::programs;
use serde_json::Value;

pub const DATA: &str = "src/part6-measured/results.json";

static RUN: LazyLock<Value> = LazyLock::new(|| {
    let path = programs::project().root.join(DATA);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("Part Six's run is JSON")
});

/// The whole data file.
pub fn run() -> &'static Value {
    &RUN
}

/// The series of `contender` in `workload` (each has one size in this
/// run).
pub fn series(workload: &str, contender: &str) -> &'static Value {
    RUN["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["workload"] == workload && s["contender"] == contender)
        .unwrap_or_else(|| panic!("{DATA} has no {workload} for {contender}"))
}

/// The median of `metric` for `contender` in `workload`.
pub fn median(workload: &str, contender: &str, metric: &str) -> f64 {
    series(workload, contender)["median"][metric]
        .as_f64()
        .unwrap_or_else(|| {
            panic!("{DATA} has no median {metric} of {workload}/{contender}")
        })
}

/// The median ratio, round by round, of `numerator` to `denominator`.
pub fn ratio(
    workload: &str,
    metric: &str,
    numerator: &str,
    denominator: &str,
) -> f64 {
    RUN["ratios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["workload"] == workload
                && r["metric"] == metric
                && r["numerator"] == numerator
                && r["denominator"] == denominator
        })
        .and_then(|r| r["median"].as_f64())
        .unwrap_or_else(|| {
            panic!("{DATA} has no ratio {workload}/{metric} {numerator}:{denominator}")
        })
}

/// Checks every marked number of `chapter` against the run, at the
/// precision it is written with; a ratio's marker names
/// `ratio:WORKLOAD/METRIC/NUMERATOR/DENOMINATOR`. Returns how many it
/// checked, or the problems, each at its line.
pub fn check_quoted_numbers(chapter: &str) -> Result<usize, String> {
    let path = programs::project().root.join(chapter);
    let text = std::fs::read_to_string(&path).unwrap();
    let marker = "<!-- run: ";
    let mut checked = 0;
    let mut problems = Vec::new();
    for (at, _) in text.match_indices(marker) {
        let line = text[..at].lines().count();
        let named = &text[at + marker.len()..];
        let named = &named[..named.find(" -->").unwrap_or(named.len())];
        let value = match named.strip_prefix("ratio:") {
            Some(ratio_path) => match ratio_path.split('/').collect::<Vec<_>>()
                [..]
            {
                [w, m, top, bottom] => ratio(w, m, top, bottom),
                _ => panic!("{chapter}:{line}: a ratio is W/METRIC/TOP/BOTTOM"),
            },
            None => match named.split('/').collect::<Vec<_>>()[..] {
                [w, c, m] => median(w, c, m),
                _ => panic!("{chapter}:{line}: a median is W/CONTENDER/METRIC"),
            },
        };
        let written = text[..at]
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap()
            .trim_start_matches(['(', '*'])
            .trim_end_matches(['×', '*', ')']);
        let Ok(number) = written.replace(',', "").parse::<f64>() else {
            problems
                .push(format!("{chapter}:{line}: no number before {named}"));
            continue;
        };
        // The precision written: decimals, or for a whole number the
        // zeros it ends with ("133,000" is to the thousand).
        let digits = written.replace(',', "");
        let precision = match digits.split_once('.') {
            Some((_, decimals)) => -(decimals.len() as i32),
            None if number == 0.0 => 0,
            None => (digits.len() - digits.trim_end_matches('0').len()) as i32,
        };
        let step = 10f64.powi(precision);
        let rounded = (value / step).round() * step;
        if (number - rounded).abs() > step / 1000.0 {
            problems.push(format!(
                "{chapter}:{line}: {written} for {named}, which the run gives as {value}"
            ));
        }
        checked += 1;
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems.join("\n"))
    }
}

/// Asserts that every marked number of `chapter` is the run's, and that
/// at least `at_least` are marked.
pub fn assert_numbers_quoted(chapter: &str, at_least: usize) {
    let checked = check_quoted_numbers(chapter)
        .unwrap_or_else(|problems| panic!("{problems}"));
    assert!(
        checked >= at_least,
        "only {checked} numbers marked in {chapter}"
    );
}
