//! Run buttons on the reader's own machine, for the programs the
//! Playground cannot run (more than 512 threads, io_uring, runs longer than
//! its few seconds), when `cargo book serve` serves the book.
//!
//! `cargo book serve` starts the local Playground (`tools/playground/`) and
//! tells this preprocessor where it is and the token it wants, through the
//! setting `preprocessor.listings.local-run` (`{"url", "token"}`, given to
//! mdBook as `MDBOOK_PREPROCESSOR__LISTINGS__LOCAL_RUN`). The pages then
//! carry both, and the figure of each such program names its bin in
//! `data-runs-locally`; `theme/local-run.js` adds the buttons. Without the
//! setting (`cargo book build`, the published book) nothing changes.
//!
//! Which programs: every bin of `listings/Cargo.toml` shown without a Run
//! button, except those listed in its `[package.metadata.book]
//! run-in-a-terminal`, which do not end by themselves (servers, and the
//! programs that hang to show a hang) or need another program beside them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Project;

/// The setting, under `book.toml`'s `[preprocessor.listings]`.
pub const SETTING: &str = "preprocessor.listings.local-run";

/// The setting as an environment variable of `mdbook build` or `mdbook
/// serve`, which mdBook reads into its configuration (`MDBOOK_` and the
/// key, `__` between its parts, `_` for `-`): name and value.
pub fn setting_env(url: &str, token: &str) -> (String, String) {
    let key = SETTING.to_uppercase().replace('.', "__").replace('-', "_");
    let value = serde_json::json!({ "url": url, "token": token });
    (format!("MDBOOK_{key}"), value.to_string())
}

/// Where the served pages send the programs they run locally.
#[derive(Debug, Clone)]
pub struct LocalRun {
    /// The local Playground, `http://127.0.0.1:PORT`.
    pub url: String,
    /// What the served pages prove themselves with.
    pub token: String,
    /// Each program that may run from its page: file (from the project
    /// root) and bin.
    programs: BTreeMap<PathBuf, String>,
}

impl LocalRun {
    /// From the setting's value (`None`: the book is not served by `cargo
    /// book serve`).
    pub fn from_setting(
        project: &Project,
        setting: Option<Value>,
    ) -> Result<Option<LocalRun>> {
        let Some(setting) = setting else {
            return Ok(None);
        };
        let field = |name: &str| {
            setting[name].as_str().map(str::to_owned).with_context(|| {
                format!("{SETTING} has no string `{name}`: {setting}")
            })
        };
        let (url, token) = (field("url")?, field("token")?);
        let in_a_terminal = run_in_a_terminal(project)?;
        let programs = bins_by_source(project)?
            .into_iter()
            .filter(|(_, bin)| !in_a_terminal.contains(bin))
            .filter_map(|(file, bin)| {
                let file = file.strip_prefix(&project.root).ok()?.to_owned();
                Some((file, bin))
            })
            .collect();
        Ok(Some(LocalRun {
            url,
            token,
            programs,
        }))
    }

    /// The bin of `file` (from the project root), if its page may run it.
    pub fn bin_of(&self, file: &Path) -> Option<&str> {
        self.programs.get(file).map(String::as_str)
    }

    /// What a page with such programs carries, for `theme/local-run.js`.
    pub fn page_script(&self) -> String {
        let setting =
            serde_json::json!({ "url": self.url, "token": self.token });
        format!("<script>window.bookLocalRun = {setting};</script>\n\n")
    }
}

/// Each program's source file (absolute) and its bin name, from
/// `listings/Cargo.toml`.
pub fn bins_by_source(project: &Project) -> Result<BTreeMap<PathBuf, String>> {
    let manifest = listings_manifest(project)?;
    let bins = manifest
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten();
    Ok(bins
        .filter_map(|bin| {
            let name = bin.get("name")?.as_str()?;
            let path = bin.get("path")?.as_str()?;
            Some((project.root.join("listings").join(path), name.to_owned()))
        })
        .collect())
}

/// The bins `[package.metadata.book] run-in-a-terminal` names; each must
/// be a bin.
pub fn run_in_a_terminal(project: &Project) -> Result<BTreeSet<String>> {
    let manifest = listings_manifest(project)?;
    let listed = manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("book"))
        .and_then(|b| b.get("run-in-a-terminal"))
        .and_then(|list| list.as_array())
        .into_iter()
        .flatten();
    let bins: BTreeSet<String> =
        bins_by_source(project)?.into_values().collect();
    let mut names = BTreeSet::new();
    for name in listed {
        let Some(name) = name.as_str() else {
            bail!(
                "listings/Cargo.toml: run-in-a-terminal holds {name}, not a bin name"
            );
        };
        if !bins.contains(name) {
            bail!(
                "listings/Cargo.toml: run-in-a-terminal names {name}, which is no [[bin]]"
            );
        }
        names.insert(name.to_owned());
    }
    Ok(names)
}

fn listings_manifest(project: &Project) -> Result<toml::Table> {
    let path = project.root.join("listings/Cargo.toml");
    let text = fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    text.parse()
        .with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(manifest: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("listings")).unwrap();
        fs::write(dir.path().join("listings/Cargo.toml"), manifest).unwrap();
        let project = Project::at(dir.path());
        (dir, project)
    }

    const MANIFEST: &str = "[package.metadata.book]\nrun-in-a-terminal = [\"p-server\"]\n\n\
        [[bin]]\nname = \"p-many\"\npath = \"p/many.rs\"\n\n\
        [[bin]]\nname = \"p-server\"\npath = \"p/server.rs\"\n";

    #[test]
    fn servers_are_left_to_a_terminal() {
        let (_dir, project) = project(MANIFEST);
        let setting = json!({ "url": "http://127.0.0.1:9", "token": "t" });
        let local = LocalRun::from_setting(&project, Some(setting))
            .unwrap()
            .unwrap();
        assert_eq!(
            local.bin_of(Path::new("listings/p/many.rs")),
            Some("p-many")
        );
        assert_eq!(local.bin_of(Path::new("listings/p/server.rs")), None);
        assert!(local.page_script().contains(r#""token":"t""#));
    }

    #[test]
    fn mdbook_reads_the_setting_from_its_environment_variable() {
        let (name, value) = setting_env("http://127.0.0.1:9", "t");
        assert_eq!(name, "MDBOOK_PREPROCESSOR__LISTINGS__LOCAL_RUN");
        assert_eq!(value, r#"{"token":"t","url":"http://127.0.0.1:9"}"#);
    }

    #[test]
    fn without_the_setting_nothing_runs_locally() {
        let (_dir, project) = project(MANIFEST);
        assert!(LocalRun::from_setting(&project, None).unwrap().is_none());
    }

    #[test]
    fn a_listed_name_must_be_a_bin() {
        let (_dir, project) = project(
            "[package.metadata.book]\nrun-in-a-terminal = [\"nope\"]\n",
        );
        let error = run_in_a_terminal(&project).unwrap_err().to_string();
        assert!(error.contains("names nope, which is no [[bin]]"), "{error}");
    }
}
