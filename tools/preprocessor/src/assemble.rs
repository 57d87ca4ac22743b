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
//! A program may also hold a part that it shares with other programs, a
//! file beside it that is no program itself, with `include!("part.rs");`
//! on a line of its own: the same program on another stage, or code that
//! several programs of a chapter have in common. Cargo compiles that line
//! as it is; the assembler puts the part's lines in its place.
//!
//! Every line of the result remembers the file and line it came from, so
//! that a chapter's anchor can point into a module as well as into the
//! program, and a problem names the line to fix.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::project::normalize;
use crate::{Problem, Project};

/// The library's modules live here, one file each (`sturdy.rs`).
pub const LIBRARY_DIR: &str = "listings/src";

/// A program's use of a library module: `listings::sturdy`.
static LIBRARY_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\blistings::(\w+)").unwrap());

/// A module's use of a sibling, at the top level of its file:
/// `use super::ident::{...};`, or a re-export, `pub use super::timers::sleep;`.
static SIBLING_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(?:pub )?use super::(\w+)").unwrap());

/// A program's `include!("ten_clients.rs");`, on a line of its own: a part
/// it shares with other programs, named relative to its own file.
static PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*include!\("([^"]+)"\);\s*$"#).unwrap());

/// The anchor markers mdBook looks for anywhere in a line. Public for
/// `book-tools`, whose stage check reads the same anchors.
pub static ANCHOR_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*([\w-]+)").unwrap());
pub static ANCHOR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR_END:\s*([\w-]+)").unwrap());

/// mdBook's anchor markers, which never reach the reader.
pub static ANCHOR_MARKER: LazyLock<Regex> =
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
    /// The parts the program includes, relative to the project root.
    pub parts: Vec<PathBuf>,
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

/// The diff that makes the variant stage `name`, relative to the project
/// root: `listings/src/abortable.diff`.
pub fn variant_file(name: &str) -> PathBuf {
    Path::new(LIBRARY_DIR).join(name).with_extension("diff")
}

/// The file of stage `name`, relative to the project root: its module
/// (`sturdy.rs`), or, for a variant, its diff (`abortable.diff`) unless
/// `cargo book variant open` made it a file for now.
pub fn stage_file(project: &Project, name: &str) -> PathBuf {
    let (file, variant) = (module_file(name), variant_file(name));
    if !project.root.join(&file).is_file()
        && project.root.join(&variant).is_file()
    {
        variant
    } else {
        file
    }
}

/// A variant's diff, and the file of the stage it changes, which its
/// `---` line names.
fn parse_variant<'a>(
    project: &Project,
    file: &Path,
    text: &'a str,
) -> Result<(PathBuf, diffy::Patch<'a, str>), String> {
    let patch = diffy::Patch::from_str(text)
        .map_err(|e| format!("{}: not a diff: {e}", file.display()))?;
    let base = patch
        .original()
        .and_then(|base| base.strip_suffix(".rs"))
        .ok_or_else(|| {
            format!("{}: no `--- <stage>.rs` line", file.display())
        })?;
    Ok((stage_file(project, base), patch))
}

/// The stage that the variant `file` (a diff) changes; `None` for a file
/// that is no variant.
pub fn base_of(project: &Project, file: &Path) -> Option<PathBuf> {
    if file.extension().is_none_or(|ext| ext != "diff") {
        return None;
    }
    let text = fs::read_to_string(project.root.join(file)).ok()?;
    parse_variant(project, file, &text)
        .ok()
        .map(|(base, _)| base)
}

/// The text of a file of the library (relative to the project root). A
/// variant stage is a diff of another stage (`diff -u`, whose `---` line
/// names that stage's file), applied here as `listings/build.rs` applies
/// it for the crate.
pub fn library_text(project: &Project, file: &Path) -> Result<String, String> {
    let text = fs::read_to_string(project.root.join(file))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if file.extension().is_none_or(|ext| ext != "diff") {
        return Ok(text);
    }
    let (base_file, patch) = parse_variant(project, file, &text)?;
    let base_text = library_text(project, &base_file)?;
    diffy::apply(&base_text, &patch).map_err(|e| {
        format!(
            "{} no longer applies to {} ({e}): change the diff with the stage",
            file.display(),
            base_file.display()
        )
    })
}

