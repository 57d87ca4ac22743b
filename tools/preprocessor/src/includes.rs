//! The check mdBook does not make: every `{{#include}}` and
//! `{{#rustdoc_include}}` must name a file that exists and, if it names an
//! anchor, an anchor that exists in that file.
//!
//! mdBook 0.5 only logs a missing file (and leaves the directive on the
//! page) and silently includes the whole file, or nothing, for a missing
//! anchor. This module finds both, with the chapter line to fix, and
//! `preprocessor.rs` makes every `mdbook build` fail on them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Result;
use regex::Regex;

use crate::assemble::{
    ANCHOR_END, ANCHOR_START, LIBRARY_DIR, assemble, library_files,
    library_text, source_of,
};
use crate::markdown::LineIndex;
use crate::project::normalize;
use crate::{Problem, Project};

/// mdBook's link syntax: `{{#kind target properties}}`, where a backslash
/// before the braces escapes it.
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\\{\{#.*\}\}|\{\{\s*#([a-zA-Z0-9_]+)\s+([^}]+)\}\}").unwrap()
});

/// One include directive in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub line: usize,
    pub kind: String,
    /// The file, relative to the chapter's directory as written.
    pub path: String,
    /// What follows the first `:`: an anchor name or a line range.
    pub selector: Option<String>,
}

/// `text` without its include directives: for a renderer that reads only
/// a chapter's links (mdbook-linkcheck2), which need no program assembled.
pub fn without_includes(text: &str) -> String {
    DIRECTIVE
        .replace_all(text, |cap: &regex::Captures| {
            match cap.get(1).map(|kind| kind.as_str()) {
                Some("include" | "rustdoc_include" | "playground") => "",
                _ => cap.get(0).map_or("", |all| all.as_str()),
            }
            .to_owned()
        })
        .into_owned()
}

pub fn includes_in(text: &str) -> Vec<Include> {
    let lines = LineIndex::new(text);
    DIRECTIVE
        .captures_iter(text)
        .filter_map(|cap| {
            let kind = cap.get(1)?.as_str();
            if !matches!(kind, "include" | "rustdoc_include" | "playground") {
                return None;
            }
            let target = cap[2].split_whitespace().next()?;
            let (path, selector) = match target.split_once(':') {
                Some((path, selector)) => (path, Some(selector.to_owned())),
                None => (target, None),
            };
            Some(Include {
                line: lines.line_of(cap.get(0)?.start()),
                kind: kind.to_owned(),
                path: path.to_owned(),
                selector,
            })
        })
        .collect()
}

/// Problems with the includes of one chapter (`chapter` relative to `src/`).
pub fn check_chapter(
    project: &Project,
    chapter: &Path,
    text: &str,
) -> Vec<Problem> {
    let chapter_file = Path::new("src").join(chapter);
    let chapter_dir = project
        .src_dir()
        .join(chapter)
        .parent()
        .unwrap()
        .to_path_buf();
    let mut problems = Vec::new();
    for include in includes_in(text) {
        let at = |message: String| {
            Problem::new(&chapter_file, include.line, message)
        };
        let target = chapter_dir.join(&include.path);
        if let Some(program) = program_path(project, &target) {
            match (assemble(project, &program), include.selector.as_deref()) {
                (Err(problem), _) => problems.push(at(problem.to_string())),
                (Ok(program), Some(anchor)) if !is_line_range(anchor) => {
                    if let Err(why) = program.anchored(anchor) {
                        problems.push(at(why));
                    }
                }
                (Ok(_), _) => {}
            }
            if include
                .selector
                .as_deref()
                .is_none_or(|s| !is_line_range(s))
            {
                continue;
            }
        }
        let Ok(contents) = fs::read_to_string(&target) else {
            problems.push(at(format!(
                "{{{{#{}}}}} names {}, which does not exist",
                include.kind, include.path
            )));
            continue;
        };
        match include.selector.as_deref() {
            None => {}
            Some(selector) if is_line_range(selector) => {
                problems.push(at(format!(
                    "{{{{#{}}}}} selects lines by number ({}:{selector}); \
                     use an anchor instead, line numbers drift",
                    include.kind, include.path
                )));
            }
            Some(anchor) => {
                if let Err(why) = anchored_region(&contents, anchor) {
                    problems.push(at(format!("{}: {why}", include.path)));
                }
            }
        }
    }
    problems
}

