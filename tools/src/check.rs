//! `cargo book check CHAPTER`: everything about one chapter, each mistake
//! at the file and line to fix, in seconds.
//!
//! Without `--run` it checks what an edit usually breaks: the chapter's
//! includes and anchors, its claim markers in both directions (each names
//! a test of the chapter's test file, and each of those tests is named),
//! its reading limits (`reading.rs`: words, block lengths, no test-suite
//! talk),
//! on the book built afresh its links and their fragments, and what the
//! programs of its Run buttons print, held to the chapter's promise. With
//! `--run` it also runs what the chapter shows: its claim tests (with the
//! promised outputs), its code blocks, and `mdbook test` on the chapter.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::project::into_result;
use crate::search_index;
use crate::{
    Problem, Project, claims, includes, links, outputs, pinned, reading,
};

/// The chapter that `name` means: `part3-io`, `part3-io.md` or
/// `src/part3-io.md`, relative to `src/`.
pub fn chapter_named(project: &Project, name: &str) -> Result<PathBuf> {
    let name = name.strip_prefix("src/").unwrap_or(name);
    let file = Path::new(name).with_extension("md");
    let chapters = project.chapters()?;
    if chapters.contains(&file) {
        return Ok(file);
    }
    let known: Vec<String> = project
        .pages()?
        .iter()
        .map(|c| c.with_extension("").display().to_string())
        .collect();
    bail!("no chapter {name}: the chapters are {}", known.join(", "))
}

/// The problems an edit to `chapter` usually causes, found by `mdbook
/// build` (into `target/book-check`) and by running the programs of its
/// Run buttons (`outputs::check_page`).
pub fn prose(project: &Project, chapter: &Path) -> Result<Vec<Problem>> {
    let chapter_file = Path::new("src").join(chapter);
    let test_file = claims::test_file(&claims::test_file_stem(chapter));
    let text = project.read_chapter(chapter)?;
    let mut problems = includes::check_chapter(project, chapter, &text);
    // The claims are checked book-wide (a test may be named from one
    // chapter only), and kept where they concern this chapter.
    let ours = |problem: &Problem| {
        problem.file == chapter_file || problem.file == test_file
    };
    problems.extend(claims::check(project)?.into_iter().filter(ours));
    // Its length, its blocks' length, and no test-suite talk.
    let blocks = crate::rendered::rendered_code_blocks(project)?;
    problems.extend(reading::check_chapter(chapter, &text, &blocks));
    if !problems.is_empty() {
        // Links are checked on the built book, which these would break.
        return Ok(problems);
    }
    let dest = project.root.join("target/book-check");
    let mut mdbook = pinned::command(project, &pinned::MDBOOK)?;
    let output = mdbook
        .arg("build")
        .arg("--dest-dir")
        .arg(&dest)
        .env("RUST_BACKTRACE", "0")
        .output()
        .context("running mdbook build")?;
    let html = dest.join("html");
    if !output.status.success() && !html.is_dir() {
        bail!(
            "mdbook build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    search_index::rebuild(&html)?;
    problems.extend(links::check(project, &html)?.into_iter().filter(ours));
    // What its Run buttons print: a changed program, or a sample output
    // edited by hand, shows here in seconds.
    let page = html.join(chapter.with_extension("html"));
    problems.extend(outputs::check_page(project, &page)?);
    Ok(problems)
}

/// Checks `chapter`: its prose, and with `run` what it shows. Says what it
/// ran and how long each step took.
pub fn chapter(project: &Project, chapter: &Path, run: bool) -> Result<()> {
    let started = Instant::now();
    into_result(prose(project, chapter)?)?;
    eprintln!(
        "{}: includes, anchors, claim markers, reading limits, links and \
         Run buttons' outputs are right ({:.1?})",
        chapter.display(),
        started.elapsed()
    );
    if !run {
        return Ok(());
    }
    let stem = claims::test_file_stem(chapter);
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let mut steps: Vec<(String, Command)> = Vec::new();
    let test_file = claims::test_file(&stem);
    if project.root.join(&test_file).is_file() {
        let mut claims = Command::new(&cargo);
        claims.args([
            "test",
            "--quiet",
            "--test",
            "book",
            &format!("{stem}::"),
        ]);
        steps.push((format!("its claims ({})", test_file.display()), claims));
    }
    let mut blocks = Command::new(&cargo);
    // Code-block tests are named after the chapter and the fence's line.
    let filter = format!("chapters::{stem}_line_");
    blocks.args(["test", "--quiet", "--test", "book", "--"]);
    blocks.args(["--ignored", &filter]);
    steps.push(("its code blocks".into(), blocks));
    let wrapper_dir = crate::mdbook_test::prepare(project)?;
    let chapter_name = chapter.to_string_lossy().into_owned();
    let mdbook_test = crate::mdbook_test::command(
        project,
        &wrapper_dir,
        Some(&chapter_name),
    )?;
    steps.push(("mdbook test".into(), mdbook_test));
    for (what, mut command) in steps {
        let started = Instant::now();
        let status = command
            .current_dir(&project.root)
            .status()
            .with_context(|| format!("running {command:?}"))?;
        if !status.success() {
            bail!("{}: {what} failed (above)", chapter.display());
        }
        eprintln!(
            "{}: {what} pass ({:.1?})",
            chapter.display(),
            started.elapsed()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chapter_is_found_by_any_of_its_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/part3-io.md"), "# IO\n").unwrap();
        let project = Project::at(dir.path());
        for name in ["part3-io", "part3-io.md", "src/part3-io.md"] {
            assert_eq!(
                chapter_named(&project, name).unwrap(),
                Path::new("part3-io.md")
            );
        }
        let error = chapter_named(&project, "part9").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no chapter part9: the chapters are part3-io"
        );
    }
}
