//! Tells the data file what built the benchmarks: the compiler, and the
//! Tokio that `Cargo.lock` resolved.

use std::path::Path;
use std::{env, fs};

fn main() {
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
}
