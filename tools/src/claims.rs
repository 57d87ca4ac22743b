//! Claims are tests. A sentence in a chapter that says something checkable
//! about a program ("takes about ten seconds", "sits idle") carries a
//! marker naming the test that checks it:
//!
//! ```text
//! It takes about ten seconds. <!-- claim: part3_io::one_server_thread_takes_about_ten_seconds -->
//! ```
//!
//! `part3_io` is `tests/book/part3_io.rs`, the test module of `src/part3-io.md`.
//! A marker must name a `#[test]` that exists, and every test in a
//! chapter's test file must be named by a marker: delete either side and
//! the suite says where the other one is.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{Context, Result};
use regex::Regex;
use syn::visit::Visit;

use crate::markdown::LineIndex;
use crate::{Problem, Project};

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*claim:(.*?)-->").unwrap());
static TEST_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([a-z0-9_]+)::([a-z0-9_]+)\s*$").unwrap()
});

/// A claim marker in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub chapter_file: PathBuf,
    pub line: usize,
    /// The test file's stem, e.g. `part3_io`.
    pub file: String,
    pub test: String,
}

/// A `#[test]` function in one of `tests/book/*.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimTest {
    pub file: String,
    pub name: String,
    pub line: usize,
    pub ignored: bool,
}

pub fn markers_in(
    chapter_file: &Path,
    text: &str,
) -> (Vec<Marker>, Vec<Problem>) {
    let lines = LineIndex::new(text);
    let mut markers = Vec::new();
    let mut problems = Vec::new();
    for cap in MARKER.captures_iter(text) {
        let line = lines.line_of(cap.get(0).unwrap().start());
        match TEST_PATH.captures(&cap[1]) {
            Some(path) => markers.push(Marker {
                chapter_file: chapter_file.to_path_buf(),
                line,
                file: path[1].to_owned(),
                test: path[2].to_owned(),
            }),
            None => problems.push(Problem::new(
                chapter_file,
                line,
                format!(
                    "claim marker `{}` is not `test_file::test_name`",
                    cap[1].trim()
                ),
            )),
        }
    }
    (markers, problems)
}

/// The `#[test]` functions of a test file, wherever they are nested.
pub fn tests_in(file: &str, source: &str) -> Result<Vec<ClaimTest>> {
    struct Finder<'a> {
        file: &'a str,
        found: Vec<ClaimTest>,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
            let has =
                |name: &str| item.attrs.iter().any(|a| a.path().is_ident(name));
            if has("test") {
                self.found.push(ClaimTest {
                    file: self.file.to_owned(),
                    name: item.sig.ident.to_string(),
                    line: item.sig.ident.span().start().line,
                    ignored: has("ignore"),
                });
            }
            syn::visit::visit_item_fn(self, item);
        }
    }
    let syntax = syn::parse_file(source)
        .with_context(|| format!("parsing {}", test_file(file).display()))?;
    let mut finder = Finder {
        file,
        found: Vec::new(),
    };
    finder.visit_file(&syntax);
    Ok(finder.found)
}

/// Where the test suite's modules are: one test binary, `book`, whose
/// module `part3_io` (`tests/book/part3_io.rs`) holds Part Three's claims.
pub const SUITE_DIR: &str = "tests/book";

/// The file of the suite's module `stem`.
pub fn test_file(stem: &str) -> PathBuf {
    Path::new(SUITE_DIR).join(format!("{stem}.rs"))
}

/// `src/part3-io.md` has its claims checked in `tests/book/part3_io.rs`.
pub fn test_file_stem(chapter: &Path) -> String {
    chapter
        .with_extension("")
        .to_string_lossy()
        .replace(['-', '/'], "_")
}

