//! The one assembler: turns a program of `listings/` into the single
//! self-contained file that everything else uses: the page (what it shows
//! and hides), the Run button, the Playground link, skeptic, `mdbook test`
//! and `cargo book assemble`.
//!
//! A program names the modules of the listings library it runs on with
//! ordinary paths, `use listings::sturdy::{block_on, spawn};`, and holds
//! only its own code. The assembler appends the library's modules it names
//! (and the modules those name with a top-level `use super::NAME`) inside
//! one `mod listings { ... }`, so that the program's own `use` lines mean
//! the same thing in the one file as they do in the crate.
//!
//! Every line of the result remembers the file and line it came from, so
//! that a chapter's anchor can point into a module as well as into the
//! program, and a problem names the line to fix.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::includes::{ANCHOR_END, ANCHOR_START};
use crate::{Problem, Project};

/// The library's modules live here, one file each (`sturdy.rs`).
pub const LIBRARY_DIR: &str = "listings/src";

/// A program's use of a library module: `listings::sturdy`.
static LIBRARY_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\blistings::(\w+)").unwrap());

/// A module's use of a sibling, at the top level of its file:
/// `use super::ident::{...};`.
static SIBLING_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^use super::(\w+)").unwrap());

/// mdBook's anchor markers, which never reach the reader.
pub(crate) static ANCHOR_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR(_END)?:\s*[\w-]+").unwrap());

/// One line of an assembled program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// The file it comes from, relative to the project root; `None` for
    /// the lines the assembler writes around the modules.
    pub file: Option<PathBuf>,
    /// 1-based, in `file`.
    pub number: usize,
}

/// A program and the library modules it runs on, as one file.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The program's file, relative to the project root.
    pub program: PathBuf,
    /// The library's top-level modules inlined, in the order they appear,
    /// by name.
    pub modules: Vec<String>,
    /// The library files inlined, relative to the project root.
    pub files: Vec<PathBuf>,
    pub lines: Vec<Line>,
}

/// Whether `file` (relative to the project root) is a module of the
/// library rather than a program.
pub fn is_library_module(file: &Path) -> bool {
    file.starts_with(LIBRARY_DIR)
}

/// The file of library module `name`, relative to the project root.
pub fn module_file(name: &str) -> PathBuf {
    Path::new(LIBRARY_DIR).join(name).with_extension("rs")
}

/// Assembles `program` (relative to the project root).
pub fn assemble(
    project: &Project,
    program: &Path,
) -> Result<Assembled, Problem> {
    let text = read(project, program, None)?;
    let mut lines = numbered(&text, program);
    let library = Library::read(project)?;

    // The modules the program names, then the ones those name, each once,
    // a module after every module that names it.
    let mut modules: Vec<String> = Vec::new();
    let mut queue: Vec<(String, PathBuf, usize)> = uses(&LIBRARY_PATH, &text)
        .map(|(name, line)| (name, program.to_path_buf(), line))
        .collect();
    let mut bodies = Vec::new();
    let mut files = Vec::new();
    while !queue.is_empty() {
        let (name, named_in, line) = queue.remove(0);
        if modules.contains(&name) {
            continue;
        }
        let body = library.module(project, &name, (&named_in, line))?;
        queue.extend(body.uses.iter().cloned());
        files.extend(body.files.iter().cloned());
        modules.push(name);
        bodies.push(body.lines);
    }
    if modules.is_empty() {
        return Ok(Assembled {
            program: program.to_path_buf(),
            modules,
            files,
            lines,
        });
    }

    let mut names = files.clone();
    names.sort();
    lines.push(generated(""));
    lines.push(generated(
        "// The listings library, as much of it as this program uses:",
    ));
    for file in names {
        lines.push(generated(&format!("// {}", file.display())));
    }
    lines.push(generated("#[allow(dead_code)]"));
    lines.push(generated("mod listings {"));
    for (index, body) in bodies.into_iter().enumerate() {
        if index > 0 {
            lines.push(generated(""));
        }
        lines.extend(body);
    }
    lines.push(generated("}"));
    Ok(Assembled {
        program: program.to_path_buf(),
        modules,
        files,
        lines,
    })
}

/// A line the assembler writes itself.
fn generated(text: &str) -> Line {
    Line {
        text: text.to_owned(),
        file: None,
        number: 0,
    }
}

