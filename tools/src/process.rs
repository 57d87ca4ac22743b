//! Running the book's programs under test: each in a network of its own,
//! with its wall-clock and CPU time measured. The supervision itself is
//! the `book-process` crate's, which the benchmarks share; this module
//! keeps the names the tools and the tests use.

pub use book_process::{
    Run, Running, isolate_network, isolate_this_process, join_network_of,
    run_measured,
};

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
