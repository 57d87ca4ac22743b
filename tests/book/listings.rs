//! The listings as code a reader copies: formatted by rustfmt at the width
//! the book displays (80 columns, `rustfmt.toml`) and free of clippy
//! warnings.

use std::process::Command;

use book_tools::programs::project;

#[test]
fn listings_are_rustfmt_clean_at_the_books_width() {
    let project = project();
    let edition = project.edition().unwrap();
    // Every file, the compile_fail ones too (rustfmt only parses them).
    let sources = project.listing_sources().unwrap();
    assert!(!sources.is_empty());
    let output = Command::new("rustfmt")
        .current_dir(&project.root)
        .args(["--check", "--edition", &edition])
        .args(&sources)
        .output()
        .expect("rustfmt (rustup component add rustfmt)");
    assert!(
        output.status.success(),
        "run `cargo fmt -p listings` (and rustfmt on compile_fail files):\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn listings_are_clippy_clean() {
    let project = project();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&project.root)
        .args([
            "clippy", "--locked", "-p", "listings", "--lib", "--bins", "--",
            "-D", "warnings",
        ])
        .output()
        .expect("cargo clippy (rustup component add clippy)");
    assert!(
        output.status.success(),
        "cargo clippy -p listings:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
