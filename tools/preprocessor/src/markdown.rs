//! Code blocks and links of a chapter, with the lines they start on,
//! parsed by pulldown-cmark (the parser mdBook itself uses).

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The info string after the fence, e.g. `rust,compile_fail,E0373`.
    pub info: String,
    /// The block's text, hidden (`# `) lines included.
    pub code: String,
}

impl CodeBlock {
    /// The info string split the way rustdoc and mdBook split it.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        info_tokens(&self.info)
    }

    pub fn has(&self, token: &str) -> bool {
        self.tokens().any(|t| t == token)
    }

    pub fn is_rust(&self) -> bool {
        self.has("rust")
    }

    /// Error codes a `compile_fail` block names, e.g. `["E0373"]`.
    pub fn error_codes(&self) -> Vec<String> {
        self.tokens()
            .filter(|t| {
                t.len() == 5
                    && t.starts_with('E')
                    && t[1..].chars().all(|c| c.is_ascii_digit())
            })
            .map(str::to_owned)
            .collect()
    }

    /// The program the block stands for, as rustdoc compiles it and as
    /// mdBook's Run button sends it: hidden lines shown, their `# ` gone.
    pub fn program(&self) -> String {
        self.code.lines().map(|line| unhide(line) + "\n").collect()
    }
}

/// rustdoc's rule for hidden lines: `# ` (or a lone `#`) after leading
/// whitespace hides a line; `##` stands for a literal `#`.
fn unhide(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    if trimmed == "#" {
        String::new()
    } else if let Some(rest) = trimmed.strip_prefix("# ") {
        rest.to_owned()
    } else if let Some(rest) = trimmed.strip_prefix("##") {
        format!("{indent}#{rest}")
    } else {
        line.to_owned()
    }
}

pub fn info_tokens(info: &str) -> impl Iterator<Item = &str> {
    info.split(|c: char| !(c == '_' || c == '-' || c.is_alphanumeric()))
        .filter(|t| !t.is_empty())
}

/// A link in the prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub line: usize,
    pub destination: String,
}

/// The Markdown options mdBook 0.5 renders with, so that what we parse is
/// what the reader sees (footnotes and heading attributes change both).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

pub fn code_blocks(text: &str) -> Vec<CodeBlock> {
    let lines = LineIndex::new(text);
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some(CodeBlock {
                    line: lines.line_of(range.start),
                    info: info.to_string(),
                    code: String::new(),
                });
            }
            Event::Text(text) => {
                if let Some(block) = open.as_mut() {
                    block.code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                blocks.extend(open.take());
            }
            _ => {}
        }
    }
    blocks
}

pub fn links(text: &str) -> Vec<Link> {
    let lines = LineIndex::new(text);
    Parser::new_ext(text, options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. }) => Some(Link {
                line: lines.line_of(range.start),
                destination: dest_url.to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// Maps byte offsets to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_know_their_line_info_and_program() {
        let text = "# Title\n\nSome prose.\n\n```rust,compile_fail,E0373\n# fn hidden() {}\nfn main() {}\n```\n";
        let blocks = code_blocks(text);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].line, 5);
        assert!(blocks[0].is_rust());
        assert_eq!(blocks[0].error_codes(), ["E0373"]);
        assert_eq!(blocks[0].program(), "fn hidden() {}\nfn main() {}\n");
    }

    #[test]
    fn links_know_their_line() {
        let text = "one\n\ntwo [a](#x) and\n[b](other.md#y)\n";
        let found: Vec<_> = links(text)
            .into_iter()
            .map(|l| (l.line, l.destination))
            .collect();
        assert_eq!(found, [(3, "#x".into()), (4, "other.md#y".into())]);
    }

    #[test]
    fn double_hash_keeps_one_hash() {
        assert_eq!(unhide("    ## not hidden"), "    # not hidden");
        assert_eq!(unhide("#"), "");
        assert_eq!(unhide("#[derive(Debug)]"), "#[derive(Debug)]");
    }
}
