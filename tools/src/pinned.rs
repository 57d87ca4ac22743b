//! The exact mdBook tools this book is built with, installed into the
//! project's own `.tools/` directory. Whatever `mdbook` happens to be on
//! the reader's PATH is never used: a different version renders, links and
//! tests the book differently.

use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};

use crate::Project;

/// A binary crate pinned to one version.
pub struct Tool {
    pub krate: &'static str,
    pub version: &'static str,
    /// How much the installed build is optimized: less than a release
    /// build's 3, which costs minutes of compiling on a fresh machine and
    /// buys nothing measurable on a book this size (measured with
    /// `mdbook build`: mdBook at 1 as fast as at 3 and twice as fast as
    /// at 0; linkcheck2 at 0 as fast as at 1, for 40% less to compile).
    pub opt_level: &'static str,
}

/// mdBook itself. 0.5 is the first release split into library crates; the
/// tooling uses `mdbook-driver` of the same version.
pub const MDBOOK: Tool = Tool {
    krate: "mdbook",
    version: "0.5.4",
    opt_level: "1",
};

/// The maintained fork of mdbook-linkcheck, whose 0.7.7 cannot read the
/// render context of mdBook 0.5 ("missing field `sections`").
pub const LINKCHECK: Tool = Tool {
    krate: "mdbook-linkcheck2",
    version: "0.13.0",
    opt_level: "0",
};

pub const ALL: [Tool; 2] = [MDBOOK, LINKCHECK];

impl Tool {
    pub fn path(&self, project: &Project) -> PathBuf {
        bin_dir(project).join(self.krate)
    }

    /// Whether the installed binary reports exactly the pinned version.
    fn is_installed(&self, project: &Project) -> bool {
        let Ok(output) =
            Command::new(self.path(project)).arg("--version").output()
        else {
            return false;
        };
        let reported = String::from_utf8_lossy(&output.stdout);
        reported
            .split_whitespace()
            .any(|word| word.trim_start_matches('v') == self.version)
    }
}

pub fn bin_dir(project: &Project) -> PathBuf {
    project.root.join(".tools").join("bin")
}

/// Installs whichever pinned tools are missing or at another version, and
/// returns the directory holding them. Several test processes may call
/// this at once: a lock file makes the others wait for one installation.
pub fn ensure_installed(project: &Project) -> Result<PathBuf> {
    start_installing(project)?.finish()
}

/// Pinned tools being installed, in the background. Until [`finish`]
/// returns, every other process that looks for them (a test, through
/// [`ensure_installed`]) waits on the lock this holds.
///
/// [`finish`]: Installing::finish
pub struct Installing {
    project: Project,
    /// `.tools/install.lock`, locked.
    _lock: File,
    installs: Vec<(Tool, Child)>,
}

/// Takes the install lock, then starts installing the pinned tools that
/// are missing, both at once: each build spends long stretches on one
/// core (a large crate, a C library, the final link), which the other
/// fills.
pub fn start_installing(project: &Project) -> Result<Installing> {
    let tools_dir = project.root.join(".tools");
    fs::create_dir_all(&tools_dir)?;
    let lock = File::create(tools_dir.join("install.lock"))?;
    lock.lock().context("locking .tools/install.lock")?;
    let missing: Vec<Tool> = ALL
        .into_iter()
        .filter(|tool| !tool.is_installed(project))
        .collect();
    for tool in &missing {
        crate::install::may_install(&format!(
            "{} {}",
            tool.krate, tool.version
        ))?;
    }
    let mut installs = Vec::new();
    for tool in missing {
        // Written to stderr directly, not with `eprintln!`, so that the
        // test harness does not capture it.
        let _ = writeln!(
            std::io::stderr(),
            "installing {} {} into {} (once; a few minutes)",
            tool.krate,
            tool.version,
            tools_dir.display()
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let child = Command::new(cargo)
            .args(["install", "--locked", "--quiet", "--root"])
            .arg(&tools_dir)
            .args([tool.krate, "--version", &format!("={}", tool.version)])
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", tool.opt_level)
            .spawn()
            .with_context(|| format!("running cargo install {}", tool.krate))?;
        installs.push((tool, child));
    }
    Ok(Installing {
        project: project.clone(),
        _lock: lock,
        installs,
    })
}

impl Installing {
    /// Waits for the installs; returns the directory holding the tools.
    /// The lock is let go when this returns, installed or not.
    /// Every install is waited for, also after one has failed.
    pub fn finish(mut self) -> Result<PathBuf> {
        let mut failed = Vec::new();
        for (tool, install) in &mut self.installs {
            let status = install.wait()?;
            if !status.success() || !tool.is_installed(&self.project) {
                failed.push(format!(
                    "cargo install {} {} failed ({status})",
                    tool.krate, tool.version
                ));
            }
        }
        if !failed.is_empty() {
            bail!("{}", failed.join("; "));
        }
        Ok(bin_dir(&self.project))
    }
}

/// A command for a pinned tool, with `.tools/bin` first on PATH so that
/// mdBook finds the pinned renderers too.
pub fn command(project: &Project, tool: &Tool) -> Result<Command> {
    let bin = ensure_installed(project)?;
    let mut command = Command::new(tool.path(project));
    command
        .current_dir(&project.root)
        .env("PATH", path_with(&[&bin])?);
    Ok(command)
}

/// `$PATH` with `dirs` in front.
pub fn path_with(front: &[&std::path::Path]) -> Result<std::ffi::OsString> {
    let mut dirs: Vec<PathBuf> =
        front.iter().map(|dir| dir.to_path_buf()).collect();
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Ok(std::env::join_paths(dirs)?)
}
