//! `mdbook test` for this book: the pinned mdBook runs rustdoc on every
//! chapter, with the libc the listings use.
//!
//! `mdbook test -L dir` cannot give rustdoc libc: the toolchain ships a
//! libc rlib of its own, so `-L` finds two candidates (E0464). Only an
//! exact `--extern libc=<rlib>` works, and mdBook has no option for it, so
//! mdBook is given a `rustdoc` first on its PATH that adds that flag.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::pinned::{self, MDBOOK};
use crate::{Project, listings};

/// The command that runs `mdbook test` (optionally for one chapter).
pub fn command(project: &Project, chapter: Option<&str>) -> Result<Command> {
    let built = listings::build(project)?;
    let wrapper_dir = project.root.join("target").join("mdbook-test");
    fs::create_dir_all(&wrapper_dir)?;
    write_rustdoc_wrapper(&wrapper_dir, &built.libc_rlib)?;

    let mut command = pinned::command(project, &MDBOOK)?;
    let tools = pinned::bin_dir(project);
    command
        .arg("test")
        .env("PATH", pinned::path_with(&[&wrapper_dir, &tools])?);
    if let Some(chapter) = chapter {
        command.args(["--chapter", chapter]);
    }
    // Doctests run in parallel by default; the book's servers all listen
    // on port 8000, so they take turns.
    command.env("RUST_TEST_THREADS", "1");
    Ok(command)
}

fn write_rustdoc_wrapper(dir: &Path, libc_rlib: &Path) -> Result<()> {
    let sysroot = Command::new(
        std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
    )
    .args(["--print", "sysroot"])
    .output()
    .context("asking rustc for its sysroot")?;
    let rustdoc = Path::new(String::from_utf8(sysroot.stdout)?.trim())
        .join("bin/rustdoc");
    let script = format!(
        "#!/bin/sh\n\
         # Written by `cargo book mdbook-test`: gives mdBook's rustdoc the\n\
         # listings' libc (see tools/src/mdbook_test.rs).\n\
         exec '{}' \"$@\" --extern 'libc={}'\n",
        rustdoc.display(),
        libc_rlib.display()
    );
    let path = dir.join("rustdoc");
    fs::write(&path, script)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    Ok(())
}
