//! Part Five's tuned runtime (`listings/part5-measured/tuned_server.rs`:
//! Part Four's last program with the changes its profile called for),
//! serving the benchmarks' workloads, exactly as `book.rs` serves them
//! with Part Four's.

#[allow(dead_code)]
#[path = "../../listings/part5-measured/tuned_server.rs"]
mod runtime;

include!("book_workloads.rs");
