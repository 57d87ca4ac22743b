//! Running the book's programs under test: each in a network of its own,
//! with its wall-clock and CPU time measured. The supervision itself is
//! the `book-process` crate's, which the benchmarks share: all of it is
//! here, under the names the tools and the tests use (`Run`, `Running`,
//! `run_measured`, `isolate_network`, `inspect`, `wait_until`, ...).

pub use book_process::*;

/// `text` without the terminal color codes some tools print even into a
/// pipe, for readable failure messages.
pub fn without_colors(text: &str) -> String {
    static COLOR: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| {
            regex::Regex::new("\x1b\\[[0-9;]*m").unwrap()
        });
    COLOR.replace_all(text, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_removed_from_messages() {
        let colored = "\x1b[1m\x1b[38;5;9merror\x1b[0m: File not found";
        assert_eq!(without_colors(colored), "error: File not found");
    }
}
