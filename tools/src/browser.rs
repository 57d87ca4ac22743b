//! The browser the book's pages are tested in (`tests/book/browser.rs`) and
//! Playwright to drive it, installed by the project itself, so that a
//! contributor needs nothing but `cargo test`:
//!
//! - Chromium: `$CHROMIUM`, or Debian's `chromium` package.
//! - Node.js, as recent as Playwright asks for, from PATH.
//! - `playwright-core`, and `axe-core` for each page's accessibility,
//!   pinned to exact versions in `tests/browser/package.json` and locked
//!   in its `package-lock.json`, installed with `npm ci` into
//!   `tests/browser/node_modules`. Unlike the `playwright` package,
//!   playwright-core never downloads a browser of its own: it drives the
//!   Chromium it is given.
//!
//! `cargo book install-tools` installs a missing program with apt-get
//! when it runs as root on a Debian-like system (CI, containers); anywhere
//! else the error says exactly what to install. The tests only look.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Project;
use crate::install::{self, Plan, can_use_apt, carry_out, on_path, say};

/// Where Debian's `chromium` package puts the browser.
pub const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// The Node.js side of the browser tests, relative to the project root.
pub const TESTS_DIR: &str = "tests/browser";

/// Everything the browser tests run.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The Chromium executable.
    pub chromium: PathBuf,
    /// The `node` executable.
    pub node: PathBuf,
    /// `tests/browser`, with playwright-core in its `node_modules`.
    pub tests_dir: PathBuf,
}

/// Makes Chromium, Node.js and playwright-core present, installing what
/// is missing. Several test processes may call this at once: a lock file
/// makes the others wait for one installation.
pub fn ensure_installed(project: &Project) -> Result<Browser> {
    let tools_dir = project.root.join(".tools");
    fs::create_dir_all(&tools_dir)?;
    let lock = File::create(tools_dir.join("browser.lock"))?;
    lock.lock().context("locking .tools/browser.lock")?;

    let can_apt = can_use_apt();
    let configured = std::env::var_os("CHROMIUM").map(PathBuf::from);
    let chromium = configured.unwrap_or_else(|| DEBIAN_CHROMIUM.into());
    let chromium = carry_out(
        chromium_plan(&chromium, Path::new(DEBIAN_CHROMIUM), can_apt),
        || Ok(chromium.is_file().then(|| chromium.clone())),
    )?;

    let tests_dir = project.root.join(TESTS_DIR);
    let needed = required_node_major(&tests_dir)?;
    let node = carry_out(node_plan(installed_node(), needed, can_apt), || {
        Ok(installed_node()
            .filter(|node| node.is_usable(needed))
            .map(|node| node.path))
    })?;

    ensure_packages(&tests_dir)?;
    Ok(Browser {
        chromium,
        node,
        tests_dir,
    })
}

/// `chromium` is `$CHROMIUM` or, unset, `debian`; only the latter can be
/// fixed by installing the Debian package.
fn chromium_plan(chromium: &Path, debian: &Path, can_apt: bool) -> Plan {
    if chromium.is_file() {
        return Plan::Use(chromium.to_owned());
    }
    if chromium != debian {
        return Plan::Fail(format!(
            "CHROMIUM is {}, which does not exist: point it at a Chromium \
             executable, or unset it to use Debian's chromium package \
             ({DEBIAN_CHROMIUM})",
            chromium.display()
        ));
    }
    if can_apt {
        return Plan::Install(&["chromium"]);
    }
    Plan::Fail(format!(
        "the browser tests need Chromium, and there is none at {}: install \
         it (`sudo apt-get install chromium` on Debian and Ubuntu), or set \
         CHROMIUM to a Chromium executable",
        chromium.display()
    ))
}

/// A `node` found on PATH.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    path: PathBuf,
    major: u32,
    /// Whether `npm`, which installs Playwright, is on PATH too.
    npm: bool,
}

impl Node {
    fn is_usable(&self, needed: u32) -> bool {
        self.major >= needed && self.npm
    }
}

fn node_plan(found: Option<Node>, needed: u32, can_apt: bool) -> Plan {
    let found = match found {
        Some(node) if node.is_usable(needed) => return Plan::Use(node.path),
        Some(Node { npm: false, .. }) => "no npm".to_owned(),
        Some(node) => format!("version {}", node.major),
        None => "no node on PATH".to_owned(),
    };
    if can_apt {
        return Plan::Install(&["nodejs", "npm"]);
    }
    Plan::Fail(format!(
        "the browser tests need Node.js {needed} or later with npm (found \
         {found}): install it (Debian and Ubuntu: `sudo apt-get install \
         nodejs npm`, if their release has {needed}; otherwise \
         https://nodejs.org)"
    ))
}

/// `node` on PATH, if it runs, and its major version.
fn installed_node() -> Option<Node> {
    let path = on_path("node")?;
    let output = Command::new(&path).arg("--version").output().ok()?;
    // `v20.20.2`
    let version = String::from_utf8_lossy(&output.stdout);
    let major = version.trim().strip_prefix('v')?.split('.').next()?;
    Some(Node {
        major: major.parse().ok()?,
        path,
        npm: on_path("npm").is_some(),
    })
}

/// The oldest Node.js major version the locked playwright-core supports,
/// from its `engines` field in `package-lock.json` (`">=20"`).
fn required_node_major(tests_dir: &Path) -> Result<u32> {
    let lock = read_json(&tests_dir.join("package-lock.json"))?;
    let engines = &lock["packages"]["node_modules/playwright-core"]["engines"];
    let wanted = engines["node"].as_str().unwrap_or_default();
    wanted
        .strip_prefix(">=")
        .and_then(|version| version.split('.').next()?.parse().ok())
        .with_context(|| {
            format!("playwright-core asks for Node.js {wanted:?}: a `>=N`?")
        })
}

