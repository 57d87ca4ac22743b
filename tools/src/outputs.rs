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
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::{self, isolate_network};
use crate::{Project, listings, run_locally};

/// How long a program may run. The longest that end by themselves take
/// about ten seconds; one that is still running then hangs by design.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Every sample output, with the program it is the output of, for the
/// chapter of `part` (`part3-io`), or for every chapter.
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
    if samples.is_empty() {
        bail!("no sample outputs under listings/{}", part.unwrap_or("*"));
    }
    samples.sort();
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
