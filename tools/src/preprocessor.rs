//! `cargo book preprocess`: an mdBook preprocessor that fails the build on
//! the include problems `includes.rs` finds. `book.toml` runs it before
//! mdBook's own `links` preprocessor, so it sees the directives as written,
//! on the lines a contributor edits.

use std::io::{Read, Write};

use anyhow::Result;
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::project::into_result;
use crate::{Project, includes};

/// The name `book.toml` gives this preprocessor.
pub const NAME: &str = "include-check";

pub struct IncludeCheck;

impl Preprocessor for IncludeCheck {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&self, ctx: &PreprocessorContext, book: Book) -> Result<Book> {
        let project = Project::at(&ctx.root);
        let mut problems = Vec::new();
        for item in book.iter() {
            if let BookItem::Chapter(chapter) = item
                && let Some(path) = &chapter.source_path
            {
                problems.extend(includes::check_chapter(
                    &project,
                    path,
                    &chapter.content,
                ));
            }
        }
        into_result(problems)?;
        Ok(book)
    }

    fn supports_renderer(&self, _renderer: &str) -> Result<bool> {
        Ok(true)
    }
}

/// Speaks mdBook's preprocessor protocol on stdin and stdout.
pub fn run_as_command(input: impl Read, mut output: impl Write) -> Result<()> {
    let (ctx, book) = mdbook_preprocessor::parse_input(input)?;
    let book = IncludeCheck.run(&ctx, book)?;
    serde_json::to_writer(&mut output, &book)?;
    output.flush()?;
    Ok(())
}
