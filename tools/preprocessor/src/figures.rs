//! Listing figures: every code block that includes a program of
//! `listings/` gets a caption with a computed number, a link to the file in
//! the repository and, when it runs on the Playground, a link that opens it
//! there. A block preceded by `<!-- changes-since: ../listings/x.rs -->`
//! (and every other block that shows the same file) also carries the lines
//! that changed since that earlier version, found by a line diff at build
//! time; `theme/listings.js` highlights them.
//!
//! The preprocessor (`preprocessor.rs`) runs this before mdBook's `links`,
//! so it sees the include directives as written and leaves them for
//! `links` to expand inside the figure.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Result;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
use regex::Regex;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::assemble::{assemble, source_of};
use crate::includes::{Include, includes_in};
use crate::local_run::LocalRun;
use crate::markdown::{LineIndex, info_tokens};
use crate::project::normalize;
use crate::{Problem, Project};

/// The longest Playground link the book emits, in bytes. The Playground is
/// served through a CDN that refuses a request line past 8 KiB (8,192
/// bytes, answered with `414 Request-URI Too Large`); the rest of the
/// request line and some headroom account for the difference. A listing
/// whose link would be longer gets an in-page editor instead.
pub const PLAYGROUND_URL_BUDGET: usize = 8_000;

/// Where the Playground lives; its query string takes the program.
pub const PLAYGROUND: &str = "https://play.rust-lang.org/";

/// The comment that asks for the changes since an earlier listing.
static CHANGES_SINCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^<!--\s*changes-since:\s*(\S+)\s*-->\s*$").unwrap()
});

/// What the captions need from `book.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `[rust] edition`: the Playground link asks for it.
    pub edition: String,
    /// `[preprocessor.listings] source-url-template`, with `{path}` for a
    /// path from the repository root.
    pub source_url_template: String,
    /// Whether the book is being made into web pages (mdBook's `html`
    /// renderer), rather than read for its code (`mdbook test`, the tests).
    pub for_pages: bool,
    /// Where the programs without a Run button run, when `cargo book
    /// serve` serves the book (`local_run.rs`).
    pub local_run: Option<LocalRun>,
}

impl Settings {
    pub fn load(project: &Project) -> Result<Settings> {
        let template = format!(
            "preprocessor.{}.source-url-template",
            crate::project::PREPROCESSOR
        );
        Ok(Settings {
            edition: project.edition()?,
            source_url_template: project.setting(&template)?,
            for_pages: false,
            local_run: None,
        })
    }

    fn source_url(&self, file: &Path) -> String {
        self.source_url_template
            .replace("{path}", &file.to_string_lossy())
    }
}

/// A chapter as the preprocessor hands it over.
pub struct Chapter<'a> {
    /// Relative to `src/`.
    pub path: &'a Path,
    /// The top-level section number; 0 for unnumbered chapters.
    pub number: u32,
    pub content: &'a str,
}

/// A fenced block that includes a file of `listings/`.
struct ListingBlock {
    /// Byte range of the block in the chapter, fences included.
    start: usize,
    end: usize,
    line: usize,
    info: String,
    include: Include,
    /// The included file, relative to the project root.
    file: PathBuf,
    /// The file named by a `changes-since` comment right above the block,
    /// and that comment's byte range.
    changes_since: Option<(PathBuf, usize, usize)>,
}

impl ListingBlock {
    fn is_output_sample(&self) -> bool {
        self.file.parent().and_then(Path::file_name) == Some("output".as_ref())
    }

    /// Whether mdBook shows a Run button for it.
    fn is_runnable(&self) -> bool {
        let tokens: Vec<&str> = info_tokens(&self.info).collect();
        tokens.contains(&"rust")
            && !["no_run", "ignore", "noplayground", "compile_fail"]
                .iter()
                .any(|t| tokens.contains(t))
    }

    /// Whether it is a program that mdBook gives no Run button, though it
    /// compiles and runs: one the Playground cannot run.
    fn runs_elsewhere(&self) -> bool {
        let tokens: Vec<&str> = info_tokens(&self.info).collect();
        tokens.contains(&"rust")
            && ["no_run", "noplayground"]
                .iter()
                .any(|t| tokens.contains(t))
            && !["ignore", "compile_fail"]
                .iter()
                .any(|t| tokens.contains(t))
    }
}