/// Writes variant stage `name` out as a file of its own,
/// `listings/src/<name>.rs`, to be edited: while it is there, the build and
/// the book use it instead of the diff. Returns the file's path.
pub fn open_variant(project: &Project, name: &str) -> anyhow::Result<PathBuf> {
    let file = module_file(name);
    anyhow::ensure!(
        !project.root.join(&file).exists(),
        "{} is open already: edit it, then `cargo book variant close {name}`",
        file.display()
    );
    let text = library_text(project, &variant_file(name))
        .map_err(anyhow::Error::msg)?;
    fs::write(project.root.join(&file), text)?;
    Ok(file)
}

/// Makes variant stage `name`'s diff again from its open file, against
/// the stage the diff names, and removes the file.
pub fn close_variant(project: &Project, name: &str) -> anyhow::Result<PathBuf> {
    let (file, diff_file) = (module_file(name), variant_file(name));
    let modified =
        fs::read_to_string(project.root.join(&file)).map_err(|e| {
            anyhow::anyhow!("{}: {e} (open it first)", file.display())
        })?;
    let old = fs::read_to_string(project.root.join(&diff_file))?;
    let (base_file, _) =
        parse_variant(project, &diff_file, &old).map_err(anyhow::Error::msg)?;
    let base = base_file.file_stem().unwrap_or_default().to_string_lossy();
    let original =
        library_text(project, &base_file).map_err(anyhow::Error::msg)?;
    let patch = diffy::DiffOptions::new()
        .set_original_filename(format!("{base}.rs"))
        .set_modified_filename(format!("{name}.rs"))
        .create_patch(&original, &modified);
    fs::write(project.root.join(&diff_file), patch.to_string())?;
    fs::remove_file(project.root.join(&file))?;
    Ok(diff_file)
}

thread_local! {
    /// What [`assemble`] made while [`with_cache`] runs on this thread.
    static ASSEMBLED: RefCell<Option<Cache>> = const { RefCell::new(None) };
}

/// Programs assembled so far, by project root and program.
type Cache = HashMap<(PathBuf, PathBuf), Result<Assembled, Problem>>;

/// Runs `work` with each program assembled at most once: for work during
/// which no listing changes, such as preprocessing the book, which
/// assembles a program for its figure, for the figure of the program
/// that changes it, and for every include of it.
pub fn with_cache<T>(work: impl FnOnce() -> T) -> T {
    let outer =
        ASSEMBLED.with(|cache| cache.borrow_mut().replace(Cache::new()));
    let result = work();
    ASSEMBLED.with(|cache| *cache.borrow_mut() = outer);
    result
}

/// Assembles `program` (relative to the project root).
pub fn assemble(
    project: &Project,
    program: &Path,
) -> Result<Assembled, Problem> {
    let key = (project.root.clone(), program.to_path_buf());
    let cached = ASSEMBLED.with(|cache| {
        cache
            .borrow()
            .as_ref()
            .and_then(|cache| cache.get(&key).cloned())
    });
    if let Some(assembled) = cached {
        return assembled;
    }
    let assembled = assemble_now(project, program);
    ASSEMBLED.with(|cache| {
        if let Some(cache) = cache.borrow_mut().as_mut() {
            cache.insert(key, assembled.clone());
        }
    });
    assembled
}

