//! What a reader meets, held to the book's limits:
//!
//! - each chapter's main path is at most [`MAX_WORDS`] words of prose
//!   (code blocks, comments and the folded `<details>`, the "Going
//!   deeper" asides and the solutions, do not count);
//! - no code block shows more than [`MAX_VISIBLE_LINES`] lines (hidden
//!   lines, which "Show hidden lines" reveals, do not count);
//! - the prose, asides included, says nothing of how the book is tested
//!   ([`TEST_SUITE_TALK`]): that is for contributors, and for the one
//!   appendix that explains it ([`ABOUT_THE_TESTS`]).
//!
//! Each problem names the chapter line to fix.

use std::path::{Path, PathBuf};

use anyhow::Result;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::markdown::LineIndex;
use crate::rendered::RenderedBlock;
use crate::{Problem, Project};

/// The most words of prose a chapter's main path may have.
pub const MAX_WORDS: usize = 4_500;

/// The most lines a code block may show.
pub const MAX_VISIBLE_LINES: usize = 60;

/// Phrases about the test suite, which have no place in a reader's text
/// (compared without regard to case).
pub const TEST_SUITE_TALK: [&str; 7] = [
    "claim marker",
    "hidden marker",
    "the checker",
    "test suite",
    "the tests of this chapter",
    "the issue that",
    "the issue asked",
];

/// The appendix that tells curious readers and contributors how the book
/// is tested: the one page where [`TEST_SUITE_TALK`] is the subject.
pub const ABOUT_THE_TESTS: &str = "how-this-book-is-tested.md";

/// A stretch of prose: a paragraph, heading, list item or table cell.
#[derive(Debug, PartialEq)]
pub struct Prose {
    /// The line it starts on.
    pub line: usize,
    pub text: String,
    /// Inside a `<details>`: an aside or a solution, folded away.
    pub folded: bool,
}

/// The prose of a chapter's Markdown, outside code blocks and HTML.
pub fn prose(text: &str) -> Vec<Prose> {
    let lines = LineIndex::new(text);
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut found = Vec::new();
    let mut open: Option<Prose> = None;
    let mut details = 0usize;
    let mut in_code = false;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            // An item's own paragraph continues it: hence the guard.
            Event::Start(
                Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::Item
                | Tag::TableCell,
            ) if open.is_none() => {
                open = Some(Prose {
                    line: lines.line_of(range.start),
                    text: String::new(),
                    folded: details > 0,
                });
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell,
            ) => {
                found.extend(open.take().filter(|p| !p.text.trim().is_empty()))
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Html(html) | Event::InlineHtml(html) => {
                details += html.matches("<details").count();
                details =
                    details.saturating_sub(html.matches("</details").count());
            }
            Event::Text(text) | Event::Code(text) if !in_code => {
                if let Some(prose) = open.as_mut() {
                    prose.text.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(prose) = open.as_mut() {
                    prose.text.push(' ');
                }
            }
            _ => {}
        }
    }
    found
}

/// The words of `text`: runs of non-space characters with a letter or a
/// digit in them.
pub fn words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

/// The words of a chapter's main path.
pub fn main_path_words(text: &str) -> usize {
    prose(text)
        .iter()
        .filter(|p| !p.folded)
        .map(|p| words(&p.text))
        .sum()
}

/// The lines a reader sees of a rendered block: not those hidden behind
/// `# ` in a Rust block.
pub fn visible_lines(block: &RenderedBlock) -> usize {
    let hidden = |line: &str| {
        let line = line.trim_start();
        line == "#" || line.starts_with("# ")
    };
    let rust = block.block.is_rust();
    block
        .block
        .code
        .lines()
        .filter(|line| !(rust && hidden(line)))
        .count()
}

