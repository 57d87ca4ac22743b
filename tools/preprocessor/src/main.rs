//! The command `book.toml` names in `[preprocessor.listings]`: mdBook runs
//! it with `supports RENDERER` to ask whether to preprocess for a
//! renderer, then with no arguments to preprocess the book, which it
//! sends as JSON on stdin and reads back from stdout.

use std::process::ExitCode;

use book_preprocessor::preprocessor;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        // Every renderer is supported, as `Listings::supports_renderer`
        // says: `mdbook test` needs the include check as much as the site.
        Some("supports") => Ok(()),
        Some(other) => Err(anyhow::anyhow!(
            "unknown argument {other:?}: mdBook runs this with `supports \
             RENDERER` or with none"
        )),
        None => preprocessor::run_as_command(
            std::io::stdin().lock(),
            std::io::stdout().lock(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
