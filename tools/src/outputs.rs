//! `cargo book outputs [CHAPTER]`: makes the sample outputs the chapters
//! show (`listings/<part>/output/<stem>.txt`, the output of
//! `listings/<part>/<stem>.rs`) again, by running each program as the
//! claim tests do: the bin cargo built, alone, in a network of its own.
//!
//! What a program prints is its new sample (and, when it dies, what it
//! printed on stderr too: why it died), also when it runs into
//! the time limit (a program that hangs by design, such as
//! `part1-never-woken`) or dies (`intro-too-many-threads`); each is
//! reported with how it ended, for the contributor to look at with
//! `git diff`. A program that prints nothing keeps its sample. The claim
//! tests then hold every program to its sample, or to what the chapter
//! says of it.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::process::{self, isolate_network};
use crate::run_locally;
use crate::{
    Problem, Project, listings, playground, programs, promised_output,
};

/// How long a program may run. The longest that end by themselves take
/// about ten seconds; one that is still running then hangs by design.
pub const LIMIT: Duration = Duration::from_secs(20);

/// `{{#include ../listings/<part>/output/<stem>.txt}}` in a chapter.
static INCLUDED_SAMPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{#include \.\./listings/([\w-]+)/output/(\w+)\.txt\}\}")
        .unwrap()
});

/// Every sample output, with the program it is the output of, for the
/// chapter of `part` (`part3-io`), or for every chapter: the files there
/// are, and those a chapter includes that are still to be made.
pub fn samples(
    project: &Project,
    part: Option<&str>,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut samples = Vec::new();
    let listings_dir = project.root.join("listings");
    for entry in fs::read_dir(&listings_dir)? {
        let dir = entry?.path();
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        if part.is_some_and(|part| part != name) {
            continue;
        }
        for sample in fs::read_dir(dir.join("output")).into_iter().flatten() {
            let sample = sample?.path();
            if sample.extension().is_none_or(|ext| ext != "txt") {
                continue;
            }
            let stem = sample.file_stem().unwrap_or_default();
            let program = dir.join(stem).with_extension("rs");
            samples.push((sample, program));
        }
    }
    // A sample a chapter includes but nobody has made yet: a new listing.
    for chapter in project.chapters().unwrap_or_default() {
        let text = project.read_chapter(&chapter).unwrap_or_default();
        for included in INCLUDED_SAMPLE.captures_iter(&text) {
            let (dir, stem) = (&included[1], &included[2]);
            if part.is_some_and(|part| part != dir) {
                continue;
            }
            let dir = listings_dir.join(dir);
            let sample = dir.join("output").join(format!("{stem}.txt"));
            if !sample.exists() {
                samples.push((sample, dir.join(stem).with_extension("rs")));
            }
        }
    }
    if samples.is_empty() {
        bail!("no sample outputs under listings/{}", part.unwrap_or("*"));
    }
    samples.sort();
    samples.dedup();
    Ok(samples)
}

/// Makes the sample outputs of `part` (or of every chapter) again.
pub fn make(project: &Project, part: Option<&str>) -> Result<()> {
    let samples = samples(project, part)?;
    let built = listings::build(project)?;
    let bins = run_locally::bins_by_source(project)?;
    let relative = |path: &Path| {
        path.strip_prefix(&project.root)
            .unwrap_or(path)
            .to_path_buf()
    };
    for (sample, program) in samples {
        let sample_name = relative(&sample).display().to_string();
        let Some(bin) = bins.get(&program) else {
            eprintln!(
                "{sample_name}: {} is no bin of listings/Cargo.toml: left as \
                 it is",
                relative(&program).display()
            );
            continue;
        };
        let mut command = Command::new(built.program(bin));
        // As a reader's shell would run it: no backtraces.
        command.env_remove("RUST_BACKTRACE");
        isolate_network(&mut command);
        let run = process::run_measured(command, LIMIT)
            .with_context(|| format!("running {bin}"))?;
        let ended = if run.timed_out {
            format!("still running after {LIMIT:?}, stopped")
        } else {
            format!("{} after {:.1?}", run.status, run.wall)
        };
        // What a reader sees of a program that ends well is its output;
        // of one that dies, also why (a panic's message, on stderr).
        let died = !run.status.success() && !run.timed_out;
        let printed = run.stdout.clone() + if died { &run.stderr } else { "" };
        let old = fs::read_to_string(&sample).unwrap_or_default();
        let verdict = if run.stdout.is_empty() {
            "printed nothing: left as it is".to_owned()
        } else if printed == old {
            "unchanged".to_owned()
        } else {
            if let Some(dir) = sample.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&sample, &printed)
                .with_context(|| format!("writing {sample_name}"))?;
            "made again".to_owned()
        };
        eprintln!("{sample_name}: {verdict} ({bin}: {ended})");
    }
    eprintln!(
        "Look at the changes (git diff listings), then hold the samples to \
         what their chapters say: cargo book check CHAPTER --run"
    );
    Ok(())
}

