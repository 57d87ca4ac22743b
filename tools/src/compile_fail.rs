//! Checks a `compile_fail` block: the program must fail to compile, under
//! the book's edition, with the error code the block names (rustdoc's
//! `compile_fail,E0373` form). skeptic has no `compile_fail`, and rustdoc
//! only compares error codes on nightly, so the book checks them here.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Codes that mean the program failed for a reason the prose is not about:
/// a missing crate or import.
const UNRELATED: [&str; 3] = ["E0432", "E0433", "E0463"];

/// The errors rustc reports for a program (empty if it compiles).
#[derive(Debug, Default)]
pub struct Errors {
    pub codes: BTreeSet<String>,
    /// The errors as rustc prints them, for messages.
    pub rendered: String,
}

/// Compiles `program` (std only) the way a reader's compiler would.
pub fn errors_of(edition: &str, program: &str) -> Result<Errors> {
    errors_with_crates(edition, program, &[])
}

/// Compiles `program` with the crates that `crate_args` give rustc
/// (`--extern libc=...`, as `listings::Built::rustc_args` makes them):
/// for a program on a stage that calls the system through libc.
pub fn errors_with_crates(
    edition: &str,
    program: &str,
    crate_args: &[OsString],
) -> Result<Errors> {
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("listing.rs");
    fs::write(&source, program)?;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg(&source)
        .arg(format!("--edition={edition}"))
        .args(["--crate-type", "bin", "--emit=metadata"])
        .args(["--error-format=json", "--out-dir"])
        .arg(dir.path())
        .args(crate_args)
        .output()
        .context("running rustc")?;
    let mut errors = Errors::default();
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let Ok(diagnostic) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if diagnostic["level"] == "error" {
            errors
                .rendered
                .push_str(diagnostic["rendered"].as_str().unwrap_or_default());
            if let Some(code) = diagnostic["code"]["code"].as_str() {
                errors.codes.insert(code.to_owned());
            }
        }
    }
    if !output.status.success() && errors.rendered.is_empty() {
        bail!(
            "rustc failed without a diagnostic:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(errors)
}

/// `location` is `src/chapter.md:LINE` of the block, for the message.
pub fn check(
    location: &str,
    edition: &str,
    expected: &[&str],
    program: &str,
) -> Result<()> {
    check_with_crates(location, edition, expected, program, &[])
}

/// [`check`], with the crates that `crate_args` give rustc (see
/// [`errors_with_crates`]): the listings' crates, which the Playground has
/// too.
pub fn check_with_crates(
    location: &str,
    edition: &str,
    expected: &[&str],
    program: &str,
    crate_args: &[OsString],
) -> Result<()> {
    let errors = errors_with_crates(edition, program, crate_args)?;
    if errors.rendered.is_empty() {
        bail!("{location}: this compile_fail block compiles");
    }
    let missing = expected.iter().any(|code| !errors.codes.contains(*code));
    let unrelated = UNRELATED
        .iter()
        .any(|code| errors.codes.contains(*code) && !expected.contains(code));
    if missing || unrelated {
        bail!(
            "{location}: expected to fail with {expected:?}, but rustc reported {:?}:\n{}",
            errors.codes,
            errors.rendered
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_code_must_be_the_one_rustc_reports() {
        let moved = "fn main() {\n    let s = String::new();\n    drop(s);\n    drop(s);\n}\n";
        check("here", "2024", &["E0382"], moved).unwrap();
        let wrong = check("src/c.md:7", "2024", &["E0277"], moved).unwrap_err();
        assert!(
            wrong
                .to_string()
                .starts_with("src/c.md:7: expected to fail with [\"E0277\"]")
        );
        let fine = check("src/c.md:9", "2024", &["E0382"], "fn main() {}\n")
            .unwrap_err();
        assert_eq!(
            fine.to_string(),
            "src/c.md:9: this compile_fail block compiles"
        );
        let missing_crate = "use nothing_here::X;\nfn main() { let s = String::new(); drop(s); drop(s); }\n";
        assert!(check("x", "2024", &["E0382"], missing_crate).is_err());
    }
}
