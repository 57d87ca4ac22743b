//! A program the page cannot run (its block has no Run button: `no_run`,
//! `noplayground`) must say how to run it locally, with the command that
//! really runs it: `cargo run -p listings --bin NAME`, NAME being the bin
//! `listings/Cargo.toml` builds from the included file. A `should_panic`
//! block keeps its Run button (an exercise's starter that stops at a
//! `todo!()`), unless it is `noplayground` too.

use std::path::Path;

use anyhow::Result;

use crate::includes::includes_in;
pub use crate::local_run::bins_by_source;
use crate::markdown::code_blocks;
use crate::project::normalize;
use crate::{Problem, Project};

/// Fence attributes that take the Run button away from a program.
const NOT_RUN_ON_THE_PAGE: [&str; 2] = ["no_run", "noplayground"];

pub fn check(project: &Project) -> Result<Vec<Problem>> {
    let bins = bins_by_source(project)?;
    let mut problems = Vec::new();
    for chapter in project.chapters()? {
        let text = project.read_chapter(&chapter)?;
        let chapter_dir = project.chapter_dir(&chapter);
        for block in code_blocks(&text) {
            let runs_elsewhere =
                NOT_RUN_ON_THE_PAGE.iter().any(|flag| block.has(flag));
            if !block.is_rust() || block.has("compile_fail") || !runs_elsewhere
            {
                continue;
            }
            for include in includes_in(&block.code) {
                let source = normalize(&chapter_dir.join(&include.path));
                let Some(bin) = bins.get(&source) else {
                    continue;
                };
                let command = format!("cargo run -p listings --bin {bin}");
                if !text.contains(&command) {
                    problems.push(Problem::new(
                        Path::new("src").join(&chapter),
                        block.line,
                        format!("no Run button here: tell the reader to run `{command}`"),
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
    use std::fs;

    #[test]
    fn a_block_without_run_button_names_its_command() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::create_dir_all(dir.path().join("listings/p")).unwrap();
        fs::write(
            dir.path().join("listings/Cargo.toml"),
            "[[bin]]\nname = \"p-slow\"\npath = \"p/slow.rs\"\n\n[[bin]]\nname = \"p-fast\"\npath = \"p/fast.rs\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("src/c.md"),
            "```rust,no_run\n{{#rustdoc_include ../listings/p/slow.rs}}\n```\n\n\
             ```rust,noplayground\n{{#rustdoc_include ../listings/p/fast.rs:a}}\n```\n\n\
             ```rust\n{{#rustdoc_include ../listings/p/slow.rs}}\n```\n\n\
             Run it with `cargo run -p listings --bin p-fast`.\n",
        )
        .unwrap();
        let found = messages(&check(&Project::at(dir.path())).unwrap());
        assert_eq!(
            found,
            [
                "src/c.md:1: no Run button here: tell the reader to run `cargo run -p listings --bin p-slow`"
            ]
        );
    }
}