/// The problems of one chapter (`chapter` relative to `src/`, `text` its
/// Markdown, `blocks` the book's rendered blocks).
pub fn check_chapter(
    chapter: &Path,
    text: &str,
    blocks: &[RenderedBlock],
) -> Vec<Problem> {
    let file = Path::new("src").join(chapter);
    let mut problems = Vec::new();
    let words = main_path_words(text);
    if words > MAX_WORDS {
        problems.push(Problem::new(
            file.clone(),
            1,
            format!(
                "its main path has {words} words of prose, more than \
                 {MAX_WORDS}: fold side trips into a \
                 <details class=\"aside\"> or cut them"
            ),
        ));
    }
    let long = blocks
        .iter()
        .filter(|b| b.chapter == chapter)
        .map(|b| (b.block.line, visible_lines(b)))
        .filter(|&(_, shown)| shown > MAX_VISIBLE_LINES);
    for (line, shown) in long {
        problems.push(Problem::new(
            file.clone(),
            line,
            format!(
                "a code block showing {shown} lines, more than \
                 {MAX_VISIBLE_LINES}: split its anchor, or hide what it \
                 does not discuss"
            ),
        ));
    }
    let about_the_tests = chapter == Path::new(ABOUT_THE_TESTS);
    for prose in prose(text).into_iter().filter(|_| !about_the_tests) {
        let lower = prose.text.to_lowercase();
        for phrase in TEST_SUITE_TALK.iter().filter(|p| lower.contains(*p)) {
            problems.push(Problem::new(
                file.clone(),
                prose.line,
                format!(
                    "\"{phrase}\": the reader's text says nothing of how the \
                     book is tested"
                ),
            ));
        }
    }
    problems
}

/// The problems of every chapter.
pub fn check(project: &Project) -> Result<Vec<Problem>> {
    let blocks = crate::rendered::rendered_code_blocks(project)?;
    let mut problems = Vec::new();
    for chapter in project.chapters()? {
        let text = project.read_chapter(&chapter)?;
        problems.extend(check_chapter(&chapter, &text, &blocks));
    }
    Ok(problems)
}

/// The chapters' main-path word counts, for a contributor's overview.
pub fn word_counts(project: &Project) -> Result<Vec<(PathBuf, usize)>> {
    let mut counts = Vec::new();
    for chapter in project.chapters()? {
        let text = project.read_chapter(&chapter)?;
        counts.push((chapter, main_path_words(&text)));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAPTER: &str = "# A chapter\n\
        \n\
        Four words of prose.\n\
        \n\
        ```rust\n\
        fn not_prose() {}\n\
        ```\n\
        \n\
        <details class=\"aside\">\n\
        <summary>Going deeper</summary>\n\
        \n\
        These folded words do not count. The test suite is named here.\n\
        \n\
        </details>\n\
        \n\
        - an item <!-- claim: hidden -->\n\
        - and `code` too\n";

    #[test]
    fn the_main_path_is_the_prose_outside_code_comments_and_details() {
        // "A chapter", "Four words of prose.", "an item", "and code too".
        assert_eq!(main_path_words(CHAPTER), 2 + 4 + 2 + 3);
        let folded: Vec<usize> = prose(CHAPTER)
            .iter()
            .filter(|p| p.folded)
            .map(|p| p.line)
            .collect();
        assert_eq!(folded, [12]);
    }

    #[test]
    fn test_suite_talk_is_found_in_asides_too_at_its_line() {
        let problems = check_chapter(Path::new("a.md"), CHAPTER, &[]);
        let found: Vec<String> =
            problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("src/a.md:12:"), "{found:?}");
        assert!(found[0].contains("\"test suite\""), "{found:?}");
    }

    #[test]
    fn the_appendix_on_testing_may_talk_of_tests() {
        let appendix = Path::new(ABOUT_THE_TESTS);
        assert!(check_chapter(appendix, CHAPTER, &[]).is_empty());
    }

    #[test]
    fn a_block_showing_more_than_the_limit_is_reported_at_its_fence() {
        let block = |line, shown: usize, hidden: usize| RenderedBlock {
            chapter: "c.md".into(),
            block: crate::markdown::CodeBlock {
                line,
                info: "rust".into(),
                code: "let x = 1;\n".repeat(shown)
                    + &"# hidden();\n".repeat(hidden),
            },
        };
        let blocks = [
            block(5, MAX_VISIBLE_LINES, 200),
            block(40, MAX_VISIBLE_LINES + 1, 0),
        ];
        let problems = check_chapter(Path::new("c.md"), "# C\n", &blocks);
        let found: Vec<String> =
            problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("src/c.md:40:"), "{found:?}");
        assert!(found[0].contains("showing 61 lines"), "{found:?}");
    }

    #[test]
    fn a_long_main_path_is_reported() {
        let long = format!("# Long\n\n{}\n", "word ".repeat(MAX_WORDS));
        let problems = check_chapter(Path::new("b.md"), &long, &[]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].to_string().contains("4501 words"),
            "{problems:?}"
        );
    }
}
