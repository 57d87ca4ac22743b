//! Turns every Rust code block of the book, exactly as mdBook renders it
//! (includes expanded, hidden lines in), into a `cargo test` test:
//!
//! - blocks that should compile go to skeptic, one Markdown file per
//!   block, padded so that skeptic names each test after the chapter and
//!   the line of its fence (`part3_io_line_120` is `src/part3-io.md:120`).
//!   They are generated `ignore`d: `tests/book/chapters.rs` runs each chapter's
//!   blocks in a process of its own (see there), and lists the chapters
//!   and their block counts from `chapter-blocks.rs`;
//! - `compile_fail` blocks become tests that the program fails with the
//!   error code the block names.
//!
//! `tests/book/chapters.rs` includes both generated files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use book_tools::Project;
use book_tools::rendered::{RenderedBlock, rendered_code_blocks};

fn main() {
    for input in ["book.toml", "src", "listings"] {
        println!("cargo::rerun-if-changed={input}");
    }
    let project = Project::at(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));

    let blocks = rendered_code_blocks(&project).unwrap_or_else(|error| {
        // Cargo shows a failing build script's stderr: the problems with
        // their chapter lines.
        eprintln!("{error:#}");
        panic!("the book's code blocks could not be read (see above)");
    });

    let mut skeptic_inputs = Vec::new();
    let mut compile_fail_tests = String::new();
    let mut blocks_per_chapter = BTreeMap::<String, usize>::new();
    for rendered in blocks.iter().filter(|r| r.block.is_rust()) {
        if rendered.block.has("compile_fail") {
            compile_fail_tests.push_str(&compile_fail_test(rendered));
        } else if !rendered.block.has("ignore") {
            skeptic_inputs.push(skeptic_input(&out_dir, rendered));
            *blocks_per_chapter.entry(test_stem(rendered)).or_default() += 1;
        }
    }
    write_if_changed(
        &out_dir.join("compile-fail-tests.rs"),
        &compile_fail_tests,
    );
    write_if_changed(
        &out_dir.join("chapter-blocks.rs"),
        &format!(
            "/// Each chapter's test name prefix and its number of blocks.\n\
             const CHAPTER_BLOCKS: &[(&str, usize)] = &{:?};\n",
            Vec::from_iter(blocks_per_chapter)
        ),
    );
    if skeptic_inputs.is_empty() {
        // skeptic writes nothing for no input; the test file includes this.
        write_if_changed(&out_dir.join("skeptic-tests.rs"), "");
    } else {
        skeptic::generate_doc_tests(&skeptic_inputs);
    }
}

/// Writes one block where skeptic will name its test after the chapter and
/// the fence's line: skeptic names a test `<file stem>_line_<N>`, N being
/// the 0-based line where the code starts, one past the fence.
fn skeptic_input(out_dir: &Path, rendered: &RenderedBlock) -> PathBuf {
    let block = &rendered.block;
    let chapter = rendered.chapter.with_extension("");
    let stem = chapter.to_string_lossy().replace('/', "_");
    let path = out_dir
        .join("blocks")
        .join(&stem)
        .join(block.line.to_string())
        .join(format!("{stem}.md"));
    let padding = "\n".repeat(block.line - 1);
    let markdown =
        format!("{padding}```{},ignore\n{}```\n", block.info, block.code);
    write_if_changed(&path, &markdown);
    path
}

/// The name skeptic gives the chapter's tests, before `_line_N`: the
/// chapter's file stem, lowercase, non-alphanumerics as `_`.
fn test_stem(rendered: &RenderedBlock) -> String {
    let chapter = rendered.chapter.with_extension("");
    chapter
        .to_string_lossy()
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn compile_fail_test(rendered: &RenderedBlock) -> String {
    let block = &rendered.block;
    let codes = block.error_codes();
    if codes.is_empty() {
        panic!(
            "{}: a compile_fail block must name the error code the prose \
             promises, e.g. ```rust,compile_fail,E0373",
            rendered.location()
        );
    }
    let chapter = rendered.chapter.with_extension("");
    let name = format!(
        "{}_line_{}_fails_with_{}",
        chapter.to_string_lossy().replace(['/', '-'], "_"),
        block.line,
        codes.join("_").to_lowercase()
    );
    let mut test = String::new();
    writeln!(test, "#[test]\nfn {name}() {{").unwrap();
    writeln!(
        test,
        "    compile_fail::expect({:?}, &{:?}, {:?});\n}}\n",
        rendered.location(),
        codes,
        block.program()
    )
    .unwrap();
    test
}

/// Leaves unchanged files alone: cargo reruns this script when an input
/// it names (including these generated ones) gets a newer timestamp.
fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}