/// `10:20`, `:20` or `10`: lines by number rather than by anchor.
fn is_line_range(selector: &str) -> bool {
    selector.starts_with(|c: char| c.is_ascii_digit() || c == ':')
}

/// A program of `listings/` that `target` (as a chapter names it) is,
/// relative to the project root; `None` for any other file.
pub(crate) fn program_path(
    project: &Project,
    target: &Path,
) -> Option<PathBuf> {
    let file = normalize(target);
    let root = normalize(&project.root);
    let file = file.strip_prefix(&root).unwrap_or(&file);
    let is_program = file.starts_with("listings")
        && file.extension().is_some_and(|ext| ext == "rs")
        && source_of(project, file).is_some();
    is_program.then(|| file.to_path_buf())
}

/// Checks that `anchor` opens and closes in `contents` around at least one
/// line, the way mdBook will cut it out.
fn anchored_region(contents: &str, anchor: &str) -> Result<(), String> {
    let names = |regex: &Regex, line: &str| -> bool {
        regex.captures_iter(line).any(|cap| &cap[1] == anchor)
    };
    let start = contents.lines().position(|line| names(&ANCHOR_START, line));
    let Some(start) = start else {
        return Err(format!("no `ANCHOR: {anchor}` in this file"));
    };
    let end = contents
        .lines()
        .skip(start + 1)
        .position(|line| names(&ANCHOR_END, line));
    match end {
        None => Err(format!(
            "`ANCHOR: {anchor}` is never closed by `ANCHOR_END: {anchor}`"
        )),
        Some(0) => Err(format!("anchor `{anchor}` is empty")),
        Some(_) => Ok(()),
    }
}

/// Every chapter's include problems.
pub fn check_book(project: &Project) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for chapter in project.chapters()? {
        let text = project.read_chapter(&chapter)?;
        problems.extend(check_chapter(project, &chapter, &text));
    }
    Ok(problems)
}