/// Installs the packages of `package.json` (playwright-core, and
/// axe-core, which checks each page's accessibility) unless each is there
/// already at its pinned version.
fn ensure_packages(tests_dir: &Path) -> Result<()> {
    let pinned = pinned_packages(&read_json(&tests_dir.join("package.json"))?)?;
    let installed = |name: &str| {
        let file = tests_dir
            .join("node_modules")
            .join(name)
            .join("package.json");
        read_json(&file)
            .ok()
            .and_then(|package| package["version"].as_str().map(str::to_owned))
    };
    let missing: Vec<String> = pinned
        .iter()
        .filter(|(name, version)| installed(name).as_deref() != Some(version))
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let missing = missing.join(", ");
    install::may_install(&missing)?;
    say(&format!(
        "installing {missing} into {}/node_modules (npm ci)",
        tests_dir.display()
    ));
    // `npm ci` installs exactly what package-lock.json says, and fails if
    // it disagrees with package.json. No package of ours needs an install
    // script, so none runs.
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--prefer-offline"])
        .args(["--no-audit", "--no-fund"])
        .current_dir(tests_dir)
        .status()
        .context("running npm ci")?;
    if !status.success() {
        bail!("npm ci in {} failed ({status})", tests_dir.display());
    }
    Ok(())
}

/// Each dependency of package.json with the exact version it is pinned to.
fn pinned_packages(package: &Value) -> Result<Vec<(String, String)>> {
    let dependencies = package["dependencies"]
        .as_object()
        .context("package.json has no dependencies")?;
    anyhow::ensure!(
        dependencies.contains_key("playwright-core"),
        "package.json has no playwright-core dependency"
    );
    dependencies
        .iter()
        .map(|(name, version)| {
            let version = version.as_str().unwrap_or_default();
            // A range (`^1.65.1`) would let a new release change the tests.
            if version.is_empty()
                || !version.split('.').all(|n| n.parse::<u32>().is_ok())
            {
                bail!("package.json must pin {name} exactly, not {version:?}");
            }
            Ok((name.clone(), version.to_owned()))
        })
        .collect()
}

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chromium_named_by_the_environment_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("chromium");
        for can_apt in [true, false] {
            let Plan::Fail(message) =
                chromium_plan(&missing, Path::new(DEBIAN_CHROMIUM), can_apt)
            else {
                panic!("a missing $CHROMIUM is not installed by apt-get");
            };
            assert!(message.contains("CHROMIUM is"), "{message}");
            assert!(message.contains(&missing.display().to_string()));
        }
    }

    #[test]
    fn missing_debian_chromium_is_installed_only_where_we_may() {
        let dir = tempfile::tempdir().unwrap();
        let debian = dir.path().join("chromium");
        assert_eq!(
            chromium_plan(&debian, &debian, true),
            Plan::Install(&["chromium"])
        );
        let Plan::Fail(message) = chromium_plan(&debian, &debian, false) else {
            panic!("without apt-get there is nothing to do but fail");
        };
        assert!(message.contains("apt-get install chromium"), "{message}");

        fs::write(&debian, "").unwrap();
        assert_eq!(chromium_plan(&debian, &debian, false), Plan::Use(debian));
    }

    #[test]
    fn node_must_be_as_recent_as_playwright_asks() {
        let node = |major| Node {
            path: "/usr/bin/node".into(),
            major,
            npm: true,
        };
        assert_eq!(
            node_plan(Some(node(20)), 20, false),
            Plan::Use("/usr/bin/node".into())
        );
        assert_eq!(
            node_plan(Some(node(18)), 20, true),
            Plan::Install(&["nodejs", "npm"])
        );
        let Plan::Fail(message) = node_plan(Some(node(18)), 20, false) else {
            panic!("an old node without apt-get fails");
        };
        assert!(message.contains("Node.js 20 or later"), "{message}");
        assert!(message.contains("found version 18"), "{message}");
        let without_npm = Node {
            npm: false,
            ..node(20)
        };
        let Plan::Fail(message) = node_plan(Some(without_npm), 20, false)
        else {
            panic!("node without npm cannot install Playwright");
        };
        assert!(message.contains("found no npm"), "{message}");
        assert!(matches!(node_plan(None, 20, false), Plan::Fail(_)));
    }

    #[test]
    fn every_package_must_be_pinned_exactly() {
        let package = |axe| {
            json!({ "dependencies": {
                "axe-core": axe,
                "playwright-core": "1.65.1",
            } })
        };
        assert_eq!(
            pinned_packages(&package("4.14.1")).unwrap(),
            [
                ("axe-core".to_owned(), "4.14.1".to_owned()),
                ("playwright-core".to_owned(), "1.65.1".to_owned()),
            ]
        );
        for loose in ["^4.14.1", "latest", ""] {
            let error = pinned_packages(&package(loose)).unwrap_err();
            assert!(error.to_string().contains("pin axe-core exactly"));
        }
        let no_playwright = json!({ "dependencies": { "axe-core": "4.14.1" } });
        assert!(pinned_packages(&no_playwright).is_err());
    }

    #[test]
    fn the_project_pins_playwright_and_names_its_node() {
        let dir = crate::programs::project().root.join(TESTS_DIR);
        let package = read_json(&dir.join("package.json")).unwrap();
        pinned_packages(&package).unwrap();
        assert!(required_node_major(&dir).unwrap() >= 18);
    }
}
