//! Part Five's tuned runtime (`listings::tuned`: Part Four's runtime with
//! the changes its profile called for), serving the benchmarks' workloads,
//! exactly as `book.rs` serves them with Part Four's.

use listings::tuned as runtime;

include!("book_workloads.rs");
