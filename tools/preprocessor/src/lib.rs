//! The book's mdBook preprocessor and everything it needs: where the book
//! lives (`project.rs`), how its Markdown is read (`markdown.rs`), each
//! program assembled into the one file a page shows (`assemble.rs`), the
//! include check (`includes.rs`), the listing figures (`figures.rs`) and
//! the programs a served book runs locally (`local_run.rs`).
//!
//! mdBook compiles and runs this crate on every `mdbook build` (see
//! `main.rs`), so it holds no more than that. The checks and the test kit
//! in `book-tools` build on these same modules.

pub mod assemble;
pub mod figures;
pub mod includes;
pub mod local_run;
pub mod markdown;
pub mod preprocessor;
pub mod project;

pub use project::{Problem, Project};
