//! Part Six's runtime with a worker per core (`listings::many_threads`:
//! Part Four's runtime on several threads, with work stealing), serving
//! the benchmarks' workloads exactly as `book.rs` serves them with Part
//! Four's.

use listings::many_threads as runtime;

// The same file as `book.rs`'s, on purpose: compiled again on
// `many_threads`.
// Its sleepers are not measured (the memory workload compares the
// single-threaded runtimes), so `sleepers` goes unused here.
#[allow(clippy::duplicate_mod, dead_code)]
#[path = "book_workloads.rs"]
mod workloads;

pub use workloads::serve_workload;
