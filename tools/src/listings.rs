//! The listings crate, built the way a reader builds it
//! (`cargo build -p listings`), and what the build produced.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Project;

/// What `cargo build -p listings --bins` produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// Each program by its bin name, e.g. `part3-poll-loop`.
    pub programs: BTreeMap<String, PathBuf>,
    /// The exact libc rlib the programs link, for `--extern libc=...`.
    pub libc_rlib: PathBuf,
}

impl Built {
    pub fn program(&self, name: &str) -> &PathBuf {
        self.programs.get(name).unwrap_or_else(|| {
            panic!("no program `{name}` in listings/Cargo.toml")
        })
    }
}

pub fn build(project: &Project) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&project.root)
        .args(["build", "--locked", "-p", "listings", "--bins"])
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build -p listings")?;
    if !output.status.success() {
        bail!(
            "cargo build -p listings failed: the listings do not compile (see above)"
        );
    }

    let mut programs = BTreeMap::new();
    let mut libc_rlib = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let target = &message["target"];
        let is_bin = target["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bin"));
        if is_bin && let Some(exe) = message["executable"].as_str() {
            programs.insert(
                target["name"].as_str().unwrap_or_default().to_owned(),
                exe.into(),
            );
        }
        if target["name"] == "libc" {
            let files = message["filenames"].as_array().into_iter().flatten();
            libc_rlib = files
                .filter_map(Value::as_str)
                .find(|f| f.ends_with(".rlib"))
                .map(PathBuf::from);
        }
    }
    let libc_rlib =
        libc_rlib.context("cargo build -p listings reported no libc rlib")?;
    Ok(Built {
        programs,
        libc_rlib,
    })
}
