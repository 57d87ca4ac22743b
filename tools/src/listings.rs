//! The listings crate, built the way a reader builds it
//! (`cargo build -p listings`), and what the build produced.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Project;
use crate::assemble::{self, View};

/// What `cargo build -p listings --bins` produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// Each program by its bin name, e.g. `part3-poll-loop`.
    pub programs: BTreeMap<String, PathBuf>,
    /// The exact rlib of each crate the listings depend on (libc, futures,
    /// tokio, pin-project-lite), by crate name.
    pub externs: BTreeMap<String, PathBuf>,
    /// The version of each of those crates, by crate name.
    pub versions: BTreeMap<String, String>,
    /// Where the rlibs of their own dependencies are.
    pub library_dirs: BTreeSet<PathBuf>,
    /// Where programs compiled as one file are kept ([`compile_one_file`]),
    /// beside the bins.
    pub one_file_programs: PathBuf,
}

impl Built {
    pub fn program(&self, name: &str) -> &PathBuf {
        self.programs.get(name).unwrap_or_else(|| {
            panic!("no program `{name}` in listings/Cargo.toml")
        })
    }

    /// The arguments that give rustc (or rustdoc) exactly the crates the
    /// listings use, as the Playground gives them to its programs:
    /// `--extern NAME=RLIB` for each, and `-L dependency=DIR` for theirs.
    ///
    /// `-L` alone is not enough: the toolchain ships a libc rlib of its
    /// own, and rustc refuses to choose between two (E0464).
    pub fn rustc_args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        for (name, rlib) in &self.externs {
            args.push("--extern".into());
            let mut arg = OsString::from(format!("{name}="));
            arg.push(rlib);
            args.push(arg);
        }
        for dir in &self.library_dirs {
            args.push("-L".into());
            let mut arg = OsString::from("dependency=");
            arg.push(dir);
            args.push(arg);
        }
        args
    }
}

pub fn build(project: &Project) -> Result<Built> {
    let output = crate::builds::listings(project)
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build -p listings")?;
    if !output.status.success() {
        bail!(
            "cargo build -p listings failed: the listings do not compile (see above)"
        );
    }

    let direct =
        direct_dependencies(&project.root.join("listings/Cargo.toml"))?;
    let mut programs = BTreeMap::new();
    let mut externs = BTreeMap::new();
    let mut versions = BTreeMap::new();
    let mut library_dirs = BTreeSet::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let target = &message["target"];
        let name = target["name"].as_str().unwrap_or_default();
        let kinds = target["kind"].as_array().into_iter().flatten();
        if kinds.clone().any(|k| k == "bin")
            && let Some(exe) = message["executable"].as_str()
        {
            programs.insert(name.to_owned(), exe.into());
        }
        if !kinds.clone().any(|k| k == "lib" || k == "rlib") {
            continue;
        }
        let files = message["filenames"].as_array().into_iter().flatten();
        let Some(rlib) = files
            .filter_map(Value::as_str)
            .find(|f| f.ends_with(".rlib"))
        else {
            continue;
        };
        let rlib = PathBuf::from(rlib);
        library_dirs.insert(rlib.parent().unwrap().to_path_buf());
        if direct.contains(name) {
            externs.insert(name.to_owned(), rlib);
            versions.insert(name.to_owned(), version_of(&message)?);
        }
    }
    if let Some(missing) =
        direct.iter().find(|name| !externs.contains_key(*name))
    {
        bail!("cargo build -p listings reported no rlib for {missing}");
    }
    let one_file_programs = programs
        .values()
        .next()
        .and_then(|program: &PathBuf| program.parent())
        .context("cargo build -p listings reported no programs")?
        .join("one-file");
    let mut built = Built {
        programs,
        externs,
        versions,
        library_dirs,
        one_file_programs,
    };
    build_starters(project, &mut built)?;
    Ok(built)
}

