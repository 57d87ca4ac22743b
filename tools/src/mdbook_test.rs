//! `mdbook test` for this book: the pinned mdBook runs rustdoc on the
//! chapters, with the crates the listings use.
//!
//! `mdbook test -L dir` cannot give rustdoc libc: the toolchain ships a
//! libc rlib of its own, so `-L` finds two candidates (E0464). Only exact
//! `--extern NAME=RLIB` arguments work, and mdBook has no option for them,
//! so mdBook is given a `rustdoc` first on its PATH that adds them.
//!
//! That `rustdoc` also compiles each block once for many runs: it hands
//! rustdoc a compiler (`doctest_rustc.sh`) that keeps what it compiled
//! and gives it back while nothing the block is built from has changed.
//! The blocks still run every time. Taking such a compiler is an unstable
//! rustdoc option, so rustdoc alone is told it may use one
//! (`RUSTC_BOOTSTRAP`); the blocks are compiled by stable rustc as ever.

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
    let compiler = wrapper_dir.join("doctest-rustc");
    write_executable(&compiler, include_str!("doctest_rustc.sh"))?;
    let cache = wrapper_dir.join("compiled");
    let quoted: Vec<String> = built
        .rustc_args()
        .iter()
        .map(|arg| format!("'{}'", arg.to_string_lossy()))
        .collect();
    let script = format!(
        "#!/bin/sh\n\
         # Written by `cargo book mdbook-test`: gives mdBook's rustdoc the\n\
         # listings' crates and a compiler that keeps what it compiled\n\
         # (see tools/src/mdbook_test.rs).\n\
         export RUSTC_BOOTSTRAP=1 BOOK_DOCTEST_CACHE='{}'\n\
         exec '{}' -Z unstable-options --test-builder-wrapper '{}' \"$@\" {}\n",
        cache.display(),
        rustdoc.display(),
        compiler.display(),
        quoted.join(" ")
    );
    write_executable(&wrapper_dir.join("rustdoc"), &script)?;
    Ok(wrapper_dir)
}

/// Writes an executable script. It is written aside and renamed into
/// place, so that a second test run at the same time never executes a
/// half-written one.
fn write_executable(path: &Path, script: &str) -> Result<()> {
    let aside = path.with_extension(std::process::id().to_string());
    fs::write(&aside, script)?;
    fs::set_permissions(&aside, fs::Permissions::from_mode(0o755))?;
    fs::rename(&aside, path)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::Stdio;

    use super::*;

    /// Compiles `program` from stdin, as rustdoc hands over a block, with
    /// the caching compiler; returns what the compiled program prints.
    fn compile_and_run(dir: &Path, program: &str) -> String {
        let compiler = dir.join("doctest-rustc");
        write_executable(&compiler, include_str!("doctest_rustc.sh")).unwrap();
        let out_dir = tempfile::tempdir_in(dir).unwrap();
        let binary = out_dir.path().join("rust_out");
        let mut compile = Command::new(&compiler)
            .args(["rustc", "--edition", "2024", "-", "-o"])
            .arg(&binary)
            .env("BOOK_DOCTEST_CACHE", dir.join("compiled"))
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = compile.stdin.take().unwrap();
        stdin.write_all(program.as_bytes()).unwrap();
        drop(stdin);
        assert!(
            compile.wait().unwrap().success(),
            "{program} did not compile"
        );
        let run = Command::new(&binary).output().unwrap();
        String::from_utf8(run.stdout).unwrap()
    }

    #[test]
    fn a_block_is_compiled_once_and_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let one = "fn main() { println!(\"one\"); }";
        let two = "fn main() { println!(\"two\"); }";
        let kept =
            || fs::read_dir(dir.path().join("compiled")).unwrap().count();
        assert_eq!(compile_and_run(dir.path(), one), "one\n");
        assert_eq!(compile_and_run(dir.path(), two), "two\n");
        assert_eq!(kept(), 2);
        // From the cache: the same program, and no new entry.
        assert_eq!(compile_and_run(dir.path(), one), "one\n");
        assert_eq!(kept(), 2);
    }

    #[test]
    fn a_block_that_fails_to_compile_fails_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let compiler = dir.path().join("doctest-rustc");
        write_executable(&compiler, include_str!("doctest_rustc.sh")).unwrap();
        for _ in 0..2 {
            let source = dir.path().join("broken.rs");
            fs::write(&source, "fn main() { let x: u8 = \"no\"; }").unwrap();
            let compile = Command::new(&compiler)
                .args(["rustc", "--edition", "2024", "--out-dir"])
                .arg(dir.path())
                .arg(&source)
                .env("BOOK_DOCTEST_CACHE", dir.path().join("compiled"))
                .output()
                .unwrap();
            let errors = String::from_utf8_lossy(&compile.stderr);
            assert!(!compile.status.success() && errors.contains("E0308"));
        }
        assert!(!dir.path().join("compiled").exists());
    }
}
