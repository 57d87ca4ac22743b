//! The rule that keeps the runtime's growth visible: a stage of the
//! listings library that grows out of another differs from it only where
//! a chapter shows the change.
//!
//! A stage names its parent in its docs, on a line of its own:
//!
//! ```text
//! //! Parent stage: `sturdy`.
//! ```
//!
//! Every line the stage adds or rewrites (a minimal line diff from the
//! parent, anchor markers left out, as the page diffs them) must lie inside
//! one of the stage's anchors, and every line it drops must have been next
//! to one: the chapter includes every anchor (`includes.rs` checks that),
//! so every change is on a page, highlighted. The stage's own `//!` docs,
//! which say what it is, and blank lines may differ freely.

use std::path::Path;
use std::sync::LazyLock;

use anyhow::Result;
use regex::Regex;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::assemble::{
    ANCHOR_END, ANCHOR_MARKER, ANCHOR_START, LIBRARY_DIR, base_of,
    library_files, library_text, stage_file,
};

use crate::{Problem, Project};

static PARENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^//! Parent stage: `(\w+)`").unwrap());

/// A line of a stage, as the page shows it, and what surrounds it.
struct Shown {
    text: String,
    /// 1-based, in the file.
    number: usize,
    /// Inside at least one anchor.
    anchored: bool,
    /// Part of the `//!` docs at the top.
    header: bool,
}

/// The lines of a stage without anchor markers, each with where it is.
fn shown_lines(text: &str) -> Vec<Shown> {
    let mut open = 0usize;
    let mut header = true;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if ANCHOR_START.is_match(line) && !ANCHOR_END.is_match(line) {
            open += 1;
        }
        if ANCHOR_END.is_match(line) {
            open = open.saturating_sub(1);
        }
        if ANCHOR_MARKER.is_match(line) {
            continue;
        }
        header &= line.starts_with("//!");
        lines.push(Shown {
            text: line.to_owned(),
            number: index + 1,
            anchored: open > 0,
            header,
        });
    }
    lines
}

/// The parent a stage's docs name, if any.
pub fn parent_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| PARENT.captures(line).map(|cap| cap[1].to_owned()))
}

/// Problems with one stage (relative to the project root).
pub fn check_stage(project: &Project, stage: &Path) -> Result<Vec<Problem>> {
    let read =
        |file: &Path| library_text(project, file).map_err(anyhow::Error::msg);
    let text = read(stage)?;
    let Some(parent) = parent_of(&text) else {
        return Ok(Vec::new());
    };
    let parent_file = stage_file(project, &parent);
    let Ok(parent_text) = read(&parent_file) else {
        return Ok(vec![Problem::new(
            stage,
            1,
            format!(
                "names parent stage `{parent}`, but there is no {}",
                parent_file.display()
            ),
        )]);
    };
    let old = shown_lines(&parent_text);
    let new = shown_lines(&text);
    let old_text: Vec<&str> = old.iter().map(|l| l.text.as_str()).collect();
    let new_text: Vec<&str> = new.iter().map(|l| l.text.as_str()).collect();

    let mut problems = Vec::new();
    let mut report = |number: usize, what: &str, text: &str| {
        let message = format!(
            "{what} `{parent}` outside every anchor, where no chapter shows \
             it: {}",
            text.trim()
        );
        problems.push(at(stage, number, message));
    };
    for op in capture_diff_slices(Algorithm::Lcs, &old_text, &new_text) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => {
                for line in &new[new_index..new_index + new_len] {
                    // A blank line says nothing a chapter could show.
                    if !line.anchored
                        && !line.header
                        && !line.text.trim().is_empty()
                    {
                        report(line.number, "changes", &line.text);
                    }
                }
            }
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => {
                // Dropped between two lines of the stage: one of them
                // must be shown.
                let before = new_index.checked_sub(1).map(|i| &new[i]);
                let after = new.get(new_index);
                let shown = [before, after]
                    .into_iter()
                    .flatten()
                    .any(|line| line.anchored || line.header);
                if !shown {
                    let at = after.or(before).map_or(1, |line| line.number);
                    for line in &old[old_index..old_index + old_len] {
                        if !line.header && !line.text.trim().is_empty() {
                            report(at, "drops a line of", &line.text);
                        }
                    }
                }
            }
        }
    }
    Ok(problems)
}

