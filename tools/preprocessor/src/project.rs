//! Where the book lives and what its configuration says.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The name `book.toml` gives the book's preprocessor
/// (`[preprocessor.listings]`), under which its settings are.
pub const PREPROCESSOR: &str = "listings";

/// The repository: `book.toml`, `src/` with the chapters, `listings/`,
/// `tests/`.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory holding `book.toml`.
    pub root: PathBuf,
}

impl Project {
    pub fn at(root: impl Into<PathBuf>) -> Project {
        Project { root: root.into() }
    }

    /// The project around the current directory (for `cargo book`, which
    /// may be run from any directory of the repository).
    pub fn find_from_current_dir() -> Result<Project> {
        let cwd = std::env::current_dir()?;
        cwd.ancestors()
            .find(|dir| dir.join("book.toml").is_file())
            .map(Project::at)
            .with_context(|| {
                format!("no book.toml in {} or above", cwd.display())
            })
    }

    pub fn src_dir(&self) -> PathBuf {
        self.root.join("src")
    }

    /// The directory of `chapter` (a path under `src/`), which the paths
    /// of its includes start from.
    pub fn chapter_dir(&self, chapter: &Path) -> PathBuf {
        let file = self.src_dir().join(chapter);
        file.parent()
            .map_or_else(|| self.src_dir(), Path::to_path_buf)
    }

    /// The Rust edition the book's code is shown, run and tested with:
    /// `[rust] edition` in `book.toml`, the one value every tool reads.
    pub fn edition(&self) -> Result<String> {
        self.setting("rust.edition")
    }

    /// A string setting of `book.toml`, by its dotted path:
    /// `output.html.git-repository-url` is `git-repository-url` in
    /// `[output.html]`.
    pub fn setting(&self, key: &str) -> Result<String> {
        let path = self.root.join("book.toml");
        let text = fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let config: toml::Table = text
            .parse()
            .with_context(|| format!("parsing {}", path.display()))?;
        let mut value = config.get(key.split('.').next().unwrap_or(key));
        for part in key.split('.').skip(1) {
            value = value.and_then(|v| v.get(part));
        }
        match value.and_then(|value| value.as_str()) {
            Some(value) => Ok(value.to_owned()),
            None => {
                let (table, name) = key.rsplit_once('.').unwrap_or(("", key));
                bail!("{}: [{table}] {name} is not set", path.display())
            }
        }
    }

    /// Every Markdown file under `src/`, as paths relative to `src/`,
    /// sorted so that reports come out in a stable order.
    pub fn chapters(&self) -> Result<Vec<PathBuf>> {
        let src = self.src_dir();
        let mut found = Vec::new();
        collect_files(&src, "md", &mut found)?;
        let mut chapters: Vec<PathBuf> = found
            .into_iter()
            .map(|path| path.strip_prefix(&src).unwrap().to_path_buf())
            .collect();
        chapters.sort();
        Ok(chapters)
    }

    /// The chapters that are pages of the book: every one of
    /// [`Project::chapters`] but `SUMMARY.md`.
    pub fn pages(&self) -> Result<Vec<PathBuf>> {
        let mut chapters = self.chapters()?;
        chapters.retain(|chapter| chapter != Path::new("SUMMARY.md"));
        Ok(chapters)
    }

    /// A chapter's text, read from `src/`.
    pub fn read_chapter(&self, chapter: &Path) -> Result<String> {
        let path = self.src_dir().join(chapter);
        fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))
    }

    /// Every `.rs` file under `listings/`, relative to the project root.
    pub fn listing_sources(&self) -> Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        collect_files(&self.root.join("listings"), "rs", &mut found)?;
        let mut sources: Vec<PathBuf> = found
            .into_iter()
            .filter(|path| {
                !path.components().any(|c| c.as_os_str() == "target")
            })
            .map(|path| path.strip_prefix(&self.root).unwrap().to_path_buf())
            .collect();
        sources.sort();
        Ok(sources)
    }
}

fn collect_files(
    dir: &Path,
    extension: &str,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    for entry in fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, extension, out)?;
        } else if path.extension().is_some_and(|ext| ext == extension) {
            out.push(path);
        }
    }
    Ok(())
}

/// One thing wrong with the book, at the place a contributor must edit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Relative to the project root, e.g. `src/part3-io.md`.
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Each problem as its `file:line: message` line.
pub fn messages(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(Problem::to_string).collect()
}

/// Turns a list of problems into an error that prints one per line.
pub fn into_result(mut problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort();
    problems.dedup();
    let lines = messages(&problems);
    bail!("{} problem(s):\n{}", problems.len(), lines.join("\n"))
}

/// `src/../listings/x.rs` as `listings/x.rs`, without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
