//! What the Run buttons of a built page send to the Rust Playground.
//!
//! mdBook marks a runnable Rust block as `<pre class="playground">`, and
//! its `book.js` shows a Run button on it unless the code is `no_run`.
//! The button posts the code element's whole text (hidden lines included)
//! with the edition named by its `editionNNNN` class. A `should_panic`
//! block (an exercise's starter that stops at a `todo!()`) keeps its
//! button, and the program it sends must panic.
//!
//! A book served by `cargo book serve` has Run buttons of its own too, for
//! the programs the Playground cannot run: their figures carry
//! `data-runs-locally` (the program's bin), and `theme/local-run.js` posts
//! them to the local Playground, in the same way.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use scraper::{ElementRef, Html, Selector};

/// One Run button of a page.
#[derive(Debug, Clone)]
pub struct RunButton {
    /// The block's position among the page's Run buttons, from 1.
    pub index: usize,
    /// The edition posted, or `None` (mdBook then posts 2015).
    pub edition: Option<String>,
    /// The program posted.
    pub code: String,
    /// The block is `should_panic`: the program must panic.
    pub should_panic: bool,
    /// The listing's file, `listings/<part>/<stem>.rs`, for a block in a
    /// listing figure (its `data-file`).
    pub listing: Option<String>,
    /// For a program the Playground cannot run, which runs on the reader's
    /// machine instead: its bin (`cargo run -p listings --bin BIN`).
    pub runs_locally: Option<String>,
}

pub fn run_buttons(page: &Path) -> Result<Vec<RunButton>> {
    let html = fs::read_to_string(page)
        .with_context(|| format!("reading {}", page.display()))?;
    let html = Html::parse_document(&html);
    let runnable = Selector::parse(
        "pre.playground > code, figure[data-runs-locally] > pre > code",
    )
    .unwrap();
    let buttons = html
        .select(&runnable)
        .filter(|code| {
            !code.value().classes().any(|class| class == "no_run")
                || runs_locally(*code).is_some()
        })
        .enumerate()
        .map(|(i, code)| RunButton {
            index: i + 1,
            edition: code
                .value()
                .classes()
                .find_map(|class| class.strip_prefix("edition"))
                .or_else(|| figure_of(code)?.value().attr("data-edition"))
                .map(str::to_owned),
            code: program_of(code).unwrap_or_else(|| code.text().collect()),
            should_panic: code
                .value()
                .classes()
                .any(|class| class == "should_panic"),
            listing: figure_of(code)
                .and_then(|figure| figure.value().attr("data-file"))
                .map(str::to_owned),
            runs_locally: runs_locally(code),
        })
        .collect();
    Ok(buttons)
}

/// The bin of a block that runs on the reader's machine.
fn runs_locally(code: ElementRef) -> Option<String> {
    let figure = figure_of(code)?;
    figure.value().attr("data-runs-locally").map(str::to_owned)
}

/// The whole program a listing's script puts back into `code` when the
/// page loads (`theme/head.hbs`): the string it passes to
/// `restoreListing`, in the same figure. `None` for a block without one.
fn program_of(code: ElementRef) -> Option<String> {
    let figure = figure_of(code)?;
    let script = Selector::parse(":scope > script").unwrap();
    figure.select(&script).find_map(|script| {
        let call = script.text().collect::<String>();
        let arguments = call
            .trim()
            .strip_prefix("restoreListing(document.currentScript, ")?;
        // The program is a JSON string; the line range follows it. The
        // script leaves out its final line end, as mdBook does.
        let mut stream =
            serde_json::Deserializer::from_str(arguments).into_iter::<String>();
        let program = stream.next()?.ok()?;
        Some(program.strip_suffix('\n').unwrap_or(&program).to_owned())
    })
}

/// The element around the block `code` is in: its listing figure, if it
/// has one.
fn figure_of(code: ElementRef) -> Option<ElementRef> {
    let pre = ElementRef::wrap(code.parent()?)?;
    ElementRef::wrap(pre.parent()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_carry_hidden_lines_and_edition() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("p.html");
        fs::write(
            &page,
            r#"<pre class="playground"><code class="language-rust edition2024"><span class="boring">use std::fmt;
</span>fn main() {}</code></pre>
<pre class="playground"><code class="language-rust no_run edition2024">fn main() {}</code></pre>
<pre class="playground"><code class="language-rust should_panic edition2024">fn main() { todo!() }</code></pre>
<pre><code class="language-rust noplayground">fn main() {}</code></pre>"#,
        )
        .unwrap();
        let buttons = run_buttons(&page).unwrap();
        assert_eq!(buttons.len(), 2);
        assert_eq!(buttons[0].edition.as_deref(), Some("2024"));
        assert_eq!(buttons[0].code, "use std::fmt;\nfn main() {}");
        assert!(!buttons[0].should_panic);
        assert!(buttons[1].should_panic);
        assert_eq!(buttons[0].listing, None);
    }

    #[test]
    fn a_program_run_locally_has_a_button_too() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("p.html");
        fs::write(
            &page,
            r#"<figure class="listing" data-file="listings/p/many.rs" data-runs-locally="p-many" data-edition="2024"><pre><code class="language-rust noplayground">fn main() {}</code></pre></figure>
<figure class="listing" data-file="listings/p/slow.rs" data-runs-locally="p-slow"><pre class="playground"><code class="language-rust no_run edition2024">fn main() {}</code></pre></figure>
<figure class="listing" data-file="listings/p/server.rs"><pre class="playground"><code class="language-rust no_run edition2024">fn main() {}</code></pre></figure>"#,
        )
        .unwrap();
        let buttons = run_buttons(&page).unwrap();
        let bins: Vec<_> =
            buttons.iter().map(|b| b.runs_locally.as_deref()).collect();
        assert_eq!(bins, [Some("p-many"), Some("p-slow")]);
        assert_eq!(buttons[0].edition.as_deref(), Some("2024"));
    }

    #[test]
    fn a_listing_sends_the_program_its_script_restores() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("p.html");
        fs::write(
            &page,
            r#"<figure class="listing" data-file="listings/p/show.rs"><pre class="playground"><code class="language-rust edition2024">fn main() {}</code></pre>
<script>restoreListing(document.currentScript, "use std::fmt;\nfn main() {}\n\u003c/script>\n", 1, 2);</script></figure>"#,
        )
        .unwrap();
        let buttons = run_buttons(&page).unwrap();
        assert_eq!(buttons[0].code, "use std::fmt;\nfn main() {}\n</script>");
        assert_eq!(buttons[0].listing.as_deref(), Some("listings/p/show.rs"));
    }
}
