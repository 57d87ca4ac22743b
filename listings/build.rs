//! Makes the library's variant stages. A variant is written as a small
//! diff of another stage, `src/<name>.diff` (unified format, as `diff -u`
//! writes it; its `---` line names the stage it changes, which may be a
//! variant itself), so that a fix to a stage reaches its variants too.
//! This applies each diff and writes the result for `lib.rs` to include:
//! the stage's `//!` docs to `<name>.md`, its code to `<name>.rs`.
//!
//! The book's assembler (`tools/preprocessor/src/assemble.rs`) applies
//! the same diffs, with the same crate, for the page.

use std::fs;
use std::path::Path;

fn main() {
    let src = Path::new("src");
    println!("cargo::rerun-if-changed=src");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for entry in fs::read_dir(src).expect("listings/src") {
        let path = entry.expect("listings/src").path();
        if path.extension().is_none_or(|ext| ext != "diff") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap();
        let text = variant(src, name);
        let (docs, code): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|line| line.starts_with("//!"));
        let docs: Vec<&str> = docs
            .iter()
            .map(|line| line.strip_prefix("//!").unwrap())
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect();
        let write = |file: String, lines: Vec<&str>| {
            let path = Path::new(&out).join(file);
            fs::write(&path, lines.join("\n") + "\n")
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        };
        write(format!("{name}.md"), docs);
        write(format!("{name}.rs"), code);
    }
}

/// The text of stage `name`: its file, or its diff applied to its base.
fn variant(src: &Path, name: &str) -> String {
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        return fs::read_to_string(&file).unwrap();
    }
    let diff_file = src.join(format!("{name}.diff"));
    let diff = fs::read_to_string(&diff_file)
        .unwrap_or_else(|e| panic!("reading {}: {e}", diff_file.display()));
    let patch = diffy::Patch::from_str(&diff)
        .unwrap_or_else(|e| panic!("{}: not a diff: {e}", diff_file.display()));
    let base = patch
        .original()
        .and_then(|base| base.strip_suffix(".rs"))
        .unwrap_or_else(|| {
            panic!("{}: no `--- <stage>.rs` line", diff_file.display())
        });
    diffy::apply(&variant(src, base), &patch).unwrap_or_else(|e| {
        panic!(
            "{} no longer applies to {base}.rs ({e}): change the diff with \
             the stage (see CONTRIBUTING.md, Add a stage)",
            diff_file.display()
        )
    })
}
