//! Installing is a step of its own. `cargo book install-tools` installs
//! every tool the book's commands and tests use, and `cargo book serve`,
//! `build` and `mdbook-test` install the pinned mdBook tools they run.
//! Nothing else installs anything: the test suite only looks, and a tool
//! it finds missing is an error that names the one command to run.
//!
//! How a missing program gets installed (a `Plan`, carried out with
//! apt-get) lives here too: every module that installs (`browser.rs`,
//! `strace.rs`, `actionlint.rs`, `pinned.rs`) calls this one, and this one
//! calls none of them.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

/// The command that installs everything.
pub const COMMAND: &str = "cargo book install-tools";

/// Whether this process may install what is missing.
static ALLOWED: AtomicBool = AtomicBool::new(false);

/// Lets this process install what is missing: called by the `cargo book`
/// commands that install, never by a test.
pub fn allow() {
    ALLOWED.store(true, Ordering::SeqCst);
}

/// Fails, naming the command that installs `what`, unless this process
/// may install it.
pub fn may_install(what: &str) -> Result<()> {
    if ALLOWED.load(Ordering::SeqCst) {
        return Ok(());
    }
    bail!(
        "{what} is not installed: run `{COMMAND}` (it installs every tool \
         the tests use, once, and says what it installed)"
    )
}

/// The path of `program`, a command that Debian's `package` provides:
/// found on PATH, or installed with apt-get when this process may install
/// and runs as root; anywhere else the error says what to install.
/// `used_for` says which tests need it.
pub fn debian_program(
    program: &str,
    package: &'static [&'static str],
    used_for: &str,
) -> Result<PathBuf> {
    let plan = match on_path(program) {
        Some(path) => Plan::Use(path),
        None if can_use_apt() => Plan::Install(package),
        None => Plan::Fail(format!(
            "{used_for} with {program}, which is not on PATH: install it \
             (`sudo apt-get install {}` on Debian and Ubuntu)",
            package.join(" ")
        )),
    };
    carry_out(plan, || Ok(on_path(program)))
}

/// The path of `shellcheck`, which checks the workflows' `run:` scripts.
pub fn shellcheck() -> Result<PathBuf> {
    debian_program(
        "shellcheck",
        &["shellcheck"],
        "the workflow tests check run: scripts",
    )
}

/// What to do about a program the tests need.
#[derive(Debug, PartialEq)]
pub(crate) enum Plan {
    Use(PathBuf),
    /// Install these Debian packages, then look for the program again.
    Install(&'static [&'static str]),
    /// It is missing and we may not install it: say what to install.
    Fail(String),
}

/// Follows `plan`; after an installation, `look_again` must find the
/// program.
pub(crate) fn carry_out(
    plan: Plan,
    look_again: impl Fn() -> Result<Option<PathBuf>>,
) -> Result<PathBuf> {
    match plan {
        Plan::Use(path) => Ok(path),
        Plan::Fail(message) => bail!(message),
        Plan::Install(packages) => {
            may_install(&packages.join(" "))?;
            apt_install(packages)?;
            look_again()?.with_context(|| {
                format!(
                    "apt-get installed {} but what the tests need is still \
                     missing (too old a release?)",
                    packages.join(" ")
                )
            })
        }
    }
}

/// Whether we may install Debian packages: as root, with apt-get.
pub(crate) fn can_use_apt() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    root && on_path("apt-get").is_some()
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let install = [&["install", "-y", "--no-install-recommends"], packages];
    for args in [vec!["update"], install.concat()] {
        say(&format!("running apt-get {}", args.join(" ")));
        let status = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
    }
    Ok(())
}

/// The executable `name` as the shell would find it on PATH.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Written to stderr directly, not with `eprintln!`, so that the test
/// harness does not capture it: a first run waits here and should say why.
pub(crate) fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_may_not_install_and_is_told_what_would() {
        // The test harness never calls `allow`.
        let error = may_install("chromium").unwrap_err().to_string();
        assert!(error.starts_with("chromium is not installed"), "{error}");
        assert!(error.contains("`cargo book install-tools`"), "{error}");
    }
}