/// The library's root, `lib.rs`, which declares the top-level modules:
/// `pub mod sturdy;` for the file `sturdy.rs`, or, for a module that
/// gathers files of a folder on a stage of the runtime's choosing, an
/// inline module:
///
/// ```text
/// pub mod ident {
///     pub use super::sturdy as runtime;
///     pub mod server;                  // ident/server.rs
/// }
///
/// #[path = "ident"]                    // the same files
/// pub mod tuned_ident {
///     pub use super::tuned as runtime;
///     pub mod server;                  // ident/server.rs
/// }
/// ```
struct Library {
    /// `lib.rs`, relative to the project root.
    file: PathBuf,
    lines: Vec<String>,
}

/// A module of the library, ready to inline.
struct Body {
    /// Its text, wrapped in `pub mod NAME { ... }`.
    lines: Vec<Line>,
    /// The library files it is made of.
    files: Vec<PathBuf>,
    /// The top-level modules it names, with the place that names them.
    uses: Vec<(String, PathBuf, usize)>,
}

/// `#[path = "FILE"]` on a line of its own.
static PATH_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*#\[path\s*=\s*"([^"]+)"\]\s*$"#).unwrap()
});

/// `pub mod NAME;` on a line of its own, and its indentation.
static FILE_MODULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\s*)pub mod (\w+);\s*$").unwrap());

/// An inline module's `pub use super::NAME as ...;`.
static RUNTIME_CHOICE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*pub use super::(\w+)").unwrap());

impl Library {
    fn read(project: &Project) -> Result<Library, Problem> {
        let file = Path::new(LIBRARY_DIR).join("lib.rs");
        // A project without a library root has file modules only.
        let text =
            fs::read_to_string(project.root.join(&file)).unwrap_or_default();
        Ok(Library {
            file,
            lines: text.lines().map(str::to_owned).collect(),
        })
    }

    /// The 0-based range of lines of the inline module `name` in `lib.rs`,
    /// its doc comment and attributes included.
    fn inline(&self, name: &str) -> Option<(usize, usize)> {
        let opening = format!("pub mod {name} {{");
        let open = self.lines.iter().position(|line| *line == opening)?;
        let close = (open..self.lines.len()).find(|&i| self.lines[i] == "}")?;
        let mut first = open;
        while first > 0 {
            let above = self.lines[first - 1].trim_start();
            if !(above.starts_with("///") || above.starts_with("#[")) {
                break;
            }
            first -= 1;
        }
        Some((first, close))
    }

    fn module(
        &self,
        project: &Project,
        name: &str,
        named_at: (&Path, usize),
    ) -> Result<Body, Problem> {
        let Some((first, last)) = self.inline(name) else {
            let file = module_file(name);
            let text = read(project, &file, Some(named_at))?;
            let mut lines = vec![generated(&format!("    pub mod {name} {{"))];
            // Not indented: an excerpt of a module reads as it does in its
            // file, and a line inside a multi-line string keeps its text.
            lines.extend(numbered(&text, &file));
            lines.push(generated("    }"));
            let uses = uses(&SIBLING_PATH, &text)
                .map(|(sibling, line)| (sibling, file.clone(), line))
                .collect();
            return Ok(Body {
                lines,
                files: vec![file],
                uses,
            });
        };

        // Its files are in the folder of its name, or the folder that a
        // `#[path]` on the module names; the attribute itself has no use
        // once they are inlined.
        let mut folder = Path::new(LIBRARY_DIR).join(name);
        let mut body = Body {
            lines: Vec::new(),
            files: Vec::new(),
            uses: Vec::new(),
        };
        let mut path = None;
        for index in first..=last {
            let text = &self.lines[index];
            if !text.starts_with(' ')
                && let Some(cap) = PATH_ATTRIBUTE.captures(text)
            {
                folder = Path::new(LIBRARY_DIR).join(&cap[1]);
                continue;
            }
            let here = Line {
                text: text.clone(),
                file: Some(self.file.clone()),
                number: index + 1,
            };
            if let Some(cap) = RUNTIME_CHOICE.captures(text) {
                body.uses.push((
                    cap[1].to_owned(),
                    self.file.clone(),
                    index + 1,
                ));
            }
            if let Some(cap) = PATH_ATTRIBUTE.captures(text) {
                path = Some(cap[1].to_owned());
                continue;
            }
            let Some(cap) = FILE_MODULE.captures(text) else {
                body.lines.push(here);
                continue;
            };
            let (indent, inner) = (&cap[1], &cap[2]);
            let relative = path.take().unwrap_or(format!("{inner}.rs"));
            let file = crate::includes::normalize(&folder.join(relative));
            let text = read(project, &file, Some((&self.file, index + 1)))?;
            body.lines
                .push(generated(&format!("{indent}pub mod {inner} {{")));
            body.lines.extend(numbered(&text, &file));
            body.lines.push(generated(&format!("{indent}}}")));
            body.files.push(file);
        }
        Ok(body)
    }
}

