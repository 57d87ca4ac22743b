//! The `listings` preprocessor (`main.rs` runs it for mdBook): fails the
//! build on the include problems `includes.rs` finds, then wraps every
//! listing in its figure (`figures.rs`). `book.toml` runs it before
//! mdBook's own `links` preprocessor, so it sees the directives as
//! written, on the lines a contributor edits.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::figures::{self, Chapter, Settings};
use crate::local_run::{self, LocalRun};
use crate::project::{PREPROCESSOR, into_result};
use crate::{Project, assemble, includes};

pub struct Listings;

/// The renderer that reads only the chapters' links: it gets them without
/// the programs, whose assembling and figures would take most of the
/// preprocessor's time again for nothing. (The HTML renderer's run has
/// checked the includes and made the figures; their links are checked in
/// the built pages, `book_tools::links`.)
const LINKS_ONLY: &str = "linkcheck2";

impl Preprocessor for Listings {
    fn name(&self) -> &str {
        PREPROCESSOR
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
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
        if ctx.renderer == LINKS_ONLY {
            book.for_each_chapter_mut(|chapter| {
                chapter.content = includes::without_includes(&chapter.content);
            });
            return Ok(book);
        }

        let local_run = ctx.config.get(local_run::SETTING)?;
        let settings = Settings {
            for_pages: ctx.renderer == "html",
            local_run: LocalRun::from_setting(&project, local_run)?,
            ..Settings::load(&project)?
        };
        let mut chapters = Vec::new();
        for item in book.iter() {
            if let BookItem::Chapter(chapter) = item
                && let Some(path) = &chapter.source_path
            {
                let number = chapter.number.as_ref();
                chapters.push(Chapter {
                    path,
                    number: number
                        .and_then(|n| n.first().copied())
                        .unwrap_or(0),
                    content: &chapter.content,
                });
            }
        }
        let annotated =
            match figures::annotate_book(&project, &settings, &chapters) {
                Ok(annotated) => annotated,
                Err(problems) => return into_result(problems).map(|()| book),
            };
        let mut annotated: HashMap<PathBuf, String> = chapters
            .iter()
            .map(|chapter| chapter.path.to_path_buf())
            .zip(annotated)
            .collect();
        book.for_each_chapter_mut(|chapter| {
            if let Some(path) = &chapter.source_path
                && let Some(content) = annotated.remove(path)
            {
                chapter.content = content;
            }
        });
        Ok(book)
    }

    fn supports_renderer(&self, _renderer: &str) -> Result<bool> {
        Ok(true)
    }
}

/// Speaks mdBook's preprocessor protocol on stdin and stdout.
pub fn run_as_command(input: impl Read, mut output: impl Write) -> Result<()> {
    let (ctx, book) = mdbook_preprocessor::parse_input(input)?;
    // No listing changes while the book is preprocessed.
    let book = assemble::with_cache(|| Listings.run(&ctx, book))?;
    serde_json::to_writer(&mut output, &book)?;
    output.flush()?;
    Ok(())
}
