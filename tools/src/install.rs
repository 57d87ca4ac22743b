//! Installing is a step of its own. `cargo book install-tools` installs
//! every tool the book's commands and tests use, and `cargo book serve`,
//! `build` and `mdbook-test` install the pinned mdBook tools they run.
//! Nothing else installs anything: the test suite only looks, and a tool
//! it finds missing is an error that names the one command to run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Result, bail};

use crate::browser::{Plan, can_use_apt, carry_out, on_path};

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