fn assemble_now(
    project: &Project,
    program: &Path,
) -> Result<Assembled, Problem> {
    let Some((source, view)) = source_of(project, program) else {
        return Err(Problem::new(
            program,
            1,
            "no such program (nor a solution to make this starter from)",
        ));
    };
    let text = read(project, &source, None)?;
    let mut parts = Vec::new();
    let mut lines = with_parts(project, view.of(&text, &source)?, &mut parts)?;
    let library = Library::read(project)?;

    // The modules the program names, then the ones those name, each once,
    // a module after every module that names it.
    let mut modules: Vec<String> = Vec::new();
    let mut queue: Vec<(String, PathBuf, usize)> = lines
        .iter()
        .flat_map(|line| {
            let code = line.text.split("//").next().unwrap_or_default();
            let file = line.file.clone().unwrap_or_else(|| source.clone());
            LIBRARY_PATH
                .captures_iter(code)
                .map(|cap| (cap[1].to_owned(), file.clone(), line.number))
                .collect::<Vec<_>>()
        })
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
            parts,
            lines,
        });
    }

    let mut names = files.clone();
    names.sort();
    lines.push(generated(""));
    lines.push(generated(
        "// The listings library, as much of it as this program uses (its",
    ));
    lines.push(generated("// doc examples left out):"));
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
        parts,
        lines,
    })
}

/// `lines` with each `include!("part.rs");` replaced by the part's lines
/// (a part may include parts of its own). Each part's file is added to
/// `parts`; a part included twice, or in a circle, is a problem.
fn with_parts(
    project: &Project,
    lines: Vec<Line>,
    parts: &mut Vec<PathBuf>,
) -> Result<Vec<Line>, Problem> {
    let mut out = Vec::new();
    for line in lines {
        let (Some(cap), Some(file)) = (PART.captures(&line.text), &line.file)
        else {
            out.push(line);
            continue;
        };
        let part = part_path(file, &cap[1]);
        if parts.contains(&part) {
            return Err(Problem::new(
                file,
                line.number,
                format!("{} is included twice", part.display()),
            ));
        }
        let text =
            fs::read_to_string(project.root.join(&part)).map_err(|error| {
                Problem::new(
                    file,
                    line.number,
                    format!(
                        "includes {}, which cannot be read ({error})",
                        part.display()
                    ),
                )
            })?;
        parts.push(part.clone());
        let part_lines = text
            .lines()
            .enumerate()
            .map(|(index, text)| Line {
                text: text.to_owned(),
                file: Some(part.clone()),
                number: index + 1,
            })
            .collect();
        out.extend(with_parts(project, part_lines, parts)?);
    }
    Ok(out)
}

/// The part that `include!("name")` in `file` names: beside `file`, both
/// relative to the project root.
fn part_path(file: &Path, name: &str) -> PathBuf {
    normalize(&file.parent().unwrap_or(Path::new("")).join(name))
}

/// The parts that `program` (relative to the project root) includes,
/// directly or through other parts: files that are no programs.
fn parts_of(project: &Project, program: &Path) -> Vec<PathBuf> {
    let mut queue = vec![program.to_path_buf()];
    let mut parts = Vec::new();
    while let Some(file) = queue.pop() {
        let text =
            fs::read_to_string(project.root.join(&file)).unwrap_or_default();
        for cap in text.lines().filter_map(|line| PART.captures(line)) {
            let part = part_path(&file, &cap[1]);
            if !parts.contains(&part) {
                parts.push(part.clone());
                queue.push(part);
            }
        }
    }
    parts
}

/// The file name ending of an exercise's starter, which is no file: it is
/// made from the solution beside it (`_solution.rs`).
pub const STARTER: &str = "_starter.rs";
/// The file name ending of an exercise's solution.
pub const SOLUTION: &str = "_solution.rs";

/// Which program a solution file is read as.
///
/// An exercise is one file, its solution, with the starter marked in it,
/// in the manner of mdbook-exerciser: the lines between
/// `// solution: begin` and `// solution: end` are the solution's own, and
/// each line `// starter: CODE` is a line of the starter's, at the
/// comment's indentation. The solution is the file without the starter's
/// lines and the markers; the starter is the file without the solution's
/// lines, with its own uncommented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Solution,
    Starter,
}

static STARTER_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\s*)// starter:(?: (.*))?$").unwrap());
static SOLUTION_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*// solution: begin\s*$").unwrap());
static SOLUTION_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*// solution: end\s*$").unwrap());