impl Assembled {
    /// The whole program, anchor markers left out: what `cargo book
    /// assemble` writes and what a reader copies.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in self.lines.iter().filter(|l| !is_marker(&l.text)) {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }

    /// The index range of the lines between `ANCHOR: anchor` and its
    /// `ANCHOR_END`, wherever they are: in the program or in a module.
    pub fn anchored(&self, anchor: &str) -> Result<(usize, usize), String> {
        let names = |regex: &Regex, line: &Line| {
            regex.captures_iter(&line.text).any(|cap| &cap[1] == anchor)
        };
        let starts: Vec<usize> = (0..self.lines.len())
            .filter(|&i| names(&ANCHOR_START, &self.lines[i]))
            .collect();
        let start = match starts.as_slice() {
            [] => {
                let files = self.files().join(" or ");
                return Err(format!("no `ANCHOR: {anchor}` in {files}"));
            }
            [start] => *start,
            [..] => {
                let places: Vec<String> =
                    starts.iter().map(|&i| self.place(i)).collect();
                return Err(format!(
                    "`ANCHOR: {anchor}` is in this program {} times ({}); \
                     rename one",
                    places.len(),
                    places.join(", ")
                ));
            }
        };
        let end = (start + 1..self.lines.len())
            .find(|&i| names(&ANCHOR_END, &self.lines[i]))
            .filter(|&end| self.lines[end].file == self.lines[start].file);
        match end {
            None => Err(format!(
                "`ANCHOR: {anchor}` at {} is never closed by \
                 `ANCHOR_END: {anchor}`",
                self.place(start)
            )),
            Some(end) if end == start + 1 => Err(format!(
                "anchor `{anchor}` at {} is empty",
                self.place(start)
            )),
            Some(end) => Ok((start + 1, end)),
        }
    }

    /// The block's lines as `{{#rustdoc_include file:anchor}}` renders
    /// them: the anchored lines shown, every other line hidden behind
    /// `# `, anchor markers left out. Without an anchor, all shown.
    pub fn with_hidden_lines(
        &self,
        anchor: Option<&str>,
    ) -> Result<String, String> {
        let (start, end) = match anchor {
            Some(anchor) => self.anchored(anchor)?,
            None => (0, self.lines.len()),
        };
        let mut out = String::new();
        for (index, line) in self.lines.iter().enumerate() {
            if is_marker(&line.text) {
                continue;
            }
            if (start..end).contains(&index) {
                let _ = writeln!(out, "{}", line.text);
            } else {
                let _ = writeln!(out, "# {}", line.text);
            }
        }
        Ok(out)
    }

    /// Only the anchored lines, markers left out: an excerpt.
    pub fn excerpt(&self, anchor: &str) -> Result<Vec<String>, String> {
        let (start, end) = self.anchored(anchor)?;
        Ok(self.lines[start..end]
            .iter()
            .filter(|l| !is_marker(&l.text))
            .map(|l| l.text.clone())
            .collect())
    }

    /// Every line without anchor markers, as the page's code holds them.
    pub fn unmarked_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| !is_marker(&l.text))
            .map(|l| l.text.clone())
            .collect()
    }

    /// The files the program is made of.
    fn files(&self) -> Vec<String> {
        let mut files = vec![self.program.display().to_string()];
        files.extend(self.files.iter().map(|f| f.display().to_string()));
        files
    }

    /// `listings/src/sturdy.rs:12`, for the line at `index`.
    fn place(&self, index: usize) -> String {
        let line = &self.lines[index];
        match &line.file {
            Some(file) => format!("{}:{}", file.display(), line.number),
            None => self.program.display().to_string(),
        }
    }
}

fn is_marker(text: &str) -> bool {
    ANCHOR_MARKER.is_match(text)
}

