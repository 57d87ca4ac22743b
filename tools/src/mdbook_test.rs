//! `mdbook test` for this book: the pinned mdBook runs rustdoc on the
//! chapters, with the crates the listings use.
//!
//! `mdbook test -L dir` cannot give rustdoc libc: the toolchain ships a
//! libc rlib of its own, so `-L` finds two candidates (E0464). Only exact
//! `--extern NAME=RLIB` arguments work, and mdBook has no option for them,
//! so mdBook is given a `rustdoc` first on its PATH that adds them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::pinned::{self, MDBOOK};
use crate::{Project, listings};

/// Builds the listings and writes the `rustdoc` wrapper; returns the
/// directory to put first on mdBook's PATH.
pub fn prepare(project: &Project) -> Result<PathBuf> {
    let built = listings::build(project)?;
    let wrapper_dir = project.root.join("target").join("mdbook-test");
    fs::create_dir_all(&wrapper_dir)?;
    let sysroot = Command::new(
        std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
    )
    .args(["--print", "sysroot"])
    .output()
    .context("asking rustc for its sysroot")?;
    let rustdoc = Path::new(String::from_utf8(sysroot.stdout)?.trim())
        .join("bin/rustdoc");
    let quoted: Vec<String> = built
        .rustc_args()
        .iter()
        .map(|arg| format!("'{}'", arg.to_string_lossy()))
        .collect();
    let script = format!(
        "#!/bin/sh\n\
         # Written by `cargo book mdbook-test`: gives mdBook's rustdoc the\n\
         # listings' crates (see tools/src/mdbook_test.rs).\n\
         exec '{}' \"$@\" {}\n",
        rustdoc.display(),
        quoted.join(" ")
    );
    // Written aside and renamed into place, so that a second test run at
    // the same time never executes a half-written script.
    let aside = wrapper_dir.join(format!("rustdoc.{}", std::process::id()));
    fs::write(&aside, script)?;
    fs::set_permissions(&aside, fs::Permissions::from_mode(0o755))?;
    fs::rename(&aside, wrapper_dir.join("rustdoc"))?;
    Ok(wrapper_dir)
}

/// The command that runs `mdbook test`, for one chapter (its path under
/// `src/`, e.g. `part3-io.md`) or all of them, once [`prepare`] has run.
pub fn command(
    project: &Project,
    wrapper_dir: &Path,
    chapter: Option<&str>,
) -> Result<Command> {
    let mut command = pinned::command(project, &MDBOOK)?;
    let tools = pinned::bin_dir(project);
    command
        .arg("test")
        .env("PATH", pinned::path_with(&[wrapper_dir, &tools])?);
    if let Some(chapter) = chapter {
        command.args(["--chapter", chapter]);
    }
    // The blocks run side by side, as rustdoc runs doctests: a program
    // that is both server and clients listens on a port of the kernel's
    // choosing, and the servers on port 8000 are `no_run`.
    Ok(command)
}