/// Listing files and anchors that no chapter includes: code the book
/// carries but never shows has nothing keeping it honest.
pub fn check_everything_is_shown(project: &Project) -> Result<Vec<Problem>> {
    let mut used_files = BTreeSet::new();
    let mut used_anchors = BTreeSet::new();
    for chapter in project.chapters()? {
        let chapter_dir = project.chapter_dir(&chapter);
        for include in includes_in(&project.read_chapter(&chapter)?) {
            let target = chapter_dir.join(&include.path);
            let file = normalize(&target);
            let program = program_path(project, &target)
                .and_then(|program| assemble(project, &program).ok());
            // A program shows the library modules it is assembled with,
            // and an anchor in one of them is shown where it lies.
            if let Some(program) = &program {
                let shown = program.files.iter().chain(&program.parts);
                used_files.extend(shown.map(|f| project.root.join(f)));
            }
            if let Some(anchor) = include.selector {
                let lies_in = program
                    .as_ref()
                    .and_then(|p| {
                        p.anchored(&anchor)
                            .ok()
                            .map(|(s, _)| p.lines[s - 1].file.clone())
                    })
                    .flatten()
                    .map_or(file.clone(), |f| project.root.join(f));
                used_anchors.insert((lies_in, anchor));
            }
            used_files.insert(file);
        }
    }
    let mut problems = Vec::new();
    // The library's root only lists its modules, which the book shows,
    // and the build script only applies the variants' diffs.
    let plumbing = [
        Path::new(LIBRARY_DIR).join("lib.rs"),
        PathBuf::from("listings/build.rs"),
    ];
    let mut sources = project.listing_sources()?;
    // The library's variant stages, which are diffs of other stages.
    sources.extend(
        library_files(project)?
            .into_iter()
            .filter(|file| file.extension().is_some_and(|ext| ext == "diff")),
    );
    for source in sources {
        if plumbing.contains(&source) {
            continue;
        }
        let absolute = project.root.join(&source);
        if !used_files.contains(&absolute) {
            problems.push(Problem::new(
                &source,
                1,
                "no chapter includes this listing",
            ));
            continue;
        }
        let contents =
            library_text(project, &source).map_err(anyhow::Error::msg)?;
        for (index, line) in contents.lines().enumerate() {
            for cap in ANCHOR_START.captures_iter(line) {
                let anchor = cap[1].to_owned();
                if !used_anchors.contains(&(absolute.clone(), anchor.clone())) {
                    problems.push(Problem::new(
                        &source,
                        index + 1,
                        format!("no chapter includes anchor `{anchor}`"),
                    ));
                }
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::messages;

    fn project_with(listing: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::create_dir_all(dir.path().join("listings")).unwrap();
        fs::write(dir.path().join("listings/prog.rs"), listing).unwrap();
        let project = Project::at(dir.path());
        (dir, project)
    }

    const LISTING: &str = "// ANCHOR: all\nfn main() {}\n// ANCHOR_END: all\n";

    #[test]
    fn a_missing_file_is_reported_at_its_line() {
        let (_dir, project) = project_with(LISTING);
        let text = "# Chapter\n\n```rust\n{{#rustdoc_include ../listings/gone.rs:all}}\n```\n";
        let problems = check_chapter(&project, Path::new("ch.md"), text);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "src/ch.md:4: {{#rustdoc_include}} names ../listings/gone.rs, which does not exist"
        );
    }

    #[test]
    fn a_missing_anchor_is_reported_at_its_line() {
        let (_dir, project) = project_with(LISTING);
        let text = "\n```rust\n{{#include ../listings/prog.rs:renamed}}\n```\n";
        let problems = check_chapter(&project, Path::new("ch.md"), text);
        assert_eq!(
            problems[0].to_string(),
            "src/ch.md:3: no `ANCHOR: renamed` in listings/prog.rs"
        );
    }

    #[test]
    fn line_ranges_are_refused_and_good_anchors_pass() {
        let (_dir, project) = project_with(LISTING);
        let text = "{{#include ../listings/prog.rs:2:3}}\n{{#include ../listings/prog.rs:all}}\n\\{{#include escaped.rs}}\n";
        let problems = check_chapter(&project, Path::new("ch.md"), text);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("line numbers drift"),
            "{problems:?}"
        );
    }

    #[test]
    fn unclosed_and_empty_anchors_are_reported() {
        assert!(
            anchored_region("// ANCHOR: a\nx\n", "a")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(
            anchored_region("// ANCHOR: a\n// ANCHOR_END: a\n", "a")
                .unwrap_err()
                .contains("empty")
        );
        // A name that only starts the same way is a different anchor.
        assert!(
            anchored_region("// ANCHOR: ab\nx\n// ANCHOR_END: ab\n", "a")
                .is_err()
        );
    }

    #[test]
    fn unused_files_and_anchors_are_reported() {
        let (dir, project) = project_with(
            "// ANCHOR: shown\nfn main() {}\n// ANCHOR_END: shown\n// ANCHOR: hidden\n// ANCHOR_END: hidden\n",
        );
        fs::write(dir.path().join("listings/orphan.rs"), "fn main() {}\n")
            .unwrap();
        fs::write(
            dir.path().join("src/ch.md"),
            "{{#include ../listings/prog.rs:shown}}\n",
        )
        .unwrap();
        let found = messages(&check_everything_is_shown(&project).unwrap());
        assert_eq!(
            found,
            [
                "listings/orphan.rs:1: no chapter includes this listing",
                "listings/prog.rs:4: no chapter includes anchor `hidden`",
            ]
        );
    }

    #[test]
    fn a_chapter_for_the_link_checker_keeps_its_links_only() {
        let chapter = "See [Part 2](part2.md).\n\n```rust\n\
                       {{#rustdoc_include ../listings/p/a.rs:main}}\n```\n\
                       \\{{#include kept.rs}}\n";
        assert_eq!(
            without_includes(chapter),
            "See [Part 2](part2.md).\n\n```rust\n\n```\n\\{{#include kept.rs}}\n"
        );
    }
}