pub fn check(project: &Project) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let mut markers = Vec::new();
    let mut claim_files = BTreeSet::new();
    for chapter in project.chapters()? {
        let chapter_file = Path::new("src").join(&chapter);
        let (found, bad) =
            markers_in(&chapter_file, &project.read_chapter(&chapter)?);
        markers.extend(found);
        problems.extend(bad);
        claim_files.insert(test_file_stem(&chapter));
    }

    let mut tests = Vec::new();
    for file in markers
        .iter()
        .map(|m| m.file.clone())
        .chain(claim_files.iter().cloned())
    {
        if tests.iter().any(|t: &ClaimTest| t.file == file) {
            continue;
        }
        let path = project.root.join(test_file(&file));
        if let Ok(source) = fs::read_to_string(&path) {
            tests.extend(tests_in(&file, &source)?);
        }
    }

    for marker in &markers {
        if !tests
            .iter()
            .any(|t| t.file == marker.file && t.name == marker.test)
        {
            problems.push(Problem::new(
                &marker.chapter_file,
                marker.line,
                format!(
                    "claim names {}::{}, but {} has no #[test] fn {}",
                    marker.file,
                    marker.test,
                    test_file(&marker.file).display(),
                    marker.test
                ),
            ));
        }
    }
    for test in &tests {
        let test_file = test_file(&test.file);
        if test.ignored {
            problems.push(Problem::new(
                &test_file,
                test.line,
                format!(
                    "claim test {} is #[ignore]d, so nothing checks its claim",
                    test.name
                ),
            ));
        }
        let named = markers
            .iter()
            .any(|m| m.file == test.file && m.test == test.name);
        if claim_files.contains(&test.file) && !named {
            problems.push(Problem::new(
                &test_file,
                test.line,
                format!(
                    "no claim marker names {}::{}: put `<!-- claim: {}::{} -->` \
                     after the sentence it checks",
                    test.file, test.name, test.file, test.name
                ),
            ));
        }
    }
    Ok(problems)
}

/// What a run of the test suite verified: how many claim markers the
/// chapters carry, and which of them name a test that could not check its
/// claim on that run (`programs::cannot_check`, which writes them down in
/// `programs::NOT_CHECKED_FILE`), with the reason.
pub fn verified_on_last_run(project: &Project) -> Result<String> {
    let record = project.root.join(crate::programs::NOT_CHECKED_FILE);
    let not_checked: Vec<(String, String)> = fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(test, why)| (test.to_owned(), why.to_owned()))
        .collect();
    let mut markers = Vec::new();
    for chapter in project.chapters()? {
        let chapter_file = Path::new("src").join(&chapter);
        let text = project.read_chapter(&chapter)?;
        markers.extend(markers_in(&chapter_file, &text).0);
    }
    let mut report = String::new();
    let mut unverified = 0;
    for marker in &markers {
        let name = format!("{}::{}", marker.file, marker.test);
        if let Some((_, why)) =
            not_checked.iter().find(|(test, _)| *test == name)
        {
            unverified += 1;
            report += &format!(
                "  {}:{}: not verified ({name}: {why})\n",
                marker.chapter_file.display(),
                marker.line
            );
        }
    }
    let verified = markers.len() - unverified;
    Ok(format!(
        "Claims verified on this run: {verified} of {}.\n{report}",
        markers.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::messages;

    #[test]
    fn markers_are_found_with_their_lines() {
        let text = "Intro.\n\nIt takes ten seconds. <!-- claim: part3_io::ten_seconds -->\n<!-- claim: nonsense -->\n";
        let (markers, problems) = markers_in(Path::new("src/c.md"), text);
        assert_eq!(markers.len(), 1);
        assert_eq!(
            (markers[0].line, markers[0].test.as_str()),
            (3, "ten_seconds")
        );
        assert_eq!(
            problems[0].to_string(),
            "src/c.md:4: claim marker `nonsense` is not `test_file::test_name`"
        );
    }

    #[test]
    fn tests_are_found_in_modules_with_their_lines() {
        let source = "use x;\n#[test]\nfn a() {}\nmod m {\n    #[test]\n    #[ignore]\n    fn b() {}\n}\nfn helper() {}\n";
        let found = tests_in("part3_io", source).unwrap();
        let summary: Vec<_> = found
            .iter()
            .map(|t| (t.name.as_str(), t.line, t.ignored))
            .collect();
        assert_eq!(summary, [("a", 3, false), ("b", 7, true)]);
    }

    #[test]
    fn markers_and_tests_must_name_each_other() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::create_dir_all(dir.path().join(SUITE_DIR)).unwrap();
        fs::write(
            dir.path().join("src/part9-x.md"),
            "A. <!-- claim: part9_x::checked -->\nB. <!-- claim: part9_x::deleted -->\n",
        )
        .unwrap();
        fs::write(
            dir.path().join(test_file("part9_x")),
            "#[test]\nfn checked() {}\n#[test]\nfn unclaimed() {}\n",
        )
        .unwrap();
        let found = messages(&check(&Project::at(dir.path())).unwrap());
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0]
                .starts_with("src/part9-x.md:2: claim names part9_x::deleted"),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with(
                "tests/book/part9_x.rs:4: no claim marker names part9_x::unclaimed"
            ),
            "{found:#?}"
        );
    }
}