fn numbered(text: &str, file: &Path) -> Vec<Line> {
    text.lines()
        .enumerate()
        .map(|(index, line)| Line {
            text: line.to_owned(),
            file: Some(file.to_path_buf()),
            number: index + 1,
        })
        .collect()
}

/// The module names `pattern` finds in `text`, with their 1-based lines.
fn uses<'a>(
    pattern: &'a Regex,
    text: &'a str,
) -> impl Iterator<Item = (String, usize)> + 'a {
    text.lines().enumerate().flat_map(move |(index, line)| {
        let code = line.split("//").next().unwrap_or_default();
        pattern
            .captures_iter(code)
            .map(move |cap| (cap[1].to_owned(), index + 1))
            .collect::<Vec<_>>()
    })
}

/// Reads `file`; when it is missing, the problem names the line that
/// asked for it (`named_at`), or the file itself.
fn read(
    project: &Project,
    file: &Path,
    named_at: Option<(&Path, usize)>,
) -> Result<String, Problem> {
    fs::read_to_string(project.root.join(file)).map_err(
        |error| match named_at {
            Some((by, line)) => Problem::new(
                by,
                line,
                format!(
                    "names the library module in {}, which cannot be read \
                     ({error})",
                    file.display()
                ),
            ),
            None => Problem::new(file, 1, format!("cannot be read: {error}")),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project with a two-module library and a program on it.
    fn project() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "listings/src/clock.rs",
            "//! A clock.\n\nuse super::ticks::Tick;\n\n\
             // ANCHOR: now\npub fn now() -> Tick {\n    Tick(1)\n}\n\
             // ANCHOR_END: now\n",
        );
        write("listings/src/ticks.rs", "pub struct Tick(pub u32);\n");
        write(
            "listings/part1/show.rs",
            "use listings::clock::now;\n\n// ANCHOR: main\nfn main() {\n    \
             println!(\"{}\", now().0);\n}\n// ANCHOR_END: main\n",
        );
        write("listings/part1/alone.rs", "fn main() {}\n");
        write("listings/part1/broken.rs", "use listings::calendar::day;\n");
        let project = Project::at(dir.path());
        (dir, project)
    }

    #[test]
    fn a_program_carries_the_modules_it_names_and_theirs() {
        let (_dir, project) = project();
        let program =
            assemble(&project, Path::new("listings/part1/show.rs")).unwrap();
        assert_eq!(program.modules, ["clock", "ticks"]);
        let text = program.text();
        assert!(text.starts_with("use listings::clock::now;\n"));
        assert!(text.contains("mod listings {\n    pub mod clock {\n"));
        assert!(text.contains("\npub fn now() -> Tick {\n"));
        assert!(text.contains("    pub mod ticks {\n"));
        assert!(!text.contains("ANCHOR"));
    }

    #[test]
    fn a_program_without_the_library_is_itself() {
        let (_dir, project) = project();
        let program =
            assemble(&project, Path::new("listings/part1/alone.rs")).unwrap();
        assert_eq!(program.text(), "fn main() {}\n");
    }

    #[test]
    fn anchors_reach_into_the_modules() {
        let (_dir, project) = project();
        let program =
            assemble(&project, Path::new("listings/part1/show.rs")).unwrap();
        assert_eq!(
            program.excerpt("now").unwrap(),
            ["pub fn now() -> Tick {", "    Tick(1)", "}"]
        );
        let block = program.with_hidden_lines(Some("main")).unwrap();
        assert!(block.starts_with("# use listings::clock::now;\n# \n"));
        assert!(block.contains("\nfn main() {\n"));
        assert!(block.contains("\n# pub fn now() -> Tick {\n"));
    }

    #[test]
    fn a_missing_anchor_or_module_names_the_files() {
        let (_dir, project) = project();
        let program =
            assemble(&project, Path::new("listings/part1/show.rs")).unwrap();
        assert_eq!(
            program.anchored("later").unwrap_err(),
            "no `ANCHOR: later` in listings/part1/show.rs or \
             listings/src/clock.rs or listings/src/ticks.rs"
        );
        let problem = assemble(&project, Path::new("listings/part1/broken.rs"))
            .unwrap_err();
        assert!(
            problem.to_string().starts_with(
                "listings/part1/broken.rs:1: names the library module in \
                 listings/src/calendar.rs, which cannot be read"
            ),
            "{problem}"
        );
    }
}