/// Where each listing file first appears: its number and figure id.
#[derive(Debug, Clone)]
struct Numbered {
    chapter: PathBuf,
    label: String,
    id: String,
}

/// Adds the figures to every chapter, or returns every problem found.
pub fn annotate_book(
    project: &Project,
    settings: &Settings,
    chapters: &[Chapter],
) -> std::result::Result<Vec<String>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut blocks: Vec<Vec<ListingBlock>> = Vec::new();
    for chapter in chapters {
        match listing_blocks(project, chapter) {
            Ok(found) => blocks.push(found),
            Err(mut found) => {
                problems.append(&mut found);
                blocks.push(Vec::new());
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let numbers = number_listings(chapters, &blocks);
    // A `changes-since` comment speaks for the program: every block that
    // shows the same file highlights the same changes.
    let previous: HashMap<PathBuf, PathBuf> = blocks
        .iter()
        .flatten()
        .filter_map(|b| Some((b.file.clone(), b.changes_since.clone()?.0)))
        .collect();
    for block in blocks.iter_mut().flatten() {
        if block.changes_since.is_none()
            && let Some(earlier) = previous.get(&block.file)
        {
            // No comment to replace: an empty byte range at the fence.
            block.changes_since =
                Some((earlier.clone(), block.start, block.start));
        }
    }
    let mut annotated = Vec::new();
    for (chapter, blocks) in chapters.iter().zip(&blocks) {
        match annotate_chapter(project, settings, chapter, blocks, &numbers) {
            Ok(text) => annotated.push(text),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(annotated)
    } else {
        Err(problems)
    }
}

/// Numbers each listing file where it first appears: `Listing 3.2` is the
/// second program shown in chapter 3.
fn number_listings(
    chapters: &[Chapter],
    blocks: &[Vec<ListingBlock>],
) -> HashMap<PathBuf, Numbered> {
    let mut numbers = HashMap::new();
    for (chapter, blocks) in chapters.iter().zip(blocks) {
        let mut count = 0;
        for block in blocks.iter().filter(|b| !b.is_output_sample()) {
            if numbers.contains_key(&block.file) {
                continue;
            }
            count += 1;
            numbers.insert(
                block.file.clone(),
                Numbered {
                    chapter: chapter.path.to_path_buf(),
                    label: format!("Listing {}.{count}", chapter.number),
                    id: format!("listing-{}-{count}", chapter.number),
                },
            );
        }
    }
    numbers
}

/// The chapter's fenced blocks that include a file of `listings/`.
fn listing_blocks(
    project: &Project,
    chapter: &Chapter,
) -> std::result::Result<Vec<ListingBlock>, Vec<Problem>> {
    let source = Path::new("src").join(chapter.path);
    let chapter_dir = source.parent().unwrap_or(Path::new(""));
    let lines = LineIndex::new(chapter.content);
    let mut problems = Vec::new();
    let mut blocks = Vec::new();
    let mut claimed_comments = Vec::new();

    let parser = Parser::new(chapter.content).into_offset_iter();
    for (event, range) in parser {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event
        else {
            continue;
        };
        let line = lines.line_of(range.start);
        let text = &chapter.content[range.clone()];
        let body = text.lines().skip(1).collect::<Vec<_>>();
        let body = body[..body.len().saturating_sub(1)].join("\n");
        let includes = includes_in(&body);
        let [include] = includes.as_slice() else {
            continue;
        };
        let file = normalize(&chapter_dir.join(&include.path));
        if !file.starts_with("listings") {
            continue;
        }
        let at = |message: String| Problem::new(&source, line, message);
        if body.trim().lines().count() != 1 {
            problems.push(at(format!(
                "a block that includes {} must hold nothing else",
                include.path
            )));
            continue;
        }
        let line_start = chapter.content[..range.start]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        if line_start != range.start {
            problems.push(at(format!(
                "{} is included in an indented block (a list or a quote); \
                 listings stand on their own, at the start of the line",
                include.path
            )));
            continue;
        }
        let changes_since = comment_above(chapter.content, range.start).map(
            |(comment_start, comment_end, previous)| {
                claimed_comments.push(comment_start);
                let previous = normalize(&chapter_dir.join(previous));
                (previous, comment_start, comment_end)
            },
        );
        if let Some((previous, comment, _)) = &changes_since
            && source_of(project, previous).is_none()
        {
            problems.push(Problem::new(
                &source,
                lines.line_of(*comment),
                format!(
                    "changes-since names {}, which does not exist",
                    previous.display()
                ),
            ));
            continue;
        }
        blocks.push(ListingBlock {
            start: range.start,
            end: range.end,
            line,
            info: info.to_string(),
            include: include.clone(),
            file,
            changes_since,
        });
    }

    // A `changes-since` comment that no listing follows would be ignored.
    for found in CHANGES_SINCE_ANYWHERE.find_iter(chapter.content) {
        if !claimed_comments.contains(&found.start()) {
            problems.push(Problem::new(
                &source,
                lines.line_of(found.start()),
                "a changes-since comment must stand right above the block \
                 that includes the new version of the listing",
            ));
        }
    }
    if problems.is_empty() {
        Ok(blocks)
    } else {
        Err(problems)
    }
}

static CHANGES_SINCE_ANYWHERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^<!--\s*changes-since:").unwrap());

/// A `changes-since` comment on the line right above the fence at
/// `fence_start`: its byte range and the path it names.
fn comment_above(
    text: &str,
    fence_start: usize,
) -> Option<(usize, usize, &str)> {
    let before = text[..fence_start].strip_suffix('\n')?;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &before[start..];
    let path = CHANGES_SINCE.captures(line)?.get(1)?.as_str();
    Some((start, fence_start, path))
}

fn annotate_chapter(
    project: &Project,
    settings: &Settings,
    chapter: &Chapter,
    blocks: &[ListingBlock],
    numbers: &HashMap<PathBuf, Numbered>,
) -> std::result::Result<String, Vec<Problem>> {
    let source = Path::new("src").join(chapter.path);
    let mut problems = Vec::new();
    let mut out = String::with_capacity(chapter.content.len() * 2);
    let mut copied = 0;
    // The first block of each program on the page: it carries the whole
    // program, and the later ones link back to it.
    let mut carriers: BTreeMap<&Path, &ListingBlock> = BTreeMap::new();
    // How many times each file has been shown in this chapter so far.
    let mut shown: BTreeMap<&Path, usize> = BTreeMap::new();

    // Whether a program on this page runs on the reader's machine.
    let mut runs_locally = false;

    for block in blocks {
        let at = |message: String| Problem::new(&source, block.line, message);
        let begin = block.changes_since.as_ref().map_or(block.start, |c| c.1);
        out.push_str(&chapter.content[copied..begin]);
        copied = block.end;
        let fence = &chapter.content[block.start..block.end];

        let figure = if block.is_output_sample() {
            output_figure(chapter, block, numbers)
                .map(|open| (open, fence.trim_end().to_owned()))
        } else {
            let carrier = *carriers.entry(&block.file).or_insert(block);
            let times = shown.entry(&block.file).or_default();
            *times += 1;
            let place = Place {
                carrier,
                times_shown: *times,
            };
            listing_figure(project, settings, chapter, block, place, numbers)
        };
        match figure {
            Ok((open, fence)) => {
                runs_locally |= open.contains(" data-runs-locally=");
                out.push_str(&open);
                out.push_str(&fence);
                out.push_str("\n\n</figure>\n\n");
            }
            Err(message) => problems.push(at(message)),
        }
    }
    out.push_str(&chapter.content[copied..]);
    if let Some(local) = &settings.local_run
        && runs_locally
    {
        out.push_str("\n\n");
        out.push_str(&local.page_script());
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Where a block stands among the blocks of its program on its page.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The program's first block on the page.
    carrier: &'a ListingBlock,
    /// 1 for the first block, 2 for the next, ...
    times_shown: usize,
}

/// A listing's figure: its opening, caption included, and its fenced
/// block with the program assembled (`assemble.rs`).
///
/// The first block of a program on a page (its `carrier`) holds the whole
/// program, the lines outside the anchor hidden: that block runs, links
/// to the Playground and is what the tests compile. A later block of the
/// same program holds only its anchored lines, runs nothing and links
/// back to the first, so the page carries each program once.
fn listing_figure(
    project: &Project,
    settings: &Settings,
    chapter: &Chapter,
    block: &ListingBlock,
    place: Place,
    numbers: &HashMap<PathBuf, Numbered>,
) -> std::result::Result<(String, String), String> {
    let carrier = place.carrier;
    let program = assemble(project, &block.file).map_err(|p| p.to_string())?;
    let anchor = block.include.selector.as_deref();
    let is_carrier = place.times_shown == 1;
    let whole = is_carrier && block.include.kind == "rustdoc_include";
    let (body, shown) = match anchor {
        _ if whole => {
            let body = program.with_hidden_lines(anchor)?;
            (body, program.unmarked_lines())
        }
        Some(anchor) => {
            let lines = program.excerpt(anchor)?;
            (lines.join("\n") + "\n", lines)
        }
        None => {
            let lines = program.unmarked_lines();
            (lines.join("\n") + "\n", lines)
        }
    };
    if !is_carrier && block.is_runnable() && !carrier.is_runnable() {
        return Err(format!(
            "{} runs from its first block on this page (line {}), which \
             has no Run button: give that block this block's fence",
            block.include.path, carrier.line
        ));
    }
    let info = if whole {
        block.info.clone()
    } else {
        excerpt_info(&block.info)
    };
    let mut fence = format!("```{info}\n{body}```");
    if whole
        && settings.for_pages
        && let Some(anchor) = anchor
    {
        // On a web page the block holds only what it shows, and a script
        // puts the rest back, hidden, before mdBook's `book.js` makes the
        // page's Run buttons: the program is on the page once, and the
        // search index, which skips scripts, holds only what is shown.
        let (start, end) = program.shown_range(anchor)?;
        fence = format!(
            "```{info}\n{}\n```\n\n<script>restoreListing(document.currentScript, {}, {start}, {end});</script>",
            program.unmarked_lines()[start..end].join("\n"),
            script_string(&program.text()),
        );
    }

    let numbered = &numbers[&block.file];
    let (label, id) = if is_carrier {
        (numbered.label.clone(), numbered.id.clone())
    } else {
        let suffix = char::from(b'a' + (place.times_shown.min(26) - 1) as u8);
        (
            format!("{} (continued)", numbered.label),
            format!("{}-{suffix}", numbered.id),
        )
    };
    let runnable = whole && block.is_runnable();
    let mut attributes = format!(
        r#"class="listing" id="{id}" data-file="{}" data-runnable="{runnable}""#,
        block.file.display(),
    );
    // A program without a Run button runs from its whole block on the
    // reader's machine, when the book is served so.
    let local_bin = match &settings.local_run {
        Some(local)
            if whole && settings.for_pages && block.runs_elsewhere() =>
        {
            local.bin_of(&block.file)
        }
        _ => None,
    };
    if let Some(bin) = local_bin {
        // mdBook names the edition only on a block with a Playground Run
        // button (class `editionNNNN`); this Run button needs it too.
        let _ = write!(
            attributes,
            r#" data-runs-locally="{}" data-edition="{}""#,
            escape(bin),
            escape(&settings.edition)
        );
    }
    let mut caption =
        format!(r##"<a class="listing-number" href="#{id}">{label}</a> "##);
    if project.root.join(&block.file).is_file() {
        let _ = write!(
            caption,
            r#"<a class="listing-source" href="{}"><code>{}</code></a>"#,
            escape(&settings.source_url(&block.file)),
            escape(&file_name(&block.file)),
        );
    } else {
        // A starter is made from its solution's file: no link to that.
        let _ = write!(
            caption,
            r#"<span class="listing-source"><code>{}</code></span>"#,
            escape(&file_name(&block.file)),
        );
    }
    if !is_carrier {
        let _ = write!(
            caption,
            r##" <a class="listing-whole" href="#{}">the whole program</a>"##,
            numbered.id
        );
    }

    if let Some((previous, _, _)) = &block.changes_since {
        let before = earlier_lines(project, previous)?;
        let changed = changed_lines(&before, &shown);
        let Some(earlier) = numbers.get(previous) else {
            return Err(format!(
                "changes-since names {}, which the book never shows",
                previous.display()
            ));
        };
        let _ = write!(
            attributes,
            r#" data-changed-from="{}" data-changed-lines="{}""#,
            previous.display(),
            ranges(&changed)
        );
        let _ = write!(
            caption,
            r#" <span class="listing-changes">highlighted: what changed since <a href="{}">{}</a></span>"#,
            href(chapter.path, earlier),
            earlier.label
        );
    }

    if runnable {
        match playground_url(&program.text(), &settings.edition) {
            Some(url) => {
                let _ = write!(
                    caption,
                    r#" <a class="playground-link" href="{}">Open in the Playground</a>"#,
                    escape(&url)
                );
            }
            None => caption.push_str(
                r#" <span class="playground-too-long">too long for a Playground link: Edit it here</span>"#,
            ),
        }
    }
    let open = format!(
        "<figure {attributes}>\n<figcaption>{caption}</figcaption>\n\n"
    );
    Ok((open, fence))
}

/// `text` as a string literal of JavaScript (JSON) that an HTML page can
/// hold in a `<script>`: no `<` in it can start `</script>`.
fn script_string(text: &str) -> String {
    serde_json::to_string(text)
        .expect("a string is JSON")
        .replace('<', "\\u003c")
}

/// The fence of a later excerpt: still Rust, but neither run nor tested
/// on its own (its program is, through its first block).
fn excerpt_info(info: &str) -> String {
    let language = info_tokens(info).next().unwrap_or("rust");
    format!("{language},ignore")
}

/// The lines a `changes-since` compares with: an earlier program as the
/// page holds it, or a module of the library as its file reads.
fn earlier_lines(
    project: &Project,
    previous: &Path,
) -> std::result::Result<Vec<String>, String> {
    let program = assemble(project, previous).map_err(|p| p.to_string())?;
    Ok(program.unmarked_lines())
}

/// The opening of the figure around a program's sample output.
fn output_figure(
    chapter: &Chapter,
    block: &ListingBlock,
    numbers: &HashMap<PathBuf, Numbered>,
) -> std::result::Result<String, String> {
    let stem = block.file.file_stem().unwrap_or_default();
    let part = block.file.parent().and_then(Path::parent).unwrap();
    let program = part.join(stem).with_extension("rs");
    let Some(numbered) = numbers.get(&program) else {
        return Err(format!(
            "{} is the output of {}, which the book never shows",
            block.include.path,
            program.display()
        ));
    };
    Ok(format!(
        "<figure class=\"listing-output\" data-output-of=\"{}\">\n\
         <figcaption>Output of <a href=\"{}\">{}</a></figcaption>\n\n",
        program.display(),
        href(chapter.path, numbered),
        numbered.label
    ))
}

/// A link to a numbered listing from `chapter`.
fn href(chapter: &Path, target: &Numbered) -> String {
    if target.chapter == chapter {
        format!("#{}", target.id)
    } else {
        let page = target.chapter.with_extension("html");
        format!("{}#{}", page.display(), target.id)
    }
}

/// `listings/part3-io/poll_loop.rs` as the caption shows it.
fn file_name(file: &Path) -> String {
    file.strip_prefix("listings")
        .unwrap_or(file)
        .display()
        .to_string()
}

/// The 1-based numbers of the lines of `after` that a minimal line diff
/// from `before` inserts or rewrites.
///
/// `similar`'s Myers gives up minimality on long files with many changes
/// (it highlighted 336 lines of `part4-epoll/epoll_loop.rs` where 329
/// differ), so this takes its LCS algorithm: quadratic, and exact.
pub fn changed_lines(before: &[String], after: &[String]) -> Vec<usize> {
    let mut changed = Vec::new();
    for op in capture_diff_slices(Algorithm::Lcs, before, after) {
        match op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => changed.extend(new_index + 1..=new_index + new_len),
            DiffOp::Equal { .. } | DiffOp::Delete { .. } => {}
        }
    }
    changed
}

/// `[1, 2, 3, 7]` as `1-3,7`.
pub fn ranges(lines: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if i == j {
            let _ = write!(out, "{}", lines[i]);
        } else {
            let _ = write!(out, "{}-{}", lines[i], lines[j]);
        }
        i = j + 1;
    }
    out
}

/// The link that opens `program` on the Playground, or `None` past
/// [`PLAYGROUND_URL_BUDGET`].
pub fn playground_url(program: &str, edition: &str) -> Option<String> {
    let url = url::Url::parse_with_params(
        PLAYGROUND,
        [
            ("version", "stable"),
            ("mode", "debug"),
            ("edition", edition),
            ("code", program),
        ],
    )
    .expect("the Playground's address parses");
    let url = String::from(url);
    (url.len() <= PLAYGROUND_URL_BUDGET).then_some(url)
}

/// Text for an HTML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn changed_lines_are_as_few_as_a_longest_common_subsequence_allows() {
        // This crate lives in tools/preprocessor/.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = |path: &str| -> Vec<String> {
            let text = std::fs::read_to_string(root.join(path)).unwrap();
            text.lines().map(str::to_owned).collect()
        };
        let before = read("listings/part4-ready/doorbell.rs");
        let after = read("listings/part4-epoll/epoll_loop.rs");
        // The classic dynamic programme, one row at a time.
        let mut row = vec![0; after.len() + 1];
        for line in &before {
            let mut diagonal = 0;
            for (j, other) in after.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = if line == other {
                    diagonal + 1
                } else {
                    above.max(row[j])
                };
                diagonal = above;
            }
        }
        let common = row[after.len()];
        let changed = changed_lines(&before, &after);
        assert_eq!(changed.len(), after.len() - common);
    }

    #[test]
    fn changed_lines_are_the_inserted_and_rewritten_ones() {
        let before = lines("fn main() {\n    a();\n    b();\n}");
        let after = lines("fn main() {\n    a();\n    c();\n    d();\n}");
        assert_eq!(changed_lines(&before, &after), [3, 4]);
        assert_eq!(changed_lines(&after, &after), [] as [usize; 0]);
    }

    #[test]
    fn ranges_join_neighbours() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3,7,9-10");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn a_short_program_gets_a_link_that_decodes_to_it() {
        let program = "fn main() {\n    println!(\"a & b = {}\", 1 + 2);\n}\n";
        let url = playground_url(program, "2024").unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: HashMap<_, _> = parsed.query_pairs().collect();
        assert_eq!(pairs["code"], program);
        assert_eq!(pairs["edition"], "2024");
        assert_eq!(pairs["mode"], "debug");
        assert_eq!(pairs["version"], "stable");
    }

    #[test]
    fn a_program_past_the_budget_gets_no_link() {
        let line = "    println!(\"one more line\");\n";
        let program = format!("fn main() {{\n{}}}\n", line.repeat(300));
        assert!(playground_url(&program, "2024").is_none());
    }

    /// A project with two versions of a program and a sample output.
    fn project() -> (tempfile::TempDir, Project, Settings) {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("listings/part2");
        fs::create_dir_all(part.join("output")).unwrap();
        fs::write(part.join("one.rs"), "fn main() {\n    a();\n}\n").unwrap();
        fs::write(
            part.join("two.rs"),
            "fn main() {\n    // ANCHOR: body\n    a();\n    b();\n    \
             // ANCHOR_END: body\n}\n",
        )
        .unwrap();
        fs::write(part.join("output/two.txt"), "ab\n").unwrap();
        let project = Project::at(dir.path());
        let settings = Settings {
            edition: "2024".to_owned(),
            source_url_template: "https://example.org/blob/main/{path}".into(),
            for_pages: false,
            local_run: None,
        };
        (dir, project, settings)
    }

    #[test]
    fn a_served_page_runs_its_programs_without_run_button_locally() {
        let (dir, project, settings) = project();
        fs::write(
            dir.path().join("listings/Cargo.toml"),
            "[[bin]]\nname = \"p2-one\"\npath = \"part2/one.rs\"\n\n\
             [[bin]]\nname = \"p2-two\"\npath = \"part2/two.rs\"\n",
        )
        .unwrap();
        let setting =
            serde_json::json!({ "url": "http://127.0.0.1:9", "token": "t" });
        let settings = Settings {
            for_pages: true,
            local_run: LocalRun::from_setting(&project, Some(setting)).unwrap(),
            ..settings
        };
        let served = |content: &str| {
            let chapter = Chapter {
                path: Path::new("part2.md"),
                number: 2,
                content,
            };
            let pages = annotate_book(&project, &settings, &[chapter]);
            pages
                .map_err(|p| crate::project::messages(&p))
                .unwrap()
                .remove(0)
        };
        let page = served(
            "```rust\n{{#rustdoc_include ../listings/part2/one.rs}}\n```\n\n\
             ```rust,no_run\n{{#rustdoc_include ../listings/part2/two.rs:body}}\n```\n\n\
             ```rust,no_run\n{{#rustdoc_include ../listings/part2/two.rs:body}}\n```\n",
        );
        // Only the whole block of the program without a Run button: the
        // Playground runs one.rs, and the excerpt runs nothing.
        assert_eq!(page.matches("data-runs-locally=").count(), 1, "{page}");
        assert!(page.contains(r#"data-file="listings/part2/two.rs" data-runnable="false" data-runs-locally="p2-two" data-edition="2024""#));
        assert!(page.contains(r#"window.bookLocalRun = {"token":"t","url":"http://127.0.0.1:9"}"#), "{page}");
        // A page with nothing to run locally carries no token.
        let page = served(
            "```rust\n{{#rustdoc_include ../listings/part2/one.rs}}\n```\n",
        );
        assert!(!page.contains("bookLocalRun"), "{page}");
    }

    fn annotate(text: &str) -> std::result::Result<String, Vec<String>> {
        let (_dir, project, settings) = project();
        let chapter = Chapter {
            path: Path::new("part2.md"),
            number: 2,
            content: text,
        };
        annotate_book(&project, &settings, &[chapter])
            .map(|mut chapters| chapters.remove(0))
            .map_err(|problems| crate::project::messages(&problems))
    }

    #[test]
    fn figures_number_link_and_highlight() {
        let page = annotate(
            "# Two\n\n```rust\n{{#rustdoc_include ../listings/part2/one.rs}}\n```\n\n\
             <!-- changes-since: ../listings/part2/one.rs -->\n\
             ```rust\n{{#rustdoc_include ../listings/part2/two.rs:body}}\n```\n\n\
             ```rust,no_run\n{{#rustdoc_include ../listings/part2/two.rs:body}}\n```\n\n\
             ```text\n{{#include ../listings/part2/output/two.txt}}\n```\n",
        )
        .unwrap();
        assert!(
            page.contains(
                r#"id="listing-2-1" data-file="listings/part2/one.rs""#
            )
        );
        assert!(
            page.contains(
                r#"id="listing-2-2" data-file="listings/part2/two.rs""#
            )
        );
        assert!(page.contains(r#"id="listing-2-2-b""#));
        assert!(page.contains("Listing 2.2 (continued)"));
        // The first block of two.rs carries the whole program, the lines
        // outside the anchor hidden; the second only the excerpt, which
        // runs nothing and links back. `b();` is line 3 of the first and
        // line 2 of the second; the comment is gone.
        assert!(
            page.contains(
                "```rust\n# fn main() {\n    a();\n    b();\n# }\n```"
            )
        );
        assert!(page.contains("```rust,ignore\n    a();\n    b();\n```"));
        assert!(page.contains(
            r##"<a class="listing-whole" href="#listing-2-2">the whole program</a>"##
        ));
        assert_eq!(page.matches(r#"data-changed-lines="3""#).count(), 1);
        assert_eq!(page.matches(r#"data-changed-lines="2""#).count(), 1);
        assert!(!page.contains("changes-since"));
        assert!(
            page.contains(
                "https://example.org/blob/main/listings/part2/two.rs"
            )
        );
        // Only the blocks that run link to the Playground.
        assert_eq!(page.matches("playground-link").count(), 2);
        assert_eq!(page.matches(r#"data-runnable="true""#).count(), 2);
        assert!(page.contains(r##"data-output-of="listings/part2/two.rs""##));
        assert!(
            page.contains(
                r##"Output of <a href="#listing-2-2">Listing 2.2</a>"##
            )
        );
    }

    #[test]
    fn a_changes_since_comment_needs_a_listing_below_it() {
        let problems = annotate(
            "# Two\n\n<!-- changes-since: ../listings/part2/one.rs -->\n\
             Some prose.\n",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("src/part2.md:3: a changes-since comment")
        );
    }

    #[test]
    fn a_changes_since_comment_must_name_a_file() {
        let problems = annotate(
            "# Two\n\n<!-- changes-since: ../listings/part2/zero.rs -->\n\
             ```rust\n{{#rustdoc_include ../listings/part2/two.rs:body}}\n```\n",
        )
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "src/part2.md:3: changes-since names listings/part2/zero.rs, \
              which does not exist"
            ]
        );
    }
}