impl View {
    /// The lines of `text` (the file `file`) that this view keeps.
    fn of(self, text: &str, file: &Path) -> Result<Vec<Line>, Problem> {
        let mut lines = Vec::new();
        let mut in_solution: Option<usize> = None;
        for (index, text) in text.lines().enumerate() {
            let number = index + 1;
            let line = |text: String| Line {
                text,
                file: Some(file.to_path_buf()),
                number,
            };
            if SOLUTION_BEGIN.is_match(text) {
                if in_solution.is_some() {
                    return Err(Problem::new(
                        file,
                        number,
                        "`// solution: begin` inside another",
                    ));
                }
                in_solution = Some(number);
            } else if SOLUTION_END.is_match(text) {
                if in_solution.take().is_none() {
                    return Err(Problem::new(
                        file,
                        number,
                        "`// solution: end` without a begin",
                    ));
                }
            } else if let Some(cap) = STARTER_LINE.captures(text) {
                if self == View::Starter {
                    let code = cap.get(2).map_or("", |c| c.as_str());
                    let text = if code.is_empty() {
                        String::new()
                    } else {
                        format!("{}{code}", &cap[1])
                    };
                    lines.push(line(text));
                }
            } else if in_solution.is_none() || self == View::Solution {
                lines.push(line(text.to_owned()));
            }
        }
        match in_solution {
            Some(number) => Err(Problem::new(
                file,
                number,
                "`// solution: begin` is never ended",
            )),
            None => Ok(lines),
        }
    }
}

/// The file a program is read from, and how: a file of its own, or, for an
/// exercise's starter, its solution.
pub fn source_of(project: &Project, program: &Path) -> Option<(PathBuf, View)> {
    if project.root.join(program).is_file() {
        return Some((program.to_path_buf(), View::Solution));
    }
    let name = program.file_name()?.to_str()?;
    let exercise = name.strip_suffix(STARTER)?;
    let solution = program.with_file_name(format!("{exercise}{SOLUTION}"));
    project
        .root
        .join(&solution)
        .is_file()
        .then_some((solution, View::Starter))
}

/// Every program of the book, relative to the project root: each file of
/// `listings/` outside the library that no program includes as a part,
/// and each exercise's starter.
pub fn programs(project: &Project) -> anyhow::Result<Vec<PathBuf>> {
    let sources = project.listing_sources()?;
    let parts: Vec<PathBuf> = sources
        .iter()
        .filter(|file| !is_library_module(file))
        .flat_map(|file| parts_of(project, file))
        .collect();
    let mut programs = Vec::new();
    for file in sources {
        if is_library_module(&file) || parts.contains(&file) {
            continue;
        }
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(exercise) = name.strip_suffix(SOLUTION) {
            let text = fs::read_to_string(project.root.join(&file))?;
            if text.lines().any(|line| STARTER_LINE.is_match(line)) {
                programs
                    .push(file.with_file_name(format!("{exercise}{STARTER}")));
            }
        }
        programs.push(file);
    }
    programs.sort();
    Ok(programs)
}

/// The library's files, relative to the project root: its modules
/// (`.rs`) and its variant stages (`.diff`).
pub fn library_files(project: &Project) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = project
        .listing_sources()?
        .into_iter()
        .filter(|file| is_library_module(file))
        .collect();
    let dir = project.root.join(LIBRARY_DIR);
    // A book without a library has no variants either.
    for entry in fs::read_dir(&dir).into_iter().flatten() {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "diff") {
            let name = path.file_name().unwrap_or_default();
            files.push(Path::new(LIBRARY_DIR).join(name));
        }
    }
    files.sort();
    Ok(files)
}

