//! Checks a `compile_fail` block: the program must fail to compile, under
//! the book's edition, with the error code the block names (rustdoc's
//! `compile_fail,E0373` form). skeptic has no `compile_fail`, and rustdoc
//! only compares error codes on nightly, so the book checks them here.

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Codes that mean the program failed for a reason the prose is not about:
/// a missing crate or import.
const UNRELATED: [&str; 3] = ["E0432", "E0433", "E0463"];

/// `location` is `src/chapter.md:LINE` of the block, for the message.
pub fn check(location: &str, edition: &str, expected: &[&str], program: &str) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("listing.rs");
    fs::write(&source, program)?;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg(&source)
        .args(["--edition", edition, "--crate-type", "bin", "--emit=metadata"])
        .args(["--error-format=json", "--out-dir"])
        .arg(dir.path())
        .output()
        .context("running rustc")?;
    if output.status.success() {
        bail!("{location}: this compile_fail block compiles");
    }
    let mut codes = BTreeSet::new();
    let mut rendered = String::new();
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let Ok(diagnostic) = serde_json::from_str::<Value>(line) else { continue };
        if diagnostic["level"] == "error" {
            rendered.push_str(diagnostic["rendered"].as_str().unwrap_or_default());
            if let Some(code) = diagnostic["code"]["code"].as_str() {
                codes.insert(code.to_owned());
            }
        }
    }
    let missing: Vec<&&str> = expected.iter().filter(|code| !codes.contains(**code)).collect();
    let unrelated: Vec<&str> =
        UNRELATED.into_iter().filter(|code| codes.contains(*code) && !expected.contains(code)).collect();
    if !missing.is_empty() || !unrelated.is_empty() {
        bail!(
            "{location}: expected to fail with {expected:?}, but rustc reported {codes:?}:\n{rendered}"
        );
    }
    Ok(())
}
