//! The checks that `cargo book` (`tools/cli/`) and the test suite run,
//! the test kit the chapters' tests share, and what the root package's
//! build script reads.
//!
//! Every check reads the book the way mdBook does and reports problems as
//! `file:line: message`, so a broken include, link or claim points straight
//! at the sentence to fix.

pub mod actionlint;
pub mod browser;
pub mod builds;
pub mod check;
pub mod claims;
pub mod compile_fail;
pub mod exercise_promises;
pub mod exercises;
pub mod install;
pub mod links;
pub mod listings;
pub mod mdbook_test;
pub mod outputs;
pub mod pinned;
pub mod playground;
pub mod process;
pub mod programs;
pub mod promised_output;
pub mod reading;
pub mod rendered;
pub mod run_locally;
pub mod search_index;
pub mod stages;
pub mod strace;

// The preprocessor's modules, under the names the checks and tests have
// always used (`book_tools::assemble`, `crate::project`): they live in
// `book-preprocessor` so that mdBook compiles no more than it runs.
pub use book_preprocessor::{
    assemble, figures, includes, local_run, markdown, preprocessor, project,
};
pub use project::{Problem, Project};