/// The exercises' starters are no files of their own: each is made from
/// its solution (`assemble.rs`) and compiled here, beside the bins, by
/// [`compile_one_file`]. Its name is the solution's, with `-starter`.
fn build_starters(project: &Project, built: &mut Built) -> Result<()> {
    let bins = crate::run_locally::bins_by_source(project)?;
    let dir = built.one_file_programs.clone();
    let edition = project.edition()?;
    for program in assemble::programs(project)? {
        let Some((solution, View::Starter)) =
            assemble::source_of(project, &program)
        else {
            continue;
        };
        let Some(name) = bins
            .get(&project.root.join(&solution))
            .and_then(|bin| bin.strip_suffix("-solution"))
            .map(|exercise| format!("{exercise}-starter"))
        else {
            bail!("{}: no bin in listings/Cargo.toml", solution.display());
        };
        let text = assemble::assemble(project, &program)
            .map_err(|problem| anyhow::anyhow!("{problem}"))?
            .text();
        let exe = compile_one_file(built, &dir, &text, &edition).map_err(
            |errors| {
                anyhow::anyhow!(
                    "{} (made from {}) does not compile:\n{errors}",
                    program.display(),
                    solution.display(),
                )
            },
        )?;
        built.programs.insert(name, exe);
    }
    Ok(())
}

/// Compiles `code` as the Playground compiles a program: one file, as
/// `edition`, with exactly the crates the listings use. Programs are kept
/// in `cache`, named by what determines them (the code, the edition, the
/// crates, the compiler), so a program compiled before by anyone sharing
/// the cache (the starters, the Playground stand-in, `cargo book
/// check-exercise`) is not compiled again. Returns the program, or the
/// compiler's errors.
pub fn compile_one_file(
    built: &Built,
    cache: &Path,
    code: &str,
    edition: &str,
) -> std::result::Result<PathBuf, String> {
    let program = cache.join(program_key(built, code, edition));
    if program.is_file() {
        return Ok(program);
    }
    // One compilation at a time in this process keeps a two-core machine
    // responsive, and a program asked for twice is compiled once.
    static COMPILING: Mutex<()> = Mutex::new(());
    let _turn = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    if program.is_file() {
        return Ok(program);
    }
    let failed = |e: std::io::Error| e.to_string();
    fs::create_dir_all(cache).map_err(failed)?;
    // Made in a folder of its own and renamed into place whole, so that
    // another process sharing the cache never runs a half-made program.
    let scratch = tempfile::tempdir_in(cache).map_err(failed)?;
    let (source, output) =
        (scratch.path().join("main.rs"), scratch.path().join("main"));
    fs::write(&source, code).map_err(failed)?;
    let compiled = Command::new(rustc())
        .arg(&source)
        .args(["--edition", edition, "-o"])
        .arg(&output)
        .args(built.rustc_args())
        .output()
        .map_err(|e| format!("could not run rustc: {e}"))?;
    if !compiled.status.success() {
        return Err(String::from_utf8_lossy(&compiled.stderr).into());
    }
    fs::rename(&output, &program).map_err(failed)?;
    Ok(program)
}

/// The name [`compile_one_file`] keeps a program under. `DefaultHasher`
/// is stable within one toolchain, which is all a cache needs: the
/// compiler's version is part of the key.
pub fn program_key(built: &Built, code: &str, edition: &str) -> String {
    static RUSTC_VERSION: OnceLock<String> = OnceLock::new();
    let version = RUSTC_VERSION.get_or_init(|| {
        Command::new(rustc())
            .arg("-vV")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    });
    let mut hasher = DefaultHasher::new();
    (code, edition, built.rustc_args(), version).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn rustc() -> OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// The version of the package a compiler artifact belongs to, from its
/// package id (`registry+https://...#libc@0.2.191`).
fn version_of(artifact: &Value) -> Result<String> {
    let id = artifact["package_id"].as_str().unwrap_or_default();
    id.rsplit_once('@')
        .map(|(_, version)| version.to_owned())
        .with_context(|| format!("no version in package id {id:?}"))
}

/// The crate names in `[dependencies]` of a manifest (`-` read as `_`).
fn direct_dependencies(manifest: &Path) -> Result<BTreeSet<String>> {
    let text = fs::read_to_string(manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let manifest: toml::Table = text.parse()?;
    let dependencies = manifest.get("dependencies").and_then(|d| d.as_table());
    // An optional dependency (loom, behind the `loom` feature, for the
    // model checker's tests) is no crate of the programs.
    let optional = |spec: &toml::Value| {
        spec.get("optional").and_then(|o| o.as_bool()) == Some(true)
    };
    Ok(dependencies
        .into_iter()
        .flat_map(|table| table.iter())
        .filter(|(_, spec)| !optional(spec))
        .map(|(name, _)| name.replace('-', "_"))
        .collect())
}