/// How long a program with a Run button may run here, of its own time:
/// the Playground's few seconds, with room to spare.
const RUN_BUTTON_LIMIT: Duration = Duration::from_secs(10);

/// Runs every program that the built chapter `page` has a Run button for
/// and a sample output of, four at a time, each in a network of its own,
/// and holds what it prints to what its chapter promises
/// ([`promised_output::promise_for`]). A changed output is reported at
/// the sample's first line that the program no longer prints.
pub fn check_page(project: &Project, page: &Path) -> Result<Vec<Problem>> {
    let built = listings::build(project)?;
    let bins = run_locally::bins_by_source(project)?;
    let mut jobs = Vec::new();
    for button in playground::run_buttons(page)? {
        let Some(listing) = button.listing else {
            continue;
        };
        let Some(sample) = promised_output::sample_file(&listing) else {
            continue;
        };
        let bin = bins.get(&project.root.join(&listing));
        if button.should_panic || !project.root.join(&sample).is_file() {
            continue;
        }
        match bin {
            Some(bin) => jobs.push((listing, sample, built.program(bin))),
            None => bail!("{listing} is no bin of listings/Cargo.toml"),
        }
    }
    // A broken promise panics; it is reported below, at its line, and
    // the default hook would print it once more with a backtrace.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let checked = programs::side_by_side(&jobs, 4, |(listing, sample, bin)| {
        check_run(listing, sample, bin)
    });
    panic::set_hook(hook);
    let mut problems: Vec<Problem> = checked.into_iter().flatten().collect();
    problems.sort();
    Ok(problems)
}

/// Runs `bin`, the program of `listing`, and holds its output to the
/// chapter's promise; the problem with it, if any.
fn check_run(listing: &str, sample: &str, bin: &Path) -> Option<Problem> {
    let mut command = Command::new(bin);
    command.env_remove("RUST_BACKTRACE");
    isolate_network(&mut command);
    let run = match process::run_on_its_own_time(command, RUN_BUTTON_LIMIT) {
        Ok(run) => run,
        Err(error) => {
            return Some(Problem::new(
                listing,
                1,
                format!("did not start: {error}"),
            ));
        }
    };
    if run.timed_out || !run.status.success() {
        let ended = if run.timed_out {
            format!("still running after {RUN_BUTTON_LIMIT:?}")
        } else {
            run.status.to_string()
        };
        return Some(Problem::new(
            listing,
            1,
            format!(
                "{ended}, where its Run button must end well:\n{}",
                run.stderr
            ),
        ));
    }
    let message = promised_output::broken_after_waiting(
        listing,
        &run.stdout,
        run.waited_for_a_core,
    )?;
    // `assert_is_the_sample` names the sample's line: `FILE:LINE: ...`.
    let at_line = message
        .strip_prefix(sample)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(line, rest)| Some((line.parse().ok()?, rest)));
    Some(match at_line {
        Some((line, rest)) => Problem::new(sample, line, rest.to_owned()),
        None => Problem::new(
            sample,
            1,
            format!(
                "{listing} no longer prints what the chapter says: {message}"
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sample_is_paired_with_its_program() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "listings/part1/output/a.txt",
            "listings/part1/output/notes.md",
            "listings/part2/output/b.txt",
        ] {
            fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            fs::write(root.join(file), "x\n").unwrap();
        }
        let project = Project::at(root);
        let all = samples(&project, None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1, root.join("listings/part1/a.rs"));
        let one = samples(&project, Some("part2")).unwrap();
        assert_eq!(
            one,
            [(
                root.join("listings/part2/output/b.txt"),
                root.join("listings/part2/b.rs")
            )]
        );
        let error = samples(&project, Some("part9")).unwrap_err();
        assert_eq!(error.to_string(), "no sample outputs under listings/part9");
    }
}
