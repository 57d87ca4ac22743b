//! The chapters' code blocks exactly as mdBook renders them (includes
//! expanded, hidden lines in), each tied to the line of the chapter source
//! where its fence opens. The build script turns these into tests.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use mdbook_driver::MDBook;
use mdbook_driver::book::BookItem;
use mdbook_renderer::{RenderContext, Renderer};

use crate::markdown::{CodeBlock, code_blocks};
use crate::preprocessor::Listings;
use crate::project::into_result;
use crate::{Problem, Project};

/// A code block of the rendered book.
#[derive(Debug, Clone)]
pub struct RenderedBlock {
    /// The chapter, relative to `src/`.
    pub chapter: PathBuf,
    /// The block as the reader sees it; its `line` is the opening fence's
    /// line in the chapter source.
    pub block: CodeBlock,
}

impl RenderedBlock {
    /// `src/part3-io.md:120`, for messages.
    pub fn location(&self) -> String {
        format!("src/{}:{}", self.chapter.display(), self.block.line)
    }
}

/// Stands in for `mdbook test`'s renderer, so that the code blocks are
/// the ones `mdbook test` compiles: whole programs, their hidden lines
/// behind `# `. (For web pages the preprocessor hands the hidden lines to
/// a script instead; the browser tests check what those pages send.)
struct AsTest;

impl Renderer for AsTest {
    fn name(&self) -> &str {
        "test"
    }

    fn render(&self, _: &RenderContext) -> Result<()> {
        Ok(())
    }
}

pub fn rendered_code_blocks(project: &Project) -> Result<Vec<RenderedBlock>> {
    let mut book = MDBook::load(&project.root).with_context(|| {
        format!("loading the book at {}", project.root.display())
    })?;
    let declared = format!("preprocessor.{}", crate::project::PREPROCESSOR);
    if !book.config.contains_key(&declared) {
        bail!("book.toml must declare [{declared}] (to run before `links`)");
    }
    // Replaces the `book-preprocessor` command that book.toml names with
    // the same preprocessor in-process: a build script cannot run cargo.
    book.with_preprocessor(Listings);
    let (rendered, _) = book.preprocess_book(&AsTest)?;

    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    for item in rendered.iter() {
        let BookItem::Chapter(chapter) = item else {
            continue;
        };
        let Some(path) = &chapter.source_path else {
            continue;
        };
        let source = code_blocks(&project.read_chapter(path)?);
        let shown = code_blocks(&chapter.content);
        if source.len() != shown.len() {
            bail!(
                "src/{}: {} code blocks in the source but {} once includes are \
                 expanded; an include outside a code fence must not add or \
                 remove code blocks",
                path.display(),
                source.len(),
                shown.len()
            );
        }
        for (written, mut shown) in source.into_iter().zip(shown) {
            if written.info.trim().is_empty() {
                problems.push(Problem::new(
                    PathBuf::from("src").join(path),
                    written.line,
                    "code block without a language: write ```rust, ```text, ...",
                ));
            }
            shown.line = written.line;
            blocks.push(RenderedBlock {
                chapter: path.clone(),
                block: shown,
            });
        }
    }
    into_result(problems)?;
    Ok(blocks)
}