/// Every stage of the library that names a parent, checked; and no
/// variant stage left open (`cargo book variant open`), which would make
/// the crate and the page differ from the diff that is committed.
pub fn check(project: &Project) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for file in library_files(project)? {
        if file.extension().is_some_and(|ext| ext == "diff")
            && project.root.join(file.with_extension("rs")).is_file()
        {
            let name = file.file_stem().unwrap_or_default().to_string_lossy();
            problems.push(Problem::new(
                file.with_extension("rs"),
                1,
                format!(
                    "the variant {name} is open: `cargo book variant close \
                     {name}` makes its diff again"
                ),
            ));
        }
        problems.extend(check_stage(project, &file)?);
    }
    Ok(problems)
}

/// A public item at the top of a file (`pub fn`, `pub struct`, ...), or a
/// public method of an `impl` at the top.
static PUBLIC_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:    )?pub (?:async )?(?:fn|struct|enum|trait|static|const|type) (\w+)",
    )
    .unwrap()
});

/// Every public item of every module of the library is named in one of
/// its doc examples, which `cargo test` runs: the API each stage offers
/// its programs is exercised, not just compiled. A variant stage is held
/// to it as its diff makes it.
pub fn check_examples(project: &Project) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for file in library_files(project)? {
        if file.ends_with("lib.rs") {
            continue;
        }
        let text = library_text(project, &file).map_err(anyhow::Error::msg)?;
        let mut examples = doc_examples(&text);
        examples.push_str(&declaration_examples(project, &file)?);
        // A variant's code is its base's but for its diff: the base's
        // examples exercise what it keeps.
        let mut base = base_of(project, &file);
        while let Some(file) = base {
            let text =
                library_text(project, &file).map_err(anyhow::Error::msg)?;
            examples.push_str(&doc_examples(&text));
            examples.push_str(&declaration_examples(project, &file)?);
            base = base_of(project, &file);
        }
        for (index, line) in text.lines().enumerate() {
            let Some(cap) = PUBLIC_ITEM.captures(line) else {
                continue;
            };
            let name = Regex::new(&format!(r"\b{}\b", &cap[1])).unwrap();
            if !name.is_match(&examples) {
                let message = format!("`{}` is in no doc example", &cap[1]);
                problems.push(at(&file, index + 1, message));
            }
        }
    }
    Ok(problems)
}

/// A problem at line `number` of a library file's text. A variant's
/// lines are those of the stage its diff makes, which the diff itself
/// does not number: the problem names the diff and that line.
fn at(file: &Path, number: usize, message: String) -> Problem {
    if file.extension().is_some_and(|ext| ext == "diff") {
        let message = format!("line {number} of the stage it makes: {message}");
        Problem::new(file, 1, message)
    } else {
        Problem::new(file, number, message)
    }
}

/// The examples of the doc comment on a top-level module's declaration in
/// `lib.rs` (`/// ...` above `pub mod sturdy;`), where a stage whose own
/// header is the context of its variants' diffs keeps them.
fn declaration_examples(project: &Project, file: &Path) -> Result<String> {
    let Some(name) = file.file_stem().and_then(|n| n.to_str()) else {
        return Ok(String::new());
    };
    if file.parent() != Some(Path::new(LIBRARY_DIR)) {
        return Ok(String::new());
    }
    let lib = project.root.join(LIBRARY_DIR).join("lib.rs");
    let lib = std::fs::read_to_string(lib).unwrap_or_default();
    let lines: Vec<&str> = lib.lines().collect();
    let declaration = format!("pub mod {name}");
    let Some(at) = lines.iter().position(|line| {
        line.strip_prefix(&declaration)
            .is_some_and(|rest| rest == ";" || rest == " {")
    }) else {
        return Ok(String::new());
    };
    let first = lines[..at]
        .iter()
        .rposition(|line| {
            !line.trim_start().starts_with("///") && !line.starts_with("#[")
        })
        .map_or(0, |i| i + 1);
    Ok(doc_examples(&lines[first..at].join("\n")))
}