/// Writes every program, assembled, and every module of the library under
/// `dir`, at their paths: what a reader copies, and what the browser tests
/// compare the pages with.
pub fn write_all(project: &Project, dir: &Path) -> anyhow::Result<()> {
    let write = |file: &Path, text: &str| -> anyhow::Result<()> {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap())?;
        fs::write(&path, text)?;
        Ok(())
    };
    for program in programs(project)? {
        let assembled = assemble(project, &program)
            .map_err(|problem| anyhow::anyhow!("{problem}"))?;
        write(&program, &assembled.text())?;
    }
    for file in library_files(project)? {
        let text = library_text(project, &file).map_err(anyhow::Error::msg)?;
        let kept: Vec<&str> =
            text.lines().filter(|line| !is_marker(line)).collect();
        write(&file, &(kept.join("\n") + "\n"))?;
    }
    Ok(())
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
    /// its comments and attributes included.
    fn inline(&self, name: &str) -> Option<(usize, usize)> {
        let opening = format!("pub mod {name} {{");
        let open = self.lines.iter().position(|line| *line == opening)?;
        let close = (open..self.lines.len()).find(|&i| self.lines[i] == "}")?;
        let mut first = open;
        while first > 0 {
            let above = self.lines[first - 1].trim_start();
            if !(above.starts_with("//") || above.starts_with("#[")) {
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
        // A variant stage: its diff, or the file `cargo book variant open`
        // made of it, which `lib.rs` includes from the build's output.
        let is_variant = project.root.join(variant_file(name)).is_file();
        let inline = self.inline(name).filter(|_| !is_variant);
        let Some((first, last)) = inline else {
            let file = stage_file(project, name);
            let text = library_text(project, &file).map_err(|why| {
                let why = format!("names the library module `{name}`: {why}");
                Problem::new(named_at.0, named_at.1, why)
            })?;
            let mut lines = vec![generated(&format!("    pub mod {name} {{"))];
            // Not indented: an excerpt of a module reads as it does in its
            // file, and a line inside a multi-line string keeps its text.
            lines.extend(without_doc_examples(numbered(&text, &file)));
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
            let file = crate::project::normalize(&folder.join(relative));
            let text = read(project, &file, Some((&self.file, index + 1)))?;
            body.lines
                .push(generated(&format!("{indent}pub mod {inner} {{")));
            body.lines
                .extend(without_doc_examples(numbered(&text, &file)));
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
        // An anchor ends in the file it starts in, except that the program
        // and its parts are one text: there it may start in one and end in
        // another.
        let own = |line: &Line| {
            line.file.as_deref().is_some_and(|f| !is_library_module(f))
        };
        let end = (start + 1..self.lines.len())
            .find(|&i| names(&ANCHOR_END, &self.lines[i]))
            .filter(|&end| {
                let (start, end) = (&self.lines[start], &self.lines[end]);
                start.file == end.file || (own(start) && own(end))
            });
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

    /// Where the anchored lines lie among [`Self::unmarked_lines`]: the
    /// first and one past the last.
    pub fn shown_range(&self, anchor: &str) -> Result<(usize, usize), String> {
        let (start, end) = self.anchored(anchor)?;
        let unmarked_before = |index: usize| {
            self.lines[..index]
                .iter()
                .filter(|l| !is_marker(&l.text))
                .count()
        };
        Ok((unmarked_before(start), unmarked_before(end)))
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

/// A library file's lines without the examples in its doc comments: they
/// are the library's tests (`cargo test` runs them), and a page that
/// carried them in every program would carry them many times over.
fn without_doc_examples(lines: Vec<Line>) -> Vec<Line> {
    let mut in_example = false;
    let mut kept = Vec::with_capacity(lines.len());
    for line in lines {
        let doc = line.text.trim_start();
        let doc = doc.strip_prefix("///").or_else(|| doc.strip_prefix("//!"));
        let fence =
            doc.is_some_and(|text| text.trim_start().starts_with("```"));
        if fence {
            in_example = !in_example;
            // The empty doc line that led up to the example goes too.
            if in_example
                && kept.last().is_some_and(|l: &Line| is_empty_doc(&l.text))
            {
                kept.pop();
            }
            continue;
        }
        if !in_example {
            kept.push(line);
        }
    }
    kept
}

fn is_empty_doc(text: &str) -> bool {
    matches!(text.trim(), "///" | "//!")
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
            "//! A clock.\n//!\n//! ```\n//! assert!(true);\n//! ```\n\npub use super::ticks::Tick;\n\n\
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
        // The module's doc example is the library's test, not the page's.
        assert!(
            text.contains("    pub mod clock {\n//! A clock.\n\npub use super")
        );
    }

    const SOLUTION_FILE: &str = "//! The solution.\n// starter: //! The exercise.\n\
        fn main() {\n    // solution: begin\n    println!(\"done\");\n    \
        // solution: end\n    // starter: todo!(\"print done\")\n}\n";

    #[test]
    fn a_starter_is_made_from_its_solution() {
        let (dir, project) = project();
        let file = "listings/part1/exercise_x_solution.rs";
        fs::write(dir.path().join(file), SOLUTION_FILE).unwrap();
        let solution = assemble(&project, Path::new(file)).unwrap();
        assert_eq!(
            solution.text(),
            "//! The solution.\nfn main() {\n    println!(\"done\");\n}\n"
        );
        let starter = Path::new("listings/part1/exercise_x_starter.rs");
        let made = assemble(&project, starter).unwrap();
        assert_eq!(
            made.text(),
            "//! The solution.\n//! The exercise.\nfn main() {\n    \
             todo!(\"print done\")\n}\n"
        );
        // Its lines are the solution file's, for messages.
        assert_eq!(made.lines[3].number, 7);
        assert!(programs(&project).unwrap().contains(&starter.to_path_buf()));
    }

    #[test]
    fn an_unended_solution_is_reported_at_its_line() {
        let (dir, project) = project();
        let file = "listings/part1/exercise_y_solution.rs";
        fs::write(
            dir.path().join(file),
            "fn main() {\n// solution: begin\n}\n",
        )
        .unwrap();
        let problem = assemble(&project, Path::new(file)).unwrap_err();
        assert_eq!(
            problem.to_string(),
            "listings/part1/exercise_y_solution.rs:2: `// solution: begin` \
             is never ended"
        );
    }

    #[test]
    fn a_part_is_put_in_where_it_is_included_and_is_no_program() {
        let (dir, project) = project();
        let write = |path: &str, text: &str| {
            fs::write(dir.path().join(path), text).unwrap();
        };
        write(
            "listings/part1/on_clock.rs",
            "use listings::clock::now;\n// ANCHOR: all\ninclude!(\"shared.rs\");\n\
             // ANCHOR_END: all\nconst LAST: u8 = 1;\n// ANCHOR_END: across\n",
        );
        write(
            "listings/part1/shared.rs",
            "// ANCHOR: main\nfn main() {\n    let _ = now();\n}\n\
             // ANCHOR_END: main\n// ANCHOR: across\nconst FIRST: u8 = 0;\n",
        );
        let file = Path::new("listings/part1/on_clock.rs");
        let program = assemble(&project, file).unwrap();
        assert!(program.text().starts_with(
            "use listings::clock::now;\nfn main() {\n    let _ = now();\n}\n"
        ));
        assert_eq!(program.parts, [Path::new("listings/part1/shared.rs")]);
        // Anchors reach into the part, and across its edges.
        assert_eq!(program.excerpt("main").unwrap()[0], "fn main() {");
        assert_eq!(program.excerpt("all").unwrap().len(), 4);
        // An anchor may start in a part and end in the program.
        assert_eq!(
            program.excerpt("across").unwrap(),
            ["const FIRST: u8 = 0;", "const LAST: u8 = 1;"]
        );
        let programs = programs(&project).unwrap();
        assert!(programs.contains(&file.to_path_buf()));
        assert!(!programs.contains(&PathBuf::from("listings/part1/shared.rs")));

        write("listings/part1/on_clock.rs", "\ninclude!(\"gone.rs\");\n");
        let problem = assemble(&project, file).unwrap_err().to_string();
        assert!(
            problem.starts_with(
                "listings/part1/on_clock.rs:2: includes listings/part1/gone.rs, \
                 which cannot be read"
            ),
            "{problem}"
        );
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
                "listings/part1/broken.rs:1: names the library module \
                 `calendar`: cannot read listings/src/calendar.rs"
            ),
            "{problem}"
        );
    }
}
