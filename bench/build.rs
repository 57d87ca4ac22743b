//! Hands Part Three's poll(2) loop to the benchmarks as it is in the book.
//!
//! `include!` takes items, and the listing opens with an inner doc comment
//! (`//!`), which only a file of its own may carry. The build turns those
//! lines into plain comments, line for line, and leaves everything else
//! alone; `src/part3.rs` includes the result, so that the benchmark's code
//! sits in the same module as the listing's private items.

use std::path::Path;
use std::{env, fs};

fn main() {
    let listing = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../listings/part3-io/poll_loop.rs");
    println!("cargo::rerun-if-changed={}", listing.display());
    let source = fs::read_to_string(&listing)
        .unwrap_or_else(|e| panic!("reading {}: {e}", listing.display()));
    let mut items = String::with_capacity(source.len());
    for line in source.lines() {
        match line.strip_prefix("//!") {
            Some(rest) => items.push_str(&format!("//{rest}\n")),
            None => items.push_str(&format!("{line}\n")),
        }
    }
    // What the data file says built it: the compiler, and the Tokio that
    // `Cargo.lock` resolved.
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo::rustc-env=BENCH_RUSTC_VERSION={version}");
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let lock = fs::read_to_string(&lock).unwrap_or_default();
    let tokio = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"tokio\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .unwrap_or("\"unknown\"")
        .trim_matches('"')
        .to_string();
    println!("cargo::rustc-env=BENCH_TOKIO_VERSION={tokio}");

    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("poll_loop.rs");
    fs::write(&out, items)
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