/// The code of the examples in `text`'s doc comments.
fn doc_examples(text: &str) -> String {
    let mut code = String::new();
    let mut in_example = false;
    for line in text.lines() {
        let line = line.trim_start();
        let Some(doc) = line
            .strip_prefix("//!")
            .or_else(|| line.strip_prefix("///"))
        else {
            continue;
        };
        if doc.trim_start().starts_with("```") {
            in_example = !in_example;
        } else if in_example {
            code.push_str(doc);
            code.push('\n');
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::project::messages;

    fn project(parent: &str, child: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join(LIBRARY_DIR);
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("one.rs"), parent).unwrap();
        fs::write(src.join("two.rs"), child).unwrap();
        let project = Project::at(dir.path());
        (dir, project)
    }

    const ONE: &str = "//! One.\n\nfn a() {}\n\nfn b() {}\n\nfn c() {}\n";

    fn problems(child: &str) -> Vec<String> {
        let (_dir, project) = project(ONE, child);
        messages(&check(&project).unwrap())
    }

    #[test]
    fn a_change_inside_an_anchor_is_allowed() {
        let child = "//! Two: one, grown.\n//! Parent stage: `one`.\n\n\
                     fn a() {}\n\n// ANCHOR: b\nfn b() { c(); }\n\
                     // ANCHOR_END: b\n\nfn c() {}\n";
        assert_eq!(problems(child), [] as [String; 0]);
    }

    #[test]
    fn a_change_outside_every_anchor_is_reported_at_its_line() {
        let child = "//! Two.\n//! Parent stage: `one`.\n\nfn a() { b(); }\n\n\
                     fn b() {}\n\nfn c() {}\n";
        assert_eq!(
            problems(child),
            [
                "listings/src/two.rs:4: changes `one` outside every anchor, \
              where no chapter shows it: fn a() { b(); }"
            ]
        );
    }

    #[test]
    fn a_line_dropped_far_from_every_anchor_is_reported() {
        let child = "//! Two.\n//! Parent stage: `one`.\n\nfn a() {}\n\n\
                     fn c() {}\n";
        let found = problems(child);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("drops a line of `one`"), "{found:?}");
    }

    #[test]
    fn a_blank_line_outside_every_anchor_is_no_change() {
        let child = "//! Two.\n//! Parent stage: `one`.\n\nfn a() {}\n\n\n\
                     fn b() {}\n\nfn c() {}\n";
        assert_eq!(problems(child), [] as [String; 0]);
    }

    #[test]
    fn a_variant_is_a_diff_checked_as_applied() {
        let (dir, project) = project(ONE, "");
        let src = dir.path().join(LIBRARY_DIR);
        fs::remove_file(src.join("two.rs")).unwrap();
        // `one` with `fn b` changed outside every anchor.
        let diff = "--- one.rs\n+++ two.rs\n@@ -1,5 +1,6 @@\n-//! One.\n\
                    +//! Two.\n+//! Parent stage: `one`.\n \n fn a() {}\n \n\
                    -fn b() {}\n+fn b() { a(); }\n";
        fs::write(src.join("two.diff"), diff).unwrap();
        assert_eq!(
            messages(&check(&project).unwrap()),
            ["listings/src/two.diff:1: line 6 of the stage it makes: \
                 changes `one` outside every anchor, where no chapter shows \
                 it: fn b() { a(); }"]
        );
        // Open, it is reported until it is closed.
        crate::assemble::open_variant(&project, "two").unwrap();
        assert!(messages(&check(&project).unwrap())[0].contains("is open"));
        crate::assemble::close_variant(&project, "two").unwrap();
        assert_eq!(messages(&check(&project).unwrap()).len(), 1);
    }

    #[test]
    fn a_public_item_needs_a_doc_example_that_names_it() {
        let one = "//! One.\n//!\n//! ```\n//! a();\n//! ```\n\npub fn a() {}\n\
                   pub fn b() {}\n";
        let (_dir, project) = project(one, "//! Two.\n");
        assert_eq!(
            messages(&check_examples(&project).unwrap()),
            ["listings/src/one.rs:8: `b` is in no doc example"]
        );
    }

    #[test]
    fn a_stage_without_a_parent_is_not_checked() {
        assert_eq!(problems("fn z() {}\n"), [] as [String; 0]);
    }
}
