//! The book's tooling, shared by `cargo book` (see `bin/book.rs`), the
//! root package's build script and the test suite.
//!
//! Every check reads the book the way mdBook does and reports problems as
//! `file:line: message`, so a broken include, link or claim points straight
//! at the sentence to fix.

pub mod actionlint;
pub mod assemble;
pub mod browser;
pub mod check;
pub mod claims;
pub mod compile_fail;
pub mod exercises;
pub mod figures;
pub mod includes;
pub mod install;
pub mod links;
pub mod listings;
pub mod markdown;
pub mod mdbook_test;
pub mod outputs;
pub mod pinned;
pub mod playground;
pub mod preprocessor;
pub mod process;
pub mod programs;
pub mod project;
pub mod promised_output;
pub mod rendered;
pub mod run_locally;
pub mod search_index;
pub mod stages;
pub mod strace;

pub use project::{Problem, Project};
