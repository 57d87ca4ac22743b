//! Part Five's tuned runtime (`listings::tuned`: Part Four's runtime with
//! the changes its profile called for), serving the benchmarks' workloads,
//! exactly as `book.rs` serves them with Part Four's.

use listings::tuned as runtime;

// The same file as `book.rs`'s, on purpose: compiled again on `tuned`.
#[allow(clippy::duplicate_mod)]
#[path = "book_workloads.rs"]
mod workloads;

pub use workloads::{serve_workload, sleepers};
